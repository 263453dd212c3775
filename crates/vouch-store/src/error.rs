use thiserror::Error;

/// What went wrong in the store. The server maps `Conflict` to 409 and everything else
/// to a 500 whose details stay in the log.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A unique key refused the write; `what` names it (`referral_code`, `slug`).
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    /// A row read back does not match what the code expects (a bug or a manual edit).
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL: {0}")]
    UnsupportedUrl(String),
}

impl StoreError {
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        Self::Corrupt(what.to_string())
    }

    /// Whether retrying the same transaction may succeed (a lost race on PostgreSQL).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("40001" | "40P01" | "23505"))
            }
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
