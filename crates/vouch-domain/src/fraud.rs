//! Fraud: explainable signals, a risk score per referral, and the decision the
//! program's thresholds give it. The use cases gather the evidence (hashed networks,
//! devices, cards, counts); this module only weighs it.
//!
//! Identity is a device or a payment method, never a browser string: one shared with
//! the advocate rejects on its own, one shared with other people of the workspace (a
//! ring, a farm) holds or rejects by how many share it. A network is weak evidence:
//! households, offices, campuses and mobile carriers put strangers and relatives
//! behind one address, so the same network, even with the same browser string, never
//! reaches the review score alone. Velocity alone never holds: a viral post is not
//! fraud. Each signal has a stable code, a weight and a sentence a person can act on;
//! a signal seen at several events counts once, at its strongest.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Millis, Result};

mod evidence;
mod lists;

pub use evidence::{assess, Evidence, Sharing};
pub use lists::{automated_browser, is_public_ip, throwaway_tld, DomainList};

/// What a signal says, as a stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalCode {
    /// The friend used the advocate's own device.
    SameDevice,
    /// The friend paid with the advocate's own card or payment account.
    SamePayment,
    /// The friend's email is the advocate's under another spelling (dots, a tag, an
    /// equivalent domain, look-alike letters).
    EmailAlias,
    /// The friend's device is also another friend's or another advocate's.
    SharedDevice,
    /// The friend's card is also another friend's or another advocate's.
    SharedPayment,
    /// The friend's email is another person's under another spelling.
    SharedEmail,
    /// The friend came from the advocate's network with the advocate's browser string.
    SameNetworkAndBrowser,
    /// The friend came from the advocate's network (a household, an office).
    SameNetwork,
    /// Kept so that assessments stored before identity sharing replaced it still read.
    SharedByFriends,
    /// The friend's email is at a disposable-address provider.
    DisposableEmail,
    /// The friend's email is on a top-level domain where throwaway providers cluster.
    ThrowawayTld,
    /// The merchant's block list names the friend's email, domain, network, device or card.
    BlockList,
    /// More referrals for this advocate in the last hour than the program expects.
    VelocityHour,
    /// More referrals for this advocate in the last day than the program expects.
    VelocityDay,
    /// Many referrals from one network range in the last day (offices and carriers too).
    NetworkRangeVelocity,
    /// Several of this advocate's referrals of the last hour came from the friend's
    /// network range.
    RangeBurst,
    /// The purchase came implausibly soon after the click.
    FastPurchase,
    /// The browser says it is automated (headless, a script, a crawler).
    AutomatedBrowser,
    /// This signup or purchase and several others of the advocate's last hour came
    /// seconds after their clicks: a script, not people who decided at once.
    ScriptedCheckouts,
    /// Many of this advocate's referrals were refunded.
    RefundPattern,
    /// The advocate's code is used by implausibly many people who never clicked a link.
    CodeLeakage,
    /// The friend arrived from a coupon-aggregator site.
    CouponSite,
}

impl SignalCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SameDevice => "same_device",
            Self::SamePayment => "same_payment",
            Self::EmailAlias => "email_alias",
            Self::SharedDevice => "shared_device",
            Self::SharedPayment => "shared_payment",
            Self::SharedEmail => "shared_email",
            Self::SameNetworkAndBrowser => "same_network_and_browser",
            Self::SameNetwork => "same_network",
            Self::SharedByFriends => "shared_by_friends",
            Self::DisposableEmail => "disposable_email",
            Self::ThrowawayTld => "throwaway_tld",
            Self::BlockList => "block_list",
            Self::VelocityHour => "velocity_hour",
            Self::VelocityDay => "velocity_day",
            Self::NetworkRangeVelocity => "network_range_velocity",
            Self::RangeBurst => "range_burst",
            Self::FastPurchase => "fast_purchase",
            Self::AutomatedBrowser => "automated_browser",
            Self::ScriptedCheckouts => "scripted_checkouts",
            Self::RefundPattern => "refund_pattern",
            Self::CodeLeakage => "code_leakage",
            Self::CouponSite => "coupon_site",
        }
    }

    /// Signals of one family describe one fact at different strengths (a friend seen
    /// on the advocate's network at signup and with the same browser at purchase):
    /// only the strongest of a family counts.
    pub fn family(self) -> &'static str {
        match self {
            // Many people on one network (the advocate's, a range in a day, a range in
            // an hour) is one fact about the network, however it shows.
            Self::SameNetwork
            | Self::SameNetworkAndBrowser
            | Self::NetworkRangeVelocity
            | Self::RangeBurst => "network",
            Self::DisposableEmail | Self::ThrowawayTld => "email_domain",
            Self::VelocityHour | Self::VelocityDay => "velocity",
            other => other.as_str(),
        }
    }
}

/// One reason a referral looks risky.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Signal {
    pub code: SignalCode,
    pub weight: u32,
    /// For a person reviewing it, with the evidence ("shares a card with 3 other friends").
    pub explanation: String,
}

/// Scripted checkouts: a fast purchase with at least this many other fast purchases of
/// the advocate in the hour. A viral post has a few people who buy at once, not a
/// column of them.
pub const SCRIPTED_MIN_OTHERS: u32 = 4;
/// Or with at least this many other quick ones from its network range in a day.
pub const SCRIPTED_MIN_RANGE: u32 = 2;

/// A refund pattern needs at least this many refunded referrals (and at least a third
/// of the advocate's conversions refunded): below it, returns are ordinary.
pub const REFUND_PATTERN_MIN_REFUNDS: u32 = 2;

/// The windows the rules count in, back from a referral's touch (its click, or the
/// event), so backfilled events are judged by when they happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Referrals touched since this instant count for `velocity_hour` and `range_burst`.
    pub hour_since: Millis,
    /// And since this one for `velocity_day` and a network range.
    pub day_since: Millis,
    /// And since this one for a leaked code.
    pub week_since: Millis,
    /// And since this one for a refund pattern (a return window).
    pub month_since: Millis,
}

/// Which earlier referrals share the evidence of a suspicious one, and so are held
/// with it. Never a whole hour of an advocate's traffic: only what shares something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Related {
    /// The advocate's referrals from the same network range since the instant.
    AdvocateRange(Millis),
    /// The advocate's typed-code referrals (no click) since the instant.
    AdvocateCodes(Millis),
    /// The advocate's converted referrals since the instant (a refund pattern).
    AdvocateConverted(Millis),
    /// The advocate's referrals since the instant that signed up or bought within the
    /// program's `min_seconds_to_purchase` of their click (scripted checkouts).
    AdvocateFast(Millis),
    /// The referrals of everyone who shares the friend's device, card or email.
    SharingIdentity,
}

impl Related {
    /// Whether a signal is the evidence this relation shares.
    pub fn covers(self, code: SignalCode) -> bool {
        use SignalCode as C;
        match self {
            Self::SharingIdentity => {
                matches!(code, C::SharedDevice | C::SharedPayment | C::SharedEmail)
            }
            Self::AdvocateRange(_) => code == C::RangeBurst,
            Self::AdvocateCodes(_) => code == C::CodeLeakage,
            Self::AdvocateConverted(_) => code == C::RefundPattern,
            Self::AdvocateFast(_) => code == C::ScriptedCheckouts,
        }
    }
}

impl Windows {
    pub fn back_from(touched_at: Millis) -> Self {
        const HOUR: Millis = 3_600_000;
        Self {
            hour_since: touched_at - HOUR,
            day_since: touched_at - 24 * HOUR,
            week_since: touched_at - 7 * 24 * HOUR,
            month_since: touched_at - 30 * 24 * HOUR,
        }
    }

    /// When a referral is held or rejected, which earlier referrals share its evidence.
    pub fn related(self, signals: &[Signal]) -> Vec<Related> {
        use SignalCode as C;
        let has = |c: C| signals.iter().any(|s| s.code == c);
        let mut out = vec![];
        if has(C::SharedDevice) || has(C::SharedPayment) || has(C::SharedEmail) {
            out.push(Related::SharingIdentity);
        }
        if has(C::RangeBurst) {
            out.push(Related::AdvocateRange(self.hour_since));
        }
        if has(C::CodeLeakage) {
            out.push(Related::AdvocateCodes(self.week_since));
        }
        if has(C::ScriptedCheckouts) {
            out.push(Related::AdvocateFast(self.hour_since));
        }
        if has(C::RefundPattern) {
            out.push(Related::AdvocateConverted(self.month_since));
        }
        out
    }
}

/// What a program does with risky referrals; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FraudSettings {
    /// Scores from here hold the referral's rewards for review (default 40).
    pub review_score: u32,
    /// Scores from here reject the referral (default 80).
    pub reject_score: u32,
    /// Referrals per advocate per hour before `velocity_hour` (default 5).
    pub max_referrals_per_hour: u32,
    /// Referrals per advocate per day before `velocity_day` (default 20).
    pub max_referrals_per_day: u32,
    /// Referrals from one network range (/24, /48) per day (default 4).
    pub max_referrals_per_network_day: u32,
    /// A purchase sooner than this after the click is `fast_purchase` (default 30).
    pub min_seconds_to_purchase: u32,
    /// Typed-code referrals per advocate per day, without a click, before
    /// `code_leakage` (default 25; it matters when the weekly limit is raised above it).
    pub max_code_referrals_per_day: u32,
    /// The same over a week: a leaked code used a few times a day, every day
    /// (default 15; an influencer's code read out in a video is used like this too).
    pub max_code_referrals_per_week: u32,
    /// Other referrals of the advocate from the friend's network range in the last
    /// hour before `range_burst` (default 3).
    pub max_range_referrals_per_hour: u32,
}

impl Default for FraudSettings {
    fn default() -> Self {
        Self {
            review_score: 40,
            reject_score: 80,
            max_referrals_per_hour: 5,
            max_referrals_per_day: 20,
            max_referrals_per_network_day: 4,
            min_seconds_to_purchase: 30,
            max_code_referrals_per_day: 25,
            max_code_referrals_per_week: 15,
            max_range_referrals_per_hour: 3,
        }
    }
}

impl FraudSettings {
    pub fn validate(&self) -> Result<()> {
        if !(1..=100).contains(&self.review_score) {
            return Err(DomainError::invalid("review_score", "must be 1 to 100"));
        }
        if self.reject_score < self.review_score || self.reject_score > 101 {
            return Err(DomainError::invalid(
                "reject_score",
                "must be at least review_score and at most 101 (never reject)",
            ));
        }
        let positive = [
            ("max_referrals_per_hour", self.max_referrals_per_hour),
            ("max_referrals_per_day", self.max_referrals_per_day),
            (
                "max_referrals_per_network_day",
                self.max_referrals_per_network_day,
            ),
            (
                "max_code_referrals_per_day",
                self.max_code_referrals_per_day,
            ),
            (
                "max_code_referrals_per_week",
                self.max_code_referrals_per_week,
            ),
            (
                "max_range_referrals_per_hour",
                self.max_range_referrals_per_hour,
            ),
        ];
        for (field, v) in positive {
            if v == 0 {
                return Err(DomainError::invalid(field, "must be greater than 0"));
            }
        }
        Ok(())
    }
}

/// What the thresholds make of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Review,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Review => "review",
            Self::Reject => "reject",
        }
    }
}

/// A referral's risk: its signals, their score and the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    pub score: u32,
    pub decision: Decision,
    pub signals: Vec<Signal>,
}

/// The score of a set of signals (the strongest of each family, summed, at most 100)
/// and what the thresholds make of it.
pub fn decide(signals: &[Signal], s: &FraudSettings) -> (u32, Decision) {
    let mut best: Vec<(&str, u32)> = vec![];
    for x in signals {
        match best.iter_mut().find(|(f, _)| *f == x.code.family()) {
            Some((_, w)) => *w = (*w).max(x.weight),
            None => best.push((x.code.family(), x.weight)),
        }
    }
    let score = best.iter().map(|(_, w)| w).sum::<u32>().min(100);
    let decision = if score >= s.reject_score {
        Decision::Reject
    } else if score >= s.review_score {
        Decision::Review
    } else {
        Decision::Approve
    };
    (score, decision)
}

/// Adds newly seen signals to the ones a referral had: a signal seen again keeps its
/// strongest weight and the explanation that goes with it.
pub fn merge(into: &mut Vec<Signal>, new: &[Signal]) {
    for s in new {
        match into.iter_mut().find(|x| x.code == s.code) {
            Some(x) if s.weight > x.weight => *x = s.clone(),
            Some(_) => {}
            None => into.push(s.clone()),
        }
    }
}

#[cfg(test)]
mod tests;
