//! The sqlx implementation of [`Store`](crate::Store) for both backends.
//!
//! The SQL of SQLite and PostgreSQL differs in a handful of places (placeholders, row
//! locks, advisory locks, `SKIP LOCKED`), so one implementation over sqlx's `Any`
//! driver serves both, with those differences in [`Backend`]. Two copies of the same
//! queries would drift apart; the contract suite keeps this one honest on both.

mod analytics;
mod bulk;
mod clicks;
mod cohorts;
mod contests;
mod coupons;
mod emails;
mod events;
mod fraud;
mod fraud_counts;
mod holdout;
mod integrations;
mod jobs;
mod likely;
mod outbox;
mod participants;
mod payouts;
mod programs;
mod referrals;
mod rewards;
mod rollup_day;
mod rollup_reads;
mod rollups;
mod rows;
mod store;
mod tx;
mod webhooks;

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::error::{Result, StoreError};

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// Queries are written with `?`; PostgreSQL wants `$1, $2, …`. Our SQL never has a
    /// literal `?`, so a plain scan is enough.
    pub(crate) fn sql(self, sql: &'static str) -> Cow<'static, str> {
        match self {
            Self::Sqlite => Cow::Borrowed(sql),
            Self::Postgres => Cow::Owned(numbered(sql)),
        }
    }

    /// [`Backend::sql`] for SQL assembled at run time.
    pub(crate) fn sql_owned(self, sql: String) -> String {
        match self {
            Self::Sqlite => sql,
            Self::Postgres => numbered(&sql),
        }
    }

    /// `FOR UPDATE` where rows can be locked (SQLite's writer is already exclusive).
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }
}

/// `{head} VALUES (?, …), (?, …)…`: `rows` tuples of `cols` placeholders, for the
/// multi-row inserts that batch clicks, rewards and ledger entries into one statement.
pub(crate) fn insert_values(head: &str, rows: usize, cols: usize) -> String {
    let tuple = format!("({})", vec!["?"; cols].join(", "));
    let mut sql = String::with_capacity(head.len() + 8 + rows * (tuple.len() + 1));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&tuple);
    }
    sql
}

/// `'a', 'b'`: a list of the domain's state names for an `IN (…)`. The names are the
/// domain's own constants, never input, so they are written into the SQL.
pub(crate) fn status_list<T>(states: &[T], name: impl Fn(&T) -> &'static str) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", name(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// The store over one database.
#[derive(Clone)]
pub struct SqlStore {
    backend: Backend,
    /// Reads. On PostgreSQL also writes: the same pool.
    pool: AnyPool,
    /// Writes. On SQLite a single connection: SQLite allows one writer at a time, and
    /// queueing in the pool is cheaper than retrying `SQLITE_BUSY`.
    writer: AnyPool,
}

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str) -> Result<SqlStore> {
    sqlx::any::install_default_drivers();
    let backend = if url.starts_with("sqlite:") {
        Backend::Sqlite
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Backend::Postgres
    } else {
        return Err(StoreError::UnsupportedUrl(redact(url)));
    };
    let options = AnyConnectOptions::from_str(url)?;
    let store = match backend {
        Backend::Sqlite => {
            if let Some(path) = sqlite_path(url) {
                if let Some(dir) = Path::new(&path).parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Database(sqlx::Error::Configuration(
                            format!("cannot create {}: {e}", dir.display()).into(),
                        ))
                    })?;
                }
            }
            // `extra` runs after the shared pragmas on each new connection.
            let pool_with = |max, extra: &'static str| {
                AnyPoolOptions::new()
                    .max_connections(max)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            // WAL: readers never block the writer. synchronous=NORMAL in
                            // WAL mode loses nothing on a process crash (only on power
                            // loss), which is the durability the click log promises.
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                            )
                            .await?;
                            if !extra.is_empty() {
                                conn.execute(extra).await?;
                            }
                            Ok(())
                        })
                    })
            };
            // Checkpoints stay automatic, inside commits. Moving them to a background
            // PASSIVE checkpoint was measured slower: under a steady write load a passive
            // checkpoint rarely completes, the WAL keeps growing and every page lookup
            // slows down (BENCHMARKS.md).
            let writer = pool_with(1, "").connect_with(options.clone()).await?;
            let pool = pool_with(4, "").connect_with(options).await?;
            SqlStore {
                backend,
                pool,
                writer,
            }
        }
        Backend::Postgres => {
            let pool = AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            SqlStore {
                backend,
                writer: pool.clone(),
                pool,
            }
        }
    };
    Ok(store)
}

/// `sqlite://dir/vouch.db?mode=rwc` → `dir/vouch.db`.
fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            Backend::Postgres.sql("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
        assert_eq!(Backend::Sqlite.sql("b = ?"), "b = ?");
    }

    #[test]
    fn multi_row_values_have_one_tuple_per_row() {
        assert_eq!(
            insert_values("INSERT INTO t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES (?, ?),(?, ?)"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
