//! Pieces every resource uses: timestamps, pagination, path ids.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use vouch_domain::Millis;
use vouch_store::{ListQuery, Page};

use crate::error::{ApiError, Result};

pub use vouch_domain::views::{rfc3339, rfc3339_opt};

/// Parses a client-supplied RFC 3339 time, refusing the absurd.
pub fn parse_time(field: &str, raw: &str) -> Result<Millis> {
    let t = OffsetDateTime::parse(raw.trim(), &Rfc3339).map_err(|_| {
        ApiError::invalid(
            field,
            "must be an RFC 3339 time such as 2026-11-23T10:00:00Z",
        )
    })?;
    let ms = i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| ApiError::invalid(field, "is out of range"))?;
    // 2000-01-01 .. 2100-01-01
    if !(946_684_800_000..=4_102_444_800_000).contains(&ms) {
        return Err(ApiError::invalid(field, "must be between 2000 and 2100"));
    }
    Ok(ms)
}

/// `?limit=&cursor=` on every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn query(&self) -> Result<ListQuery> {
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::invalid("limit", "must be between 1 and 100"));
        }
        if let Some(c) = &self.cursor {
            if c.len() > 64 || !c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(ApiError::invalid("cursor", "is not a cursor from this API"));
            }
        }
        Ok(ListQuery {
            limit,
            cursor: self.cursor.clone(),
            ..ListQuery::default()
        })
    }
}

/// A page of results, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn from_page<R>(page: Page<R>, f: impl Fn(R) -> T) -> Self {
        Self {
            data: page.items.into_iter().map(f).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// Parses a typed id from the path; a malformed id is simply not found.
pub fn path_id<T>(raw: &str, parse: impl Fn(&str) -> Option<T>, what: &'static str) -> Result<T> {
    parse(raw).ok_or(ApiError::NotFound { what })
}

/// Parses an optional typed id from a query or body field.
pub fn field_id<T>(
    field: &str,
    raw: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    raw.map(|r| parse(r).ok_or_else(|| ApiError::invalid(field, "is not a valid id")))
        .transpose()
}
