//! Extractors that turn bad input into problem responses naming the field, instead of
//! axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Malformed JSON is a 400 (`invalid_json`); well-formed JSON of the wrong
/// shape is a 422 naming the field (`customer.email`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A body that may be empty: empty (or blank) is `T::default()`, else JSON as for
/// [`ApiJson`].
pub fn optional_json<T: DeserializeOwned + Default>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(bytes)
}

/// Where the first NUL character is in a JSON document (a key or a string), as a path
/// (`customer.name`, `items[2]`); PostgreSQL cannot store it in text, so every body is
/// refused with it, on both backends alike.
fn nul_path(v: &serde_json::Value, at: &str) -> Option<String> {
    let join = |k: &str| {
        if at.is_empty() {
            k.to_owned()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        serde_json::Value::String(s) if s.contains('\0') => Some(if at.is_empty() {
            "body".into()
        } else {
            at.to_owned()
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_path(x, &format!("{at}[{i}]"))),
        serde_json::Value::Object(m) => m.iter().find_map(|(k, x)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "")))
            } else {
                nul_path(x, &join(k))
            }
        }),
        _ => None,
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Every body of this API is an object; serde would take an array for a struct.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::invalid("body", "must be a JSON object"));
    }
    // Only a `\u0000` escape can put NUL in JSON text: look closer only then.
    if bytes.windows(6).any(|w| w == b"\\u0000") {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) {
            if let Some(field) = nul_path(&v, "") {
                return Err(ApiError::invalid(
                    field,
                    "must not contain the NUL character (\\u0000)",
                ));
            }
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { String::new() } else { path };
                let message = clean_serde_message(&inner.to_string());
                // A missing field is reported by serde on the parent; name the field.
                match message.strip_prefix("missing field `") {
                    Some(rest) => {
                        let name = rest.split('`').next().unwrap_or_default();
                        let full = if field.is_empty() {
                            name.to_owned()
                        } else {
                            format!("{field}.{name}")
                        };
                        ApiError::invalid(full, "is required")
                    }
                    None => ApiError::invalid(
                        if field.is_empty() {
                            "body".into()
                        } else {
                            field
                        },
                        message,
                    ),
                }
            }
            _ => ApiError::BadRequest {
                code: "invalid_json",
                message: format!("the body is not valid JSON: {inner}"),
            },
        }
    })
}

/// serde's messages end with " at line 1 column 42"; the field path says more.
fn clean_serde_message(m: &str) -> String {
    match m.rfind(" at line ") {
        Some(i) => m[..i].to_owned(),
        None => m.to_owned(),
    }
}

/// A query string; a bad value is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        if let Some((k, _)) =
            form_urlencoded::parse(q.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::invalid(
                k.replace('\0', ""),
                "must not contain the NUL character",
            ));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError::invalid(
                    if path == "." { "query".into() } else { path },
                    e.into_inner().to_string(),
                )
            })
    }
}
