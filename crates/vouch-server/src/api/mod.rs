//! The REST API under `/api/v1`, and its OpenAPI 3.1 description, generated from the
//! handlers' annotations so the two cannot drift.

pub mod activity;
pub mod analytics;
pub mod audit;
pub mod cohorts;
pub mod common;
pub mod contests;
pub mod coupon_pools;
pub mod docs;
pub mod email_templates;
pub mod emails;
pub mod events;
pub mod export;
pub mod holdout;
pub mod integrations;
pub mod likely;
pub mod participant_import;
pub mod participants;
pub mod payouts;
pub mod program_shapes;
pub mod programs;
pub mod redemptions;
pub mod referrals;
pub mod reviews;
pub mod rewards;
pub mod simulate;
pub mod webhook_endpoints;

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::error::Problem;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vouch API",
        description = "Referral programs: advocates, links, events, referrals and rewards.\n\n\
            Authenticate with `Authorization: Bearer sk_…`. Errors are RFC 9457 \
            `application/problem+json` documents with a stable `code` and, for \
            validation errors, the `field` at fault. Lists are newest first and \
            paginated with `limit` and `cursor` (`next_cursor` of the previous page).",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem)),
    modifiers(&Conventions)
)]
struct ApiDoc;

/// Security schemes, and the error responses every operation can give.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut OpenApiDoc) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = || {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk_… or pk_…")
                    .build(),
            )
        };
        components.add_security_scheme("secret_key", bearer());
        components.add_security_scheme("publishable_key", bearer());
        let common = [
            ("400", "Malformed request (`invalid_json`)"),
            ("401", "Missing or unknown API key (`unauthorized`)"),
            ("422", "Invalid field (`validation_failed`, with `field`)"),
            (
                "500",
                "Internal error (`internal_error`); details are logged, not returned",
            ),
        ];
        for item in doc.paths.paths.values_mut() {
            // Every GET whose answer can be a file can be asked for by a link, too.
            if let Some(get) = item.get.as_mut() {
                let files = get.responses.responses.get("200").is_some_and(|r| {
                    serde_json::to_string(r).is_ok_and(|t| t.contains("text/csv"))
                });
                if files {
                    get.parameters
                        .get_or_insert_with(Vec::new)
                        .push(format_parameter());
                }
            }
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for (status, description) in common {
                    op.responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(description)
                                .content(
                                    "application/problem+json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("Problem")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

/// `format`, the query parameter `export::format_param` reads.
fn format_parameter() -> utoipa::openapi::path::Parameter {
    use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ParameterBuilder::new()
        .name("format")
        .parameter_in(ParameterIn::Query)
        .required(utoipa::openapi::Required::False)
        .description(Some(
            "`csv`, `json` or `jsonl`: the same as asking with `Accept` (for links)",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["csv", "json", "jsonl"])),
        ))
        .build()
}

/// The API routes and the OpenAPI document describing them.
pub fn router() -> (Router<AppState>, OpenApiDoc) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            "/api/v1",
            OpenApiRouter::new()
                .merge(programs::router())
                .merge(participants::router())
                .merge(participant_import::router())
                .merge(redemptions::router())
                .merge(events::router())
                .merge(referrals::router())
                .merge(rewards::router())
                .merge(payouts::router())
                .merge(coupon_pools::router())
                .merge(integrations::router())
                .merge(webhook_endpoints::router())
                .merge(emails::router())
                .merge(email_templates::router())
                .merge(simulate::router())
                .merge(reviews::router())
                .merge(audit::router())
                .merge(activity::router())
                .merge(analytics::router())
                .merge(holdout::router())
                .merge(contests::router())
                .merge(cohorts::router())
                .merge(likely::router()),
        )
        .split_for_parts();
    let mut doc = doc;
    Conventions.modify(&mut doc);
    (router, doc)
}

/// Rejections made before a handler runs (a path that is not UTF-8, a wrong method, a
/// body of the wrong media type) come from axum as plain text: every API error is a
/// problem document, so they are rewritten as one, keeping their status.
pub async fn problems(resp: axum::response::Response) -> axum::response::Response {
    let status = resp.status();
    let is_problem = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !status.is_client_error() || is_problem {
        return resp;
    }
    let code = match status.as_u16() {
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        _ => "bad_request",
    };
    let allow = resp.headers().get(axum::http::header::ALLOW).cloned();
    let bytes = axum::body::to_bytes(resp.into_body(), 4096)
        .await
        .unwrap_or_default();
    let detail = String::from_utf8_lossy(&bytes).trim().to_owned();
    let detail = if detail.is_empty() {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        detail
    };
    let mut out =
        axum::response::IntoResponse::into_response(Problem::new(status, code, detail, None));
    if let Some(a) = allow {
        out.headers_mut().insert(axum::http::header::ALLOW, a);
    }
    out
}

/// `/api/openapi.json` and the `/api/docs` reference.
pub fn docs_router(doc: OpenApiDoc) -> Router<AppState> {
    let json = serde_json::to_value(&doc).unwrap_or_default();
    Router::new()
        .route("/api/openapi.json", get(move || async move { Json(json) }))
        .merge(docs::router())
}

/// The OpenAPI document (for `vouch openapi` and the snapshot test).
pub fn openapi() -> OpenApiDoc {
    router().1
}
