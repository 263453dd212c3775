//! Simulation: the reward rules applied to a sequence of events held in memory, so a
//! marketer can see what a configuration would pay before switching it on, and replay
//! a program's recorded events under proposed rules (a backtest).
//!
//! The simulator keeps what the store would otherwise be asked under the advocate's
//! lock: each advocate's conversions and rewards, each friend's payment count and the
//! program's spend. Attribution windows are not replayed: an event names its advocate.

use std::collections::HashMap;

use crate::event::{EventKind, EventName, Occurrence};
use crate::money::{Currency, Money};
use crate::program::ProgramConfig;
use crate::reward::Role;
use crate::rules::{
    evaluate, facts, questions, Answers, Payment, Plan, Questions, RewardTrigger, Skipped,
};
use crate::Millis;

/// A payment to simulate: who referred whom, and the order.
#[derive(Debug, Clone)]
pub struct SimEvent {
    pub kind: EventKind,
    /// For `custom` events: the event's name.
    pub event: Option<EventName>,
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
    /// Referrer rewards: when, for which friend, how much, whether a milestone.
    rewards: Vec<(Millis, String, Money, bool)>,
}

/// A friend as the store would know them.
#[derive(Clone)]
struct Friend {
    advocate: String,
    converted: bool,
    payments: u32,
    /// Triggers already paid (signup, custom events): each pays once.
    paid: Vec<String>,
}

pub struct Simulator<'a> {
    config: &'a ProgramConfig,
    friends: HashMap<String, Friend>,
    advocates: HashMap<String, Advocate>,
    /// Every reward planned so far, per currency (points as `PTS`), as the store's
    /// program spend keeps it.
    spent: HashMap<Currency, i64>,
}

impl<'a> Simulator<'a> {
    pub fn new(config: &'a ProgramConfig) -> Self {
        Self {
            config,
            friends: HashMap::new(),
            advocates: HashMap::new(),
            spent: HashMap::new(),
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
            .or_insert_with(|| Friend {
                advocate: advocate.to_owned(),
                converted: true,
                payments: 1,
                paid: vec![],
            });
    }

    /// The answers to the rules' questions, from memory, with the store's limits.
    fn answer(&self, advocate: &str, customer: &str, q: &Questions) -> Answers {
        let adv = self.advocates.get(advocate);
        let conversions = adv.map(|a| a.conversions.as_slice()).unwrap_or_default();
        let rewards = adv.map(|a| a.rewards.as_slice()).unwrap_or_default();
        let upto = |n: usize, limit: i64| i64::try_from(n).unwrap_or(i64::MAX).min(limit.max(0));
        let mut a = Answers {
            conversions: q
                .conversions
                .iter()
                .map(|(since, limit)| {
                    upto(conversions.iter().filter(|t| *t >= since).count(), *limit)
                })
                .collect(),
            ..Answers::default()
        };
        if let Some(u) = q.usage {
            let recent = || rewards.iter().filter(move |r| r.0 >= u.since);
            let slots = || recent().filter(|r| !r.3);
            a.usage_count = if u.per_referral {
                let friends: std::collections::HashSet<&String> = slots().map(|r| &r.1).collect();
                upto(friends.len(), u.limit)
            } else {
                upto(slots().count(), u.limit)
            };
            a.this_referral_counted = slots().any(|r| r.1 == customer);
            if let Some(c) = u.currency {
                a.usage_amount = recent()
                    .filter(|r| r.2.currency == c)
                    .fold(0i64, |s, r| s.saturating_add(r.2.amount));
            }
        }
        if let Some(c) = q.spend {
            a.spend = self.spent.get(&c).copied().unwrap_or(0);
            a.spend_points = self.spent.get(&Currency::POINTS).copied().unwrap_or(0);
        }
        a
    }

    /// Applies the rules to one event and remembers what it would create.
    pub fn step(&mut self, index: usize, ev: &SimEvent) -> (Vec<SimReward>, Vec<SimSkip>) {
        let occ = match (ev.kind, ev.event) {
            (EventKind::Signup, _) => Occurrence::Signup,
            (EventKind::Purchase, _) => Occurrence::Purchase,
            (EventKind::SubscriptionPayment, _) => Occurrence::SubscriptionPayment,
            (EventKind::Custom, Some(name)) => Occurrence::Custom(name),
            (EventKind::Arrival, _) => Occurrence::Arrival,
            _ => return (vec![], vec![]),
        };
        if !self.config.in_schedule(ev.occurred_at) {
            return (vec![], vec![]);
        }
        let friend = self
            .friends
            .entry(ev.customer.clone())
            .or_insert_with(|| Friend {
                advocate: ev.advocate.clone(),
                converted: false,
                payments: 0,
                paid: vec![],
            })
            .clone();
        // As on the live path: the program's goal converts, other steps pay their rules.
        let Some(step) = self.config.step(occ, friend.converted, friend.payments) else {
            return (vec![], vec![]);
        };
        let key = step.trigger.key();
        if !occ.is_payment() && friend.paid.contains(&key) {
            return (vec![], vec![]);
        }
        let advocate = friend.advocate.clone();
        let at = ev.occurred_at;
        let payment = Payment {
            trigger: step.trigger,
            converts: step.converts,
            occurred_at: at,
            now: at,
            order: ev.order,
        };
        // The same questions and facts as the live path; only the answers come from
        // memory instead of the store.
        let q = questions(self.config, &payment);
        let answers = self.answer(&advocate, &ev.customer, &q);
        let facts = facts(self.config, &payment, &q, &answers, ev.advocate_has_upline);
        let decision = evaluate(&self.config.rules(), &facts);
        let skips = |skipped: Vec<Skipped>| {
            skipped
                .into_iter()
                .map(|skipped| SimSkip {
                    event: index,
                    skipped,
                })
                .collect()
        };
        // As on the live path, only a qualifying step converts the friend.
        if step.converts && !decision.qualifies() {
            return (vec![], skips(decision.skipped));
        }
        if let Some(f) = self.friends.get_mut(&ev.customer) {
            if step.converts {
                f.converted = true;
            }
            if f.converted && occ.is_payment() {
                f.payments = f.payments.saturating_add(1);
            }
            // As on the live path, a step pays once: a step all of whose rewards a
            // limit refused may pay when it comes again.
            if !occ.is_payment() && !decision.plans.is_empty() {
                f.paid.push(key);
            }
        }
        let adv = self.advocates.entry(advocate.clone()).or_default();
        // Counted from the next step on, as the store counts committed conversions.
        if step.converts {
            adv.conversions.push(at);
        }
        let mut rewards = Vec::with_capacity(decision.plans.len());
        for plan in decision.plans {
            if plan.role == Role::Referrer {
                let milestone = matches!(plan.trigger, RewardTrigger::Milestone(_));
                adv.rewards
                    .push((at, ev.customer.clone(), plan.money, milestone));
            }
            let spent = self.spent.entry(plan.money.currency).or_default();
            *spent = spent.saturating_add(plan.money.amount);
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
        (rewards, skips(decision.skipped))
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
            event: None,
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
            counts: crate::rules::CapCounts::Referrals,
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
