//! The units rules are written in: percentages, multipliers, instants, calendar periods.

use crate::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Largest amount a rule may name, in minor units: keeps every sum far from overflow.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// A percentage with at most two decimals (`12.5`), kept in hundredths so rules compare
/// and compute exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(try_from = "f64")]
#[schema(value_type = f64, example = 10)]
pub struct Percent(u32);

/// Hundredths written as a number, whole ones as integers (`15`, not `15.0`).
fn serialize_hundredths<S: serde::Serializer>(
    h: u32,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    if h.is_multiple_of(100) {
        s.serialize_u32(h / 100)
    } else {
        s.serialize_f64(f64::from(h) / 100.0)
    }
}

impl Serialize for Percent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_hundredths(self.0, s)
    }
}

impl Percent {
    pub fn hundredths(self) -> u32 {
        self.0
    }

    pub fn from_hundredths(h: u32) -> Option<Self> {
        (1..=10_000).contains(&h).then_some(Self(h))
    }

    /// `percent` of `amount`, rounded down to the minor unit.
    pub fn of(self, amount: i64) -> i64 {
        let v = i128::from(amount) * i128::from(self.0) / 10_000;
        i64::try_from(v).unwrap_or(i64::MAX)
    }
}

fn hundredths(v: f64, min_exclusive: f64, max: f64) -> std::result::Result<u32, String> {
    if !v.is_finite() || v <= min_exclusive || v > max {
        return Err(format!(
            "must be more than {min_exclusive} and at most {max}"
        ));
    }
    let h = (v * 100.0).round();
    if (h - v * 100.0).abs() > 1e-6 {
        return Err("must have at most two decimals".into());
    }
    // In range and integral, checked above.
    Ok(h as u32)
}

impl TryFrom<f64> for Percent {
    type Error = String;
    fn try_from(v: f64) -> std::result::Result<Self, String> {
        hundredths(v, 0.0, 100.0).map(Self)
    }
}

impl From<Percent> for f64 {
    fn from(p: Percent) -> f64 {
        f64::from(p.0) / 100.0
    }
}

/// A boost factor such as `2` (double) or `1.5`, in hundredths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(try_from = "f64")]
#[schema(value_type = f64, example = 2)]
pub struct Multiplier(pub(crate) u32);

impl Serialize for Multiplier {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_hundredths(self.0, s)
    }
}

impl Multiplier {
    pub fn apply(self, amount: i64) -> i64 {
        let v = i128::from(amount) * i128::from(self.0) / 100;
        i64::try_from(v).unwrap_or(i64::MAX)
    }
}

impl TryFrom<f64> for Multiplier {
    type Error = String;
    fn try_from(v: f64) -> std::result::Result<Self, String> {
        hundredths(v, 1.0, 10.0).map(Self)
    }
}

impl From<Multiplier> for f64 {
    fn from(m: Multiplier) -> f64 {
        f64::from(m.0) / 100.0
    }
}

/// An instant written as RFC 3339 (`2026-11-27T00:00:00Z`), stored as milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "2026-11-27T00:00:00Z")]
pub struct Timestamp(pub Millis);

impl TryFrom<String> for Timestamp {
    type Error = String;
    fn try_from(s: String) -> std::result::Result<Self, String> {
        let t = time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| format!("'{s}' is not an RFC 3339 time"))?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .map(Self)
            .map_err(|_| "is out of range".into())
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.0) * 1_000_000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default()
    }
}

/// A calendar period in UTC, for caps and milestones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    /// Monday to Sunday.
    Week,
    Month,
    Year,
    /// Since the program began.
    AllTime,
}

impl Period {
    /// When the period containing `at` began.
    pub fn start(self, at: Millis) -> Millis {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000)) else {
            return Millis::MIN;
        };
        let date = t.date();
        let first = match self {
            Self::AllTime => return Millis::MIN,
            Self::Day => date,
            Self::Week => {
                date - time::Duration::days(i64::from(date.weekday().number_days_from_monday()))
            }
            Self::Month => date.replace_day(1).unwrap_or(date),
            Self::Year => date
                .replace_day(1)
                .and_then(|d| d.replace_month(time::Month::January))
                .unwrap_or(date),
        };
        first.midnight().assume_utc().unix_timestamp() * 1000
    }
}
