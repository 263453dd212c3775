//! `/simulate`: the reward rules run over hypothetical events, or over a program's own
//! recorded payments (a backtest), without writing anything.

use std::collections::{BTreeMap, HashMap, HashSet};

use vouch_domain::attribution::ReferralStatus;
use vouch_domain::event::{EventKind, EventName};
use vouch_domain::money::{Currency, Money};
use vouch_domain::program::ProgramConfig;
use vouch_domain::reward::RewardStatus;
use vouch_domain::simulate::{SimEvent, SimReward, SimSkip, Simulator};
use vouch_domain::Millis;
use vouch_store::{Program, Store};

use crate::error::Result;

/// What a run produced.
pub struct Run {
    /// The simulated events (backtests: the recorded ones, with their ids).
    pub event_ids: Vec<Option<String>>,
    pub rewards: Vec<SimReward>,
    pub skipped: Vec<SimSkip>,
}

/// Sums per currency (points as `PTS`).
pub fn totals<'a>(money: impl Iterator<Item = Money> + 'a) -> BTreeMap<Currency, (i64, usize)> {
    let mut out: BTreeMap<Currency, (i64, usize)> = BTreeMap::new();
    for m in money {
        let e = out.entry(m.currency).or_default();
        e.0 = e.0.saturating_add(m.amount);
        e.1 += 1;
    }
    out
}

/// Runs hypothetical events in the order given.
pub fn run_events(config: &ProgramConfig, events: &[SimEvent]) -> Run {
    let mut sim = Simulator::new(config);
    let mut run = Run {
        event_ids: vec![None; events.len()],
        rewards: vec![],
        skipped: vec![],
    };
    for (i, e) in events.iter().enumerate() {
        let (r, s) = sim.step(i, e);
        run.rewards.extend(r);
        run.skipped.extend(s);
    }
    run
}

/// What the current rules actually produced for the same events.
pub struct Actual {
    /// Every reward the events created.
    pub created: BTreeMap<Currency, (i64, usize)>,
    /// Less what was cancelled, reversed or clawed back since.
    pub standing: BTreeMap<Currency, (i64, usize)>,
}

/// Replays the program's signups, custom events, purchases and subscription payments in
/// `[from, to)` under
/// `config`. Referrals converted before `from` count towards tiers and milestones;
/// rejected referrals earn nothing, as they did.
pub async fn backtest(
    store: &dyn Store,
    program: &Program,
    config: &ProgramConfig,
    from: Millis,
    to: Millis,
) -> Result<(Run, Actual)> {
    let payments = store.program_payments(&program.id, from, to).await?;
    let referrals: HashMap<_, _> = store
        .program_referrals(&program.id)
        .await?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let referred: HashSet<_> = store
        .program_referred_participants(&program.id)
        .await?
        .into_iter()
        .collect();
    let mut sim = Simulator::new(config);
    for r in referrals.values() {
        if let Some(at) = r.converted_at.filter(|at| *at < from) {
            sim.seed_conversion(
                r.referrer_participant_id.as_str(),
                r.customer_id.as_str(),
                at,
            );
        }
    }
    let mut run = Run {
        event_ids: vec![],
        rewards: vec![],
        skipped: vec![],
    };
    for e in payments {
        let Some(referral) = e.referral_id.as_ref().and_then(|id| referrals.get(id)) else {
            continue;
        };
        if referral.status == ReferralStatus::Rejected {
            continue;
        }
        let i = run.event_ids.len();
        run.event_ids.push(Some(e.id.to_string()));
        // Custom events are recorded as `custom:{name}`.
        let (kind, event) = match e.kind.as_str() {
            "subscription_payment" => (EventKind::SubscriptionPayment, None),
            "signup" => (EventKind::Signup, None),
            "arrival" => (EventKind::Arrival, None),
            k => match k.strip_prefix("custom:") {
                Some(name) => (EventKind::Custom, EventName::parse("event", name).ok()),
                None => (EventKind::Purchase, None),
            },
        };
        let ev = SimEvent {
            kind,
            event,
            advocate: referral.referrer_participant_id.to_string(),
            customer: referral.customer_id.to_string(),
            order: e.amount.zip(e.currency).map(|(a, c)| Money::new(a, c)),
            occurred_at: e.occurred_at,
            advocate_has_upline: referred.contains(&referral.referrer_participant_id),
        };
        let (r, s) = sim.step(i, &ev);
        run.rewards.extend(r);
        run.skipped.extend(s);
    }
    let rewards = store.rewards_for_events(&program.id, from, to).await?;
    let actual = Actual {
        created: totals(rewards.iter().map(|r| r.money())),
        standing: totals(
            rewards
                .iter()
                .filter(|r| !matches!(r.status, RewardStatus::Cancelled | RewardStatus::Reversed))
                .map(|r| Money::new(r.amount - r.reversed_amount, r.currency)),
        ),
    };
    Ok((run, actual))
}
