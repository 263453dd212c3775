//! What the fraud rules read and write: counts around a referral, identities shown.

use vouch_domain::ids::*;
use vouch_domain::Millis;

/// What the fraud rules count around a referral (each count excludes it).
#[derive(Debug, Clone, Default)]
pub struct FraudCounts {
    pub advocate_referrals_hour: i64,
    pub advocate_referrals_day: i64,
    pub code_referrals_day: i64,
    pub network_range_day: i64,
    pub advocate_conversions: i64,
    pub advocate_refunds: i64,
    /// Which block list entry matched (`email`, `domain`, `ip`, `device`, `payment`).
    pub blocked: Option<String>,
    pub code_referrals_week: i64,
    /// The advocate's other referrals of the last hour from the friend's network range.
    pub advocate_range_hour: i64,
    /// The advocate's other click referrals of the last hour that converted within
    /// `fast_within` of their click.
    pub advocate_fast_hour: i64,
    /// The program's other click referrals of the last day from the friend's range
    /// that were that quick.
    pub range_fast_day: i64,
    /// Per identity the friend showed (`device`, `payment`, `email`): other people of the
    /// workspace with it, and how many of them are advocates.
    pub sharing: Vec<(&'static str, i64, i64)>,
}

/// One identity a person showed (a device, a card, an email's mailbox), as a keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityMark {
    /// `device`, `payment` or `email`.
    pub kind: &'static str,
    pub value: String,
    /// For `email`: the keyed hash of the exact address, so that other spellings of one
    /// mailbox can be told from the same address seen again.
    pub address: Option<String>,
}

/// Who showed identities: a person key (a keyed hash of their mailbox, or their id),
/// as an advocate or as a friend of `advocate` in `referral`.
#[derive(Debug, Clone)]
pub struct Showing<'a> {
    pub workspace: &'a WorkspaceId,
    pub person: &'a str,
    /// `advocate` or `friend`.
    pub role: &'static str,
    pub advocate: &'a ParticipantId,
    pub referral: Option<&'a ReferralId>,
    pub marks: &'a [IdentityMark],
    pub at: Millis,
}

/// Where to look for [`FraudCounts`].
#[derive(Debug, Clone)]
pub struct FraudQuery<'a> {
    pub program: &'a ProgramId,
    pub referrer: &'a ParticipantId,
    pub exclude: &'a ReferralId,
    /// The referral's touch: counts stop here.
    pub now: Millis,
    /// Where the velocity windows start (the domain's [`Windows`](vouch_domain::fraud::Windows)).
    pub windows: vouch_domain::fraud::Windows,
    /// Conversions are counted only from this many refunds on (the refund pattern's
    /// threshold): below it they cannot matter.
    pub refunds_from: i64,
    pub ip_range_hash: Option<&'a str>,
    /// Counts of recent referrals stop here (the largest limit the rules compare with).
    pub at_most: i64,
    /// Looked up in the workspace's block list in the same read.
    pub workspace: &'a WorkspaceId,
    pub email: Option<&'a str>,
    pub email_domain: Option<&'a str>,
    /// The friend's network as the event or the click gave it.
    pub block_ip_hash: Option<&'a str>,
    pub block_device: Option<&'a str>,
    pub block_payment: Option<&'a str>,
    /// The friend's person key and their advocate's: neither counts as sharing.
    pub person: &'a str,
    pub advocate_person: &'a str,
    /// The friend's identities, compared with everyone else's in the workspace.
    pub identities: &'a [IdentityMark],
    /// Purchases this soon after their click (ms) count as fast; `None` skips the count.
    pub fast_within: Option<i64>,
}
