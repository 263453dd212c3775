use crate::attribution::{ReferralStatus, RejectReason};
use crate::entities::{Referral, Reward};
use crate::ids::EventId;
use crate::reward::RewardStatus;
use proptest::prelude::*;

use super::*;
use crate::attribution::AttributionSource;
use crate::entities::{Program, ProgramStatus};
use crate::ids::{CustomerId, ReferralId, RewardId};
use crate::money::{Currency, Money};
use crate::program::{ProgramConfig, RewardKind};
use crate::reward::Role;

fn referral() -> Referral {
    Referral {
        id: ReferralId::new(),
        workspace_id: WorkspaceId::new(),
        program_id: ProgramId::new(),
        referrer_participant_id: ParticipantId::new(),
        referee_participant_id: None,
        customer_id: CustomerId::new(),
        status: ReferralStatus::Clicked,
        reason: None,
        source: AttributionSource::Click,
        click_id: None,
        touched_at: 0,
        signed_up_at: None,
        converted_at: None,
        conversion_event_id: None,
        payments: 0,
        skipped: vec![],
        ip_hash: None,
        ip_range_hash: None,
        device_id: None,
        risk_score: 0,
        signals: vec![],
        review: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn reward(status: RewardStatus) -> Reward {
    let program = Program {
        id: ProgramId::new(),
        workspace_id: WorkspaceId::new(),
        slug: "p".into(),
        status: ProgramStatus::Active,
        config: ProgramConfig::default(),
        version: 1,
        created_at: 0,
        updated_at: 0,
    };
    let mut r = Reward::new_plain(
        &program,
        ParticipantId::new(),
        None,
        None,
        Role::Referrer,
        crate::rules::RewardTrigger::Payment(crate::rules::Trigger::Purchase(1)),
        RewardKind::Credit,
        Money::new(1000, Currency::parse("currency", "USD").expect("USD")),
        status,
        0,
        0,
    );
    r.id = RewardId::new();
    r
}

#[test]
fn a_referral_walks_its_whole_life_with_one_event_per_step() {
    let mut r = referral();
    let mut kinds = vec![];
    kinds.extend(r.created(1).into_iter().map(|e| e.kind));
    kinds.extend(r.sign_up(2, 2).map(|e| e.kind));
    kinds.extend(r.hold(3).map(|e| e.kind));
    kinds.push(
        r.convert(ParticipantId::new(), 4, &EventId::new(), 4)
            .unwrap()
            .kind,
    );
    kinds.push(r.approve_review(5).unwrap().kind);
    kinds.push(r.mark_rewarded(6).unwrap().kind);
    kinds.extend(r.reverse(7).map(|e| e.kind));
    use EventType as E;
    assert_eq!(
        kinds,
        [
            E::ReferralCreated,
            E::ReferralSignedUp,
            E::ReferralHeld,
            E::ReferralConverted,
            E::ReferralApproved,
            E::ReferralRewarded,
            E::ReferralReversed
        ]
    );
    assert_eq!(r.status, ReferralStatus::Reversed);
}

#[test]
fn illegal_referral_transitions_are_errors_not_no_ops() {
    let mut r = referral();
    assert!(r.mark_rewarded(1).is_err(), "clicked cannot be rewarded");
    assert!(r.approve_review(1).is_err(), "not held");
    r.reject(RejectReason::Fraud, 1).unwrap();
    let err = r.reject(RejectReason::Fraud, 2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a referral cannot go from rejected to rejected"
    );
    assert!(r
        .convert(ParticipantId::new(), 3, &EventId::new(), 3)
        .is_err());
    assert!(r.reverse(4).is_none());
}

#[test]
fn rejecting_a_held_referral_in_review_rejects_it_as_fraud() {
    let mut r = referral();
    r.hold(1).unwrap();
    assert!(r.hold(2).is_none(), "held once");
    let e = r.reject_review(3).unwrap();
    assert_eq!(e.kind, EventType::ReferralRejected);
    assert_eq!(r.reason, Some(RejectReason::Fraud));
    assert_eq!(r.review, Some(crate::entities::Review::Rejected));
    assert_eq!(e.data["status"], "rejected");
}

#[test]
fn event_names_round_trip_and_name_their_subject() {
    for t in EventType::ALL {
        assert_eq!(EventType::parse(t.as_str()), Some(t));
        assert_eq!(
            serde_json::to_value(t).unwrap(),
            serde_json::Value::String(t.as_str().into())
        );
        assert!(
            ["participant", "referral", "reward", "payout", "contest"].contains(&t.subject_type())
        );
    }
}

#[test]
fn a_reward_created_without_a_hold_says_created_then_approved() {
    let r = reward(RewardStatus::Approved);
    let kinds: Vec<_> = r.created(0).into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventType::RewardCreated, EventType::RewardApproved]);
    let e = &r.created(0)[0];
    assert_eq!(e.data["id"], r.id.as_str());
    assert_eq!(e.data["amount"], 1000);
    assert_eq!(e.subject_id, r.id.as_str());
}

fn status() -> impl Strategy<Value = RewardStatus> {
    prop_oneof![
        Just(RewardStatus::Pending),
        Just(RewardStatus::Approved),
        Just(RewardStatus::Fulfilled),
        Just(RewardStatus::Redeemed),
        Just(RewardStatus::Cancelled),
        Just(RewardStatus::Reversed),
    ]
}

proptest! {
    /// Whatever is asked, a reward only ever takes allowed steps, each with exactly one
    /// event, and once cancelled or reversed it never moves again.
    #[test]
    fn rewards_only_take_allowed_steps(steps in proptest::collection::vec(status(), 0..12)) {
        let mut r = reward(RewardStatus::Pending);
        for (i, to) in steps.into_iter().enumerate() {
            let from = r.status;
            match r.move_to(to, i as i64) {
                Ok(e) => {
                    prop_assert!(from.can_move_to(to));
                    prop_assert!(from.stands());
                    prop_assert_eq!(r.status, to);
                    prop_assert_eq!(e.data["status"].as_str(), Some(to.as_str()));
                }
                Err(_) => {
                    prop_assert!(!from.can_move_to(to));
                    prop_assert_eq!(r.status, from);
                }
            }
        }
    }
}

#[test]
fn reward_triggers_round_trip_through_their_stored_names() {
    use crate::rules::{RewardTrigger as T, Trigger};
    for t in [
        T::Payment(Trigger::Signup),
        T::Payment(Trigger::Purchase(1)),
        T::Payment(Trigger::Purchase(7)),
        T::Payment(Trigger::SubscriptionPayment(3)),
        T::Milestone(0),
        T::Welcome,
    ] {
        assert_eq!(T::parse(&t.key()), Some(t), "{}", t.key());
    }
    assert_eq!(T::parse("purchase:x"), None);
    assert_eq!(T::parse("bonus:1"), None);
}
