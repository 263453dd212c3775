use crate::DomainError;
use proptest::prelude::*;

use super::*;
use crate::program::{Caps, ProgramConfig};

fn usd() -> Currency {
    Currency::parse("c", "USD").unwrap()
}

fn rule(json: serde_json::Value) -> RewardRule {
    serde_json::from_value(json).unwrap()
}

fn facts(trigger: Trigger, order: i64) -> Facts {
    Facts {
        trigger,
        converts: matches!(
            trigger,
            Trigger::Purchase(1) | Trigger::SubscriptionPayment(1)
        ),
        occurred_at: 1_000,
        now: 1_000,
        order: Some(Money::new(order, usd())),
        referrer_conversions: 1,
        milestone_counts: vec![],
        cap_usage: Usage::default(),
        budget_spent: 0,
        has_upline: false,
    }
}

fn config(referrer: serde_json::Value) -> ProgramConfig {
    ProgramConfig {
        name: "p".into(),
        destination_url: "https://shop.example.com".into(),
        attribution_window_days: 30,
        referrer_reward: Some(rule(referrer)),
        ..ProgramConfig::default()
    }
}

fn amounts(d: &Decision) -> Vec<(Role, i64)> {
    d.plans.iter().map(|p| (p.role, p.money.amount)).collect()
}

#[test]
fn tiers_grow_with_the_advocates_successful_referrals() {
    let c = config(
        serde_json::json!({"kind": "credit", "currency": "USD", "tiers": [
        {"from": 1, "to": 2, "amount": 1000},
        {"from": 3, "to": 5, "amount": 1500},
        {"from": 6, "amount": 2500}]}),
    )
    .validate()
    .unwrap();
    for (n, want) in [
        (1, 1000),
        (2, 1000),
        (3, 1500),
        (5, 1500),
        (6, 2500),
        (60, 2500),
    ] {
        let mut f = facts(Trigger::Purchase(1), 5000);
        f.referrer_conversions = n;
        let d = evaluate(&c.rules(), &f);
        assert_eq!(amounts(&d), vec![(Role::Referrer, want)], "referral {n}");
        assert_eq!(d.plans[0].explanation.tier.as_ref().unwrap().to, {
            match n {
                1 | 2 => Some(2),
                3..=5 => Some(5),
                _ => None,
            }
        });
    }
}

#[test]
fn overlapping_gapped_or_misplaced_tiers_are_refused_with_the_field() {
    let field = |tiers: serde_json::Value| {
        let mut c =
            config(serde_json::json!({"kind": "credit", "currency": "USD", "tiers": tiers}));
        match c.clone().validate() {
            Err(DomainError::Invalid { field, .. }) => field,
            Ok(_) => {
                c.name.clear();
                "ok".into()
            }
        }
    };
    assert_eq!(
        field(serde_json::json!([{"from": 1, "to": 3, "amount": 1}, {"from": 2, "amount": 2}])),
        "referrer_reward.tiers[1].from"
    );
    assert_eq!(
        field(serde_json::json!([{"from": 1, "to": 3, "amount": 1}, {"from": 5, "amount": 2}])),
        "referrer_reward.tiers[1].from"
    );
    assert_eq!(
        field(serde_json::json!([{"from": 1, "amount": 1}, {"from": 2, "amount": 2}])),
        "referrer_reward.tiers[1].from"
    );
    assert_eq!(
        field(serde_json::json!([{"from": 1, "to": 0, "amount": 1}])),
        "referrer_reward.tiers[0].to"
    );
    assert_eq!(
        field(serde_json::json!([{"from": 1, "amount": -1}])),
        "referrer_reward.tiers[0].amount"
    );
    let mut c = config(serde_json::json!({"kind": "credit", "currency": "USD", "amount": 1}));
    c.referee_reward = Some(rule(
        serde_json::json!({"kind": "credit", "currency": "USD", "tiers": [{"from": 1, "amount": 1}]}),
    ));
    assert!(
        matches!(c.validate(), Err(DomainError::Invalid { field, .. }) if field == "referee_reward.tiers")
    );
}

#[test]
fn percents_over_100_and_bad_amounts_do_not_parse_or_validate() {
    assert!(serde_json::from_value::<RewardRule>(
        serde_json::json!({"kind": "credit", "percent": 101})
    )
    .is_err());
    assert!(serde_json::from_value::<RewardRule>(
        serde_json::json!({"kind": "credit", "percent": 0})
    )
    .is_err());
    assert!(serde_json::from_value::<RewardRule>(
        serde_json::json!({"kind": "credit", "percent": 12.345})
    )
    .is_err());
    assert!(serde_json::from_value::<RewardRule>(
        serde_json::json!({"kind": "credit", "amount": 5, "currency": "XYZ"})
    )
    .is_err());
    let bad = |j: serde_json::Value| match config(j).validate() {
        Err(DomainError::Invalid { field, .. }) => field,
        Ok(_) => "ok".into(),
    };
    assert_eq!(
        bad(serde_json::json!({"kind": "credit", "amount": -1, "currency": "USD"})),
        "referrer_reward.amount"
    );
    assert_eq!(
        bad(serde_json::json!({"kind": "credit", "amount": 100})),
        "referrer_reward.currency"
    );
    assert_eq!(
        bad(serde_json::json!({"kind": "credit", "amount": 1, "percent": 5, "currency": "USD"})),
        "referrer_reward.amount"
    );
    assert_eq!(
        bad(serde_json::json!({"kind": "points", "percent": 5})),
        "referrer_reward.percent"
    );
    assert_eq!(
        bad(serde_json::json!({"kind": "coupon", "currency": "USD"})),
        "referrer_reward.coupon"
    );
    assert_eq!(
        bad(serde_json::json!({"kind": "points", "amount": 50})),
        "ok"
    );
}

#[test]
fn percent_of_the_order_in_its_currency_with_a_maximum() {
    let c = config(serde_json::json!({"kind": "cash", "percent": 12.5, "max_amount": 2000}))
        .validate()
        .unwrap();
    let d = evaluate(&c.rules(), &facts(Trigger::Purchase(1), 10_000));
    assert_eq!(amounts(&d), vec![(Role::Referrer, 1250)]);
    let d = evaluate(&c.rules(), &facts(Trigger::Purchase(1), 100_000));
    assert_eq!(amounts(&d), vec![(Role::Referrer, 2000)]);
    assert_eq!(d.plans[0].explanation.capped_at, Some(2000));
    let mut f = facts(Trigger::Purchase(1), 0);
    f.order = None;
    let d = evaluate(&c.rules(), &f);
    assert!(d.plans.is_empty());
    assert_eq!(d.skipped[0].reason, SkipReason::NoOrderAmount);
    let mut f = facts(Trigger::Purchase(1), 10_000);
    f.order = Some(Money::new(10_000, Currency::parse("c", "SAR").unwrap()));
    let d = evaluate(&c.rules(), &f);
    assert_eq!(d.plans[0].money.currency.as_str(), "SAR");
}

#[test]
fn minimum_order_and_recurring_purchases() {
    let c = config(
        serde_json::json!({"kind": "credit", "amount": 500, "currency": "USD",
        "min_order_amount": 3000, "purchases": 3}),
    )
    .validate()
    .unwrap();
    let d = evaluate(&c.rules(), &facts(Trigger::Purchase(1), 2999));
    assert_eq!(d.skipped[0].reason, SkipReason::MinOrderAmount);
    for n in 1..=3 {
        let d = evaluate(&c.rules(), &facts(Trigger::Purchase(n), 3000));
        assert_eq!(amounts(&d), vec![(Role::Referrer, 500)]);
        assert_eq!(d.plans[0].trigger.key(), Trigger::Purchase(n).key());
    }
    assert!(evaluate(&c.rules(), &facts(Trigger::Purchase(4), 3000))
        .plans
        .is_empty());
    // Without `subscription_months`, only the first subscription payment earns.
    assert!(
        evaluate(&c.rules(), &facts(Trigger::SubscriptionPayment(2), 3000))
            .plans
            .is_empty()
    );
    let s = config(serde_json::json!({"kind": "credit", "percent": 20, "subscription_months": 6}))
        .validate()
        .unwrap();
    for n in 1..=6 {
        let d = evaluate(&s.rules(), &facts(Trigger::SubscriptionPayment(n), 1000));
        assert_eq!(d.plans[0].trigger.key(), format!("month:{n}"));
    }
    assert!(
        evaluate(&s.rules(), &facts(Trigger::SubscriptionPayment(7), 1000))
            .plans
            .is_empty()
    );
}

#[test]
fn boosts_multiply_between_their_instants() {
    let mut c = config(serde_json::json!({"kind": "credit", "amount": 1000, "currency": "USD"}));
    c.boosts = vec![Boost {
        starts_at: Timestamp(500),
        ends_at: Timestamp(2_000),
        multiplier: Multiplier::try_from(2.0).unwrap(),
        role: None,
    }];
    let c = c.validate().unwrap();
    let d = evaluate(&c.rules(), &facts(Trigger::Purchase(1), 1));
    assert_eq!(amounts(&d), vec![(Role::Referrer, 2000)]);
    assert_eq!(d.plans[0].explanation.base_amount, 1000);
    let mut f = facts(Trigger::Purchase(1), 1);
    f.occurred_at = 2_000;
    assert_eq!(
        amounts(&evaluate(&c.rules(), &f)),
        vec![(Role::Referrer, 1000)]
    );
}

#[test]
fn a_milestone_pays_once_when_reached_in_its_period() {
    let mut c = config(serde_json::json!({"kind": "credit", "amount": 1000, "currency": "USD"}));
    c.milestones = vec![Milestone {
        referrals: 3,
        period: Period::Month,
        reward: RewardRule::fixed(RewardKind::Credit, 5000, usd()),
    }];
    let c = c.validate().unwrap();
    for (count, bonus) in [(2, false), (3, true), (4, false)] {
        let mut f = facts(Trigger::Purchase(1), 1);
        f.milestone_counts = vec![count];
        let d = evaluate(&c.rules(), &f);
        assert_eq!(
            d.plans.iter().any(|p| p.trigger.key() == "milestone:0"),
            bonus,
            "{count}"
        );
    }
}

#[test]
fn caps_refuse_what_would_break_them_and_say_why() {
    let mut c = config(serde_json::json!({"kind": "credit", "amount": 1000, "currency": "USD"}));
    c.caps = Caps {
        per_advocate: Some(AdvocateCap {
            period: Period::Month,
            max_rewards: Some(2),
            max_amount: Some(Money::new(2500, usd())),
            counts: CapCounts::Referrals,
        }),
        budget: None,
    };
    let c = c.validate().unwrap();
    let mut f = facts(Trigger::Purchase(1), 1);
    f.cap_usage = Usage {
        count: 1,
        amount: 1000,
        ..Usage::default()
    };
    assert_eq!(evaluate(&c.rules(), &f).plans.len(), 1);
    f.cap_usage = Usage {
        count: 2,
        amount: 1000,
        ..Usage::default()
    };
    let d = evaluate(&c.rules(), &f);
    assert!(d.plans.is_empty());
    assert_eq!(d.skipped[0].reason, SkipReason::AdvocateCap);
    f.cap_usage = Usage {
        count: 1,
        amount: 2000,
        ..Usage::default()
    };
    assert_eq!(
        evaluate(&c.rules(), &f).skipped[0].reason,
        SkipReason::AdvocateCap
    );
}

#[test]
fn the_second_level_earns_a_share_of_the_referrers_reward() {
    let mut c = config(serde_json::json!({"kind": "credit", "amount": 1000, "currency": "USD"}));
    c.multi_level = Some(MultiLevel {
        percent: Percent::try_from(10.0).unwrap(),
    });
    let c = c.validate().unwrap();
    assert!(!c.warnings().is_empty());
    let mut f = facts(Trigger::Purchase(1), 1);
    assert_eq!(evaluate(&c.rules(), &f).plans.len(), 1);
    f.has_upline = true;
    assert_eq!(
        amounts(&evaluate(&c.rules(), &f)),
        vec![(Role::Referrer, 1000), (Role::SecondLevel, 100)]
    );
}

#[test]
fn periods_start_on_calendar_boundaries_in_utc() {
    // 2026-11-25T15:30:00Z, a Wednesday.
    let at = 1_795_620_600_000;
    assert_eq!(Period::Day.start(at), 1_795_564_800_000);
    assert_eq!(Period::Week.start(at), 1_795_392_000_000); // Monday 23rd
    assert_eq!(Period::Month.start(at), 1_793_491_200_000); // 1 November
    assert_eq!(Period::Year.start(at), 1_767_225_600_000); // 1 January
    assert_eq!(Period::AllTime.start(at), Millis::MIN);
}

proptest! {
    /// However events arrive, the rewards the budget admits never add up to more than it.
    #[test]
    fn the_budget_is_never_exceeded(
        budget in 1i64..50_000,
        orders in proptest::collection::vec((1i64..20_000, 1u32..5), 1..60),
        spent0 in 0i64..10_000,
    ) {
        let mut c = config(serde_json::json!({"kind": "cash", "percent": 10, "max_amount": 3000}));
        c.referee_reward = Some(RewardRule::fixed(RewardKind::Credit, 700, usd()));
        c.milestones = vec![Milestone {
            referrals: 2,
            period: Period::AllTime,
            reward: RewardRule::fixed(RewardKind::Points, 40, usd()),
        }];
        c.points_value = Some(Money::new(3, usd()));
        c.caps.budget = Some(Money::new(budget, usd()));
        let c = c.validate().unwrap();
        let mut spent = spent0.min(budget);
        let start = spent;
        let mut total = 0i64;
        for (i, (order, n)) in orders.into_iter().enumerate() {
            let mut f = facts(Trigger::Purchase(n), order);
            f.budget_spent = spent;
            f.milestone_counts = vec![u32::try_from(i % 3).unwrap()];
            let d = evaluate(&c.rules(), &f);
            let v: i64 = d.plans.iter()
                .map(|p| value_in(p.money, usd(), c.points_value))
                .sum();
            spent += v;
            total += v;
            prop_assert!(d.plans.iter().all(|p| p.money.amount > 0));
        }
        prop_assert!(start + total <= budget);
    }

    /// An advocate's rewards inside a period never exceed the cap's count or amount.
    #[test]
    fn the_advocate_cap_is_never_exceeded(
        max_rewards in 1u32..6,
        max_amount in 500i64..20_000,
        orders in proptest::collection::vec(1i64..50_000, 1..40),
    ) {
        let mut c = config(serde_json::json!({"kind": "credit", "percent": 15}));
        c.caps.per_advocate = Some(AdvocateCap {
            period: Period::Month,
            max_rewards: Some(max_rewards),
            max_amount: Some(Money::new(max_amount, usd())),
            counts: CapCounts::Rewards,
        });
        let c = c.validate().unwrap();
        let mut usage = Usage::default();
        for order in orders {
            let mut f = facts(Trigger::Purchase(1), order);
            f.cap_usage = usage;
            for p in evaluate(&c.rules(), &f).plans {
                usage.count += 1;
                usage.amount += p.money.amount;
            }
        }
        prop_assert!(usage.count <= max_rewards);
        prop_assert!(usage.amount <= max_amount);
    }

    /// Percent rewards stay within the order and the maximum, and never go negative.
    #[test]
    fn percent_rewards_are_bounded(order in 0i64..1_000_000_000, pct in 1u32..=10_000, max in 1i64..100_000) {
        let p = Percent::from_hundredths(pct).unwrap();
        let mut r = RewardRule::fixed(RewardKind::Credit, 1, usd());
        r.amount = None;
        r.currency = None;
        r.percent = Some(p);
        r.max_amount = Some(max);
        let rules = Rules {
            referrer: Some(&r),
            referee: None,
            milestones: &[],
            boosts: &[],
            advocate_cap: None,
            budget: None,
            points_value: None,
            multi_level: None,
            hold_days: 0,
        };
        for plan in evaluate(&rules, &facts(Trigger::Purchase(1), order)).plans {
            prop_assert!(plan.money.amount > 0 && plan.money.amount <= order && plan.money.amount <= max);
        }
    }
}

/// When rules pay (`on`) and what a cap counts.
mod steps;
