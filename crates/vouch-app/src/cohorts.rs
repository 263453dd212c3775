//! Referred customers against the others, by month of first purchase, and the
//! program's reach into its customer base (see `vouch_domain::cohorts`).

use vouch_domain::analytics::{bucket, local_day, GroupBy};
use vouch_domain::cohorts::{cohorts, reach, Cohort, Reach};
use vouch_domain::Millis;
use vouch_store::{Program, Store};

use crate::error::Result;

pub struct CustomerReport {
    pub reach: Reach,
    pub cohorts: Vec<Cohort>,
}

/// Cohorts of customers whose first purchase fell in `[from, to)`, followed until
/// `to`, with months in the program's time zone (UTC without one).
pub async fn report(
    store: &dyn Store,
    program: &Program,
    from: Millis,
    to: Millis,
    currency: &str,
) -> Result<CustomerReport> {
    let zone = program
        .config
        .time_zone
        .as_deref()
        .and_then(vouch_domain::analytics::zone);
    let month = |at: Millis| {
        let day = match &zone {
            Some(tz) => local_day(tz, at),
            None => vouch_domain::analytics::day_of(at),
        };
        bucket(GroupBy::Month, day)
    };
    let values = store
        .customer_values(&program.id, from, to, currency)
        .await?;
    let base = store.customer_base(&program.id, from, to).await?;
    Ok(CustomerReport {
        reach: reach(&base),
        cohorts: cohorts(&values, to, month),
    })
}
