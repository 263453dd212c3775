//! Referred customers against the others: cohorts by month of first purchase, each
//! with revenue per customer, repeat-purchase rate and lifetime value at 30, 90 and 365
//! days; and how far the program reaches into the customer base (participation,
//! K-factor). Pure arithmetic over per-customer figures the store gathers.

use serde::Serialize;
use utoipa::ToSchema;

use crate::{Millis, DAY_MS};

/// One customer, as the cohorts need them. Money is net of refunds, in one currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerValue {
    pub first_purchase_at: Millis,
    /// Whether their first purchase came through a referral.
    pub referred: bool,
    /// Purchases (the first included) until the end of the period.
    pub purchases: i64,
    /// Net revenue within 30, 90 and 365 days of the first purchase (the first
    /// included), and until the end of the period.
    pub value_30: i64,
    pub value_90: i64,
    pub value_365: i64,
    pub value: i64,
}

/// The lifetime value horizons, in days.
pub const HORIZONS: [i64; 3] = [30, 90, 365];

/// One cohort: the customers of one month, referred or not.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Cohort {
    /// The month of their first purchase (`2026-03`), in the program's time zone.
    pub month: String,
    /// `referred` or `other`.
    pub group: &'static str,
    pub customers: u64,
    /// Net revenue per customer until the end of the period (minor units).
    pub revenue_per_customer: f64,
    /// The share who bought at least twice.
    pub repeat_purchase_rate: f64,
    /// Mean net revenue within 30 days of the first purchase, over the customers whose
    /// 30 days are over by the end of the period (none yet: null).
    pub ltv_30: Option<f64>,
    pub ltv_90: Option<f64>,
    pub ltv_365: Option<f64>,
    /// How many customers each lifetime value is over.
    pub ltv_30_customers: u64,
    pub ltv_90_customers: u64,
    pub ltv_365_customers: u64,
}

#[derive(Default)]
struct Acc {
    customers: u64,
    value: i64,
    repeat: u64,
    ltv: [(i64, u64); 3],
}

/// The cohorts of `customers` by `month` of first purchase (month keys sort as text),
/// referred before other within a month; a customer's value at a horizon counts once
/// that horizon has passed by `to`.
pub fn cohorts(
    customers: &[CustomerValue],
    to: Millis,
    month: impl Fn(Millis) -> String,
) -> Vec<Cohort> {
    let mut by: std::collections::BTreeMap<(String, bool), Acc> = Default::default();
    for c in customers {
        // Referred sorts first: `!referred` is false for them.
        let a = by
            .entry((month(c.first_purchase_at), !c.referred))
            .or_default();
        a.customers += 1;
        a.value = a.value.saturating_add(c.value);
        a.repeat += u64::from(c.purchases >= 2);
        for (i, (days, v)) in HORIZONS
            .iter()
            .zip([c.value_30, c.value_90, c.value_365])
            .enumerate()
        {
            if c.first_purchase_at.saturating_add(days * DAY_MS) <= to {
                a.ltv[i].0 = a.ltv[i].0.saturating_add(v);
                a.ltv[i].1 += 1;
            }
        }
    }
    by.into_iter()
        .map(|((month, other), a)| {
            let n = a.customers as f64;
            let ltv = |i: usize| {
                let (sum, k) = a.ltv[i];
                (k > 0).then(|| sum as f64 / k as f64)
            };
            Cohort {
                month,
                group: if other { "other" } else { "referred" },
                customers: a.customers,
                revenue_per_customer: a.value as f64 / n,
                repeat_purchase_rate: a.repeat as f64 / n,
                ltv_30: ltv(0),
                ltv_90: ltv(1),
                ltv_365: ltv(2),
                ltv_30_customers: a.ltv[0].1,
                ltv_90_customers: a.ltv[1].1,
                ltv_365_customers: a.ltv[2].1,
            }
        })
        .collect()
}

/// How many customers a program has and how many of them advocate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CustomerBase {
    /// Customers with a first purchase before the period.
    pub customers_before: i64,
    /// Customers with a first purchase before its end.
    pub customers: i64,
    /// Advocates enrolled before its end.
    pub advocates: i64,
    /// Customers (by the end) who are also enrolled advocates.
    pub advocating_customers: i64,
    /// Customers whose first purchase in the period came through a referral.
    pub new_referred_customers: i64,
}

/// The reach of the program over a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Reach {
    pub customers: i64,
    pub advocates: i64,
    pub new_referred_customers: i64,
    /// The share of customers who became advocates (by the end of the period).
    pub participation: Option<f64>,
    /// New referred customers in the period per advocate.
    pub new_customers_per_advocate: Option<f64>,
    /// Advocates per customer who could refer (customers before the period).
    pub advocates_per_customer: Option<f64>,
    /// Their product: new referred customers per customer who could refer. Above 1, the
    /// customer base grows by referrals alone.
    pub k_factor: Option<f64>,
}

pub fn reach(b: &CustomerBase) -> Reach {
    let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
    let per_advocate = ratio(b.new_referred_customers, b.advocates);
    let per_customer = ratio(b.advocates, b.customers_before);
    Reach {
        customers: b.customers,
        advocates: b.advocates,
        new_referred_customers: b.new_referred_customers,
        participation: ratio(b.advocating_customers, b.customers),
        new_customers_per_advocate: per_advocate,
        advocates_per_customer: per_customer,
        k_factor: per_advocate.zip(per_customer).map(|(a, c)| a * c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(at_day: i64, referred: bool, purchases: i64, values: [i64; 4]) -> CustomerValue {
        CustomerValue {
            first_purchase_at: at_day * DAY_MS,
            referred,
            purchases,
            value_30: values[0],
            value_90: values[1],
            value_365: values[2],
            value: values[3],
        }
    }

    #[test]
    fn cohorts_by_month_and_horizons_that_have_passed() {
        let month = |at: Millis| format!("m{}", at / (30 * DAY_MS));
        let customers = [
            c(0, true, 2, [100, 150, 150, 150]),
            c(1, true, 1, [50, 50, 50, 50]),
            c(2, false, 1, [80, 80, 80, 80]),
            c(40, false, 3, [10, 20, 30, 30]),
        ];
        let to = 100 * DAY_MS;
        let out = cohorts(&customers, to, month);
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].month.as_str(), out[0].group), ("m0", "referred"));
        assert_eq!(out[0].customers, 2);
        assert_eq!(out[0].revenue_per_customer, 100.0);
        assert_eq!(out[0].repeat_purchase_rate, 0.5);
        assert_eq!(out[0].ltv_30, Some(75.0));
        assert_eq!(out[0].ltv_90, Some(100.0));
        assert_eq!(out[0].ltv_365, None, "a year has not passed");
        assert_eq!((out[1].month.as_str(), out[1].group), ("m0", "other"));
        assert_eq!(out[1].ltv_90, Some(80.0));
        // Day 40 + 90 days is after day 100: only its 30 days count.
        assert_eq!(out[2].ltv_30, Some(10.0));
        assert_eq!(out[2].ltv_90, None);
        assert_eq!(out[2].ltv_90_customers, 0);
    }

    #[test]
    fn k_factor_is_new_customers_per_advocate_times_advocates_per_customer() {
        let r = reach(&CustomerBase {
            customers_before: 200,
            customers: 260,
            advocates: 50,
            advocating_customers: 40,
            new_referred_customers: 30,
        });
        assert_eq!(r.new_customers_per_advocate, Some(0.6));
        assert_eq!(r.advocates_per_customer, Some(0.25));
        assert!((r.k_factor.unwrap() - 0.15).abs() < 1e-12);
        assert_eq!(r.participation, Some(40.0 / 260.0));
        assert_eq!(reach(&CustomerBase::default()).k_factor, None);
    }
}
