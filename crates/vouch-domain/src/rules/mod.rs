//! The reward rules: what each qualifying event earns, as a pure function of the
//! program's configuration and the facts the server read under the advocate's lock.
//!
//! A program has a rule per side (`referrer_reward`, `referee_reward`), and program-wide
//! tiers (inside the referrer's rule), milestones, boosts, caps, a budget, a welcome
//! reward and an optional second level. [`evaluate`] applies them all to one event and
//! says, for every reward it would create or refuse, which rule and why.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::{Currency, Money};
use crate::reward::{approve_at, Role};
use crate::{Millis, DAY_MS};

mod facts;
mod limits;
mod rule;
mod trigger;
mod units;
pub use facts::*;
pub use limits::*;
pub use rule::*;
pub use trigger::*;
pub use units::*;

/// Everything [`evaluate`] needs beyond the configuration, read by the server.
#[derive(Debug, Clone)]
pub struct Facts {
    pub trigger: Trigger,
    /// This step converts the referral (the program's goal, for the first time):
    /// milestones and the tier count include it.
    pub converts: bool,
    pub occurred_at: Millis,
    pub now: Millis,
    pub order: Option<Money>,
    /// The advocate's successful referrals, this one included when it converts now.
    pub referrer_conversions: u32,
    /// Per program milestone: the advocate's conversions in its current period, this
    /// one included.
    pub milestone_counts: Vec<u32>,
    /// The advocate's rewards in the current cap period, before this event.
    pub cap_usage: Usage,
    /// The program's spend in the budget's currency, before this event.
    pub budget_spent: i64,
    /// Whether the advocate was themselves referred (multi-level pays that person).
    pub has_upline: bool,
}

/// How a reward's amount was reached: the explanation kept with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
pub struct Explanation {
    /// `referrer_reward`, `referee_reward`, `milestones[0]`, `multi_level`, `welcome_reward`.
    pub rule: String,
    /// The amount before boosts.
    pub base_amount: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<Percent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boost: Option<Multiplier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub milestone: Option<u32>,
}

/// A reward [`evaluate`] decided to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub role: Role,
    pub trigger: RewardTrigger,
    pub kind: RewardKind,
    pub money: Money,
    pub approve_at: Millis,
    /// A copy of the rule: later edits of the program never change what was earned.
    pub rule: RewardRule,
    pub explanation: Explanation,
}

/// What one event earns: the rewards to create and the ones a limit refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub plans: Vec<Plan>,
    pub skipped: Vec<Skipped>,
}

impl Decision {
    /// Whether the payment qualifies: no rule refused it for one of its conditions. A
    /// payment that does not qualify uses up nothing (the friend's first *qualifying*
    /// purchase converts); one refused only by a limit still counts.
    pub fn qualifies(&self) -> bool {
        !self.skipped.iter().any(|s| s.reason.is_condition())
    }
}

/// Program-wide rules, next to the per-side rules in `ProgramConfig`.
pub struct Rules<'a> {
    pub referrer: Option<&'a RewardRule>,
    pub referee: Option<&'a RewardRule>,
    pub milestones: &'a [Milestone],
    pub boosts: &'a [Boost],
    pub advocate_cap: Option<&'a AdvocateCap>,
    pub budget: Option<Money>,
    pub points_value: Option<Money>,
    pub multi_level: Option<&'a MultiLevel>,
    pub hold_days: i64,
}

/// The money value of a reward in `currency`, for budgets: points count at the
/// program's point value; other currencies are not converted (so not counted).
pub fn value_in(money: Money, currency: Currency, points_value: Option<Money>) -> i64 {
    if money.currency == currency {
        return money.amount;
    }
    match points_value {
        Some(v) if money.currency == Currency::POINTS && v.currency == currency => {
            money.amount.saturating_mul(v.amount)
        }
        _ => 0,
    }
}

fn skip(role: Role, trigger: &str, reason: SkipReason, message: String) -> Skipped {
    Skipped {
        role,
        trigger: trigger.to_owned(),
        reason,
        message,
    }
}

/// A rule applied to the order: the money it gives, or why it gives nothing.
fn amount_for(
    rule: &RewardRule,
    role: Role,
    facts: &Facts,
    trigger: &str,
) -> std::result::Result<Option<(Money, Explanation)>, Skipped> {
    let mut ex = Explanation::default();
    let tier = rule.tier_for(facts.referrer_conversions.max(1));
    if !rule.tiers.is_empty() && tier.is_none() {
        return Ok(None);
    }
    ex.tier = tier.cloned();
    let (amount, percent) = match tier {
        Some(t) => (t.amount, t.percent),
        None => (rule.amount, rule.percent),
    };
    let order = facts.order.filter(|o| o.amount > 0);
    if let (Some(min), Some(rc)) = (rule.min_order_amount, rule.currency) {
        match order {
            Some(o) if o.currency != rc => {
                return Err(skip(
                    role,
                    trigger,
                    SkipReason::CurrencyMismatch,
                    format!("the order is in {}, the rule in {rc}", o.currency),
                ))
            }
            Some(o) if o.amount < min => {
                return Err(skip(
                    role,
                    trigger,
                    SkipReason::MinOrderAmount,
                    format!("the order ({o}) is below {}", Money::new(min, rc)),
                ))
            }
            None if min > 0 => {
                return Err(skip(
                    role,
                    trigger,
                    SkipReason::MinOrderAmount,
                    "the event has no order amount to compare".into(),
                ))
            }
            _ => {}
        }
    } else if let (Some(min), Some(o)) = (rule.min_order_amount, order) {
        if o.amount < min {
            return Err(skip(
                role,
                trigger,
                SkipReason::MinOrderAmount,
                format!("the order ({o}) is below {min} minor units"),
            ));
        }
    }
    let money = if rule.kind == RewardKind::Points {
        Money::new(amount.unwrap_or(0), Currency::POINTS)
    } else if let Some(p) = percent {
        let Some(o) = order else {
            return Err(skip(
                role,
                trigger,
                SkipReason::NoOrderAmount,
                "a percent reward needs the order's amount and currency".into(),
            ));
        };
        if rule.currency.is_some_and(|c| c != o.currency) {
            return Err(skip(
                role,
                trigger,
                SkipReason::CurrencyMismatch,
                format!(
                    "the order is in {}, the rule pays in {}",
                    o.currency,
                    rule.currency.map(|c| c.to_string()).unwrap_or_default()
                ),
            ));
        }
        ex.percent = Some(p);
        let mut a = p.of(o.amount);
        if let Some(max) = rule.max_amount {
            if a > max {
                a = max;
                ex.capped_at = Some(max);
            }
        }
        Money::new(a, o.currency)
    } else if rule.kind == RewardKind::Coupon {
        let value = rule
            .coupon
            .as_ref()
            .and_then(|c| c.amount)
            .unwrap_or_default();
        match rule.currency {
            Some(c) => Money::new(value, c),
            None => return Ok(None),
        }
    } else {
        match (amount, rule.currency) {
            (Some(a), Some(c)) => Money::new(a, c),
            _ => return Ok(None),
        }
    };
    ex.base_amount = money.amount;
    Ok(Some((money, ex)))
}

fn boost_at(boosts: &[Boost], role: Role, at: Millis) -> Option<Multiplier> {
    boosts
        .iter()
        .filter(|b| b.starts_at.0 <= at && at < b.ends_at.0)
        .filter(|b| b.role.is_none_or(|r| r == role))
        .map(|b| b.multiplier)
        .max_by_key(|m| m.0)
}

/// Applies every rule to one event of a referral. Limits (the advocate's cap, then the
/// budget) are checked in order, each reward against what the ones before it used.
pub fn evaluate(rules: &Rules<'_>, facts: &Facts) -> Decision {
    let mut out = Decision::default();
    let trigger = facts.trigger.key();
    // The friend's offer is for their first order: it cannot wait out a refund hold.
    let at = match facts.trigger {
        Trigger::Arrival => facts.now,
        _ => approve_at(facts.occurred_at, rules.hold_days, facts.now),
    };
    let mut wanted: Vec<Plan> = vec![];
    let sides = [
        (Role::Referrer, rules.referrer, "referrer_reward"),
        (Role::Referee, rules.referee, "referee_reward"),
    ];
    for (role, rule, name) in sides {
        let Some(rule) = rule else { continue };
        if !rule.pays(facts.trigger) {
            continue;
        }
        match amount_for(rule, role, facts, &trigger) {
            Ok(Some((mut money, mut ex))) => {
                ex.rule = name.into();
                if let Some(m) = boost_at(rules.boosts, role, facts.occurred_at) {
                    money.amount = m.apply(money.amount);
                    ex.boost = Some(m);
                }
                if money.amount <= 0 && rule.kind != RewardKind::Coupon {
                    out.skipped.push(skip(
                        role,
                        &trigger,
                        SkipReason::ZeroAmount,
                        "the reward rounds to nothing".into(),
                    ));
                    continue;
                }
                wanted.push(Plan {
                    role,
                    trigger: RewardTrigger::Payment(facts.trigger),
                    kind: rule.kind,
                    money,
                    approve_at: at,
                    rule: rule.clone(),
                    explanation: ex,
                });
            }
            Ok(None) => {}
            Err(s) => out.skipped.push(s),
        }
    }
    // Milestones and the second level follow from the conversion itself.
    if facts.converts {
        for (i, m) in rules.milestones.iter().enumerate() {
            if facts.milestone_counts.get(i) == Some(&m.referrals) {
                if let Some(money) = m.reward.fixed_money() {
                    wanted.push(Plan {
                        role: Role::Referrer,
                        trigger: RewardTrigger::Milestone(u32::try_from(i).unwrap_or(u32::MAX)),
                        kind: m.reward.kind,
                        money,
                        approve_at: at,
                        rule: m.reward.clone(),
                        explanation: Explanation {
                            rule: format!("milestones[{i}]"),
                            base_amount: money.amount,
                            milestone: Some(m.referrals),
                            ..Explanation::default()
                        },
                    });
                }
            }
        }
    }
    let mut limits = Limits {
        usage: facts.cap_usage,
        spent: facts.budget_spent,
    };
    for plan in wanted {
        limits.admit(rules, plan, &mut out);
    }
    // The second level shares only in referrer rewards the limits let through.
    if let (Some(ml), true) = (rules.multi_level, facts.has_upline) {
        let upline: Vec<Plan> = out
            .plans
            .iter()
            .filter(|p| p.role == Role::Referrer && p.kind.in_ledger())
            .filter_map(|p| {
                let amount = ml.percent.of(p.money.amount);
                (amount > 0).then(|| Plan {
                    role: Role::SecondLevel,
                    trigger: p.trigger,
                    kind: p.kind,
                    money: Money::new(amount, p.money.currency),
                    approve_at: at,
                    rule: p.rule.clone(),
                    explanation: Explanation {
                        rule: "multi_level".into(),
                        base_amount: p.money.amount,
                        percent: Some(ml.percent),
                        ..Explanation::default()
                    },
                })
            })
            .collect();
        for plan in upline {
            limits.admit(rules, plan, &mut out);
        }
    }
    out
}

/// The welcome reward for a participant who just joined, through the program's budget
/// like every other reward (caps count referrer rewards only).
pub fn welcome(rules: &Rules<'_>, rule: &RewardRule, budget_spent: i64, now: Millis) -> Decision {
    let mut out = Decision::default();
    if let Some(plan) = welcome_plan(rule, now) {
        let mut limits = Limits {
            usage: Usage::default(),
            spent: budget_spent,
        };
        limits.admit(rules, plan, &mut out);
    }
    out
}

/// The welcome reward for a participant who just joined: approved at once (there is
/// no order to refund), outside caps and tiers.
pub fn welcome_plan(rule: &RewardRule, now: Millis) -> Option<Plan> {
    let money = match (rule.kind, rule.fixed_money()) {
        (_, Some(m)) => m,
        (RewardKind::Coupon, None) => Money::new(
            rule.coupon.as_ref().and_then(|c| c.amount).unwrap_or(0),
            rule.currency?,
        ),
        _ => return None,
    };
    Some(Plan {
        role: Role::Participant,
        trigger: RewardTrigger::Welcome,
        kind: rule.kind,
        money,
        approve_at: now,
        rule: rule.clone(),
        explanation: Explanation {
            rule: "welcome_reward".into(),
            base_amount: money.amount,
            ..Explanation::default()
        },
    })
}

/// A contest's prize for `place`: approved at once, outside caps and the budget (the
/// merchant set it deliberately).
pub fn prize_plan(rule: &RewardRule, place: u32, now: Millis) -> Option<Plan> {
    let mut plan = welcome_plan(rule, now)?;
    plan.trigger = RewardTrigger::Contest(place);
    plan.explanation.rule = format!("contest_prize:{place}");
    Some(plan)
}

/// The day a coupon issued at `at` expires, if it does.
pub fn coupon_expiry(spec: &CouponSpec, at: Millis) -> Option<Millis> {
    spec.expires_in_days
        .map(|d| at.saturating_add(i64::from(d).saturating_mul(DAY_MS)))
}

#[cfg(test)]
mod tests;
