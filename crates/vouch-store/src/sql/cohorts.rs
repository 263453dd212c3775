//! The SQL of cohorts and reach: each customer's value over time, and how many
//! customers advocate.

use vouch_domain::cohorts::{CustomerBase, CustomerValue};
use vouch_domain::DAY_MS;

use super::holdout::{PAID, REFERRED_FIRST, REFUNDED};
use super::rows::i;
use super::SqlStore;
use crate::error::Result;

impl SqlStore {
    pub(super) async fn cohort_rows(
        &self,
        program: &str,
        from: i64,
        to: i64,
        currency: &str,
    ) -> Result<Vec<CustomerValue>> {
        let (from, to) = (from.to_string(), to.to_string());
        let within = |days: i64| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN m.at < pop.fp + {} THEN m.amount ELSE 0 END), 0) AS BIGINT)",
                days * DAY_MS
            )
        };
        let sql = format!(
            "WITH pop AS ( \
               SELECT c.id, c.first_purchase_at AS fp, \
               CASE WHEN {REFERRED_FIRST} THEN 1 ELSE 0 END AS referred FROM customers c \
               WHERE c.program_id = ? \
               AND c.first_purchase_at >= CAST(? AS BIGINT) AND c.first_purchase_at < CAST(? AS BIGINT) \
             ), moves AS ( \
               SELECT e.customer_id AS cid, e.occurred_at AS at, e.amount AS amount, 1 AS n \
               FROM events e WHERE e.program_id = ? AND e.type IN {PAID} AND e.currency = ? \
               AND e.amount IS NOT NULL AND e.occurred_at >= CAST(? AS BIGINT) \
               AND e.occurred_at < CAST(? AS BIGINT) \
               UNION ALL \
               SELECT x.cid AS cid, x.at AS at, -x.amount AS amount, 0 AS n FROM ({REFUNDED}) x \
             ) \
             SELECT pop.fp AS fp, pop.referred AS referred, \
             CAST(COALESCE(SUM(m.n), 0) AS BIGINT) AS purchases, \
             {} AS v30, {} AS v90, {} AS v365, \
             CAST(COALESCE(SUM(m.amount), 0) AS BIGINT) AS total \
             FROM pop LEFT JOIN moves m ON m.cid = pop.id \
             GROUP BY pop.id, pop.fp, pop.referred",
            within(30),
            within(90),
            within(365)
        );
        let args = [
            program, &from, &to, // pop
            program, currency, &from, &to, // payments
            program, currency, &from, &to, // refunds
        ];
        self.many(sql, &args)
            .await?
            .iter()
            .map(|r| {
                Ok(CustomerValue {
                    first_purchase_at: i(r, "fp")?,
                    referred: i(r, "referred")? == 1,
                    purchases: i(r, "purchases")?,
                    value_30: i(r, "v30")?,
                    value_90: i(r, "v90")?,
                    value_365: i(r, "v365")?,
                    value: i(r, "total")?,
                })
            })
            .collect()
    }

    pub(super) async fn base_counts(
        &self,
        program: &str,
        from: i64,
        to: i64,
    ) -> Result<CustomerBase> {
        let (from, to) = (from.to_string(), to.to_string());
        let sql = format!(
            "SELECT \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM customers c WHERE c.program_id = ? \
              AND c.first_purchase_at < CAST(? AS BIGINT)) AS earlier, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM customers c WHERE c.program_id = ? \
              AND c.first_purchase_at < CAST(? AS BIGINT)) AS customers, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM participants p WHERE p.program_id = ? \
              AND p.created_at < CAST(? AS BIGINT)) AS advocates, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM customers c WHERE c.program_id = ? \
              AND c.first_purchase_at < CAST(? AS BIGINT) AND EXISTS (SELECT 1 FROM participants p \
              WHERE p.program_id = c.program_id AND p.created_at < CAST(? AS BIGINT) \
              AND (p.email_normalized = c.email_normalized OR p.external_id = c.external_id))) \
              AS advocating, \
             (SELECT CAST(COUNT(*) AS BIGINT) FROM customers c WHERE c.program_id = ? \
              AND c.first_purchase_at >= CAST(? AS BIGINT) AND c.first_purchase_at < CAST(? AS BIGINT) \
              AND {REFERRED_FIRST}) AS referred"
        );
        let args = [
            program, &from, program, &to, program, &to, program, &to, &to, program, &from, &to,
        ];
        let rows = self.many(sql, &args).await?;
        let Some(r) = rows.first() else {
            return Ok(CustomerBase::default());
        };
        Ok(CustomerBase {
            customers_before: i(r, "earlier")?,
            customers: i(r, "customers")?,
            advocates: i(r, "advocates")?,
            advocating_customers: i(r, "advocating")?,
            new_referred_customers: i(r, "referred")?,
        })
    }
}
