//! Analytics reports: the store's counts grouped as asked, and what follows from them.

use vouch_domain::analytics::{
    bucket, delays, derive, local_day, Counts, GroupBy, Metrics, QUARTER_MS,
};
use vouch_store::analytics::{AnalyticsQuery, Dimension};
use vouch_store::Store;

use crate::error::Result;

/// Conversions whose delay is measured at most (the median of more moves little).
const DELAY_SAMPLE: i64 = 100_000;

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
    zone: Option<&jiff::tz::TimeZone>,
) -> Result<Report> {
    q.by = Dimension::Total;
    let total =
        store
            .analytics(&q)
            .await?
            .into_iter()
            .fold(Counts::default(), |mut acc, (_, c)| {
                acc.add(&c);
                acc
            });
    let (median, p90) = delays(store.conversion_delays(&q, DELAY_SAMPLE).await?);
    let mut groups: Vec<Group> = vec![];
    if let Some(g) = group_by {
        q.by = match g {
            GroupBy::Day | GroupBy::Week | GroupBy::Month if zone.is_some() => Dimension::Quarter,
            GroupBy::Day | GroupBy::Week | GroupBy::Month => Dimension::Day,
            GroupBy::Channel => Dimension::Channel,
            GroupBy::Advocate => Dimension::Advocate,
        };
        let mut merged: std::collections::BTreeMap<String, Counts> = Default::default();
        for (k, c) in store.analytics(&q).await? {
            let key = match (g.by_day(), k.parse::<i64>(), zone) {
                (true, Ok(quarter), Some(z)) => bucket(g, local_day(z, quarter * QUARTER_MS)),
                (true, Ok(day), None) => bucket(g, day),
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
