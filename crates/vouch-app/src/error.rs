//! The use cases' one error type. It says what went wrong in the glossary's terms; the
//! server picks the HTTP status and the problem `code` for each variant.

use vouch_domain::lifecycle::IllegalTransition;
use vouch_domain::DomainError;
use vouch_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input a rule refused, naming the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// The request conflicts with the current state, with a stable machine code.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// Too many requests of this kind for now (an advocate's invitations per day).
    #[error("{message}")]
    RateLimited { message: String },
    /// A change of state the lifecycle does not allow (a concurrent change won).
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => Self::Invalid { field, message },
        }
    }
}
