//! Likely advocates: who is likely to bring a friend who buys, learned from a program's
//! own history with a logistic regression over a few plain facts about each person, each
//! score with the facts that raised it most.
//!
//! A model is fitted on the people known at a cut (what each had done before it) and
//! what each did in the following `horizon` (brought at least one friend who bought, not
//! refunded). Scoring applies it to what everyone has done until now.

use std::collections::{HashMap, HashSet};

use crate::{Millis, DAY_MS};

mod model;

pub use model::{auc, fit, rule_order, rule_reasons, Model, Reason, Unfit, MAX_FIT};

/// The facts a score is made of, in the order of a feature row.
pub const FEATURES: [&str; 11] = [
    "purchases",
    "spend",
    "days_since_purchase",
    "customer_days",
    "referred",
    "enrolled",
    "clicks",
    "friends",
    "friends_bought",
    "recent_friends_bought",
    "invitations",
];
pub(crate) const N: usize = FEATURES.len();

/// Recency and tenure are capped: beyond two years they say nothing more.
const CAP_DAYS: f64 = 730.0;

/// The fewest people with each outcome a model is fitted on.
pub const MIN_POSITIVES: usize = 10;

/// A customer as known at a cut: their purchases before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFacts {
    pub customer_id: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub first_purchase_at: Millis,
    pub last_purchase_at: Millis,
    pub purchases: i64,
    /// In `currency`, minor units: the currency they paid in most often (amounts in
    /// different currencies are never added together).
    pub spend: i64,
    pub currency: String,
    /// A friend's link brought them.
    pub referred: bool,
}

/// An advocate of the program (enrolled at any time; `enrolled_at` says when).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Participant {
    pub participant_id: String,
    pub email: Option<String>,
    /// Normalized, to match customers.
    pub email_normalized: Option<String>,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub locale: String,
    pub enrolled_at: Millis,
    pub referred: bool,
    pub blocked: bool,
}

/// What an advocate did before a cut, and whether a friend bought in the horizon after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub clicks: i64,
    pub friends: i64,
    pub friends_bought: i64,
    /// Friends who bought in the horizon before the cut.
    pub recent_friends_bought: i64,
    pub invitations: i64,
    /// Friends who bought in the horizon after the cut (the outcome).
    pub bought_after: i64,
}

/// One person known to the program at a cut: a customer, an advocate, or both (matched
/// by normalized email, else external id).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Person {
    pub customer: Option<CustomerFacts>,
    pub participant: Option<Participant>,
    pub activity: Activity,
    pub row: [f64; N],
}

impl Person {
    /// Whether they brought a friend who bought in the horizon after the cut.
    pub fn outcome(&self) -> bool {
        self.activity.bought_after > 0
    }

    pub fn purchases(&self) -> i64 {
        self.customer.as_ref().map_or(0, |c| c.purchases)
    }
}

fn ln1p(v: i64) -> f64 {
    (v.max(0) as f64).ln_1p()
}

fn days(ms: Millis) -> f64 {
    (ms.max(0) as f64 / DAY_MS as f64).min(CAP_DAYS)
}

/// The people known at `cut`: customers who had bought before it and advocates enrolled
/// before it, one row each. Blocked advocates are left out. `activity` is keyed by
/// participant id.
pub fn people(
    cut: Millis,
    customers: Vec<CustomerFacts>,
    participants: &[Participant],
    activity: &HashMap<String, Activity>,
) -> Vec<Person> {
    let mut by_email: HashMap<&str, usize> = HashMap::new();
    let mut by_ext: HashMap<&str, usize> = HashMap::new();
    for (i, p) in participants.iter().enumerate() {
        if let Some(e) = p.email_normalized.as_deref() {
            by_email.insert(e, i);
        }
        if let Some(x) = p.external_id.as_deref() {
            by_ext.insert(x, i);
        }
    }
    // Spend is compared within a currency: its share of customers who spent less.
    let mut spends: HashMap<String, Vec<i64>> = HashMap::new();
    for c in &customers {
        spends.entry(c.currency.clone()).or_default().push(c.spend);
    }
    for v in spends.values_mut() {
        v.sort_unstable();
    }
    let rank = |c: &CustomerFacts| {
        spends.get(&c.currency).map_or(0.0, |v| {
            let below = v.partition_point(|x| *x < c.spend);
            let ties = v.partition_point(|x| *x <= c.spend) - below;
            (below as f64 + ties as f64 / 2.0) / v.len() as f64
        })
    };
    let mut matched: HashSet<usize> = HashSet::new();
    let mut out = vec![];
    for c in customers {
        let found = c
            .email
            .as_deref()
            .and_then(|e| by_email.get(e))
            .or_else(|| c.external_id.as_deref().and_then(|x| by_ext.get(x)))
            .copied()
            .filter(|i| !matched.contains(i));
        if let Some(i) = found {
            matched.insert(i);
        }
        let p = found.map(|i| participants[i].clone());
        if p.as_ref().is_some_and(|p| p.blocked) {
            continue;
        }
        let spend = rank(&c);
        out.push(person(cut, Some(c), spend, p, activity));
    }
    for (i, p) in participants.iter().enumerate() {
        if !matched.contains(&i) && !p.blocked && p.enrolled_at < cut {
            out.push(person(cut, None, 0.0, Some(p.clone()), activity));
        }
    }
    out
}

fn person(
    cut: Millis,
    customer: Option<CustomerFacts>,
    spend: f64,
    participant: Option<Participant>,
    activity: &HashMap<String, Activity>,
) -> Person {
    let a = participant
        .as_ref()
        .and_then(|p| activity.get(&p.participant_id))
        .copied()
        .unwrap_or_default();
    let (purchases, since, tenure) = match &customer {
        Some(c) => (
            c.purchases,
            days(cut - c.last_purchase_at),
            days(cut - c.first_purchase_at),
        ),
        None => (0, CAP_DAYS, 0.0),
    };
    let referred = customer.as_ref().is_some_and(|c| c.referred)
        || participant.as_ref().is_some_and(|p| p.referred);
    let enrolled = participant.as_ref().is_some_and(|p| p.enrolled_at < cut);
    let row = [
        ln1p(purchases),
        spend,
        since,
        tenure,
        f64::from(u8::from(referred)),
        f64::from(u8::from(enrolled)),
        ln1p(a.clicks),
        ln1p(a.friends),
        ln1p(a.friends_bought),
        ln1p(a.recent_friends_bought),
        ln1p(a.invitations),
    ];
    Person {
        customer,
        participant,
        activity: a,
        row,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_and_half_ties() {
        assert_eq!(auc(&[0.1, 0.2, 0.9], &[false, false, true]), Some(1.0));
        assert_eq!(auc(&[0.9, 0.2, 0.1], &[false, false, true]), Some(0.0));
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        // 2 positives × 2 negatives: (1 + 0.5) + (1 + 1) of 4 pairs.
        assert_eq!(
            auc(&[0.1, 0.4, 0.4, 0.8], &[false, true, false, true]),
            Some(3.5 / 4.0)
        );
        assert_eq!(auc(&[0.1], &[true]), None);
        assert_eq!(auc(&[-1.0, 0.0, 2.0], &[false, true, true]), Some(1.0));
    }

    fn customer(id: &str, email: &str, purchases: i64) -> CustomerFacts {
        CustomerFacts {
            customer_id: id.into(),
            email: Some(email.into()),
            external_id: None,
            first_purchase_at: 0,
            last_purchase_at: 10 * DAY_MS,
            purchases,
            spend: purchases * 5_000,
            currency: "USD".into(),
            referred: false,
        }
    }

    fn advocate(id: &str, email: Option<&str>, ext: Option<&str>, at: Millis) -> Participant {
        Participant {
            participant_id: id.into(),
            email: email.map(str::to_owned),
            email_normalized: email.map(str::to_owned),
            external_id: ext.map(str::to_owned),
            locale: "en".into(),
            enrolled_at: at,
            ..Participant::default()
        }
    }

    #[test]
    fn people_match_customers_to_advocates_once_and_leave_out_the_blocked() {
        let cut = 100 * DAY_MS;
        let mut blocked = advocate("par_b", Some("b@x.io"), None, 0);
        blocked.blocked = true;
        let advocates = vec![
            advocate("par_a", Some("a@x.io"), None, 0),
            advocate("par_e", None, Some("E-1"), 0),
            blocked,
            // Enrolled after the cut and never bought: not known at the cut.
            advocate("par_late", Some("late@x.io"), None, cut + 1),
            advocate("par_lone", Some("lone@x.io"), None, cut - 1),
        ];
        let mut by_ext = customer("cus_e", "other@x.io", 1);
        by_ext.external_id = Some("E-1".into());
        let customers = vec![
            customer("cus_a", "a@x.io", 3),
            by_ext,
            customer("cus_b", "b@x.io", 1),
            customer("cus_c", "c@x.io", 1),
        ];
        let mut activity = HashMap::new();
        activity.insert(
            "par_a".to_owned(),
            Activity {
                friends_bought: 2,
                bought_after: 1,
                ..Activity::default()
            },
        );
        let got = people(cut, customers, &advocates, &activity);
        let ids: Vec<(Option<&str>, Option<&str>)> = got
            .iter()
            .map(|p| {
                (
                    p.customer.as_ref().map(|c| c.customer_id.as_str()),
                    p.participant.as_ref().map(|a| a.participant_id.as_str()),
                )
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                (Some("cus_a"), Some("par_a")),
                (Some("cus_e"), Some("par_e")),
                (Some("cus_c"), None),
                (None, Some("par_lone")),
            ]
        );
        assert!(got[0].outcome());
        assert_eq!(got[0].row[8], 2f64.ln_1p());
        assert_eq!(got[0].row[5], 1.0);
        // Ten days since the last purchase, a hundred as a customer.
        assert_eq!((got[0].row[2], got[0].row[3]), (90.0, 100.0));
        assert_eq!(got[3].row[2], CAP_DAYS);
    }

    fn population(n: usize, rate: usize) -> Vec<Person> {
        // Habitual referrers (every `rate`-th) bring friends again; buyers of many
        // orders who never referred do not.
        (0..n)
            .map(|i| {
                let habitual = i % rate == 0;
                let mut c = customer(&format!("cus_{i:04}"), &format!("{i}@x.io"), 1);
                c.purchases = if habitual { 1 } else { 1 + (i % 7) as i64 };
                let a = advocate(&format!("par_{i:04}"), c.email.as_deref(), None, 0);
                let mut act = HashMap::new();
                act.insert(
                    a.participant_id.clone(),
                    Activity {
                        friends_bought: i64::from(habitual) * (1 + (i % 3) as i64),
                        bought_after: i64::from(habitual && i % (rate * 4) != 0),
                        clicks: (i % 11) as i64,
                        ..Activity::default()
                    },
                );
                people(50 * DAY_MS, vec![c], &[a], &act).remove(0)
            })
            .collect()
    }

    #[test]
    fn a_fitted_model_ranks_habitual_referrers_first_and_says_why() {
        let train = population(400, 8);
        let model = fit(&train).unwrap();
        assert_eq!(model.examples, 400);
        assert!(
            model.weights[8] > 0.5,
            "friends_bought: {:?}",
            model.weights
        );
        let test = population(200, 8);
        let outcomes: Vec<bool> = test.iter().map(Person::outcome).collect();
        let scores: Vec<f64> = test.iter().map(|p| model.score(p)).collect();
        let baseline: Vec<f64> = test.iter().map(|p| p.purchases() as f64).collect();
        let (m, b) = (
            auc(&scores, &outcomes).unwrap(),
            auc(&baseline, &outcomes).unwrap(),
        );
        assert!(m > 0.85 && m > b + 0.3, "model {m}, baseline {b}");
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)));
        let top = &test[0];
        let reasons = model.reasons(top);
        assert_eq!(reasons[0].feature, "friends_bought");
        assert_eq!(reasons[0].text, "1 friend bought");
        assert!(model
            .reasons(&test[1])
            .iter()
            .all(|r| r.feature != "friends_bought"));
    }

    #[test]
    fn a_long_history_is_sampled_evenly_and_keeps_its_counts() {
        let many = population(45_000, 8);
        let model = fit(&many).unwrap();
        assert_eq!((model.examples, model.positives), (45_000, 4_218));
        assert!(model.weights[8] > 0.5);
        let rate = model.positives as f64 / model.examples as f64;
        let mean = many.iter().map(|p| model.score(p)).sum::<f64>() / 45_000.0;
        // Close to the rate, not equal: the penalty shrinks the weights.
        assert!((mean - rate).abs() < 0.03, "mean score {mean}, rate {rate}");
    }

    #[test]
    fn spend_is_compared_within_its_currency() {
        let mut eur = customer("cus_e", "e@x.io", 1);
        (eur.spend, eur.currency) = (58_101, "EUR".into());
        let mut small_eur = customer("cus_f", "f@x.io", 1);
        (small_eur.spend, small_eur.currency) = (1_000, "EUR".into());
        let usd = customer("cus_u", "u@x.io", 1);
        let got = people(DAY_MS * 50, vec![eur, small_eur, usd], &[], &HashMap::new());
        // Half the ties count: the top of two is 0.75, the only one 0.5.
        assert_eq!(
            got.iter().map(|p| p.row[1]).collect::<Vec<_>>(),
            vec![0.75, 0.25, 0.5]
        );
        let model = Model {
            intercept: 0.0,
            weights: [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            mean: [0.0; N],
            scale: [1.0; N],
            examples: 3,
            positives: 1,
        };
        assert_eq!(model.reasons(&got[0])[0].text, "spent 581.01 EUR");
    }

    #[test]
    fn without_a_model_friends_who_bought_come_first() {
        let mut pop = population(16, 8);
        pop.sort_by(rule_order);
        assert_eq!(pop[0].activity.friends_bought, 3);
        assert_eq!(pop[1].activity.friends_bought, 1);
        assert_eq!(pop[2].activity.friends_bought, 0);
        let reasons = rule_reasons(&pop[0]);
        assert_eq!(reasons[0].text, "3 friends bought");
        assert_eq!(reasons.last().map(|r| r.feature), Some("purchases"));
    }

    #[test]
    fn too_little_history_is_refused_with_the_counts() {
        let few = population(40, 8);
        assert_eq!(
            fit(&few),
            Err(Unfit::TooFew {
                positives: 3,
                negatives: 37
            })
        );
    }
}
