//! Analytics reports: the store's counts grouped as asked, and what follows from them.

use vouch_domain::analytics::{bucket, derive, histogram_delays, Counts, GroupBy, Metrics};
use vouch_store::analytics::{AnalyticsQuery, Dimension, Parts};
use vouch_store::Store;

use crate::error::Result;
use crate::rollups::counts;
pub use crate::rollups::Zone;

#[derive(Debug, Clone)]
pub struct Group {
    pub key: String,
    pub metrics: Metrics,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub totals: Metrics,
    /// Hours from the friend's click (or first contact) to their conversion.
    pub time_to_conversion_median: Option<f64>,
    pub time_to_conversion_p90: Option<f64>,
    /// In key order (dates ascending); empty without `group_by`.
    pub groups: Vec<Group>,
}

/// The report of `q` (its `by` is set here), split by `group_by`; days, weeks and
/// months are those of `zone` (UTC without one).
pub async fn report(
    store: &dyn Store,
    mut q: AnalyticsQuery,
    group_by: Option<GroupBy>,
    zone: Option<&Zone>,
) -> Result<Report> {
    // One reading of how far the rollups reach serves every part of the report.
    let settled = store.rollup_marks().await?.settled_to;
    let mut groups: Vec<Group> = vec![];
    let mut total = Counts::default();
    if q.parts != Parts::Results || group_by.is_none() {
        q.by = Dimension::Total;
        for (_, c) in counts(store, &q, zone, settled).await? {
            total.add(&c);
        }
    }
    let (median, p90) = if q.parts == Parts::Results {
        (None, None)
    } else {
        histogram_delays(&crate::rollups::delay_histogram(store, &q, settled).await?)
    };
    if let Some(g) = group_by {
        q.by = match g {
            GroupBy::Day | GroupBy::Week | GroupBy::Month => Dimension::Day,
            GroupBy::Channel => Dimension::Channel,
            GroupBy::Advocate => Dimension::Advocate,
        };
        let mut merged: std::collections::BTreeMap<String, Counts> = Default::default();
        for (k, c) in counts(store, &q, zone, settled).await? {
            let key = match (g.by_day(), k.parse::<i64>()) {
                (true, Ok(day)) => bucket(g, day),
                _ => k,
            };
            merged.entry(key).or_default().add(&c);
        }
        groups = merged
            .into_iter()
            .map(|(key, c)| Group {
                key,
                metrics: derive(c),
            })
            .collect();
    }
    Ok(Report {
        totals: derive(total),
        time_to_conversion_median: median,
        time_to_conversion_p90: p90,
        groups,
    })
}
