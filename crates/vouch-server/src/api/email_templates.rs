//! Email templates: the words of each message in each language, the program's own
//! versions of them, and a preview of any of them with sample data.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_domain::ids::ProgramId;
use vouch_domain::notification::EmailKind;
use vouch_store::{EmailTemplate, Program};

use super::common::{path_id, rfc3339};
use super::emails::email_kind;
use crate::auth::{Auth, SecretAuth};
use crate::email::default_source;
use crate::error::{ApiError, Problem, Result};
use crate::extract::{ApiJson, ApiQuery};
use crate::portal::Lang;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_template))
        .routes(routes!(preview_template))
        .routes(routes!(list_program_templates))
        .routes(routes!(put_program_template, delete_program_template))
}

fn lang(raw: &str) -> Result<Lang> {
    match raw {
        "en" => Ok(Lang::En),
        "ar" => Ok(Lang::Ar),
        _ => Err(ApiError::invalid("locale", "must be en or ar")),
    }
}

/// A message's words in one language, in the template source format: header lines
/// (`subject:`, `heading:`, optional `action:` and `preheader:`), a line `---`, then
/// the body's paragraphs. Values are minijinja templates over the variables of
/// `GET /email-templates/{kind}/{locale}`'s `variables`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateOut {
    pub kind: EmailKind,
    pub locale: String,
    pub source: String,
    /// Whether this is the program's own version (else Vouch's default).
    pub customized: bool,
    /// Sent to people who unsubscribed (messages about money owed).
    pub transactional: bool,
    /// The variables and sample values a template sees.
    #[schema(value_type = Object)]
    pub variables: serde_json::Value,
    pub updated_at: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateParams {
    /// The program whose version to show (its own, or the default it uses).
    pub program_id: Option<String>,
}

async fn program(state: &AppState, auth: &Auth, raw: &str) -> Result<Program> {
    let id = path_id(raw, ProgramId::parse, "program")?;
    super::programs::find_program(state, auth, &id).await
}

async fn template_out(
    state: &AppState,
    program: Option<&Program>,
    kind: EmailKind,
    lang: Lang,
) -> Result<TemplateOut> {
    let own = match program {
        Some(p) => state.store.get_template(&p.id, kind, lang.code()).await?,
        None => None,
    };
    Ok(TemplateOut {
        kind,
        locale: lang.code().into(),
        customized: own.is_some(),
        transactional: kind.transactional(),
        variables: vouch_app::emails::context::sample(kind, program, &state.config.public_url),
        updated_at: own.as_ref().map(|t| rfc3339(t.updated_at)),
        source: own
            .map(|t| t.source)
            .unwrap_or_else(|| default_source(kind, lang).to_owned()),
    })
}

/// A message's words in one language: the default, or a program's version.
#[utoipa::path(get, path = "/email-templates/{kind}/{locale}", tag = "emails",
    params(("kind" = String, Path, description = "`welcome`, `invitation`, …"),
        ("locale" = String, Path, description = "`en` or `ar`"), TemplateParams),
    responses((status = 200, description = "The template", body = TemplateOut),
        (status = 422, description = "Unknown kind or locale", body = Problem)),
    security(("secret_key" = [])))]
async fn get_template(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path((kind, locale)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<TemplateParams>,
) -> Result<Json<TemplateOut>> {
    let kind = email_kind(&kind)?;
    let lang = lang(&locale)?;
    let p = match params.program_id {
        Some(id) => Some(program(&state, &auth, &id).await?),
        None => None,
    };
    Ok(Json(template_out(&state, p.as_ref(), kind, lang).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewIn {
    /// Words to try (default: the program's version, else the default).
    pub source: Option<String>,
    /// Use this program's name, page and version.
    pub program_id: Option<String>,
}

/// A rendered message, as it would be sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewOut {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Render a message with sample data.
#[utoipa::path(post, path = "/email-templates/{kind}/{locale}/preview", tag = "emails",
    params(("kind" = String, Path, description = "`welcome`, `invitation`, …"),
        ("locale" = String, Path, description = "`en` or `ar`")),
    request_body = PreviewIn,
    responses((status = 200, description = "Subject, HTML and text", body = PreviewOut),
        (status = 422, description = "The template does not render, and why", body = Problem)),
    security(("secret_key" = [])))]
async fn preview_template(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path((kind, locale)): Path<(String, String)>,
    ApiJson(input): ApiJson<PreviewIn>,
) -> Result<Json<PreviewOut>> {
    let kind = email_kind(&kind)?;
    let lang = lang(&locale)?;
    let p = match input.program_id {
        Some(id) => Some(program(&state, &auth, &id).await?),
        None => None,
    };
    let source = match input.source {
        Some(s) => s,
        None => template_out(&state, p.as_ref(), kind, lang).await?.source,
    };
    let ctx = vouch_app::emails::context::sample(kind, p.as_ref(), &state.config.public_url);
    let url = format!("{}/unsubscribe/preview", state.config.public_url);
    let r = state
        .emails
        .render(kind, lang, Some(&source), &ctx, &url)
        .map_err(|e| ApiError::invalid("source", e.0))?;
    Ok(Json(PreviewOut {
        subject: r.subject,
        html: r.html,
        text: r.text,
    }))
}

/// A program's own versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramTemplatesOut {
    pub data: Vec<TemplateOut>,
}

/// The messages a program has its own words for.
#[utoipa::path(get, path = "/programs/{id}/email-templates", tag = "emails",
    params(("id" = String, Path, description = "Program id")),
    responses((status = 200, description = "Its own versions", body = ProgramTemplatesOut),
        (status = 404, description = "No such program", body = Problem)),
    security(("secret_key" = [])))]
async fn list_program_templates(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path(id): Path<String>,
) -> Result<Json<ProgramTemplatesOut>> {
    let p = program(&state, &auth, &id).await?;
    let mut data = vec![];
    for t in state.store.list_templates(&p.id).await? {
        if let Ok(l) = lang(&t.locale) {
            data.push(template_out(&state, Some(&p), t.kind, l).await?);
        }
    }
    Ok(Json(ProgramTemplatesOut { data }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateIn {
    /// The words, in the template source format (at most 20000 bytes).
    pub source: String,
}

/// Give a program its own words for a message in one language. The source is
/// rendered with sample data first; one that does not render is refused with the
/// reason.
#[utoipa::path(put, path = "/programs/{id}/email-templates/{kind}/{locale}", tag = "emails",
    params(("id" = String, Path, description = "Program id"),
        ("kind" = String, Path, description = "`welcome`, `invitation`, …"),
        ("locale" = String, Path, description = "`en` or `ar`")),
    request_body = TemplateIn,
    responses((status = 200, description = "Saved", body = TemplateOut),
        (status = 404, description = "No such program", body = Problem),
        (status = 422, description = "The template does not render, and why", body = Problem)),
    security(("secret_key" = [])))]
async fn put_program_template(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path((id, kind, locale)): Path<(String, String, String)>,
    ApiJson(input): ApiJson<TemplateIn>,
) -> Result<Json<TemplateOut>> {
    let p = program(&state, &auth, &id).await?;
    let kind = email_kind(&kind)?;
    let lang = lang(&locale)?;
    let ctx = vouch_app::emails::context::sample(kind, Some(&p), &state.config.public_url);
    state
        .emails
        .render(
            kind,
            lang,
            Some(&input.source),
            &ctx,
            "https://example.com/u",
        )
        .map_err(|e| ApiError::invalid("source", e.0))?;
    state
        .store
        .put_template(&EmailTemplate {
            workspace_id: auth.workspace_id.clone(),
            program_id: p.id.clone(),
            kind,
            locale: lang.code().into(),
            source: input.source,
            updated_at: state.clock.now(),
        })
        .await?;
    Ok(Json(template_out(&state, Some(&p), kind, lang).await?))
}

/// Go back to the default words for a message in one language.
#[utoipa::path(delete, path = "/programs/{id}/email-templates/{kind}/{locale}", tag = "emails",
    params(("id" = String, Path, description = "Program id"),
        ("kind" = String, Path, description = "`welcome`, `invitation`, …"),
        ("locale" = String, Path, description = "`en` or `ar`")),
    responses((status = 204, description = "Removed"),
        (status = 404, description = "No such program or no own version", body = Problem)),
    security(("secret_key" = [])))]
async fn delete_program_template(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    Path((id, kind, locale)): Path<(String, String, String)>,
) -> Result<StatusCode> {
    let p = program(&state, &auth, &id).await?;
    let kind = email_kind(&kind)?;
    let lang = lang(&locale)?;
    if state
        .store
        .delete_template(&p.id, kind, lang.code())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound {
            what: "email template",
        })
    }
}
