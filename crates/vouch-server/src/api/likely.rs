//! `GET /analytics/likely-advocates`: the program's customers and advocates ranked by
//! their predicted chance to bring a friend who buys, each with the facts behind the
//! score, and how well the model ranked history it was not fitted on. JSON or CSV (the
//! CSV's columns are those the participant import reads, so a segment can be invited).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vouch_app::likely::Scored;
use vouch_domain::likely::{Reason, FEATURES};

use super::analytics::csv_download;
use super::export::{csv_table, wanted, Format};
use super::programs::program_field;
use crate::auth::SecretAuth;
use crate::error::{ApiError, Problem, Result};
use crate::extract::ApiQuery;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(likely_advocates))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LikelyParams {
    pub program_id: String,
    /// The chance is of bringing a friend who buys within this many days (7–365,
    /// default 90); the model learns from the same span of history.
    #[param(minimum = 7, maximum = 365)]
    pub horizon_days: Option<i64>,
    /// How many people to list, best first (1–1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// `false`: only customers not yet enrolled (a segment to invite); `true`: only
    /// advocates. Both when absent.
    pub enrolled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Weight {
    /// `purchases`, `spend` (the share of customers paying in the same currency who
    /// spent less), `days_since_purchase`, `customer_days`, `referred`,
    /// `enrolled`, `clicks`, `friends`, `friends_bought`, `recent_friends_bought`,
    /// `invitations`.
    pub feature: &'static str,
    /// Per standard deviation of the feature, on the log-odds scale.
    pub weight: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluationOut {
    /// Area under the ROC curve of the model fitted one horizon earlier, ranking the
    /// people known one horizon ago against whether they brought a friend who bought
    /// since (0.5 is chance, 1 perfect).
    pub auc: f64,
    /// The same for ranking by number of purchases.
    pub baseline_auc: f64,
    pub baseline: &'static str,
    pub examples: usize,
    pub positives: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelOut {
    pub method: &'static str,
    /// People known one horizon ago, and how many of them brought a friend who bought
    /// since: what the model is fitted on.
    pub examples: usize,
    pub positives: usize,
    pub intercept: f64,
    pub weights: Vec<Weight>,
    /// Null when the earlier history is too short to fit on.
    pub evaluation: Option<EvaluationOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LikelyAdvocate {
    /// Null for a customer who has not joined the program.
    pub participant_id: Option<String>,
    /// Null for an advocate who has not bought.
    pub customer_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub locale: Option<String>,
    pub enrolled: bool,
    /// The predicted chance (0–1) to bring a friend who buys within the horizon; null
    /// without a model.
    pub score: Option<f64>,
    pub purchases: i64,
    pub friends_bought: i64,
    /// Up to three facts that raised the score most.
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LikelyOut {
    pub program_id: String,
    pub horizon_days: i64,
    /// `model`: by the model's score. `rule`: the history is too short to learn from
    /// (`reason` says why), so people are ordered by friends who bought, friends
    /// referred, link clicks, purchases, then the latest purchase.
    pub ranking: &'static str,
    /// Null when the history is too short to learn from.
    pub model: Option<ModelOut>,
    pub reason: Option<String>,
    /// How many people the program knows (customers who bought, and advocates).
    pub people: usize,
    pub data: Vec<LikelyAdvocate>,
}

const METHOD: &str = "logistic regression (L2, standardized features) fitted on the people \
    known one horizon ago and whether each brought a friend who bought, not refunded, since";

fn row(s: &Scored) -> LikelyAdvocate {
    let p = &s.person;
    let c = p.customer.as_ref();
    let a = p.participant.as_ref();
    LikelyAdvocate {
        participant_id: a.map(|a| a.participant_id.clone()),
        customer_id: c.map(|c| c.customer_id.clone()),
        email: a
            .and_then(|a| a.email.clone())
            .or_else(|| c.and_then(|c| c.email.clone())),
        name: a.and_then(|a| a.name.clone()),
        external_id: a
            .and_then(|a| a.external_id.clone())
            .or_else(|| c.and_then(|c| c.external_id.clone())),
        locale: a.map(|a| a.locale.clone()),
        enrolled: a.is_some(),
        score: s.score,
        purchases: p.purchases(),
        friends_bought: p.activity.friends_bought,
        reasons: s.reasons.clone(),
    }
}

#[derive(Serialize)]
struct CsvRow {
    email: Option<String>,
    name: Option<String>,
    locale: Option<String>,
    external_id: Option<String>,
    score: String,
    reasons: String,
    enrolled: bool,
    vouch_participant_id: Option<String>,
    vouch_customer_id: Option<String>,
}

/// The people most likely to bring a friend who buys.
///
/// Learned from the program's own history: a logistic regression over what each person
/// had done one horizon ago (purchases, spend against other customers paying in the
/// same currency, recency, whether a friend's link brought
/// them, whether and since when they advocate, their link's clicks, friends referred
/// (not refused or refunded) and friends who bought, invitations sent), fitted on
/// whether each then brought a friend who bought. Scores are for the next horizon from
/// now. A history too short to learn from (fewer than ten people who brought a buying
/// friend in the last horizon, or ten who did not) is ranked by a stated rule instead
/// (`ranking: rule`). `model.evaluation`
/// reports how a model fitted one horizon earlier ranked the last horizon, against
/// ranking by purchases. With `Accept: text/csv`, the list has the columns the
/// participant import reads (`email`, `name`, `locale`, `external_id`), so the
/// customers not yet enrolled (`enrolled=false`) can be invited by importing it with
/// `welcome_email=true`.
#[utoipa::path(get, path = "/analytics/likely-advocates", tag = "analytics",
    params(LikelyParams),
    responses((status = 200, description = "Ranked people (JSON, or CSV with `Accept: text/csv`)", body = LikelyOut),
        (status = 404, description = "No such program", body = Problem),
        (status = 422, description = "A parameter is not valid", body = Problem)),
    security(("secret_key" = [])))]
async fn likely_advocates(
    State(state): State<AppState>,
    SecretAuth(auth): SecretAuth,
    ApiQuery(p): ApiQuery<LikelyParams>,
    headers: HeaderMap,
) -> Result<Response> {
    let program = program_field(&state, &auth, &p.program_id).await?;
    let horizon_days = p.horizon_days.unwrap_or(90);
    if !(7..=365).contains(&horizon_days) {
        return Err(ApiError::invalid("horizon_days", "must be from 7 to 365"));
    }
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 1000"));
    }
    let r = state
        .likely
        .report(
            state.store.as_ref(),
            &program,
            state.clock.now(),
            horizon_days,
        )
        .await?;
    let people = r.people.len();
    let data: Vec<LikelyAdvocate> = r
        .people
        .iter()
        .filter(|s| {
            p.enrolled
                .is_none_or(|e| e == s.person.participant.is_some())
        })
        .take(limit)
        .map(row)
        .collect();
    if wanted(&headers) == Format::Csv {
        let rows: Vec<CsvRow> = data
            .into_iter()
            .map(|d| CsvRow {
                email: d.email,
                name: d.name,
                locale: d.locale,
                external_id: d.external_id,
                score: d.score.map(|v| format!("{v:.4}")).unwrap_or_default(),
                reasons: d
                    .reasons
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                enrolled: d.enrolled,
                vouch_participant_id: d.participant_id,
                vouch_customer_id: d.customer_id,
            })
            .collect();
        const COLUMNS: [&str; 9] = [
            "email",
            "name",
            "locale",
            "external_id",
            "score",
            "reasons",
            "enrolled",
            "vouch_participant_id",
            "vouch_customer_id",
        ];
        return Ok(csv_download(
            "vouch-likely-advocates.csv",
            csv_table(&COLUMNS, &rows),
        ));
    }
    let (model, reason) = match &r.model {
        Ok(m) => (
            Some(ModelOut {
                method: METHOD,
                examples: m.examples,
                positives: m.positives,
                intercept: m.intercept,
                weights: FEATURES
                    .iter()
                    .zip(m.weights)
                    .map(|(f, w)| Weight {
                        feature: f,
                        weight: w,
                    })
                    .collect(),
                evaluation: r.evaluation.as_ref().map(|e| EvaluationOut {
                    auc: e.auc,
                    baseline_auc: e.baseline_auc,
                    baseline: "most purchases",
                    examples: e.examples,
                    positives: e.positives,
                }),
            }),
            None,
        ),
        Err(e) => (None, Some(e.clone())),
    };
    Ok(Json(LikelyOut {
        program_id: program.id.to_string(),
        horizon_days,
        ranking: if model.is_some() { "model" } else { "rule" },
        model,
        reason,
        people,
        data,
    })
    .into_response())
}
