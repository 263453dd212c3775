//! `vouch simulate-fraud`: a month of referral traffic, honest and hostile, run through
//! the real engine on a throwaway SQLite database, and how well the default fraud
//! rules told them apart.
//!
//! Honest advocates bring friends from their own networks and devices (a tenth from the
//! same household network), over days, by link or by typed code; a few friends refund.
//! Attacks: self-referrals with a second address from the same device, with the same
//! card, or from the same network and browser; rings of fake accounts on one machine;
//! disposable addresses; bursts of signups; farms on one network range; purchases
//! seconds after the click; buy-then-refund loops; leaked codes; links posted on coupon
//! sites. A referral counts as caught when it is rejected by the fraud rules, held for
//! review, or its rewards were cancelled by a refund inside the hold.

use std::collections::HashMap;
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;
use vouch_app::enrolment::{enroll, EnrolmentInput};
use vouch_app::events::{record_event, EventInput};
use vouch_app::fraud::fingerprint;
use vouch_app::fraud::FraudData;
use vouch_app::workspaces::create_workspace;
use vouch_domain::attribution::{ReferralStatus, RejectReason};
use vouch_domain::email::Email;
use vouch_domain::event::EventKind;
use vouch_domain::ids::{ClickId, ReferralId};
use vouch_domain::money::{Currency, Money};
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;
use vouch_store::{Enrolment, NewClick, Program, ProgramStatus, Store};

mod traffic;

use traffic::*;

/// What one kind of referral came to.
#[derive(Default, Clone, Copy)]
struct Tally {
    total: usize,
    flagged: usize,
}

pub struct Report {
    pub text: String,
    pub recall: f64,
    pub false_positive_rate: f64,
}

pub async fn run(seed: u64, honest_advocates: usize, per_kind: usize) -> anyhow::Result<Report> {
    let dir = std::env::temp_dir().join(format!("vouch-fraud-sim-{}", ulid_like()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/vouch.db?mode=rwc", dir.display());
    let result = simulate(&url, seed, honest_advocates, per_kind).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn ulid_like() -> String {
    vouch_domain::ids::JobId::new().to_string()
}

async fn simulate(
    url: &str,
    seed: u64,
    honest_advocates: usize,
    per_kind: usize,
) -> anyhow::Result<Report> {
    let store: Arc<dyn Store> = Arc::new(vouch_store::connect(url).await?);
    store.migrate().await?;
    let ws = create_workspace(store.as_ref(), "Fraud simulation").await?;
    let usd = Currency::parse("currency", "USD")?;
    let clock = vouch_app::clock::Clock::system();
    let now = clock.now();
    let config = vouch_domain::program::ProgramConfig {
        name: "Fraud simulation".into(),
        destination_url: "https://shop.example.com/".into(),
        attribution_window_days: 30,
        hold_days: 14,
        referrer_reward: Some(vouch_domain::rules::RewardRule::fixed(
            vouch_domain::rules::RewardKind::Credit,
            1000,
            usd,
        )),
        referee_reward: Some(vouch_domain::rules::RewardRule::fixed(
            vouch_domain::rules::RewardKind::Credit,
            500,
            usd,
        )),
        ..Default::default()
    }
    .validate()?;
    let program = Program {
        id: vouch_domain::ids::ProgramId::new(),
        workspace_id: ws.workspace_id.clone(),
        slug: format!("fraud-sim-{}", seed),
        status: ProgramStatus::Active,
        config,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    store.insert_program(&program).await?;
    let key = store
        .get_workspace(&ws.workspace_id)
        .await?
        .map(|w| w.hash_key)
        .unwrap_or_default();
    let hasher = vouch_app::hashing::IpHasher::new(&key);
    let data = FraudData::shipped();

    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        start: now - 30 * DAY,
        advocates: vec![],
        friends: vec![],
        next: 0,
    };
    g.honest(honest_advocates);
    for _ in 0..honest_advocates / 300 {
        g.influencer(25);
    }
    g.attacks(per_kind);

    // Advocates join first, from their own network and device.
    let mut codes = vec![];
    let mut ids = vec![];
    for a in &g.advocates {
        let (fp, _) = fingerprint(store.as_ref(), &data, &ws.workspace_id, &a.context()).await?;
        let input = EnrolmentInput {
            email: Some(Email::parse("email", &a.email)?),
            name: None,
            external_id: None,
            locale: "en".into(),
            vanity_code: None,
            referred_by: None,
            fingerprint: fp,
        };
        let p = match enroll(store.as_ref(), &program, &input, now).await? {
            Enrolment::Created(p) | Enrolment::Existing(p) => p,
        };
        codes.push(
            vouch_domain::code::ReferralCode::lookup_key(&p.referral_code).unwrap_or_default(),
        );
        ids.push(p);
    }
    // Everything else in the order it happened.
    let mut steps: Vec<(Millis, Step)> = vec![];
    for (i, f) in g.friends.iter().enumerate() {
        if let Some((t, _)) = f.click {
            steps.push((t, Step::Click(i)));
        }
        if let Some(t) = f.signup {
            steps.push((t, Step::Signup(i)));
        }
        if let Some(t) = f.purchase {
            steps.push((t, Step::Purchase(i)));
        }
        if let Some(t) = f.refund {
            steps.push((t, Step::Refund(i)));
        }
    }
    steps.sort_by_key(|(t, s)| {
        (
            *t,
            match s {
                Step::Click(_) => 0,
                Step::Signup(_) => 1,
                Step::Purchase(_) => 2,
                Step::Refund(_) => 3,
            },
        )
    });
    let mut clicks: HashMap<usize, ClickId> = HashMap::new();
    let mut referrals: HashMap<usize, ReferralId> = HashMap::new();
    for (at, step) in steps {
        match step {
            Step::Click(i) => {
                let f = &g.friends[i];
                let id = ClickId::new();
                store
                    .insert_clicks(&[NewClick {
                        id: id.clone(),
                        workspace_id: ws.workspace_id.clone(),
                        program_id: program.id.clone(),
                        participant_id: ids[f.advocate].id.clone(),
                        code: codes[f.advocate].clone(),
                        occurred_at: at,
                        ip_hash: f.person.ip.as_deref().map(|ip| hasher.hash(ip)),
                        user_agent: f.person.ua.clone(),
                        referer: f.click.as_ref().and_then(|c| c.1.clone()),
                    }])
                    .await?;
                clicks.insert(i, id);
            }
            Step::Signup(i) | Step::Purchase(i) | Step::Refund(i) => {
                let f = &g.friends[i];
                let (fp, range) =
                    fingerprint(store.as_ref(), &data, &ws.workspace_id, &f.person.context())
                        .await?;
                let kind = match step {
                    Step::Signup(_) => EventKind::Signup,
                    Step::Purchase(_) => EventKind::Purchase,
                    _ => EventKind::Refund,
                };
                let input = EventInput {
                    kind,
                    email: Some(Email::parse("email", &f.person.email)?),
                    external_id: None,
                    click_id: clicks.get(&i).cloned(),
                    referral_code: (!clicks.contains_key(&i)).then(|| codes[f.advocate].clone()),
                    coupon_code: None,
                    order_id: (kind != EventKind::Signup).then(|| format!("order-{i}")),
                    amount: (kind == EventKind::Purchase).then(|| Money::new(6000, usd)),
                    occurred_at: at,
                    idempotency_key: None,
                    fingerprint: fp,
                    ip_range_hash: range,
                };
                let recorded =
                    record_event(store.as_ref(), &clock, &data, &program, &input).await?;
                let body: serde_json::Value = serde_json::from_str(&recorded.body)?;
                if let Some(id) = body["referral"]["id"].as_str().and_then(ReferralId::parse) {
                    referrals.entry(i).or_insert(id);
                }
            }
        }
    }
    // Tally what happened to each referral.
    let mut tallies: std::collections::BTreeMap<Kind, Tally> = Default::default();
    for (i, f) in g.friends.iter().enumerate() {
        let Some(id) = referrals.get(&i) else {
            continue;
        };
        let Some(r) = store.get_referral(&ws.workspace_id, id).await? else {
            continue;
        };
        let by_rules = r.review.is_some()
            || matches!(
                r.reason,
                Some(RejectReason::Fraud | RejectReason::SelfReferral)
            );
        let refunded_in_hold = {
            let mut tx = store.begin().await?;
            let rewards = tx.rewards_for_referral(id).await?;
            drop(tx);
            !rewards.is_empty() && rewards.iter().all(|w| w.status == RewardStatus::Cancelled)
        };
        // An attack whose purchase was refunded earned nothing: reversed or cancelled.
        let taken_back = refunded_in_hold || r.status == ReferralStatus::Reversed;
        let flagged = by_rules || (f.kind != Kind::Honest && taken_back);

        let t = tallies.entry(f.kind).or_default();
        t.total += 1;
        t.flagged += usize::from(flagged);
    }
    let honest = tallies.get(&Kind::Honest).copied().unwrap_or_default();
    let attacks = tallies.iter().filter(|(k, _)| **k != Kind::Honest).fold(
        Tally::default(),
        |acc, (_, t)| Tally {
            total: acc.total + t.total,
            flagged: acc.flagged + t.flagged,
        },
    );
    let recall = attacks.flagged as f64 / attacks.total.max(1) as f64;
    let fpr = honest.flagged as f64 / honest.total.max(1) as f64;
    let precision = attacks.flagged as f64 / (attacks.flagged + honest.flagged).max(1) as f64;
    let mut text = format!(
        "Fraud simulation (seed {seed}): {} honest referrals from {honest_advocates} honest \
         advocates, {} attack referrals.\n\n| Referrals | Count | Flagged | Rate |\n|---|---:|---:|---:|\n",
        honest.total, attacks.total
    );
    for (k, t) in &tallies {
        text.push_str(&format!(
            "| {} | {} | {} | {:.1}% |\n",
            k.name(),
            t.total,
            t.flagged,
            100.0 * t.flagged as f64 / t.total.max(1) as f64
        ));
    }
    text.push_str(&format!(
        "\n**Recall {:.1}%** (attacks caught), **false positives {:.2}%** of honest \
         referrals, precision {:.1}%.\n",
        100.0 * recall,
        100.0 * fpr,
        100.0 * precision
    ));
    Ok(Report {
        text,
        recall,
        false_positive_rate: fpr,
    })
}
