//! Vouch's HTTP server: the REST API (`api`), referral links (`links`), advocate pages
//! (`portal`), operations endpoints (`ops`) and the background job worker (`jobs`).
//! `engine` composes domain decisions with store transactions for all of them.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod config;
pub mod email;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod jobs;
pub mod links;
pub mod ops;
pub mod portal;
pub mod state;
pub mod storefront;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use vouch_store::Store;

pub use config::Config;
pub use state::AppState;

use crate::error::ApiError;
use crate::portal::{not_found_page, Lang, Pages};

/// Request bodies larger than this are refused (413): events and forms are small.
const BODY_LIMIT: usize = 64 * 1024;

/// Builds the state and the full router. The click writer task starts here.
pub fn build(store: Arc<dyn Store>, config: Config) -> anyhow::Result<(AppState, Router)> {
    let clicks = links::ClickWriter::spawn(store.clone());
    let fraud = Arc::new(state::FraudData::load(
        config.disposable_domains.as_deref(),
        config.hash_secret.clone(),
    )?);
    let state = AppState {
        fraud,
        clock: config.clock.clone(),
        likely: vouch_app::likely::LikelyCache::default(),
        store,
        config: Arc::new(config),
        clicks,
        links: links::LinkCache::default(),
        keys: auth::KeyCache::default(),
        programs: vouch_app::cache::TtlCache::new(std::time::Duration::from_secs(5), 10_000),
        pages: Arc::new(Pages::load()?),
        emails: Arc::new(email::Renderer::load()?),
        metrics: ops::metrics_handle(),
    };
    let router = router(state.clone(), Router::new());
    Ok((state, router))
}

/// The application's routes, plus `extra` routes sharing the same layers (the redirect
/// benchmark mounts its baseline handler this way).
pub fn router(state: AppState, extra: Router<AppState>) -> Router {
    let (api, doc) = api::router();
    let api = api
        .layer(axum::middleware::from_fn(api::export::format_param))
        .layer(axum::middleware::map_response(api::problems));
    // Browsers on the merchant's site call the API with a publishable key (signups).
    // Authentication is a bearer header, never a cookie, so any origin may call.
    let api = api.layer(
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::POST, Method::PATCH])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                HeaderName::from_static("idempotent-replayed"),
                ops::REQUEST_ID,
            ]),
    );
    Router::new()
        .route("/", get(home))
        .merge(api)
        .merge(api::docs_router(doc))
        .merge(links::router())
        .merge(portal::router())
        .merge(hooks::router())
        .merge(storefront::router())
        .merge(ops::router())
        .merge(extra)
        .fallback(fallback)
        .layer(axum::middleware::from_fn(ops::track_requests))
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            strict_transport,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get(ops::REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                // One line per request at debug: at link-redirect rates, info would
                // spend more time logging than serving.
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        .layer(PropagateRequestIdLayer::new(ops::REQUEST_ID))
        .layer(SetRequestIdLayer::new(ops::REQUEST_ID, ops::UlidRequestId))
        .with_state(state)
}

/// Served over HTTPS (a public URL that says so): browsers are told to keep to it.
async fn strict_transport(
    axum::extract::State(state): axum::extract::State<AppState>,
    mut resp: Response,
) -> Response {
    if state.config.public_url.starts_with("https://") {
        resp.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            header::HeaderValue::from_static("max-age=31536000"),
        );
    }
    resp
}

async fn home() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html lang=en><meta charset=utf-8>",
        "<meta name=viewport content=\"width=device-width, initial-scale=1\">",
        "<title>Vouch</title><body style=\"font-family:system-ui;max-width:40rem;margin:2rem auto;padding:0 1rem\">",
        "<h1>Vouch</h1><p>Referral programs: links, codes, attribution and rewards.</p>",
        "<ul><li><a href=\"/api/docs\">API reference</a></li>",
        "<li><a href=\"/api/openapi.json\">OpenAPI document</a></li>",
        "<li><a href=\"/healthz\">Health</a></li></ul></body></html>"
    ))
}

async fn fallback(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
) -> Response {
    if req.uri().path().starts_with("/api/") {
        return ApiError::NotFound { what: "route" }.into_response();
    }
    let lang = Lang::from_headers(None, req.headers());
    let mut resp = not_found_page(&state, lang);
    *resp.status_mut() = StatusCode::NOT_FOUND;
    resp
}

/// Serves until `shutdown` resolves, with the job worker alongside when configured.
pub async fn serve(
    listener: TcpListener,
    store: Arc<dyn Store>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let run_jobs = config.run_jobs;
    let poll = config.job_poll;
    let clock = config.clock.clone();
    let webhooks = vouch_app::webhooks::delivery::Delivery {
        sender: Some(Arc::new(webhooks::HttpSender::new(
            config.webhook_allow_private,
        ))),
        server_secret: config.hash_secret.clone(),
    };
    let (state, app) = build(store.clone(), config.clone())?;
    let postman: Option<Arc<dyn vouch_app::emails::Postman>> =
        match (&config.smtp_url, &config.email_dir) {
            (Some(url), _) => Some(Arc::new(email::postman::MailPostman::smtp(
                state.emails.clone(),
                url,
                &config.sender(),
                config.smtp_ca_file.as_deref(),
            )?)),
            (None, Some(dir)) => Some(Arc::new(email::postman::MailPostman::files(
                state.emails.clone(),
                dir.clone(),
                &config.sender(),
            )?)),
            (None, None) => None,
        };
    let senders = vouch_app::jobs::Senders {
        webhooks,
        mailing: vouch_app::emails::Mailing {
            postman,
            public_url: config.public_url.clone(),
            server_secret: config.hash_secret.clone(),
        },
    };
    let cancel = CancellationToken::new();
    let worker = run_jobs.then(|| {
        tokio::spawn(jobs::run_worker(
            store,
            clock,
            poll,
            config.rollup_every,
            senders,
            cancel.clone(),
        ))
    });
    // Wrapping the router (not `Router::layer`) so the path is normalized before routing.
    let app = NormalizePathLayer::trim_trailing_slash().layer(app);
    axum::serve(
        listener,
        axum::ServiceExt::<Request>::into_make_service_with_connect_info::<SocketAddr>(app),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    cancel.cancel();
    if let Some(w) = worker {
        let _ = w.await;
    }
    drop(state);
    Ok(())
}
