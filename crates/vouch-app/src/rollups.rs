//! Analytics rollups: what keeps reports fast over millions of clicks.
//!
//! A report counts from two tables of rollups (per program and quarter hour by channel,
//! per program, day and advocate) for the period they cover, and from the raw rows for
//! the rest. Rollups are never incremented: a (program, UTC day) is recomputed from its
//! raw rows, whole, whenever something in it changed, so a day refreshed twice, on two
//! instances, or after a crash is still right.
//!
//! What changed is found without touching the redirect or the event path: every click,
//! event and domain event has a time-ordered id, so each refresh reads the ids made
//! since the previous one (with a margin for transactions that committed late) and
//! marks the days they count in. Only then does it move `settled_to`, the instant
//! before which reports trust the rollups. One instance refreshes at a time (a lease).

use std::collections::BTreeMap;

use vouch_domain::analytics::{delay_bucket, local_day, Counts, QUARTER_MS};
use vouch_domain::{Millis, DAY_MS};
use vouch_store::analytics::{AnalyticsQuery, Dimension, Parts};
use vouch_store::rollups::{DayRollup, DirtyDay, Grain, RollupMarks, RollupRow};
use vouch_store::Store;

use crate::error::Result;

mod spans;

use spans::{shortest_edges, split};

/// How late a transaction may commit after its ids and instants were made and still be
/// seen by the next refresh.
pub const MARGIN_MS: Millis = 120_000;
/// How long a refresh may hold the lease before another instance takes over.
const LEASE_MS: Millis = 300_000;
/// Days recomputed per refresh at most, and for how long (well within the lease, so
/// two instances never recompute at once); the rest wait for the next refresh.
const MAX_DAYS: usize = 2_000;
const MAX_REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// What a refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// False when another instance held the lease.
    pub ran: bool,
    pub days: usize,
    /// Days still waiting.
    pub pending: i64,
}

/// Marks what changed since the last refresh and recomputes every marked day; `wall`
/// is the machine's clock (the one ids are made with), `now` the engine's.
pub async fn refresh(store: &dyn Store, wall: Millis, now: Millis) -> Result<Refreshed> {
    if !store.lease_rollups(wall, wall + LEASE_MS).await? {
        return Ok(Refreshed::default());
    }
    let result = refresh_held(store, wall, now).await;
    store.release_rollups().await?;
    result
}

async fn refresh_held(store: &dyn Store, wall: Millis, now: Millis) -> Result<Refreshed> {
    let marks = store.rollup_marks().await?;
    // Ids are never made ahead of the machine's clock; a day covers another
    // instance's clock running ahead.
    store
        .mark_dirty_since(marks.scanned_to - MARGIN_MS, wall + DAY_MS)
        .await?;
    let mut days = 0;
    let started = std::time::Instant::now();
    while days < MAX_DAYS && started.elapsed() < MAX_REFRESH {
        let batch = store.dirty_days(100).await?;
        if batch.is_empty() {
            break;
        }
        for d in &batch {
            recompute(store, d).await?;
            days += 1;
        }
    }
    let pending = store.count_dirty_days(None).await?;
    // Reports may trust the rollups up to now (less the margin) only once every day
    // marked has been recomputed; until then they count more from the raw rows.
    let settled_to = if pending == 0 {
        (now - MARGIN_MS).max(marks.settled_to)
    } else {
        marks.settled_to
    };
    store
        .set_rollup_marks(RollupMarks {
            scanned_to: wall,
            settled_to,
        })
        .await?;
    Ok(Refreshed {
        ran: true,
        days,
        pending,
    })
}

/// Forgets every rollup, marks every day with activity and recomputes them all. While
/// it runs, reports count from the raw rows (slower, still right).
pub async fn rebuild(store: &dyn Store, wall: Millis, now: Millis) -> Result<usize> {
    store.reset_rollups().await?;
    let mut days = 0;
    loop {
        let r = refresh(store, wall, now).await?;
        if !r.ran {
            return Err(anyhow::anyhow!(
                "another instance is refreshing the rollups; it will finish the rebuild"
            )
            .into());
        }
        days += r.days;
        if r.pending == 0 {
            return Ok(days);
        }
    }
}

/// Recomputes one program's day from its raw rows.
async fn recompute(store: &dyn Store, d: &DirtyDay) -> Result<()> {
    let from = d.day * DAY_MS;
    let zone_name = store
        .get_program(&d.workspace_id, &d.program_id)
        .await?
        .and_then(|p| p.config.time_zone)
        .unwrap_or_default();
    let tz = vouch_domain::analytics::zone(&zone_name);
    let base = AnalyticsQuery {
        workspace_id: d.workspace_id.clone(),
        program_id: Some(d.program_id.clone()),
        from,
        to: from + DAY_MS,
        currency: String::new(),
        by: Dimension::QuarterChannel,
        parts: Parts::Counts,
    };
    let mut currencies = vec![String::new()];
    currencies.extend(
        store
            .currencies_in(&d.program_id, from, from + DAY_MS)
            .await?,
    );
    let mut rollup = DayRollup {
        zone: zone_name.clone(),
        ..DayRollup::default()
    };
    let mut days: BTreeMap<(i64, String, String), Counts> = BTreeMap::new();
    for currency in currencies {
        let parts = if currency.is_empty() {
            Parts::Counts
        } else {
            Parts::Money
        };
        let q = AnalyticsQuery {
            currency: currency.clone(),
            parts,
            ..base.clone()
        };
        for (k, counts) in store.analytics(&q).await? {
            let Some((at, channel)) = k.split_once('|') else {
                continue;
            };
            let Ok(at) = at.parse::<i64>() else { continue };
            if counts == Counts::default() {
                continue;
            }
            let local = match &tz {
                Some(tz) => local_day(tz, at * QUARTER_MS),
                None => at * QUARTER_MS / DAY_MS,
            };
            days.entry((local, channel.to_owned(), currency.clone()))
                .or_default()
                .add(&counts);
            rollup.quarters.push(RollupRow {
                at,
                key: channel.to_owned(),
                currency: currency.clone(),
                counts,
            });
        }
        let q = AnalyticsQuery {
            by: Dimension::Advocate,
            ..q
        };
        for (key, counts) in store.analytics(&q).await? {
            if counts != Counts::default() {
                rollup.advocates.push(RollupRow {
                    at: d.day,
                    key,
                    currency: currency.clone(),
                    counts,
                });
            }
        }
    }
    let mut delays: BTreeMap<i64, i64> = BTreeMap::new();
    for ms in store.conversion_delays(&base, i64::MAX).await? {
        *delays.entry(delay_bucket(ms)).or_default() += 1;
    }
    rollup.delays = delays.into_iter().collect();
    rollup.days = days
        .into_iter()
        .map(|((at, key, currency), counts)| RollupRow {
            at,
            key,
            currency,
            counts,
        })
        .collect();
    store.replace_rollup_day(d, &rollup).await?;
    Ok(())
}

/// A program's time zone, by name and as the bundled database has it.
pub struct Zone {
    pub name: String,
    pub tz: jiff::tz::TimeZone,
}

impl Zone {
    pub fn get(name: &str) -> Option<Self> {
        vouch_domain::analytics::zone(name).map(|tz| Self {
            name: name.to_owned(),
            tz,
        })
    }

    /// The instant local day `day` starts.
    pub fn start(&self, day: i64) -> Millis {
        let (y, m, d) = vouch_domain::analytics::date(day);
        jiff::civil::date(y as i16, m as i8, d as i8)
            .to_zoned(self.tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(day * DAY_MS)
    }
}

/// The counts of `q` keyed by `q.by` (`Day`: the local day number in `zone`, else the
/// UTC day): whole settled days from the day rollups, the edges of the period from the
/// quarter-hour rollups, and whatever is after `settled_to` or under a quarter hour from
/// the raw rows. `Advocate` reads the advocate rollups by UTC day (with `Parts::Results`,
/// only the conversions and money leaderboards rank by).
pub async fn counts(
    store: &dyn Store,
    q: &AnalyticsQuery,
    zone: Option<&Zone>,
    settled: Millis,
) -> Result<Vec<(String, Counts)>> {
    let end = q.to.min(settled);
    let mut merged: BTreeMap<String, Counts> = BTreeMap::new();
    let mut add = |rows: Vec<(String, Counts)>| {
        for (k, c) in rows {
            merged.entry(k).or_default().add(&c);
        }
    };
    if q.by == Dimension::Advocate {
        let grain = if q.parts == Parts::Results {
            Grain::Results
        } else {
            Grain::Advocates
        };
        let (whole, edges) = split(q.from, q.to, settled, DAY_MS);
        if let Some((lo, hi)) = whole {
            add(store.rollup_analytics(q, &grain, lo, hi).await?);
        }
        for (from, to) in edges {
            add(raw(store, q, from, to).await?);
        }
        return Ok(merged.into_iter().collect());
    }
    let day_of = |at: Millis| match zone {
        Some(z) => local_day(&z.tz, at),
        None => at.div_euclid(DAY_MS),
    };
    let start = |day: i64| match zone {
        Some(z) => z.start(day),
        None => day * DAY_MS,
    };
    let mut lo = day_of(q.from);
    if start(lo) < q.from {
        lo += 1;
    }
    let hi = day_of(end);
    let usable = lo < hi
        && match (zone, &q.program_id) {
            (Some(z), Some(p)) => store.days_in_zone(p, &z.name, lo, hi).await?,
            (Some(_), None) => false,
            (None, _) => true,
        };
    if usable {
        let grain = match zone {
            Some(z) => Grain::LocalDays(z.name.clone()),
            None => Grain::UtcDays,
        };
        add(store.rollup_analytics(q, &grain, lo, hi).await?);
        add(quarters(store, q, zone, q.from, start(lo), settled).await?);
        add(quarters(store, q, zone, start(hi), q.to, settled).await?);
    } else {
        add(quarters(store, q, zone, q.from, q.to, settled).await?);
    }
    Ok(merged.into_iter().collect())
}

/// `from..to` from the quarter-hour rollups where whole and settled, raw rows for the
/// rest; `Day` keys folded into `zone`'s days.
async fn quarters(
    store: &dyn Store,
    q: &AnalyticsQuery,
    zone: Option<&Zone>,
    from: Millis,
    to: Millis,
    settled: Millis,
) -> Result<Vec<(String, Counts)>> {
    if from >= to {
        return Ok(vec![]);
    }
    // In a zone, days are folded from quarter hours.
    let folded = q.by == Dimension::Day && zone.is_some();
    let q = AnalyticsQuery {
        by: if folded { Dimension::Quarter } else { q.by },
        ..q.clone()
    };
    let mut rows = vec![];
    let (whole, edges) = split(from, to, settled, QUARTER_MS);
    if let Some((lo, hi)) = whole {
        rows.extend(store.rollup_analytics(&q, &Grain::Quarters, lo, hi).await?);
    }
    for (from, to) in edges {
        rows.extend(raw(store, &q, from, to).await?);
    }
    Ok(match zone {
        Some(z) if folded => rows
            .into_iter()
            .map(|(k, c)| match k.parse::<i64>() {
                Ok(quarter) => (local_day(&z.tz, quarter * QUARTER_MS).to_string(), c),
                Err(_) => (k, c),
            })
            .collect(),
        _ => rows,
    })
}

/// The time-to-conversion histogram of `q`'s conversions: whole settled UTC days from
/// the rollups, the rest from the raw rows.
pub async fn delay_histogram(
    store: &dyn Store,
    q: &AnalyticsQuery,
    settled: Millis,
) -> Result<BTreeMap<i64, i64>> {
    let mut h: BTreeMap<i64, i64> = BTreeMap::new();
    let (whole, edges) = split(q.from, q.to, settled, DAY_MS);
    if let Some((lo, hi)) = whole {
        for (b, n) in store.rollup_delays(q, lo, hi).await? {
            *h.entry(b).or_default() += n;
        }
    }
    for (from, to) in edges {
        let edge = AnalyticsQuery {
            from,
            to,
            ..q.clone()
        };
        for ms in store.conversion_delays(&edge, RAW_DELAYS).await? {
            *h.entry(delay_bucket(ms)).or_default() += 1;
        }
    }
    Ok(h)
}

/// The advocates with the highest figures by `by` in `q`'s period (its `by` and
/// `parts` are set here), at most `limit`, ranked as `vouch_domain::analytics::rank`
/// ranks. The parts of the period the rollups do not cover are counted from the raw
/// rows first; then the rollups give their top `limit + k` advocates (k: those the raw
/// rows named) and the raw rows' advocates themselves. Nobody left out can rank in
/// the top `limit`: only the k raw advocates' figures change, and `limit` advocates of
/// the top `limit + k` outrank, or tie ahead of, anyone below them.
pub async fn leaders(
    store: &dyn Store,
    q: &AnalyticsQuery,
    by: vouch_domain::analytics::RankBy,
    limit: usize,
    settled: Millis,
) -> Result<Vec<(u32, String, vouch_domain::analytics::Metrics)>> {
    let q = AnalyticsQuery {
        by: Dimension::Advocate,
        parts: Parts::Results,
        ..q.clone()
    };
    let (whole, edges) = split(q.from, q.to, settled, DAY_MS);
    let (whole, edges, less) = shortest_edges(whole, edges, settled);
    let mut merged: BTreeMap<String, Counts> = BTreeMap::new();
    for (from, to) in edges {
        for (k, c) in raw(store, &q, from, to).await? {
            merged.entry(k).or_default().add(&c);
        }
    }
    for (from, to) in less {
        for (k, c) in raw(store, &q, from, to).await? {
            merged.entry(k).or_default().add(&c.negated());
        }
    }
    if let Some((lo, hi)) = whole {
        let also: Vec<String> = merged.keys().cloned().collect();
        let want = i64::try_from(limit + also.len()).unwrap_or(i64::MAX);
        for (k, c) in store.rollup_leaders(&q, lo, hi, by, want, &also).await? {
            merged.entry(k).or_default().add(&c);
        }
    }
    let rows = merged
        .into_iter()
        .map(|(k, c)| (k, vouch_domain::analytics::derive(c)))
        .collect();
    Ok(vouch_domain::analytics::rank(rows, by)
        .into_iter()
        .take(limit)
        .collect())
}

/// Conversions whose delays are read from raw rows per edge of a period, at most.
const RAW_DELAYS: i64 = 100_000;

/// `from..to` from the raw rows (nothing when empty).
async fn raw(
    store: &dyn Store,
    q: &AnalyticsQuery,
    from: Millis,
    to: Millis,
) -> Result<Vec<(String, Counts)>> {
    if from >= to {
        return Ok(vec![]);
    }
    Ok(store
        .analytics(&AnalyticsQuery {
            from,
            to,
            ..q.clone()
        })
        .await?)
}
