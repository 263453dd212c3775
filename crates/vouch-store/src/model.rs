//! Rows as the server sees them: typed ids and the domain's enums, never raw strings.

use vouch_domain::attribution::AttributionSource;
use vouch_domain::ids::*;
use vouch_domain::money::Currency;
use vouch_domain::program::AttributionModel;
use vouch_domain::Millis;

mod emails;
mod fraud;
mod integrations;
mod links;
mod webhooks;
pub use emails::*;
pub use fraud::*;
pub use integrations::*;
pub use links::*;
pub use webhooks::*;

pub use vouch_domain::entities::{
    Customer, Fingerprint, LineStatus, Participant, ParticipantStatus, Payout, PayoutLine,
    PayoutStatus, PendingReason, Program, ProgramStatus, Referral, Review, Reward,
};

#[derive(Debug, Clone)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub hash_key: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `sk_…`: server-side, full access.
    Secret,
    /// `pk_…`: browser-safe, may only record clicks and signups.
    Publishable,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Publishable => "publishable",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub kind: KeyKind,
    pub key_hash: String,
    pub key_hint: String,
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub kind: KeyKind,
}

#[derive(Debug, Clone)]
pub struct NewParticipant {
    pub id: ParticipantId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub locale: String,
    pub referred_by_referral_id: Option<ReferralId>,
    pub fingerprint: Fingerprint,
    pub created_at: Millis,
}

/// Whether an enrolment created the participant or found them already enrolled.
#[derive(Debug, Clone)]
pub enum Enrolment {
    Created(Participant),
    Existing(Participant),
}

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub id: CustomerId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub email_normalized: Option<String>,
    pub external_id: Option<String>,
    /// Decided at this first event, when it was attributed.
    pub attribution: Option<CustomerAttribution>,
    pub first_purchase_at: Option<Millis>,
    pub created_at: Millis,
}

/// The attribution recorded on a customer: decided once, with the rules applied.
#[derive(Debug, Clone)]
pub struct CustomerAttribution {
    pub referral_id: ReferralId,
    pub source: AttributionSource,
    pub model: AttributionModel,
    pub window_days: i64,
    pub attributed_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: EventId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub kind: String,
    pub idempotency_key: String,
    pub order_id: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<Currency>,
    pub occurred_at: Millis,
    pub created_at: Millis,
    pub ip_hash: Option<String>,
    pub device_id: Option<String>,
    pub payment_fingerprint: Option<String>,
}

/// A stored answer to a request, replayed when the request is retried.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
}

/// A purchase as recorded, for refunds.
#[derive(Debug, Clone)]
pub struct Purchase {
    pub id: EventId,
    pub amount: Option<i64>,
    pub currency: Option<Currency>,
    /// The referral the purchase was attributed to.
    pub referral_id: Option<ReferralId>,
}

/// An event as recorded, for backtests.
#[derive(Debug, Clone)]
pub struct RecordedEvent {
    pub id: EventId,
    pub kind: String,
    pub order_id: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<Currency>,
    pub referral_id: Option<ReferralId>,
    pub occurred_at: Millis,
}

/// A pool of coupon codes the merchant uploaded.
#[derive(Debug, Clone)]
pub struct CouponPool {
    pub id: CouponPoolId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub name: String,
    pub created_at: Millis,
    /// Codes not drawn yet / drawn.
    pub available: i64,
    pub issued: i64,
}

/// Approved cash owed to one participant in one currency (the ledger's payable balance).
#[derive(Debug, Clone)]
pub struct PayableBalance {
    pub participant_id: ParticipantId,
    pub program_id: ProgramId,
    pub email: Option<String>,
    pub currency: Currency,
    pub amount: i64,
}

/// A balanced ledger transaction to post; skipped when its key was already posted.
#[derive(Debug, Clone)]
pub struct NewLedgerTx {
    pub id: LedgerTxId,
    pub workspace_id: WorkspaceId,
    pub idempotency_key: String,
    pub kind: String,
    pub reward_id: Option<RewardId>,
    pub postings: Vec<vouch_domain::ledger::Posting>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParticipantStats {
    /// People's clicks, every visit.
    pub clicks: i64,
    /// Counted once per visitor within the program's window.
    pub unique_clicks: i64,
    /// Clicks per source (`qr`, `whatsapp`, …; `direct` for none), most first.
    pub clicks_by_source: Vec<(String, i64)>,
    /// Visits that are not clicks, per kind (`preview`, `bot`, `prefetch`).
    pub not_clicks: Vec<(String, i64)>,
    pub signups: i64,
    pub conversions: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    pub currency: Currency,
    pub pending: i64,
    pub available: i64,
    /// Approved cash waiting for a payout.
    pub payable: i64,
    /// Cash in a payout batch not reported paid yet: on its way.
    pub in_payout: i64,
    pub paid_out: i64,
}

/// Credit a participant spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    pub id: RedemptionId,
    pub workspace_id: WorkspaceId,
    pub participant_id: ParticipantId,
    pub amount: i64,
    pub currency: Currency,
    /// The client's `Idempotency-Key`, or the redemption id when none was sent.
    pub idempotency_key: String,
    /// The merchant's own reference (an order it was spent on, say).
    pub reference: Option<String>,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// At most one unfinished job per key.
    pub dedupe_key: Option<String>,
    pub run_at: Millis,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
}

/// What the reward rules read about an advocate and the program, in one round trip.
#[derive(Debug, Clone)]
pub struct TotalsQuery<'a> {
    pub referrer: &'a ParticipantId,
    /// Converted referrals since each instant, each counted up to its limit.
    pub conversions: Vec<(Millis, i64)>,
    /// The advocate's standing referrer rewards since an instant: their count (up to
    /// the limit; friends or rewards, milestones left out), whether `referral` holds a
    /// slot, and with a currency, their sum in it.
    pub usage: Option<vouch_domain::rules::UsageQuestion>,
    /// The referral being decided (for the cap's "already counted").
    pub referral: Option<&'a vouch_domain::ids::ReferralId>,
    /// The program's spend in a currency (and in points).
    pub spend: Option<(&'a ProgramId, Currency)>,
}

/// The answers to a [`TotalsQuery`], in the order asked: the domain's
/// [`Answers`](vouch_domain::rules::Answers).
pub use vouch_domain::rules::Answers as AdvocateTotals;

/// Which earlier referrals a burst may put on hold: the advocate's, or the range's,
/// touched since `since`.
#[derive(Debug, Clone)]
pub struct HoldQuery<'a> {
    pub program: &'a ProgramId,
    pub referrer: &'a ParticipantId,
    /// Only the ones from this network range.
    pub ip_range_hash: Option<&'a str>,
    /// Only the ones without a click (a typed code).
    pub typed_only: bool,
    /// Only converted ones.
    pub converted_only: bool,
    /// Only click referrals that signed up or converted within this many milliseconds
    /// of the click.
    pub fast_within: Option<i64>,
    pub exclude: &'a ReferralId,
    pub since: Millis,
}

/// An entry of the merchant's block list.
#[derive(Debug, Clone)]
pub struct BlockEntry {
    pub workspace_id: WorkspaceId,
    /// `email`, `domain`, `ip`, `device` or `payment`.
    pub kind: String,
    /// Normalized email, lower-case domain, or keyed IP hash.
    pub value: String,
    /// What the merchant typed (not for IPs).
    pub label: Option<String>,
    pub created_at: Millis,
}

/// One decision, automatic or manual.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: AuditId,
    pub workspace_id: WorkspaceId,
    /// `system`, or the API key id that asked.
    pub actor: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub reason: Option<String>,
    pub data: serde_json::Value,
    pub created_at: Millis,
}

/// Filters and cursor for list endpoints. Lists are newest first; the cursor is the
/// last id of the previous page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub program_id: Option<ProgramId>,
    pub participant_id: Option<ParticipantId>,
    pub status: Option<String>,
    /// Referrals: only those with this review state.
    pub review: Option<Review>,
    /// Referrals: only those with a signal of this code.
    pub signal: Option<String>,
    /// Referrals: only those scored at least this.
    pub min_score: Option<i64>,
    /// Audit log: only entries about this subject.
    pub subject_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The same page with each item converted.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }

    /// Builds a page from `limit + 1` rows: the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&id)
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

/// A domain event as the outbox keeps it: numbered within its workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub seq: i64,
    pub event: vouch_domain::lifecycle::DomainEvent,
}

/// Filters and cursor for the activity feed; newest first.
#[derive(Debug, Clone)]
pub struct ActivityQuery {
    pub workspace_id: WorkspaceId,
    /// Any of these types (all when empty).
    pub types: Vec<vouch_domain::lifecycle::EventType>,
    pub program_id: Option<ProgramId>,
    pub participant_id: Option<ParticipantId>,
    pub subject_id: Option<String>,
    /// Entries before this `seq`.
    pub cursor: Option<i64>,
    pub limit: i64,
}
