//! Likely advocates: the program's people ranked by their chance to bring a friend who
//! buys within a horizon, from a model fitted on the program's own history (see
//! `vouch_domain::likely`), with the model's score on history it was not fitted on.

use std::sync::Arc;
use std::time::Duration;

use vouch_domain::likely::{auc, fit, people, rule_order, rule_reasons, Model, Person, Reason};
use vouch_domain::{Millis, DAY_MS};
use vouch_store::{Program, Store};

use crate::error::Result;

/// One person with their score (none without a model).
pub struct Scored {
    pub person: Person,
    pub score: Option<f64>,
    pub reasons: Vec<Reason>,
}

/// How the model ranked a period it had not seen, against ranking by purchases.
pub struct Evaluation {
    pub auc: f64,
    pub baseline_auc: f64,
    pub examples: usize,
    pub positives: usize,
}

pub struct LikelyReport {
    pub horizon_days: i64,
    pub model: std::result::Result<Model, String>,
    pub evaluation: Option<Evaluation>,
    /// Everyone known to the program now, best score first; without a model, by
    /// `vouch_domain::likely::rule_order`.
    pub people: Vec<Scored>,
}

/// Fits on the situation one horizon ago and what happened since, and scores everyone
/// as of `now`. The evaluation fits the same way one horizon earlier and ranks the
/// situation one horizon ago, against what happened since.
pub async fn report(
    store: &dyn Store,
    program: &Program,
    now: Millis,
    horizon_days: i64,
) -> Result<LikelyReport> {
    let horizon = horizon_days.saturating_mul(DAY_MS);
    let cuts = [now - 2 * horizon, now - horizon, now];
    let participants = store.likely_participants(&program.id).await?;
    let customers = store.likely_customers(&program.id, &cuts).await?;
    let activity = store.likely_activity(&program.id, &cuts, horizon).await?;
    let mut known = cuts
        .iter()
        .zip(customers)
        .zip(&activity)
        .map(|((cut, c), a)| people(*cut, c, &participants, a));
    let (earlier, recent, current) = match (known.next(), known.next(), known.next()) {
        (Some(e), Some(r), Some(c)) => (e, r, c),
        _ => return Err(anyhow::anyhow!("the store answered fewer cuts than asked").into()),
    };
    let model = match fit(&recent) {
        Ok(m) => m,
        Err(e) => {
            let mut current = current;
            current.sort_by(rule_order);
            let people = current
                .into_iter()
                .map(|person| Scored {
                    score: None,
                    reasons: rule_reasons(&person),
                    person,
                })
                .collect();
            return Ok(LikelyReport {
                horizon_days,
                model: Err(e.to_string()),
                evaluation: None,
                people,
            });
        }
    };
    let evaluation = fit(&earlier).ok().and_then(|old| {
        let outcomes: Vec<bool> = recent.iter().map(Person::outcome).collect();
        let scores: Vec<f64> = recent.iter().map(|p| old.score(p)).collect();
        let baseline: Vec<f64> = recent.iter().map(|p| p.purchases() as f64).collect();
        Some(Evaluation {
            auc: auc(&scores, &outcomes)?,
            baseline_auc: auc(&baseline, &outcomes)?,
            examples: recent.len(),
            positives: outcomes.iter().filter(|o| **o).count(),
        })
    });
    let mut scored: Vec<Scored> = current
        .into_iter()
        .map(|person| Scored {
            score: Some(model.score(&person)),
            reasons: model.reasons(&person),
            person,
        })
        .collect();
    scored.sort_by(|a, b| {
        let s = |x: &Scored| x.score.unwrap_or(0.0);
        s(b).total_cmp(&s(a)).then_with(|| key(a).cmp(&key(b)))
    });
    Ok(LikelyReport {
        horizon_days,
        model: Ok(model),
        evaluation,
        people: scored,
    })
}

type Key = (String, i64, (i64, i64));

/// Reports by program and horizon, kept for ten minutes unless the number of
/// advocates or customers changes (an import, a first purchase): a large history takes
/// seconds to learn from, and a list that ignored a just-imported segment would mislead.
#[derive(Clone)]
pub struct LikelyCache(crate::cache::TtlCache<Key, Arc<LikelyReport>>);

impl Default for LikelyCache {
    fn default() -> Self {
        Self(crate::cache::TtlCache::new(Duration::from_secs(600), 256))
    }
}

impl LikelyCache {
    pub async fn report(
        &self,
        store: &dyn Store,
        program: &Program,
        now: Millis,
        horizon_days: i64,
    ) -> Result<Arc<LikelyReport>> {
        let seen = store.likely_fingerprint(&program.id).await?;
        let key = (program.id.to_string(), horizon_days, seen);
        self.0
            .get_or_load(&key, async {
                report(store, program, now, horizon_days)
                    .await
                    .map(Arc::new)
            })
            .await
    }
}

/// A stable order among equal scores.
fn key(s: &Scored) -> (&str, &str) {
    (
        s.person
            .participant
            .as_ref()
            .map_or("", |p| p.participant_id.as_str()),
        s.person
            .customer
            .as_ref()
            .map_or("", |c| c.customer_id.as_str()),
    )
}
