use thiserror::Error;

/// Why a domain rule refused its input. The server maps `Invalid` to a 422 problem
/// response naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, reported under a parent field (`referrer_reward.amount`).
    pub fn within(self, parent: &str) -> Self {
        match self {
            Self::Invalid { field, message } => Self::Invalid {
                field: format!("{parent}.{field}"),
                message,
            },
        }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
