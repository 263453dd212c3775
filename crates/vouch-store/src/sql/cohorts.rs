//! The SQL of cohorts and reach: each customer's value over time, and how many
//! customers advocate.

use std::collections::HashMap;

use vouch_domain::cohorts::{CustomerBase, CustomerValue};
use vouch_domain::DAY_MS;

use super::holdout::{PAID, REFERRED_FIRST, REFUNDED};
use super::rows::{i, s};
use super::SqlStore;
use crate::error::Result;

impl SqlStore {
    /// Each customer whose first purchase fell in `[from, to)` with their value until
    /// `to`. Three flat reads (the customers, their payments, the refunds of their
    /// orders) summed here: joining every customer to every payment in SQL made the
    /// database compare the two lists pairwise, minutes on a large history.
    pub(super) async fn cohort_rows(
        &self,
        program: &str,
        from: i64,
        to: i64,
        currency: &str,
    ) -> Result<Vec<CustomerValue>> {
        let (from_s, to_s) = (from.to_string(), to.to_string());
        let sql = format!(
            "SELECT c.id AS id, c.first_purchase_at AS fp, \
             CASE WHEN {REFERRED_FIRST} THEN 1 ELSE 0 END AS referred FROM customers c \
             WHERE c.program_id = ? \
             AND c.first_purchase_at >= CAST(? AS BIGINT) AND c.first_purchase_at < CAST(? AS BIGINT)"
        );
        let mut values: HashMap<String, CustomerValue> = HashMap::new();
        for r in self.many(sql, &[program, &from_s, &to_s]).await? {
            values.insert(
                s(&r, "id")?,
                CustomerValue {
                    first_purchase_at: i(&r, "fp")?,
                    referred: i(&r, "referred")? == 1,
                    ..CustomerValue::default()
                },
            );
        }
        let payments = format!(
            "SELECT customer_id AS cid, occurred_at AS at, amount, 1 AS n FROM events \
             WHERE program_id = ? AND type IN {PAID} AND currency = ? AND amount IS NOT NULL \
             AND customer_id IS NOT NULL \
             AND occurred_at >= CAST(? AS BIGINT) AND occurred_at < CAST(? AS BIGINT)"
        );
        let refunds = format!(
            "SELECT x.cid AS cid, x.at AS at, 0 - x.amount AS amount, 0 AS n FROM ({REFUNDED}) x \
             WHERE x.cid IS NOT NULL"
        );
        let args = [program, currency, &from_s, &to_s];
        for sql in [payments, refunds] {
            for r in self.many(sql, &args).await? {
                let Some(v) = values.get_mut(&s(&r, "cid")?) else {
                    continue;
                };
                let (at, amount) = (i(&r, "at")?, i(&r, "amount")?);
                v.purchases += i(&r, "n")?;
                v.value = v.value.saturating_add(amount);
                for (days, sum) in [
                    (30, &mut v.value_30),
                    (90, &mut v.value_90),
                    (365, &mut v.value_365),
                ] {
                    if at < v.first_purchase_at.saturating_add(days * DAY_MS) {
                        *sum = sum.saturating_add(amount);
                    }
                }
            }
        }
        Ok(values.into_values().collect())
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
