//! The SQL of a holdout measurement: the customers whose first purchase came without a
//! referral and what each did strictly after it until the end, by their own purchases
//! (a later one with someone else's code is still theirs) and through the friends they
//! referred. Groups are decided by the caller (a keyed hash the database cannot run).

use super::rows::{i, os};
use super::SqlStore;
use crate::analytics::HoldoutRow;
use crate::error::Result;

/// Paid events, and the same with refunds (which count negative).
pub(super) const PAID: &str = "('purchase', 'subscription_payment')";
const MONEY: &str = "('purchase', 'subscription_payment', 'refund')";

/// Whether customer `c`'s first purchase came through a referral (a later purchase
/// with someone's code does not make them referred).
pub(super) const REFERRED_FIRST: &str = "EXISTS (SELECT 1 FROM events f \
    WHERE f.program_id = c.program_id AND f.occurred_at = c.first_purchase_at \
    AND f.customer_id = c.id AND f.type IN ('purchase', 'subscription_payment') \
    AND f.referral_id IS NOT NULL)";

/// Refunds in a program, currency and period (4 arguments), each with the customer
/// and time of its order's first payment: refunds carry no customer unless the order
/// was referred.
pub(super) const REFUNDED: &str = "SELECT f.amount AS amount, f.occurred_at AS at, \
    (SELECT p.customer_id FROM events p WHERE p.program_id = f.program_id \
     AND p.type IN ('purchase', 'subscription_payment') AND p.order_id = f.order_id \
     ORDER BY p.created_at LIMIT 1) AS cid, \
    (SELECT p.occurred_at FROM events p WHERE p.program_id = f.program_id \
     AND p.type IN ('purchase', 'subscription_payment') AND p.order_id = f.order_id \
     ORDER BY p.created_at LIMIT 1) AS paid_at \
    FROM events f WHERE f.program_id = ? AND f.type = 'refund' AND f.currency = ? \
    AND f.amount IS NOT NULL AND f.occurred_at >= CAST(? AS BIGINT) \
    AND f.occurred_at < CAST(? AS BIGINT)";

impl SqlStore {
    pub(super) async fn holdout_rows(
        &self,
        program: &str,
        from: i64,
        to: i64,
        currency: &str,
    ) -> Result<Vec<HoldoutRow>> {
        let (from, to) = (from.to_string(), to.to_string());
        // A refund counts only against a purchase after the first.
        let sql = format!(
            "WITH pop AS ( \
               SELECT c.id, c.email_normalized, c.external_id, c.first_purchase_at FROM customers c \
               WHERE c.program_id = ? \
               AND c.first_purchase_at >= CAST(? AS BIGINT) AND c.first_purchase_at < CAST(? AS BIGINT) \
               AND NOT {REFERRED_FIRST} \
             ), own AS ( \
               SELECT e.customer_id AS cid, CAST(COUNT(*) AS BIGINT) AS n, \
               CAST(SUM(e.amount) AS BIGINT) AS rev \
               FROM events e JOIN pop ON pop.id = e.customer_id \
               WHERE e.program_id = ? AND e.type IN {PAID} AND e.currency = ? \
               AND e.amount IS NOT NULL AND e.occurred_at > pop.first_purchase_at \
               AND e.occurred_at < CAST(? AS BIGINT) \
               GROUP BY e.customer_id \
             ), refunded AS ({REFUNDED}), own_refunds AS ( \
               SELECT x.cid AS cid, CAST(SUM(x.amount) AS BIGINT) AS rev FROM refunded x \
               JOIN pop ON pop.id = x.cid WHERE x.paid_at > pop.first_purchase_at \
               GROUP BY x.cid \
             ), adv AS ( \
               SELECT pop.id AS cid, p.id AS pid, pop.first_purchase_at AS since FROM pop \
               JOIN participants p \
               ON p.program_id = ? AND p.email_normalized = pop.email_normalized \
               UNION \
               SELECT pop.id AS cid, p.id AS pid, pop.first_purchase_at AS since FROM pop \
               JOIN participants p \
               ON p.program_id = ? AND p.external_id = pop.external_id \
               WHERE pop.email_normalized IS NULL \
             ), friends AS ( \
               SELECT adv.cid AS cid, CAST(COUNT(*) AS BIGINT) AS n FROM referrals r \
               JOIN adv ON r.referrer_participant_id = adv.pid \
               WHERE r.converted_at > adv.since AND r.converted_at < CAST(? AS BIGINT) \
               AND r.status <> 'rejected' GROUP BY adv.cid \
             ), friend_money AS ( \
               SELECT adv.cid AS cid, CAST(SUM(CASE WHEN e.type = 'refund' THEN -e.amount \
               ELSE e.amount END) AS BIGINT) AS rev \
               FROM events e JOIN referrals r ON r.id = e.referral_id \
               JOIN adv ON r.referrer_participant_id = adv.pid \
               WHERE e.program_id = ? AND e.type IN {MONEY} AND e.currency = ? \
               AND e.amount IS NOT NULL AND r.converted_at IS NOT NULL AND r.status <> 'rejected' \
               AND e.occurred_at > adv.since AND e.occurred_at < CAST(? AS BIGINT) \
               GROUP BY adv.cid \
             ) \
             SELECT pop.email_normalized AS email, pop.external_id AS external_id, \
             CAST(COALESCE(own.n, 0) AS BIGINT) AS n, \
             CAST(COALESCE(own.rev, 0) - COALESCE(own_refunds.rev, 0) AS BIGINT) AS rev, \
             CAST(COALESCE(friends.n, 0) AS BIGINT) AS fn, \
             CAST(COALESCE(friend_money.rev, 0) AS BIGINT) AS frev \
             FROM pop LEFT JOIN own ON own.cid = pop.id \
             LEFT JOIN own_refunds ON own_refunds.cid = pop.id \
             LEFT JOIN friends ON friends.cid = pop.id \
             LEFT JOIN friend_money ON friend_money.cid = pop.id \
             ORDER BY pop.id"
        );
        let args = [
            program, &from, &to, // pop
            program, currency, &to, // own
            program, currency, &from, &to, // refunded
            program, program, // adv
            &to,     // friends
            program, currency, &to, // friend_money
        ];
        self.many(sql, &args)
            .await?
            .iter()
            .map(|r| {
                Ok(HoldoutRow {
                    email_normalized: os(r, "email")?,
                    external_id: os(r, "external_id")?,
                    purchases: i(r, "n")?,
                    revenue: i(r, "rev")?,
                    friend_conversions: i(r, "fn")?,
                    friend_revenue: i(r, "frev")?,
                })
            })
            .collect()
    }
}
