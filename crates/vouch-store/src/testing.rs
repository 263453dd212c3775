//! Helpers for tests that need a database of their own: each test gets a fresh SQLite
//! file or a fresh PostgreSQL database, so tests run in parallel without sharing rows.

use sqlx::Connection;

use crate::error::Result;

/// The PostgreSQL server tests use: `VOUCH_TEST_POSTGRES_URL`, else the local one.
pub fn postgres_admin_url() -> String {
    std::env::var("VOUCH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether a missing PostgreSQL must fail the run (in CI) instead of skipping.
pub fn postgres_required() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var("VOUCH_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// Creates an empty database named `vouch_test_{random}` and returns its URL, or
/// `None` (with a loud message) when no PostgreSQL answers and none is required.
pub async fn fresh_postgres() -> Option<String> {
    let admin = postgres_admin_url();
    match create(&admin).await {
        Ok(url) => Some(url),
        Err(e) if !postgres_required() => {
            eprintln!(
                "\n*** SKIPPING a PostgreSQL test: cannot reach {} ({e}). \
                 Set CI=1 or VOUCH_REQUIRE_POSTGRES=1 to make this a failure. ***\n",
                crate::sql::redact(&admin)
            );
            None
        }
        Err(e) => panic!("PostgreSQL is required but unreachable at {admin}: {e}"),
    }
}

async fn create(admin: &str) -> Result<String> {
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    let name = format!(
        "vouch_test_{}",
        ulid::Ulid::new().to_string().to_ascii_lowercase()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let base = match admin.rfind('/') {
        Some(i) if i > admin.find("://").map_or(0, |s| s + 2) => &admin[..i],
        _ => admin,
    };
    Ok(format!("{base}/{name}"))
}

/// A fresh SQLite database in a temporary directory (removed when the guard drops).
pub fn fresh_sqlite() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let url = format!("sqlite://{}/vouch.db?mode=rwc", dir.path().display());
    (dir, url)
}
