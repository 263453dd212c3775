//! Events the merchant reports, and the customers they are about.

use async_trait::async_trait;
use vouch_domain::ids::*;
use vouch_domain::Millis;

use crate::error::Result;
use crate::model::*;

/// Events the merchant reports, and the customers they are about: reads and single-statement writes.
#[async_trait]
pub trait EventStore: Send + Sync {
    async fn get_event_response(
        &self,
        program: &ProgramId,
        idempotency_key: &str,
    ) -> Result<Option<StoredResponse>>;
    /// A customer of the workspace (the friend as the merchant identified them).
    async fn get_customer(&self, ws: &WorkspaceId, id: &CustomerId) -> Result<Option<Customer>>;
    // Backtests: a program's recorded events and what they earned.
    /// Signups, custom events, purchases and subscription payments in `[from, to)`,
    /// oldest first.
    async fn program_payments(
        &self,
        program: &ProgramId,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<RecordedEvent>>;
}

/// Events the merchant reports, and the customers they are about: work inside a transaction.
#[async_trait]
pub trait EventTx: Send {
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
    /// Gives refund `event`, sent without an amount, what was left of its order (the
    /// order's amount less earlier refunds, at least 0) and the order's currency, so
    /// reports count it like any other refund.
    async fn fill_refund_amount(
        &mut self,
        event: &EventId,
        program: &ProgramId,
        order_id: &str,
        order: vouch_domain::money::Money,
    ) -> Result<()>;
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
}
