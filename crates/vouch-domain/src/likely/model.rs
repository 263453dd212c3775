//! The model of likely advocates: a logistic regression over a person's facts (fitted
//! with linfa), their score and its reasons, the ranking without a model, and the AUC.

use std::collections::BTreeMap;

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Person, FEATURES, MIN_POSITIVES, N};

/// Why a model could not be fitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unfit {
    #[error(
        "needs at least {MIN_POSITIVES} people who brought a friend who bought in the \
         horizon, and {MIN_POSITIVES} who did not; the history has {positives} and {negatives}"
    )]
    TooFew { positives: usize, negatives: usize },
    #[error("the regression did not converge: {0}")]
    Solver(String),
}

/// A fitted model: weights over standardized features.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub intercept: f64,
    pub weights: [f64; N],
    pub(super) mean: [f64; N],
    pub(super) scale: [f64; N],
    pub examples: usize,
    pub positives: usize,
}

/// One fact that raised a score, in words.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Reason {
    /// One of the model's features (`friends_bought`, `purchases`, …).
    pub feature: &'static str,
    /// The fact in plain words (English; the feature names it for translation).
    pub text: String,
}

/// L2 penalty: keeps weights of rare or correlated facts small and the fit stable.
const ALPHA: f64 = 1.0;

/// The most people a model is fitted on: eleven weights are well determined by far
/// fewer, and the solver's time grows with the rows. Larger histories are sampled
/// evenly (every k-th person), which keeps the rate of outcomes and so the scores'
/// scale.
pub const MAX_FIT: usize = 20_000;

/// Fits a model on `people` and their outcomes.
pub fn fit(all: &[Person]) -> Result<Model, Unfit> {
    let positives = all.iter().filter(|p| p.outcome()).count();
    let negatives = all.len() - positives;
    if positives < MIN_POSITIVES || negatives < MIN_POSITIVES {
        return Err(Unfit::TooFew {
            positives,
            negatives,
        });
    }
    let stride = all.len().div_ceil(MAX_FIT).max(1);
    let people: Vec<&Person> = all.iter().step_by(stride).collect();
    let n = people.len() as f64;
    let mut mean = [0.0; N];
    let mut scale = [1.0; N];
    for j in 0..N {
        mean[j] = people.iter().map(|p| p.row[j]).sum::<f64>() / n;
        let var = people
            .iter()
            .map(|p| (p.row[j] - mean[j]).powi(2))
            .sum::<f64>()
            / n;
        // A fact nobody varies on gets weight zero rather than a division by zero.
        scale[j] = if var > 1e-12 { var.sqrt() } else { 0.0 };
    }
    let z = |p: &&Person| {
        let mut row = [0.0; N];
        for j in 0..N {
            if scale[j] > 0.0 {
                row[j] = (p.row[j] - mean[j]) / scale[j];
            }
        }
        row
    };
    let records = Array2::from_shape_vec(
        (people.len(), N),
        people.iter().flat_map(z).collect::<Vec<_>>(),
    )
    .map_err(|e| Unfit::Solver(e.to_string()))?;
    let targets: Array1<bool> = people.iter().map(|p| p.outcome()).collect();
    let fitted = LogisticRegression::default()
        .alpha(ALPHA)
        .max_iterations(200)
        .fit(&Dataset::new(records, targets))
        .map_err(|e| Unfit::Solver(e.to_string()))?;
    // linfa's weights predict the more frequent outcome: turn them to predict `true`.
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let mut weights = [0.0; N];
    for (w, v) in weights.iter_mut().zip(fitted.params().iter()) {
        *w = sign * *v;
    }
    Ok(Model {
        intercept: sign * fitted.intercept(),
        weights,
        mean,
        scale,
        examples: all.len(),
        positives,
    })
}

impl Model {
    fn contributions(&self, p: &Person) -> [f64; N] {
        let mut c = [0.0; N];
        for (j, v) in c.iter_mut().enumerate() {
            if self.scale[j] > 0.0 {
                *v = self.weights[j] * (p.row[j] - self.mean[j]) / self.scale[j];
            }
        }
        c
    }

    /// The predicted chance that `p` brings a friend who buys within the horizon.
    pub fn score(&self, p: &Person) -> f64 {
        let logit = self.intercept + self.contributions(p).iter().sum::<f64>();
        1.0 / (1.0 + (-logit).exp())
    }

    /// Up to three facts that raised `p`'s score most above an average person's.
    pub fn reasons(&self, p: &Person) -> Vec<Reason> {
        let mut c: Vec<(usize, f64)> = self.contributions(p).into_iter().enumerate().collect();
        c.sort_by(|a, b| b.1.total_cmp(&a.1));
        c.into_iter()
            .filter(|(_, v)| *v > 0.05)
            .take(3)
            .map(|(j, _)| Reason {
                feature: FEATURES[j],
                text: words(j, p),
            })
            .collect()
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn words(j: usize, p: &Person) -> String {
    let a = &p.activity;
    let c = p.customer.clone().unwrap_or_default();
    match FEATURES[j] {
        "purchases" => format!("bought {}", plural(c.purchases, "time", "times")),
        "spend" => format!(
            "spent {}.{:02} {}",
            c.spend / 100,
            (c.spend % 100).abs(),
            c.currency
        ),
        "days_since_purchase" if p.customer.is_none() => "has not bought yet".into(),
        "days_since_purchase" => {
            format!("last bought {} ago", plural(p.row[2] as i64, "day", "days"))
        }
        "customer_days" => format!("a customer for {}", plural(p.row[3] as i64, "day", "days")),
        "referred" if p.row[4] > 0.0 => "came through a friend's link".into(),
        "referred" => "found the shop on their own".into(),
        "enrolled" if p.row[5] > 0.0 => "joined the program".into(),
        "enrolled" => "has not joined the program yet".into(),
        "clicks" => format!(
            "their link was opened {}",
            plural(a.clicks, "time", "times")
        ),
        "friends" => format!("referred {}", plural(a.friends, "friend", "friends")),
        "friends_bought" => format!("{} bought", plural(a.friends_bought, "friend", "friends")),
        "recent_friends_bought" => format!(
            "{} bought recently",
            plural(a.recent_friends_bought, "friend", "friends")
        ),
        "invitations" => format!(
            "sent {}",
            plural(a.invitations, "invitation", "invitations")
        ),
        _ => String::new(),
    }
}

/// Without a model (too little history): the facts that say most about bringing a
/// friend who buys, in that order: friends who bought, friends referred, link clicks,
/// purchases, then the most recent buyer.
pub fn rule_order(a: &Person, b: &Person) -> std::cmp::Ordering {
    let key = |p: &Person| {
        (
            p.activity.friends_bought,
            p.activity.friends,
            p.activity.clicks,
            p.purchases(),
            p.customer.as_ref().map_or(0, |c| c.last_purchase_at),
        )
    };
    key(b).cmp(&key(a))
}

/// Without a model: up to three of a person's facts that order them, in words.
pub fn rule_reasons(p: &Person) -> Vec<Reason> {
    let a = &p.activity;
    [
        (8, a.friends_bought),
        (7, a.friends),
        (6, a.clicks),
        (0, p.purchases()),
    ]
    .into_iter()
    .filter(|(_, v)| *v > 0)
    .take(3)
    .map(|(j, _)| Reason {
        feature: FEATURES[j],
        text: words(j, p),
    })
    .collect()
}

/// The area under the ROC curve of `scores` against `outcomes` (Mann–Whitney, ties
/// counted half); `None` when either outcome is missing.
pub fn auc(scores: &[f64], outcomes: &[bool]) -> Option<f64> {
    let mut by: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for (s, o) in scores.iter().zip(outcomes) {
        let e = by.entry(order_key(*s)).or_default();
        if *o {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let pos: u64 = by.values().map(|v| v.0).sum();
    let neg: u64 = by.values().map(|v| v.1).sum();
    if pos == 0 || neg == 0 {
        return None;
    }
    // Walk scores upwards: each positive beats the negatives below it, ties half.
    let (mut below, mut wins) = (0u64, 0.0f64);
    for (p, n) in by.values() {
        wins += *p as f64 * (below as f64 + *n as f64 / 2.0);
        below += n;
    }
    Some(wins / (pos as f64 * neg as f64))
}

/// A total order on finite floats as integers (for grouping ties).
fn order_key(v: f64) -> u64 {
    let b = v.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}
