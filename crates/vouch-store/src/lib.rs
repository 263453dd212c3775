//! The store: one trait, [`Store`], with its transactional half, [`StoreTx`], and a
//! sqlx implementation that runs on SQLite (embedded, the default) and PostgreSQL (for
//! many stateless instances). Each backend has its own migrations; one contract test
//! suite (`tests/contract.rs`) runs against both.
#![forbid(unsafe_code)]

pub mod error;
pub mod model;
mod sql;
pub mod testing;

use async_trait::async_trait;
use vouch_domain::ids::*;
use vouch_domain::Millis;

pub use error::{Result, StoreError};
pub use model::*;
pub use sql::{connect, redact as sql_redact, Backend, SqlStore};

/// Reads and single-statement writes, plus [`Store::begin`] for everything that must
/// happen in one transaction.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies this backend's pending migrations.
    async fn migrate(&self) -> Result<()>;

    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> Result<()>;

    /// Starts a transaction. On SQLite it holds the single writer connection; on
    /// PostgreSQL, row and advisory locks taken through it serialize competing instances.
    async fn begin(&self) -> Result<Box<dyn StoreTx>>;

    // Workspaces and keys.
    async fn count_workspaces(&self) -> Result<i64>;
    async fn create_workspace(&self, workspace: &Workspace, keys: &[NewApiKey]) -> Result<()>;
    async fn get_workspace(&self, id: &WorkspaceId) -> Result<Option<Workspace>>;
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKey>>;

    // Programs.
    /// Fails with `Conflict { what: "slug" }` when the slug is taken.
    async fn insert_program(&self, program: &Program) -> Result<()>;
    async fn update_program(&self, program: &Program) -> Result<()>;
    async fn get_program(&self, ws: &WorkspaceId, id: &ProgramId) -> Result<Option<Program>>;
    async fn get_program_by_slug(&self, slug: &str) -> Result<Option<Program>>;
    async fn list_programs(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Program>>;

    // Participants.
    async fn get_participant(
        &self,
        ws: &WorkspaceId,
        id: &ParticipantId,
    ) -> Result<Option<Participant>>;
    async fn list_participants(&self, ws: &WorkspaceId, q: &ListQuery)
        -> Result<Page<Participant>>;
    async fn participant_stats(&self, id: &ParticipantId) -> Result<ParticipantStats>;
    async fn balances(&self, id: &ParticipantId) -> Result<Vec<Balance>>;

    // Links and clicks.
    /// The link for a code in canonical (upper-case) form; `code` in the answer is the
    /// code as displayed.
    async fn link_target(&self, code: &str) -> Result<Option<LinkTarget>>;
    /// Appends clicks in one transaction (the group commit).
    async fn insert_clicks(&self, clicks: &[NewClick]) -> Result<()>;
    async fn get_click(&self, id: &ClickId) -> Result<Option<Click>>;

    // Events, referrals, rewards.
    async fn get_event_response(
        &self,
        program: &ProgramId,
        idempotency_key: &str,
    ) -> Result<Option<StoredResponse>>;
    async fn get_referral(&self, ws: &WorkspaceId, id: &ReferralId) -> Result<Option<Referral>>;
    async fn list_referrals(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Referral>>;
    async fn get_reward(&self, ws: &WorkspaceId, id: &RewardId) -> Result<Option<Reward>>;
    async fn list_rewards(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Reward>>;

    // Backtests: a program's recorded events and what they earned.
    /// Purchases and subscription payments in `[from, to)`, oldest first.
    async fn program_payments(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<RecordedEvent>>;
    /// Every referral of the program.
    async fn program_referrals(&self, program: &ProgramId) -> Result<Vec<Referral>>;
    /// Participants of the program who were themselves referred (have an upline).
    async fn program_referred_participants(
        &self,
        program: &ProgramId,
    ) -> Result<Vec<ParticipantId>>;
    /// Rewards created by the given events.
    async fn rewards_for_events(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<Reward>>;

    // Coupon pools and payouts.
    async fn get_coupon_pool(
        &self,
        ws: &WorkspaceId,
        id: &CouponPoolId,
    ) -> Result<Option<CouponPool>>;
    async fn list_coupon_pools(
        &self,
        ws: &WorkspaceId,
        program: &ProgramId,
    ) -> Result<Vec<CouponPool>>;
    async fn get_payout(
        &self,
        ws: &WorkspaceId,
        id: &PayoutId,
    ) -> Result<Option<(Payout, Vec<PayoutLine>)>>;
    async fn list_payouts(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<Payout>>;

    // Fraud: the block list and the audit log.
    /// Adds an entry; adding it again changes nothing.
    async fn add_block(&self, e: &BlockEntry) -> Result<()>;
    /// `false` when there was no such entry.
    async fn remove_block(&self, ws: &WorkspaceId, kind: &str, value: &str) -> Result<bool>;
    async fn list_blocks(&self, ws: &WorkspaceId) -> Result<Vec<BlockEntry>>;
    async fn list_audit(&self, ws: &WorkspaceId, q: &ListQuery) -> Result<Page<AuditEntry>>;
    /// Writes an entry outside any other transaction.
    async fn audit(&self, e: &AuditEntry) -> Result<()>;

    // Jobs.
    /// Leases up to `limit` due jobs until `now + lease_ms`; another instance skips them.
    async fn claim_jobs(&self, now: Millis, limit: i64, lease_ms: i64) -> Result<Vec<Job>>;
    async fn retry_job(&self, id: &JobId, run_at: Millis, error: &str) -> Result<()>;
    async fn count_jobs(&self) -> Result<i64>;

    // The outbox.
    /// A page of the activity feed (the activity subscriber's copy of the outbox).
    async fn list_activity(&self, q: &ActivityQuery) -> Result<Page<OutboxEvent>>;
}

/// Work inside one transaction. Dropping it without [`StoreTx::commit`] rolls back.
#[async_trait]
pub trait StoreTx: Send {
    async fn commit(self: Box<Self>) -> Result<()>;

    /// Serializes transactions that name the same key until this one ends (a
    /// PostgreSQL advisory lock; SQLite's single writer already serializes).
    async fn lock(&mut self, key: &str) -> Result<()>;

    // Participants.
    /// Enrols a participant with `code`. An email or external id already enrolled in the
    /// program returns `Existing`; a taken code fails with `Conflict { what: "referral_code" }`.
    async fn enroll(
        &mut self,
        p: &NewParticipant,
        code: &vouch_domain::code::ReferralCode,
    ) -> Result<Enrolment>;
    async fn get_participant(&mut self, id: &ParticipantId) -> Result<Option<Participant>>;
    async fn set_participant_status(
        &mut self,
        id: &ParticipantId,
        status: ParticipantStatus,
    ) -> Result<()>;
    async fn find_participant(
        &mut self,
        program: &ProgramId,
        email_normalized: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Option<Participant>>;
    /// The participant who owns `code` in `program`.
    async fn find_code_owner(
        &mut self,
        program: &ProgramId,
        code: &str,
    ) -> Result<Option<Participant>>;
    async fn get_click(&mut self, program: &ProgramId, id: &ClickId) -> Result<Option<Click>>;

    // Events.
    /// Claims the event's idempotency key: `false` when an event already holds it
    /// (on PostgreSQL this waits for a concurrent holder to finish first).
    async fn claim_event(&mut self, event: &NewEvent) -> Result<bool>;
    async fn finish_event(
        &mut self,
        id: &EventId,
        customer: Option<&CustomerId>,
        referral: Option<&ReferralId>,
        response: &StoredResponse,
    ) -> Result<()>;
    /// The purchase (or subscription payment) event that carried `order_id`.
    async fn find_purchase(
        &mut self,
        program: &ProgramId,
        order_id: &str,
    ) -> Result<Option<Purchase>>;
    /// What refunds of `order_id` have refunded so far (`i64::MAX` once one refunded
    /// the whole order).
    async fn refunded_total(&mut self, program: &ProgramId, order_id: &str) -> Result<i64>;

    // Customers and referrals.
    async fn find_customer(
        &mut self,
        program: &ProgramId,
        email_normalized: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Option<Customer>>;
    async fn insert_customer(&mut self, c: &NewCustomer) -> Result<()>;
    /// Fills in an email or external id the customer row did not have yet.
    async fn complete_customer_identity(
        &mut self,
        id: &CustomerId,
        email_normalized: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<()>;
    async fn attribute_customer(&mut self, id: &CustomerId, a: &CustomerAttribution) -> Result<()>;
    async fn mark_first_purchase(&mut self, id: &CustomerId, at: Millis) -> Result<()>;
    async fn insert_referral(&mut self, r: &Referral) -> Result<()>;
    /// Reads the referral and, on PostgreSQL, locks its row until commit.
    async fn get_referral_for_update(&mut self, id: &ReferralId) -> Result<Option<Referral>>;
    async fn update_referral(&mut self, r: &Referral) -> Result<()>;

    // Rewards and the ledger.
    /// Inserts rewards in one statement; returns the ids inserted. A reward that already
    /// exists (same referral, role and trigger) is skipped.
    async fn insert_rewards(&mut self, rewards: &[Reward]) -> Result<Vec<RewardId>>;
    async fn rewards_for_event(&mut self, event: &EventId) -> Result<Vec<Reward>>;
    async fn rewards_for_referral(&mut self, referral: &ReferralId) -> Result<Vec<Reward>>;
    /// A participant's rewards in `status`, locked until commit on PostgreSQL.
    async fn participant_rewards(
        &mut self,
        participant: &ParticipantId,
        status: vouch_domain::reward::RewardStatus,
    ) -> Result<Vec<Reward>>;
    async fn get_reward_for_update(&mut self, id: &RewardId) -> Result<Option<Reward>>;
    /// Writes a reward's mutable fields (status, reversals, coupon, fulfilment, payout).
    async fn update_reward(&mut self, r: &Reward) -> Result<()>;
    /// What tiers, milestones, caps and the budget read, in one round trip.
    async fn advocate_totals(&mut self, q: &TotalsQuery<'_>) -> Result<AdvocateTotals>;
    /// Adds `delta` to what the program's standing rewards add up to in `currency`
    /// (rewards inserted add themselves; cancellations and clawbacks call this).
    async fn adjust_program_spend(
        &mut self,
        program: &ProgramId,
        currency: &vouch_domain::money::Currency,
        delta: i64,
    ) -> Result<()>;
    /// What the program's standing rewards add up to, per currency (points as `PTS`).
    async fn program_spend(
        &mut self,
        program: &ProgramId,
    ) -> Result<Vec<(vouch_domain::money::Currency, i64)>>;

    // Coupons.
    /// The reward that issued coupon `code` in `program`, locked until commit.
    async fn find_coupon_reward(
        &mut self,
        program: &ProgramId,
        code: &str,
    ) -> Result<Option<Reward>>;
    async fn insert_coupon_pool(&mut self, pool: &CouponPool) -> Result<()>;
    /// Adds codes to a pool; codes already in it are skipped. Returns how many were new.
    async fn add_pool_codes(&mut self, pool: &CouponPoolId, codes: &[String]) -> Result<usize>;
    /// Takes the oldest free code of `pool` for `reward`; `None` when the pool is empty
    /// or is not one of `program`'s pools.
    async fn draw_pool_code(
        &mut self,
        pool: &CouponPoolId,
        program: &ProgramId,
        reward: &RewardId,
    ) -> Result<Option<String>>;
    /// The program's rewards waiting for `reason`, locked until commit.
    async fn rewards_awaiting(&mut self, program: &ProgramId, reason: &str) -> Result<Vec<Reward>>;

    // Payouts.
    /// Payable cash balances per participant and currency, from the ledger.
    async fn payable_balances(
        &mut self,
        ws: &WorkspaceId,
        program: Option<&ProgramId>,
        currency: Option<&vouch_domain::money::Currency>,
    ) -> Result<Vec<PayableBalance>>;
    /// Writes a batch and its lines, and ties each line's approved cash rewards to it.
    async fn insert_payout(&mut self, payout: &Payout, lines: &[PayoutLine]) -> Result<()>;
    async fn get_payout_line_for_update(
        &mut self,
        payout: &PayoutId,
        id: &PayoutLineId,
    ) -> Result<Option<PayoutLine>>;
    /// Writes a line's result; the batch completes when no line is pending.
    async fn update_payout_line(&mut self, line: &PayoutLine) -> Result<()>;
    async fn rewards_in_payout_line(&mut self, line: &PayoutLineId) -> Result<Vec<Reward>>;
    // Fraud.
    /// Counts around a referral for the fraud rules, and the block list entry the
    /// friend matches, in one read.
    async fn fraud_counts(&mut self, q: &FraudQuery<'_>) -> Result<FraudCounts>;
    async fn insert_audit(&mut self, e: &AuditEntry) -> Result<()>;
    /// Holds for review the referrals of one advocate (or one network range) touched
    /// since `since` that were not reviewed or rejected, with their pending rewards;
    /// returns their ids.
    async fn hold_related(&mut self, q: &HoldQuery<'_>) -> Result<Vec<ReferralId>>;

    /// The balance of one ledger account in `currency`.
    async fn account_balance(
        &mut self,
        account: &str,
        currency: &vouch_domain::money::Currency,
    ) -> Result<i64>;
    /// Posts balanced transactions (two statements however many); returns how many were
    /// new. A transaction whose idempotency key was posted before is skipped.
    async fn post_ledger(&mut self, txs: &[NewLedgerTx]) -> Result<usize>;

    // Redemptions.
    /// The participant's available balance in `currency`, from the ledger.
    async fn available_balance(
        &mut self,
        participant: &ParticipantId,
        currency: &vouch_domain::money::Currency,
    ) -> Result<i64>;
    async fn find_redemption(
        &mut self,
        participant: &ParticipantId,
        idempotency_key: &str,
    ) -> Result<Option<Redemption>>;
    /// `false` when a redemption with the same idempotency key exists.
    async fn insert_redemption(&mut self, r: &Redemption) -> Result<bool>;

    // Jobs.
    async fn enqueue_job(&mut self, job: &NewJob) -> Result<()>;
    async fn finish_job(&mut self, id: &JobId) -> Result<()>;

    // The outbox.
    /// Records domain events; they are appended to the outbox, numbered, when the
    /// transaction commits (so they commit with the change, or not at all).
    fn emit(&mut self, events: Vec<vouch_domain::lifecycle::DomainEvent>);
    /// Gives `subscriber` a cursor at 0 in every workspace it has none in yet.
    async fn ensure_cursors(&mut self, subscriber: &str) -> Result<()>;
    /// The next workspace with events `subscriber` has not seen, and its position; the
    /// cursor is held until commit (other instances skip it).
    async fn claim_cursor(&mut self, subscriber: &str) -> Result<Option<(WorkspaceId, i64)>>;
    /// A workspace's events after `seq`, oldest first.
    async fn outbox_after(
        &mut self,
        ws: &WorkspaceId,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<OutboxEvent>>;
    async fn advance_cursor(
        &mut self,
        subscriber: &str,
        ws: &WorkspaceId,
        seq: i64,
        now: Millis,
    ) -> Result<()>;
    /// Copies events into the activity feed (an event already there is skipped).
    async fn insert_activity(&mut self, events: &[OutboxEvent]) -> Result<()>;
}
