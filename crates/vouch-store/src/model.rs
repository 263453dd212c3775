//! Rows as the server sees them: typed ids and the domain's enums, never raw strings.

use vouch_domain::attribution::{AttributionSource, ReferralStatus, RejectReason};
use vouch_domain::ids::*;
use vouch_domain::money::Currency;
use vouch_domain::program::{AttributionModel, ProgramConfig, RewardKind};
use vouch_domain::reward::{RewardStatus, Role};
use vouch_domain::Millis;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramStatus {
    Active,
    Paused,
}

impl ProgramStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "paused" => Some(Self::Paused),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Program {
    pub id: ProgramId,
    pub workspace_id: WorkspaceId,
    pub slug: String,
    pub status: ProgramStatus,
    pub config: ProgramConfig,
    /// Bumped on every edit; rewards record the version that produced them.
    pub version: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParticipantStatus {
    Active,
    Blocked,
}

impl ParticipantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Blocked => "blocked",
        }
    }
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

#[derive(Debug, Clone)]
pub struct Participant {
    pub id: ParticipantId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub email: Option<String>,
    pub email_normalized: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub locale: String,
    pub status: ParticipantStatus,
    /// The participant's first (primary) referral code.
    pub referral_code: String,
    /// The referral that brought them in, for friends enrolled by a purchase.
    pub referred_by: Option<ReferralId>,
    /// The advocate's own network and device, as seen when they joined.
    pub fingerprint: Fingerprint,
    pub created_at: Millis,
}

/// Whether an enrolment created the participant or found them already enrolled.
#[derive(Debug, Clone)]
pub enum Enrolment {
    Created(Participant),
    Existing(Participant),
}

/// Everything `/r/{code}` needs, in one read (and cached by the server).
#[derive(Debug, Clone)]
pub struct LinkTarget {
    pub code: String,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    pub destination_url: String,
    pub allowed_domains: Vec<String>,
    pub window_days: i64,
    pub model: AttributionModel,
    /// Program active and participant not blocked.
    pub active: bool,
    pub hash_key: String,
}

#[derive(Debug, Clone)]
pub struct NewClick {
    pub id: ClickId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    pub code: String,
    pub occurred_at: Millis,
    pub ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Click {
    pub id: ClickId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    pub occurred_at: Millis,
    pub ip_hash: Option<String>,
    pub user_agent: Option<String>,
    pub referer: Option<String>,
}

/// What identifies a person's network and device, as far as the merchant tells: IPs
/// only as keyed hashes, user agents hashed too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fingerprint {
    pub ip_hash: Option<String>,
    pub ua_hash: Option<String>,
    pub device_id: Option<String>,
    pub payment_fingerprint: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: CustomerId,
    pub email_normalized: Option<String>,
    pub external_id: Option<String>,
    pub referral_id: Option<ReferralId>,
    pub first_purchase_at: Option<Millis>,
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
pub struct Referral {
    pub id: ReferralId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub referrer_participant_id: ParticipantId,
    pub referee_participant_id: Option<ParticipantId>,
    pub customer_id: CustomerId,
    pub status: ReferralStatus,
    pub reason: Option<RejectReason>,
    pub source: AttributionSource,
    pub click_id: Option<ClickId>,
    pub touched_at: Millis,
    pub signed_up_at: Option<Millis>,
    pub converted_at: Option<Millis>,
    pub conversion_event_id: Option<EventId>,
    /// Purchases and subscription payments attributed so far (the next is `payments + 1`).
    pub payments: i64,
    /// Rewards a rule would have given but a limit refused, with the reason.
    pub skipped: Vec<vouch_domain::rules::Skipped>,
    /// The friend's network (and its range) and device as first seen.
    pub ip_hash: Option<String>,
    pub ip_range_hash: Option<String>,
    pub device_id: Option<String>,
    pub risk_score: i64,
    pub signals: Vec<vouch_domain::fraud::Signal>,
    /// `pending`, `approved` or `rejected` once held for review.
    pub review: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
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

#[derive(Debug, Clone)]
pub struct Reward {
    pub id: RewardId,
    pub workspace_id: WorkspaceId,
    pub program_id: ProgramId,
    pub participant_id: ParticipantId,
    /// Absent for rewards not tied to a referral (the welcome reward).
    pub referral_id: Option<ReferralId>,
    pub event_id: Option<EventId>,
    pub role: Role,
    pub trigger: String,
    pub kind: RewardKind,
    pub amount: i64,
    pub currency: Currency,
    pub status: RewardStatus,
    pub rule: serde_json::Value,
    /// What the rule was applied to: the order, its amount, how the referral was
    /// attributed. With `rule`, this explains the reward.
    pub inputs: serde_json::Value,
    pub program_version: i64,
    pub approve_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Why a pending reward waits beyond its hold (`coupon_pool_empty`).
    pub pending_reason: Option<String>,
    /// Clawed back by partial refunds so far.
    pub reversed_amount: i64,
    pub coupon_code: Option<String>,
    pub coupon_expires_at: Option<Millis>,
    pub fulfilment_reference: Option<String>,
    pub fulfilled_at: Option<Millis>,
    pub payout_line_id: Option<String>,
}

impl Reward {
    /// A new reward with nothing fulfilled, reversed or drawn yet.
    #[allow(clippy::too_many_arguments)]
    pub fn new_plain(
        program: &Program,
        participant: ParticipantId,
        referral: Option<ReferralId>,
        event: Option<EventId>,
        role: Role,
        trigger: String,
        kind: RewardKind,
        money: vouch_domain::money::Money,
        status: RewardStatus,
        approve_at: Millis,
        now: Millis,
    ) -> Self {
        Self {
            id: RewardId::new(),
            workspace_id: program.workspace_id.clone(),
            program_id: program.id.clone(),
            participant_id: participant,
            referral_id: referral,
            event_id: event,
            role,
            trigger,
            kind,
            amount: money.amount,
            currency: money.currency,
            status,
            rule: serde_json::Value::Null,
            inputs: serde_json::Value::Null,
            program_version: program.version,
            approve_at,
            created_at: now,
            updated_at: now,
            pending_reason: None,
            reversed_amount: 0,
            coupon_code: None,
            coupon_expires_at: None,
            fulfilment_reference: None,
            fulfilled_at: None,
            payout_line_id: None,
        }
    }

    pub fn money(&self) -> vouch_domain::money::Money {
        vouch_domain::money::Money::new(self.amount, self.currency)
    }
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

#[derive(Debug, Clone)]
pub struct Payout {
    pub id: PayoutId,
    pub workspace_id: WorkspaceId,
    pub program_id: Option<ProgramId>,
    pub currency: Currency,
    /// `pending` until every line is paid or failed, then `completed`.
    pub status: String,
    pub total: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct PayoutLine {
    pub id: PayoutLineId,
    pub payout_id: PayoutId,
    pub workspace_id: WorkspaceId,
    pub participant_id: ParticipantId,
    pub email: Option<String>,
    pub amount: i64,
    pub currency: Currency,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    pub reference: Option<String>,
    pub error: Option<String>,
    pub updated_at: Millis,
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
    pub clicks: i64,
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

/// What the fraud rules count around a referral (each count excludes it).
#[derive(Debug, Clone, Default)]
pub struct FraudCounts {
    pub advocate_referrals_hour: i64,
    pub advocate_referrals_day: i64,
    pub code_referrals_day: i64,
    pub network_range_day: i64,
    pub friends_sharing: i64,
    pub advocate_conversions: i64,
    pub advocate_refunds: i64,
    /// Which block list entry matched (`email`, `domain`, `ip`).
    pub blocked: Option<String>,
}

/// Where to look for [`FraudCounts`].
#[derive(Debug, Clone)]
pub struct FraudQuery<'a> {
    pub program: &'a ProgramId,
    pub referrer: &'a ParticipantId,
    pub exclude: &'a ReferralId,
    /// The referral's touch: windows count back from here.
    pub now: Millis,
    pub ip_hash: Option<&'a str>,
    pub ip_range_hash: Option<&'a str>,
    pub device_id: Option<&'a str>,
    /// Counts of recent referrals stop here (the largest limit the rules compare with).
    pub at_most: i64,
    /// Looked up in the workspace's block list in the same read.
    pub workspace: &'a WorkspaceId,
    pub email: Option<&'a str>,
    pub email_domain: Option<&'a str>,
    /// The friend's network as the event or the click gave it.
    pub block_ip_hash: Option<&'a str>,
}

/// What the reward rules read about an advocate and the program, in one round trip.
#[derive(Debug, Clone)]
pub struct TotalsQuery<'a> {
    pub referrer: &'a ParticipantId,
    /// Converted referrals since each instant, each counted up to its limit.
    pub conversions: Vec<(Millis, i64)>,
    /// The advocate's standing referrer rewards since an instant: their count (up to
    /// the limit) and, with a currency, their sum in it.
    pub usage: Option<(Millis, Option<Currency>, i64)>,
    /// The program's spend in a currency (and in points).
    pub spend: Option<(&'a ProgramId, Currency)>,
}

#[derive(Debug, Clone, Default)]
pub struct AdvocateTotals {
    pub conversions: Vec<i64>,
    pub usage_count: i64,
    pub usage_amount: i64,
    pub spend: i64,
    pub spend_points: i64,
}

/// Which earlier referrals a burst puts on hold: the advocate's, or the range's.
#[derive(Debug, Clone)]
pub struct HoldQuery<'a> {
    pub program: &'a ProgramId,
    pub referrer: Option<&'a ParticipantId>,
    pub ip_range_hash: Option<&'a str>,
    pub exclude: &'a ReferralId,
    pub since: Millis,
}

/// An entry of the merchant's block list.
#[derive(Debug, Clone)]
pub struct BlockEntry {
    pub workspace_id: WorkspaceId,
    /// `email`, `domain` or `ip`.
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
    pub review: Option<String>,
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
