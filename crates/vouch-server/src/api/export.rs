//! Exports: a list endpoint asked for `Accept: text/csv` (or `application/x-ndjson`)
//! streams every matching row, page by page from the store, instead of one JSON page.
//! Spreadsheet formulas are neutralized: a text cell starting with `=`, `+`, `-`, `@`,
//! a tab or a carriage return gets a leading `'`, so opening the file never runs it.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use vouch_store::{ListQuery, Page};

use crate::error::Result;

/// Rows per store read while streaming.
const CHUNK: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    JsonLines,
}

/// What the client asked for; JSON unless it names CSV or JSON lines.
pub fn wanted(headers: &HeaderMap) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if accept.contains("text/csv") {
        Format::Csv
    } else if accept.contains("application/x-ndjson") || accept.contains("application/jsonl") {
        Format::JsonLines
    } else {
        Format::Json
    }
}

/// `?format=csv` (or `json`, `jsonl`) asks for what the `Accept` header would: a link
/// on a page or in a browser's address bar cannot set a header. Any other value is a
/// 422 naming `format`.
pub async fn format_param(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let asked = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "format")
            .map(|(_, v)| v.into_owned())
    });
    if let Some(asked) = asked {
        let accept = match asked.as_str() {
            "csv" => "text/csv",
            "json" => "application/json",
            "jsonl" | "ndjson" => "application/x-ndjson",
            _ => {
                return crate::error::ApiError::invalid("format", "must be csv, json or jsonl")
                    .into_response()
            }
        };
        req.headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static(accept));
    }
    next.run(req).await
}

/// A text cell a spreadsheet would run as a formula, made inert.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// One CSV cell from a JSON value: numbers and booleans as written, text neutralized,
/// nested values as compact JSON (neutralized too), null as empty.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => neutralize(s).into_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => neutralize(&other.to_string()).into_owned(),
    }
}

/// One CSV record (quoted where a cell needs it), CRLF-terminated.
pub fn csv_line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(vec![]);
    // Writing to memory cannot fail.
    let _ = w.write_record(cells.into_iter().collect::<Vec<_>>());
    w.into_inner().unwrap_or_default()
}

fn encode<T: Serialize>(format: Format, columns: &[&str], rows: &[T]) -> Vec<u8> {
    let mut out = vec![];
    for row in rows {
        let v = serde_json::to_value(row).unwrap_or_default();
        match format {
            Format::Csv => out.extend(csv_line(columns.iter().map(|c| cell(v.get(*c))))),
            _ => {
                out.extend(v.to_string().into_bytes());
                out.push(b'\n');
            }
        }
    }
    out
}

/// A whole CSV table: the header, then one record per row (the columns picked from
/// each row's JSON).
pub fn csv_table<T: Serialize>(columns: &[&str], rows: &[T]) -> Vec<u8> {
    let mut out = csv_line(columns.iter().map(|c| c.to_string()));
    out.extend(encode(Format::Csv, columns, rows));
    out
}

/// Streams every row `fetch` pages through, from the start of `q`'s filters (its own
/// `limit` and `cursor` are ignored: an export is everything).
pub fn stream<T, F, Fut>(
    format: Format,
    name: &str,
    columns: &'static [&'static str],
    mut q: ListQuery,
    fetch: F,
) -> Response
where
    T: Serialize + Send + 'static,
    F: Fn(ListQuery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Page<T>>> + Send + 'static,
{
    q.limit = CHUNK;
    q.cursor = None;
    let head = match format {
        Format::Csv => csv_line(columns.iter().map(|c| c.to_string())),
        _ => vec![],
    };
    let pages = futures_util::stream::unfold(Some(q), move |next| {
        let pending = next.clone().map(&fetch);
        async move {
            let (query, pending) = (next?, pending?);
            match pending.await {
                Ok(page) => {
                    let rest = page.next_cursor.clone().map(|c| ListQuery {
                        cursor: Some(c),
                        ..query
                    });
                    let bytes = Bytes::from(encode(format, columns, &page.items));
                    Some((Ok::<_, std::io::Error>(bytes), rest))
                }
                Err(e) => {
                    // The client sees a cut transfer, never a file that looks whole.
                    tracing::error!(error = %e, "export stopped");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    let head = futures_util::stream::once(async move { Ok(Bytes::from(head)) });
    let body = Body::from_stream(futures_util::StreamExt::chain(head, pages));
    (headers(format, name), body).into_response()
}

/// Writes every row to `out` (the command line's `vouch export`).
pub async fn write_all<T, F, Fut>(
    format: Format,
    columns: &[&str],
    mut q: ListQuery,
    fetch: F,
    out: &mut impl std::io::Write,
) -> anyhow::Result<usize>
where
    T: Serialize,
    F: Fn(ListQuery) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    q.limit = CHUNK;
    q.cursor = None;
    if format == Format::Csv {
        out.write_all(&csv_line(columns.iter().map(|c| c.to_string())))?;
    }
    let mut rows = 0;
    loop {
        let page = fetch(q.clone()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        rows += page.items.len();
        out.write_all(&encode(format, columns, &page.items))?;
        match page.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return Ok(rows),
        }
    }
}

/// The response headers of an export.
fn headers(format: Format, name: &str) -> [(header::HeaderName, HeaderValue); 2] {
    let (kind, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        _ => ("application/x-ndjson", "jsonl"),
    };
    [
        (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\""))
                .unwrap_or(HeaderValue::from_static("attachment")),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralized_and_numbers_kept() {
        assert_eq!(neutralize("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for f in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralize(f).starts_with('\''), "{f}");
        }
        assert_eq!(neutralize("sara@example.com"), "sara@example.com");
        assert_eq!(cell(Some(&serde_json::json!(-500))), "-500");
        assert_eq!(cell(Some(&serde_json::json!("-500"))), "'-500");
        assert_eq!(cell(Some(&serde_json::json!(null))), "");
        let line = csv_line(["a,b".to_owned(), "say \"hi\"".to_owned()]);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
    }
}
