//! The API's one error type, rendered as RFC 9457 `application/problem+json` with a
//! stable machine `code` (and the offending `field` for validation errors). A 5xx
//! never leaks internals: the cause is logged once, here, and the client gets a
//! generic message.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use vouch_domain::DomainError;
use vouch_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("a valid API key is required: send `Authorization: Bearer sk_…`")]
    Unauthorized,
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    Conflict {
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    TooManyRequests { message: String },
    #[error("request body is too large")]
    PayloadTooLarge,
    /// A change of state the lifecycle does not allow (a concurrent change won).
    #[error(transparent)]
    Illegal(#[from] vouch_domain::lifecycle::IllegalTransition),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden { code, .. } => (StatusCode::FORBIDDEN, code),
            Self::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::Illegal(_) => (StatusCode::CONFLICT, "illegal_transition"),
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Store(StoreError::Conflict { .. }) => (StatusCode::CONFLICT, "conflict"),
            Self::Store(_) | Self::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
        }
    }
}

impl From<vouch_app::error::AppError> for ApiError {
    fn from(e: vouch_app::error::AppError) -> Self {
        use vouch_app::error::AppError as E;
        match e {
            E::Invalid { field, message } => Self::Invalid { field, message },
            E::NotFound { what } => Self::NotFound { what },
            E::Conflict {
                code,
                field,
                message,
            } => Self::Conflict {
                code,
                field,
                message,
            },
            E::RateLimited { message } => Self::TooManyRequests { message },
            E::Illegal(e) => Self::Illegal(e),
            E::Store(e) => Self::Store(e),
            E::Internal(e) => Self::Internal(e),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, message } => Self::Invalid { field, message },
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:vouch:problem:{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code, e.g. `validation_failed`, `not_found`, `unauthorized`.
    pub code: String,
    /// The request field at fault (`referrer_reward.amount`), for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: String, field: Option<String>) -> Self {
        Self {
            kind: format!("urn:vouch:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            field,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let (detail, field) = match &self {
            Self::Invalid { field, message } => {
                (format!("{field}: {message}"), Some(field.clone()))
            }
            Self::Conflict { field, message, .. } => (message.clone(), field.clone()),
            Self::Store(StoreError::Conflict { what }) => {
                (format!("{what} already exists"), Some((*what).to_owned()))
            }
            e if status.is_server_error() => {
                tracing::error!(error = ?e, "request failed");
                (
                    "an internal error occurred; it has been logged".to_owned(),
                    None,
                )
            }
            e => (e.to_string(), None),
        };
        let unauthorized = matches!(self, Self::Unauthorized);
        let mut resp = Problem::new(status, code, detail, field).into_response();
        if unauthorized {
            // RFC 9110: a 401 names the scheme it wants.
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}
