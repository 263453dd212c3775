//! The facts the rules read before deciding one payment: which counts to ask for
//! ([`questions`]) and how the answers become [`Facts`] ([`facts`]). The live path
//! answers from the store, under the advocate's lock; the simulator and the backtest
//! answer from memory. Both ask the same questions and build the same facts, so the
//! two cannot drift apart.

use super::{value_in, Facts, Trigger, Usage};
use crate::money::{Currency, Money};
use crate::program::ProgramConfig;
use crate::Millis;

/// The payment being decided.
#[derive(Debug, Clone, Copy)]
pub struct Payment {
    pub trigger: Trigger,
    /// This step converts the referral (see [`crate::program::ProgramConfig::step`]).
    pub converts: bool,
    pub occurred_at: Millis,
    pub now: Millis,
    pub order: Option<Money>,
}

/// What the rules need counted about an advocate and the program. Counts stop at
/// their limit: beyond it the answer changes no decision, and a busy advocate then
/// costs what a quiet one does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Questions {
    /// The advocate's converted referrals (not reversed, this one excluded) since each
    /// instant, each counted up to its limit: the tier count first when the referrer's
    /// rule has tiers, then one per milestone.
    pub conversions: Vec<(Millis, i64)>,
    /// Whether `conversions` starts with the tier count.
    pub counts_tiers: bool,
    /// The advocate's standing referrer rewards since an instant.
    pub usage: Option<UsageQuestion>,
    /// The program's spend in this currency (and in points), for the budget.
    pub spend: Option<Currency>,
}

/// What the advocate's cap needs counted: their standing referrer rewards (milestones
/// left out) since `since`, up to `limit`, as friends rewarded (`per_referral`) or as
/// rewards; whether this referral already holds a slot; with a currency, their sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageQuestion {
    pub since: Millis,
    pub currency: Option<Currency>,
    pub limit: i64,
    pub per_referral: bool,
}

/// The counts, in the order they were asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    pub conversions: Vec<i64>,
    pub usage_count: i64,
    pub usage_amount: i64,
    /// This referral already has a standing referrer reward in the cap's period.
    pub this_referral_counted: bool,
    pub spend: i64,
    pub spend_points: i64,
}

/// What to count before deciding `payment` under `c`.
pub fn questions(c: &ProgramConfig, payment: &Payment) -> Questions {
    // Beyond the last tier's start (or just past its end) the count changes nothing.
    let tier_horizon = c
        .referrer_reward
        .as_ref()
        .and_then(|r| r.tiers.last())
        .map(|t| i64::from(t.to.map_or(t.from, |to| to.saturating_add(1))));
    let mut conversions = vec![];
    if let Some(limit) = tier_horizon {
        conversions.push((Millis::MIN, limit));
    }
    if payment.converts {
        for m in &c.milestones {
            conversions.push((m.period.start(payment.occurred_at), i64::from(m.referrals)));
        }
    }
    Questions {
        conversions,
        counts_tiers: tier_horizon.is_some(),
        usage: c.caps.per_advocate.as_ref().map(|cap| UsageQuestion {
            since: cap.period.start(payment.now),
            currency: cap.max_amount.map(|m| m.currency),
            limit: i64::from(cap.max_rewards.unwrap_or(u32::MAX)),
            per_referral: cap.counts == super::CapCounts::Referrals,
        }),
        spend: c.caps.budget.map(|b| b.currency),
    }
}

/// The facts for `payment`, from the answers to [`questions`].
pub fn facts(
    c: &ProgramConfig,
    payment: &Payment,
    q: &Questions,
    a: &Answers,
    has_upline: bool,
) -> Facts {
    // The counts exclude this referral; it counts once it converts now.
    let this = u32::from(payment.converts);
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX).saturating_add(this);
    let mut counts = a.conversions.iter().copied();
    let referrer_conversions = if q.counts_tiers {
        count(counts.next().unwrap_or(0))
    } else {
        this
    };
    let milestone_counts = if payment.converts {
        counts.map(count).collect()
    } else {
        vec![]
    };
    Facts {
        trigger: payment.trigger,
        converts: payment.converts,
        occurred_at: payment.occurred_at,
        now: payment.now,
        order: payment.order,
        referrer_conversions,
        milestone_counts,
        cap_usage: Usage {
            count: u32::try_from(a.usage_count).unwrap_or(u32::MAX),
            amount: a.usage_amount,
            this_referral_counted: a.this_referral_counted,
        },
        budget_spent: budget_spent(c, a),
        has_upline,
    }
}

/// What the program spent, in its budget's currency (points at their value), from the
/// answers to a question that asked for `spend`.
pub fn budget_spent(c: &ProgramConfig, a: &Answers) -> i64 {
    match c.caps.budget {
        Some(budget) => {
            let points = value_in(
                Money::new(a.spend_points, Currency::POINTS),
                budget.currency,
                c.points_value,
            );
            a.spend.saturating_add(points)
        }
        None => 0,
    }
}
