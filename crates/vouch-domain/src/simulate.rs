//! Simulation: the reward rules applied to a sequence of events held in memory, so a
//! marketer can see what a configuration would pay before switching it on, and replay
//! a program's recorded events under proposed rules (a backtest).
//!
//! The simulator keeps what the store would otherwise be asked under the advocate's
//! lock: each advocate's conversions and rewards, each friend's payment count and the
//! program's spend. Attribution windows are not replayed: an event names its advocate.

use std::collections::HashMap;

use crate::event::EventKind;
use crate::money::Money;
use crate::program::ProgramConfig;
use crate::reward::Role;
use crate::rules::{evaluate, value_in, Facts, Plan, Skipped, Trigger, Usage};
use crate::Millis;

/// A payment to simulate: who referred whom, and the order.
#[derive(Debug, Clone)]
pub struct SimEvent {
    pub kind: EventKind,
    /// Any label for the advocate (a participant id in backtests).
    pub advocate: String,
    /// Any label for the friend; their first payment converts.
    pub customer: String,
    pub order: Option<Money>,
    pub occurred_at: Millis,
    /// Whether the advocate was themselves referred (multi-level).
    pub advocate_has_upline: bool,
}

/// A reward the rules would create for event `event`.
#[derive(Debug, Clone)]
pub struct SimReward {
    pub event: usize,
    /// The advocate's or friend's label; `upline of {advocate}` for the second level.
    pub participant: String,
    pub plan: Plan,
}

/// A reward the rules would refuse, and why.
#[derive(Debug, Clone)]
pub struct SimSkip {
    pub event: usize,
    pub skipped: Skipped,
}

#[derive(Default)]
struct Advocate {
    conversions: Vec<Millis>,
    /// Referrer rewards: when, and how much.
    rewards: Vec<(Millis, Money)>,
}

pub struct Simulator<'a> {
    config: &'a ProgramConfig,
    /// Friend → (their advocate, payments so far).
    friends: HashMap<String, (String, u32)>,
    advocates: HashMap<String, Advocate>,
    /// In the budget's currency.
    spent: i64,
}

impl<'a> Simulator<'a> {
    pub fn new(config: &'a ProgramConfig) -> Self {
        Self {
            config,
            friends: HashMap::new(),
            advocates: HashMap::new(),
            spent: 0,
        }
    }

    /// History before the simulated range: a conversion that tiers and milestones count.
    pub fn seed_conversion(&mut self, advocate: &str, customer: &str, at: Millis) {
        self.advocates
            .entry(advocate.to_owned())
            .or_default()
            .conversions
            .push(at);
        self.friends
            .entry(customer.to_owned())
            .or_insert_with(|| (advocate.to_owned(), 1));
    }

    /// What the program spent before the simulated range, in the budget's currency.
    pub fn seed_spend(&mut self, spent: i64) {
        self.spent = spent;
    }

    /// Applies the rules to one event and remembers what it would create.
    pub fn step(&mut self, index: usize, ev: &SimEvent) -> (Vec<SimReward>, Vec<SimSkip>) {
        if !ev.kind.is_payment() || !self.config.in_schedule(ev.occurred_at) {
            return (vec![], vec![]);
        }
        let (advocate, n) = {
            let entry = self
                .friends
                .entry(ev.customer.clone())
                .or_insert_with(|| (ev.advocate.clone(), 0));
            entry.1 = entry.1.saturating_add(1);
            entry.clone()
        };
        let trigger = match ev.kind {
            EventKind::SubscriptionPayment => Trigger::SubscriptionPayment(n),
            _ => Trigger::Purchase(n),
        };
        let at = ev.occurred_at;
        let adv = self.advocates.entry(advocate.clone()).or_default();
        if n == 1 {
            adv.conversions.push(at);
        }
        let cap = self.config.caps.per_advocate.as_ref();
        let cap_usage = cap.map_or(Usage::default(), |cap| {
            let since = cap.period.start(at);
            let in_period = adv.rewards.iter().filter(|(t, _)| *t >= since);
            let mut u = Usage::default();
            for (_, m) in in_period {
                u.count = u.count.saturating_add(1);
                if cap.max_amount.is_some_and(|max| max.currency == m.currency) {
                    u.amount = u.amount.saturating_add(m.amount);
                }
            }
            u
        });
        let facts = Facts {
            trigger,
            occurred_at: at,
            now: at,
            order: ev.order,
            referrer_conversions: u32::try_from(adv.conversions.len()).unwrap_or(u32::MAX),
            milestone_counts: self
                .config
                .milestones
                .iter()
                .map(|m| {
                    let since = m.period.start(at);
                    let n = adv.conversions.iter().filter(|t| **t >= since).count();
                    u32::try_from(n).unwrap_or(u32::MAX)
                })
                .collect(),
            cap_usage,
            budget_spent: self.spent,
            has_upline: ev.advocate_has_upline,
        };
        let decision = evaluate(&self.config.rules(), &facts);
        let mut rewards = Vec::with_capacity(decision.plans.len());
        for plan in decision.plans {
            if plan.role == Role::Referrer {
                adv.rewards.push((at, plan.money));
            }
            if let Some(b) = self.config.caps.budget {
                self.spent = self.spent.saturating_add(value_in(
                    plan.money,
                    b.currency,
                    self.config.points_value,
                ));
            }
            let participant = match plan.role {
                Role::Referrer => advocate.clone(),
                Role::Referee => ev.customer.clone(),
                Role::SecondLevel => format!("upline of {advocate}"),
                Role::Participant => ev.customer.clone(),
            };
            rewards.push(SimReward {
                event: index,
                participant,
                plan,
            });
        }
        let skips = decision
            .skipped
            .into_iter()
            .map(|skipped| SimSkip {
                event: index,
                skipped,
            })
            .collect();
        (rewards, skips)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::rules::{AdvocateCap, Period, RewardKind, RewardRule};

    fn usd() -> Currency {
        Currency::parse("c", "USD").unwrap()
    }

    fn ev(advocate: &str, customer: &str, at: Millis) -> SimEvent {
        SimEvent {
            kind: EventKind::Purchase,
            advocate: advocate.into(),
            customer: customer.into(),
            order: Some(Money::new(10_000, usd())),
            occurred_at: at,
            advocate_has_upline: false,
        }
    }

    #[test]
    fn caps_and_repeat_purchases_play_out_over_a_sequence() {
        let mut c = ProgramConfig {
            referrer_reward: Some(RewardRule::fixed(RewardKind::Credit, 1000, usd())),
            ..ProgramConfig::default()
        };
        c.caps.per_advocate = Some(AdvocateCap {
            period: Period::AllTime,
            max_rewards: Some(2),
            max_amount: None,
        });
        let mut sim = Simulator::new(&c);
        let mut paid = 0;
        let mut skipped = 0;
        for (i, e) in [
            ev("a", "f1", 1),
            ev("a", "f1", 2), // a repeat purchase: the rule pays the first only
            ev("a", "f2", 3),
            ev("a", "f3", 4), // over the cap
            ev("b", "f4", 5),
        ]
        .iter()
        .enumerate()
        {
            let (r, s) = sim.step(i, e);
            paid += r.len();
            skipped += s.len();
        }
        assert_eq!((paid, skipped), (3, 1));
    }
}
