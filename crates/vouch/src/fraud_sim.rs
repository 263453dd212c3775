//! `vouch simulate-fraud` and `vouch evaluate-fraud`: referral traffic, honest and
//! hostile, replayed through the real engine on a throwaway SQLite database, and how
//! well the default fraud rules told them apart.
//!
//! The simulation's own month (written knowing the rules): ordinary friends, households
//! on the advocate's Wi-Fi with the same phone model, offices behind one NAT with the
//! corporate browser, viral posts with buyers who decide in seconds, carriers and VPN
//! exits shared by strangers, ordinary returns. Attacks: self-referrals (same device,
//! same card, same network and browser without a device id), email aliases (tags,
//! dots, equivalent domains, look-alike letters), rings paying with one card, device
//! farms spread over fake accounts, disposable addresses, bursts from proxy pools,
//! range farms, scripted checkouts, refund loops inside and after the hold, a code
//! leaked under the daily limit, coupon sites. The evaluation replays a file in the
//! same format written from a brief that names only kinds of behaviour (`eval/fraud/`).

use rand::rngs::StdRng;
use rand::SeedableRng;

mod attacks;
mod story;
mod traffic;

pub use story::Traffic;
use traffic::*;

pub struct Report {
    pub text: String,
    pub recall: f64,
    pub false_positive_rate: f64,
}

/// The simulation's own traffic, replayed.
pub async fn run(seed: u64, honest_advocates: usize, per_kind: usize) -> anyhow::Result<Report> {
    let traffic = generate(seed, honest_advocates, per_kind);
    let outcome = story::replay_in_temp(&traffic).await?;
    Ok(Report {
        text: outcome.report(&format!("Fraud simulation (seed {seed})")),
        recall: outcome.recall(),
        false_positive_rate: outcome.false_positive_rate(),
    })
}

/// A traffic file (see `eval/fraud/README.md`), replayed.
pub async fn evaluate(path: &std::path::Path) -> anyhow::Result<Report> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    let traffic: Traffic = serde_json::from_str(&text)?;
    let outcome = story::replay_in_temp(&traffic).await?;
    let title = match traffic.generator.as_str() {
        "" => format!("Fraud evaluation ({})", path.display()),
        g => format!("Fraud evaluation ({g})"),
    };
    Ok(Report {
        text: outcome.report(&title),
        recall: outcome.recall(),
        false_positive_rate: outcome.false_positive_rate(),
    })
}

/// The simulation's month as stories.
fn generate(seed: u64, honest_advocates: usize, per_kind: usize) -> Traffic {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        start: 0,
        advocates: vec![],
        friends: vec![],
        next: 0,
    };
    g.honest(honest_advocates);
    for _ in 0..honest_advocates / 300 {
        g.influencer(60);
    }
    g.attacks(per_kind);
    let secs = |ms: vouch_domain::Millis| ms / 1000;
    let advocates = g
        .advocates
        .iter()
        .enumerate()
        .map(|(i, p)| story::Advocate {
            id: format!("a{i}"),
            email: p.email.clone(),
            joined_at: 0,
            ip: p.ip.clone(),
            user_agent: p.ua.clone(),
            device_id: p.device.clone(),
            payment_fingerprint: p.card.clone(),
        })
        .collect();
    let referrals = g
        .friends
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let at = |kind: &str, t: vouch_domain::Millis, card: bool| story::Step {
                kind: kind.into(),
                at: secs(t),
                ip: f.person.ip.clone(),
                user_agent: f.person.ua.clone(),
                device_id: (kind != "click").then(|| f.person.device.clone()).flatten(),
                payment_fingerprint: card.then(|| f.person.card.clone()).flatten(),
                referer: None,
                amount: Some(6000),
                order_id: Some(format!("order-{i}")),
            };
            let mut events = vec![];
            if let Some((t, referer)) = &f.click {
                events.push(story::Step {
                    referer: referer.clone(),
                    amount: None,
                    order_id: None,
                    ..at("click", *t, false)
                });
            }
            if let Some(t) = f.signup {
                events.push(story::Step {
                    amount: None,
                    order_id: None,
                    ..at("signup", t, false)
                });
            }
            if let Some(t) = f.purchase {
                events.push(at("purchase", t, true));
            }
            if let Some(t) = f.refund {
                events.push(at("refund", t, true));
            }
            story::Story {
                id: format!("r{i}"),
                advocate: format!("a{}", f.advocate),
                label: if f.kind.honest() { "honest" } else { "fraud" }.into(),
                case: f.kind.name().into(),
                email: Some(f.person.email.clone()),
                events,
            }
        })
        .collect();
    Traffic {
        generator: format!("vouch simulate-fraud --seed {seed}"),
        advocates,
        referrals,
    }
}
