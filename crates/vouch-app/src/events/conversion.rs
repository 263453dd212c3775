//! Conversion and later payments: the friend is enrolled, the referral converts, and the program's rules reward each side.

use crate::error::Result;
use crate::fraud::FraudData;
use crate::{fraud, rewarding};
use vouch_domain::attribution::{self, ReferralStatus, RejectReason};
use vouch_domain::ids::{EventId, ParticipantId};
use vouch_domain::program::Step;
use vouch_domain::reward::{RewardStatus, Role};
use vouch_domain::rules::{self, Trigger};
use vouch_domain::Millis;
use vouch_store::{Participant, Program, Referral, StoreError, StoreTx};

use super::*;

/// The converting event, and the advocate if the caller already read them.
pub(super) struct Conversion<'a> {
    pub(super) event_id: &'a EventId,
    pub(super) advocate: Option<Participant>,
    pub(super) fraud: &'a FraudData,
    /// The referral was created by this very event, which was already weighed.
    pub(super) fresh: bool,
}

/// The first qualifying purchase: the friend becomes a participant, both sides are
/// rewarded (pending their hold), and the ledger records it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn convert(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    conversion: Conversion<'_>,
    step: Step,
    referral: &mut Referral,
    outcome: &mut Outcome,
    now: Millis,
) -> Result<()> {
    let event_id = conversion.event_id;
    // A friend who signed up inside the window but buys after it has closed.
    if !attribution::within_window(
        referral.touched_at,
        input.occurred_at,
        program.config.attribution_window_days,
    ) {
        tx.emit(vec![referral.reject(RejectReason::OutsideWindow, now)?]);
        return Ok(());
    }
    if !program.config.in_schedule(input.occurred_at) {
        tx.emit(vec![referral.reject(RejectReason::OutsideSchedule, now)?]);
        return Ok(());
    }
    // Purchases during a pause earn nothing; the friend is judged again after it.
    if program.status != vouch_store::ProgramStatus::Active {
        tx.emit(vec![referral.reject(RejectReason::ProgramPaused, now)?]);
        return Ok(());
    }
    // Rules that read an advocate's totals are evaluated one event at a time.
    let referrer = locked_referrer(tx, referral, conversion.advocate).await?;
    // Blocked after the friend signed up: the purchase earns nothing.
    if referrer.status == vouch_store::ParticipantStatus::Blocked {
        tx.emit(vec![referral.reject(RejectReason::AdvocateInactive, now)?]);
        return Ok(());
    }
    // A purchase after a signup adds evidence (timing, the payment method): weigh it
    // again. A referral this purchase created was weighed with it already.
    if !conversion.fresh {
        let click = match &referral.click_id {
            Some(id) => tx.get_click(&program.id, id).await?,
            None => None,
        };
        let evidence = fraud::Seen {
            advocate: &referrer,
            input,
            click: click.as_ref(),
            data: conversion.fraud,
            first: false,
        };
        fraud::weigh(tx, program, referral, &evidence, now).await?;
    }
    if referral.status == ReferralStatus::Rejected {
        return Ok(());
    }
    // Only a qualifying purchase converts: one that a rule's conditions refuse (a
    // minimum order, another currency) uses up nothing, and the referral says why.
    let decided = decide(tx, program, input, &referrer, referral, step, now).await?;
    if !decided.decision.qualifies() {
        referral.skipped.extend(decided.decision.skipped);
        return Ok(());
    }
    // The friend may hold a participant already (their offer on arrival, a signup
    // reward). Every event names its friend, so one is found or enrolled.
    let referee = match referral.referee_participant_id.clone() {
        Some(id) => id,
        None => match friend_participant(tx, program, input, &referrer, referral, now).await? {
            Some(id) => id,
            None => return Ok(()),
        },
    };
    let converted = referral.convert(referee.clone(), input.occurred_at, event_id, now)?;
    tx.emit(vec![converted]);

    let parties = (&referrer, Some(&referee));
    create(
        tx, program, input, event_id, parties, decided, referral, outcome, now,
    )
    .await?;
    if !outcome.rewards.is_empty()
        && outcome
            .rewards
            .iter()
            .all(|r| r.status == RewardStatus::Approved)
    {
        tx.emit(vec![referral.mark_rewarded(now)?]);
    }
    Ok(())
}

/// The referral's advocate, read (unless the caller already did) under the lock that
/// serializes every rule reading their totals.
pub(super) async fn locked_referrer(
    tx: &mut dyn StoreTx,
    referral: &Referral,
    known: Option<Participant>,
) -> Result<Participant> {
    tx.lock(&format!("participant:{}", referral.referrer_participant_id))
        .await?;
    match known {
        Some(a) => Ok(a),
        None => Ok(tx
            .get_participant(&referral.referrer_participant_id)
            .await?
            .ok_or_else(|| StoreError::corrupt("referral without its referrer"))?),
    }
}

/// What the program's rules decide for one payment of a referral, with what they read.
pub(super) struct Decided {
    decision: rules::Decision,
    facts: rules::Facts,
    upline: Option<ParticipantId>,
    trigger: Trigger,
}

/// Applies the program's rules to one payment of a referral (nothing is written).
pub(super) async fn decide(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    referrer: &Participant,
    referral: &Referral,
    step: Step,
    now: Millis,
) -> Result<Decided> {
    let trigger = step.trigger;
    let payment = rules::Payment {
        trigger,
        converts: step.converts,
        occurred_at: input.occurred_at,
        now,
        order: input.amount,
    };
    let mut facts =
        rewarding::gather_facts(tx, program, referrer, Some(&referral.id), &payment).await?;
    let upline = rewarding::upline(tx, program, referrer).await?;
    facts.has_upline = upline.is_some();
    let decision = rules::evaluate(&program.config.rules(), &facts);
    Ok(Decided {
        decision,
        facts,
        upline,
        trigger,
    })
}

/// Creates the rewards a decision gives, each for its participant.
#[allow(clippy::too_many_arguments)]
pub(super) async fn create(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    event_id: &EventId,
    (referrer, referee): (&Participant, Option<&ParticipantId>),
    decided: Decided,
    referral: &mut Referral,
    outcome: &mut Outcome,
    now: Millis,
) -> Result<()> {
    let Decided {
        decision,
        facts,
        upline,
        trigger,
    } = decided;
    if let Trigger::Purchase(n) | Trigger::SubscriptionPayment(n) = trigger {
        referral.payments = referral.payments.max(i64::from(n));
    }
    let plans = decision
        .plans
        .into_iter()
        .filter_map(|p| {
            let who = match p.role {
                Role::Referrer => Some(referrer.id.clone()),
                Role::Referee => referee.cloned(),
                Role::SecondLevel => upline.clone(),
                Role::Participant => None,
            }?;
            Some((p, who))
        })
        .collect();
    // What every rule was applied to, kept with each reward to explain it.
    let inputs = serde_json::json!({
        "trigger": trigger.key(),
        "event_id": event_id,
        "order_id": input.order_id,
        "order_amount": input.amount.map(|m| m.amount),
        "order_currency": input.amount.map(|m| m.currency),
        "occurred_at": vouch_domain::views::rfc3339(input.occurred_at),
        "attribution": referral.source,
        "click_id": referral.click_id,
        "hold_days": program.config.hold_days,
        "referrer_conversions": facts.referrer_conversions,
    });
    let rewards = rewarding::create_rewards(
        tx,
        program,
        plans,
        rewarding::Source {
            referral: Some(&referral.id),
            event: Some(event_id),
            inputs,
            held_for_review: referral.review == Some(vouch_store::Review::Pending),
        },
        now,
    )
    .await?;
    referral.skipped.extend(decision.skipped);
    outcome.rewards.extend(rewards);
    Ok(())
}
