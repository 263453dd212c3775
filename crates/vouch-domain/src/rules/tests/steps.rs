//! When a rule pays (`on`), and what the advocate's cap counts.

use super::*;

#[test]
fn milestones_take_no_slot_and_a_friend_rewarded_holds_theirs() {
    let mut c = config(
        serde_json::json!({"kind": "credit", "amount": 1000, "currency": "USD",
        "purchases": 3}),
    );
    c.milestones = vec![Milestone {
        referrals: 2,
        period: Period::AllTime,
        reward: rule(serde_json::json!({"kind": "credit", "amount": 5000, "currency": "USD"})),
    }];
    c.caps.per_advocate = Some(AdvocateCap {
        period: Period::AllTime,
        max_rewards: Some(2),
        max_amount: None,
        counts: CapCounts::Referrals,
    });
    let c = c.validate().unwrap();
    // The second friend converts: their reward and the bonus, with one slot left used.
    let mut f = facts(Trigger::Purchase(1), 1000);
    f.milestone_counts = vec![2];
    f.cap_usage = Usage {
        count: 1,
        amount: 0,
        this_referral_counted: false,
    };
    let d = evaluate(&c.rules(), &f);
    assert_eq!(
        amounts(&d),
        vec![(Role::Referrer, 1000), (Role::Referrer, 5000)]
    );
    // At the cap, a friend already rewarded is still paid for their later purchases…
    let mut f = facts(Trigger::Purchase(2), 1000);
    f.cap_usage = Usage {
        count: 2,
        amount: 0,
        this_referral_counted: true,
    };
    assert_eq!(evaluate(&c.rules(), &f).plans.len(), 1);
    // …a new friend is not, and counting rewards, neither is the repeat.
    f.cap_usage.this_referral_counted = false;
    assert_eq!(
        evaluate(&c.rules(), &f).skipped[0].reason,
        SkipReason::AdvocateCap
    );
    let mut by_reward = c.clone();
    if let Some(cap) = by_reward.caps.per_advocate.as_mut() {
        cap.counts = CapCounts::Rewards;
    }
    f.cap_usage.this_referral_counted = true;
    assert!(evaluate(&by_reward.rules(), &f).plans.is_empty());
}

#[test]
fn rules_name_their_step_consistently() {
    let bad = [
        (
            serde_json::json!({"kind": "credit", "amount": 1, "currency": "USD", "on": "event"}),
            "event",
        ),
        (
            serde_json::json!({"kind": "credit", "amount": 1, "currency": "USD", "event": "x"}),
            "event",
        ),
        (
            serde_json::json!({"kind": "credit", "percent": 10, "on": "signup"}),
            "percent",
        ),
        (
            serde_json::json!({"kind": "credit", "amount": 1, "currency": "USD", "on": "arrival"}),
            "on",
        ),
        (
            serde_json::json!({"kind": "credit", "amount": 1, "currency": "USD", "on": "signup", "purchases": 2}),
            "purchases",
        ),
        (
            serde_json::json!({"kind": "credit", "amount": 1, "currency": "PTS"}),
            "currency",
        ),
    ];
    for (json, field) in bad {
        let e = rule(json.clone())
            .validate(Some(Role::Referrer))
            .unwrap_err();
        assert!(
            matches!(&e, crate::DomainError::Invalid { field: f, .. } if f == field),
            "{json}: {e:?}"
        );
    }
    let points = rule(serde_json::json!({"kind": "points", "amount": 50, "currency": "PTS"}));
    assert!(points.validate(Some(Role::Referrer)).is_ok());
    let all = rule(
        serde_json::json!({"kind": "credit", "amount": 1, "currency": "USD", "purchases": "all"}),
    );
    assert!(all.validate(Some(Role::Referrer)).is_ok());
    assert_eq!(serde_json::to_value(&all).unwrap()["purchases"], "all");
    assert!(all.pays(Trigger::Purchase(5000)));
}
