//! What a program earns: the funnel (clicks, signups, conversions), referred revenue,
//! reward cost, and what follows from them (conversion rates, CAC, ROI), per day, week,
//! month, channel or advocate. Every money figure is in one currency; nothing is
//! converted. Pure: the store counts, these functions group and derive.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Millis, DAY_MS};

/// How a report is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    /// Weeks start on Monday; the key is the Monday (`2026-11-02`).
    Week,
    /// `2026-11`.
    Month,
    /// The share channel of the click (`whatsapp`, `qr`, a `utm_source`; `direct` for a
    /// bare link), else how the friend was attributed (`referral_code`, `coupon`).
    Channel,
    /// The advocate (a participant id).
    Advocate,
}

impl GroupBy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(Self::Day),
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            "channel" => Some(Self::Channel),
            "advocate" => Some(Self::Advocate),
            _ => None,
        }
    }

    /// Whether the store groups by UTC day (then [`bucket`] folds days into the key).
    pub fn by_day(self) -> bool {
        matches!(self, Self::Day | Self::Week | Self::Month)
    }
}

/// What the store counts for one key (or for everything).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    /// People's clicks (previews, crawlers and prefetches are not clicks).
    pub clicks: i64,
    /// Clicks counted once per visitor within the program's window.
    pub unique_clicks: i64,
    pub signups: i64,
    /// Friends whose first qualifying purchase converted their referral: new customers.
    pub conversions: i64,
    /// Purchases and subscription payments of referred customers, before refunds.
    pub revenue: i64,
    pub refunds: i64,
    /// Rewards still in their hold.
    pub reward_pending: i64,
    /// Rewards approved, fulfilled or redeemed (less what partial refunds took back).
    pub reward_approved: i64,
    /// Rewards cancelled or clawed back by refunds.
    pub reward_reversed: i64,
}

impl Counts {
    /// Adds another key's counts (saturating: a sum this large is already wrong input).
    /// The counts in the order of the rollup tables' columns.
    pub fn values(&self) -> [i64; 9] {
        [
            self.clicks,
            self.unique_clicks,
            self.signups,
            self.conversions,
            self.revenue,
            self.refunds,
            self.reward_pending,
            self.reward_approved,
            self.reward_reversed,
        ]
    }

    /// The same counts taken away (for differences: a day's new rows less its old).
    pub fn negated(&self) -> Counts {
        Counts {
            clicks: self.clicks.saturating_neg(),
            unique_clicks: self.unique_clicks.saturating_neg(),
            signups: self.signups.saturating_neg(),
            conversions: self.conversions.saturating_neg(),
            revenue: self.revenue.saturating_neg(),
            refunds: self.refunds.saturating_neg(),
            reward_pending: self.reward_pending.saturating_neg(),
            reward_approved: self.reward_approved.saturating_neg(),
            reward_reversed: self.reward_reversed.saturating_neg(),
        }
    }

    pub fn add(&mut self, o: &Counts) {
        self.clicks = self.clicks.saturating_add(o.clicks);
        self.unique_clicks = self.unique_clicks.saturating_add(o.unique_clicks);
        self.signups = self.signups.saturating_add(o.signups);
        self.conversions = self.conversions.saturating_add(o.conversions);
        self.revenue = self.revenue.saturating_add(o.revenue);
        self.refunds = self.refunds.saturating_add(o.refunds);
        self.reward_pending = self.reward_pending.saturating_add(o.reward_pending);
        self.reward_approved = self.reward_approved.saturating_add(o.reward_approved);
        self.reward_reversed = self.reward_reversed.saturating_add(o.reward_reversed);
    }
}

/// The figures a marketer reads, derived from [`Counts`].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Metrics {
    #[serde(flatten)]
    pub counts: Counts,
    /// Revenue less refunds.
    pub net_revenue: i64,
    /// What the rewards cost: pending and approved (reversed rewards cost nothing).
    pub reward_cost: i64,
    /// Signups per unique click.
    pub click_to_signup: Option<f64>,
    /// Conversions per signup.
    pub signup_to_conversion: Option<f64>,
    /// Conversions per unique click.
    pub click_to_conversion: Option<f64>,
    /// Customer acquisition cost: reward cost per new referred customer (minor units).
    pub cac: Option<i64>,
    /// Return on investment: (net revenue − reward cost) / reward cost.
    pub roi: Option<f64>,
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| round4(n as f64 / d as f64))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

pub fn derive(c: Counts) -> Metrics {
    let net_revenue = c.revenue.saturating_sub(c.refunds);
    let reward_cost = c.reward_pending.saturating_add(c.reward_approved);
    Metrics {
        net_revenue,
        reward_cost,
        click_to_signup: ratio(c.signups, c.unique_clicks),
        signup_to_conversion: ratio(c.conversions, c.signups),
        click_to_conversion: ratio(c.conversions, c.unique_clicks),
        // Rounded half up to the minor unit.
        cac: (c.conversions > 0).then(|| {
            let (q, r) = (reward_cost / c.conversions, reward_cost % c.conversions);
            q + i64::from(r * 2 >= c.conversions)
        }),
        roi: (reward_cost > 0)
            .then(|| round4((net_revenue as f64 - reward_cost as f64) / reward_cost as f64)),
        counts: c,
    }
}

/// The civil date of a day number (days since 1970-01-01, UTC).
pub fn date(day: i64) -> (i64, u32, u32) {
    // Howard Hinnant's days_from_civil, inverted.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The key a UTC day falls under.
pub fn bucket(group: GroupBy, day: i64) -> String {
    let fmt = |d: i64| {
        let (y, m, dd) = date(d);
        format!("{y:04}-{m:02}-{dd:02}")
    };
    match group {
        GroupBy::Week => {
            // 1970-01-01 was a Thursday: Monday is 3 days before.
            let monday = day - (day + 3).rem_euclid(7);
            fmt(monday)
        }
        GroupBy::Month => {
            let (y, m, _) = date(day);
            format!("{y:04}-{m:02}")
        }
        _ => fmt(day),
    }
}

/// The day number of the first day of `day`'s month.
pub fn month_start(day: i64) -> i64 {
    let (_, _, d) = date(day);
    day - i64::from(d) + 1
}

/// The day number of an instant.
pub fn day_of(at: Millis) -> i64 {
    at.div_euclid(DAY_MS)
}

/// Quarter hours: every time zone's offset is a whole number of them, so counts kept
/// per UTC quarter hour fold exactly into any zone's days.
pub const QUARTER_MS: Millis = 900_000;

/// A time zone of the bundled IANA database, by name.
pub fn zone(name: &str) -> Option<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).ok()
}

/// The day number of the civil date an instant falls on in `tz` (its offset then,
/// daylight saving included).
pub fn local_day(tz: &jiff::tz::TimeZone, at: Millis) -> i64 {
    let offset = jiff::Timestamp::from_millisecond(at)
        .map(|ts| i64::from(tz.to_offset(ts).seconds()))
        .unwrap_or(0);
    day_of(at + offset * 1000)
}

/// Buckets of the time-to-conversion histogram per doubling of minutes: a bucket's
/// middle is within 4.5% of any delay in it.
const PER_OCTAVE: f64 = 8.0;

/// The histogram bucket of a delay.
pub fn delay_bucket(ms: i64) -> i64 {
    let minutes = ms.max(0) as f64 / 60_000.0;
    (PER_OCTAVE * (1.0 + minutes).log2()).floor() as i64
}

/// Median and 90th percentile (nearest rank) of a histogram of delays, in hours with
/// one decimal; each bucket stands for its middle.
pub fn histogram_delays(h: &std::collections::BTreeMap<i64, i64>) -> (Option<f64>, Option<f64>) {
    let total: i64 = h.values().sum();
    if total <= 0 {
        return (None, None);
    }
    let rank = |p: f64| {
        let want = ((p * total as f64).ceil() as i64).clamp(1, total);
        let mut seen = 0;
        for (b, n) in h {
            seen += n;
            if seen >= want {
                let edge = |b: i64| 2f64.powf(b as f64 / PER_OCTAVE) - 1.0;
                let minutes = (edge(*b) + edge(b + 1)) / 2.0;
                return (minutes / 6.0).round() / 10.0;
            }
        }
        0.0
    };
    (Some(rank(0.5)), Some(rank(0.9)))
}

/// Median and 90th percentile of durations (nearest rank), in hours with one decimal:
/// the exact figures [`histogram_delays`] approximates (its test's reference).
#[cfg(test)]
fn delays(mut ms: Vec<i64>) -> (Option<f64>, Option<f64>) {
    if ms.is_empty() {
        return (None, None);
    }
    ms.sort_unstable();
    let rank = |p: f64| {
        let i = ((p * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
        (ms[i] as f64 / 360_000.0).round() / 10.0
    };
    (Some(rank(0.5)), Some(rank(0.9)))
}

/// A name as leaderboards show it: the first name and the initial of the last
/// (`Sara Ali` → `Sara A.`); nothing without a name.
pub fn masked_name(name: Option<&str>) -> Option<String> {
    let mut words = name?.split_whitespace();
    let first = words.next()?;
    Some(match words.last().and_then(|l| l.chars().next()) {
        Some(initial) => format!("{first} {initial}."),
        None => first.to_owned(),
    })
}

/// What a leaderboard ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RankBy {
    Conversions,
    /// Net referred revenue in the report's currency.
    Revenue,
}

impl RankBy {
    /// The figure an advocate is ranked by.
    pub fn of(self, m: &Metrics) -> i64 {
        match self {
            Self::Conversions => m.counts.conversions,
            Self::Revenue => m.net_revenue,
        }
    }
}

/// Ranks advocates' figures: highest first; a tie goes to the advocate who joined
/// first (ids are time-ordered). Equal figures share a rank (1, 2, 2, 4).
pub fn rank(mut rows: Vec<(String, Metrics)>, by: RankBy) -> Vec<(u32, String, Metrics)> {
    let value = |m: &Metrics| by.of(m);
    rows.sort_by(|a, b| value(&b.1).cmp(&value(&a.1)).then_with(|| a.0.cmp(&b.0)));
    let mut out: Vec<(u32, String, Metrics)> = Vec::with_capacity(rows.len());
    for (i, (id, m)) in rows.into_iter().enumerate() {
        let r = match out.last() {
            Some((r, _, prev)) if value(prev) == value(&m) => *r,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push((r, id, m));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_and_ranks_shared() {
        assert_eq!(masked_name(Some("Sara Ali")).as_deref(), Some("Sara A."));
        assert_eq!(
            masked_name(Some("  سارة  بنت علي ")).as_deref(),
            Some("سارة ع.")
        );
        assert_eq!(masked_name(Some("Sara")).as_deref(), Some("Sara"));
        assert_eq!(masked_name(Some("  ")), None);
        assert_eq!(masked_name(None), None);
        let m = |c| {
            derive(Counts {
                conversions: c,
                ..Counts::default()
            })
        };
        let ranked = rank(
            vec![
                ("b".into(), m(2)),
                ("a".into(), m(1)),
                ("c".into(), m(2)),
                ("d".into(), m(5)),
            ],
            RankBy::Conversions,
        );
        let got: Vec<(u32, &str)> = ranked.iter().map(|(r, id, _)| (*r, id.as_str())).collect();
        assert_eq!(got, [(1, "d"), (2, "b"), (2, "c"), (4, "a")]);
    }

    #[test]
    fn days_weeks_and_months() {
        assert_eq!(date(0), (1970, 1, 1));
        let d = day_of(1_793_836_800_000); // 2026-11-05T00:00:00Z, a Thursday
        assert_eq!(bucket(GroupBy::Day, d), "2026-11-05");
        assert_eq!(bucket(GroupBy::Week, d), "2026-11-02");
        assert_eq!(
            bucket(GroupBy::Week, d + 4),
            "2026-11-09",
            "the next Monday"
        );
        assert_eq!(bucket(GroupBy::Month, d), "2026-11");
        assert_eq!(bucket(GroupBy::Day, day_of(-1)), "1969-12-31");
        assert_eq!(bucket(GroupBy::Day, day_of(951_782_400_000)), "2000-02-29");
    }

    #[test]
    fn local_days_follow_the_zone_and_its_daylight_saving() {
        let utc_noon = 1_793_880_000_000; // 2026-11-05T12:00:00Z
        let day = |z: &str, at| bucket(GroupBy::Day, local_day(&zone(z).unwrap(), at));
        assert_eq!(day("Pacific/Kiritimati", utc_noon), "2026-11-06", "UTC+14");
        assert_eq!(
            day("Pacific/Pago_Pago", utc_noon - 12 * 3_600_000),
            "2026-11-04",
            "UTC-11"
        );
        assert_eq!(day("Asia/Riyadh", utc_noon), "2026-11-05");
        // 2026-03-28T23:30Z is 00:30 on the 29th in Berlin (UTC+1 in winter);
        // 2026-10-24T22:30Z is 00:30 on the 25th there (UTC+2 until daylight saving
        // ends at 01:00Z that night), where a fixed +1 would say the 24th.
        assert_eq!(day("Europe/Berlin", 1_774_740_600_000), "2026-03-29");
        assert_eq!(day("Europe/Berlin", 1_792_881_000_000), "2026-10-25");
        assert!(zone("Mars/Olympus").is_none());
    }

    #[test]
    fn rates_cac_and_roi() {
        let m = derive(Counts {
            unique_clicks: 40,
            clicks: 50,
            signups: 10,
            conversions: 3,
            revenue: 30_000,
            refunds: 5_000,
            reward_pending: 1_000,
            reward_approved: 2_000,
            reward_reversed: 500,
        });
        assert_eq!(m.click_to_signup, Some(0.25));
        assert_eq!(m.signup_to_conversion, Some(0.3));
        assert_eq!(m.click_to_conversion, Some(0.075));
        assert_eq!(m.net_revenue, 25_000);
        assert_eq!(m.reward_cost, 3_000);
        assert_eq!(m.cac, Some(1_000));
        assert_eq!(m.roi, Some(7.3333));
        let empty = derive(Counts::default());
        assert_eq!(
            (empty.cac, empty.roi, empty.click_to_signup),
            (None, None, None)
        );
        let odd = derive(Counts {
            conversions: 3,
            reward_approved: 1_000,
            ..Counts::default()
        });
        assert_eq!(odd.cac, Some(333));
    }

    #[test]
    fn delays_in_hours() {
        assert_eq!(delays(vec![]), (None, None));
        let h = 3_600_000;
        assert_eq!(
            delays(vec![10 * h, h, 2 * h, 3 * h, 4 * h]),
            (Some(3.0), Some(10.0))
        );
    }
}

#[cfg(test)]
mod delay_tests {
    use super::*;

    #[test]
    fn histogram_percentiles_are_within_five_percent() {
        let ms: Vec<i64> = (1..=1000).map(|i| i * 97_000).collect();
        let (exact50, exact90) = delays(ms.clone());
        let mut h = std::collections::BTreeMap::new();
        for m in ms {
            *h.entry(delay_bucket(m)).or_insert(0) += 1;
        }
        let (m50, m90) = histogram_delays(&h);
        for (exact, est) in [(exact50, m50), (exact90, m90)] {
            let (exact, est) = (exact.unwrap(), est.unwrap());
            assert!(
                (est - exact).abs() <= exact * 0.05 + 0.1,
                "{est} vs {exact}"
            );
        }
        assert_eq!(histogram_delays(&Default::default()), (None, None));
    }
}
