//! Recording a signup, purchase or refund: attribution, the referral's status, the
//! rewards and their ledger entries, all in one transaction, exactly once.

use vouch_domain::attribution::{
    self, judge_referral, strongest_touch, ClickTouch, Identity, ReferralStatus, RejectReason,
};
use vouch_domain::email::Email;
use vouch_domain::event::{idempotency_key, EventKind};
use vouch_domain::ids::{ClickId, CustomerId, EventId, LedgerTxId, ParticipantId, ReferralId};
use vouch_domain::ledger;
use vouch_domain::money::Money;
use vouch_domain::reward::{RewardStatus, Role};
use vouch_domain::rules::{self, Trigger};
use vouch_domain::Millis;
use vouch_store::{
    Customer, CustomerAttribution, Enrolment, NewCustomer, NewEvent, NewLedgerTx, Participant,
    Program, ProgramStatus, Referral, Reward, Store, StoreError, StoreTx, StoredResponse,
};

use super::clock::Clock;
use super::enrolment::{enroll_in, EnrolmentInput};
use super::{fraud, move_reward, rewarding};
use crate::error::{AppError, Result};
use crate::fraud::FraudData;

/// An event as the merchant reported it, already validated.
#[derive(Debug, Clone)]
pub struct EventInput {
    pub kind: EventKind,
    pub email: Option<Email>,
    pub external_id: Option<String>,
    pub click_id: Option<ClickId>,
    /// Canonical (upper-case) referral code.
    pub referral_code: Option<String>,
    /// A coupon code the friend used: attributes to the advocate whose friend it was
    /// issued to, and marks that coupon redeemed.
    pub coupon_code: Option<String>,
    pub order_id: Option<String>,
    pub amount: Option<Money>,
    pub occurred_at: Millis,
    pub idempotency_key: Option<String>,
    /// The friend's network (keyed hash), browser (hash), device and payment method,
    /// when the merchant sends them.
    pub fingerprint: vouch_store::Fingerprint,
    /// The keyed hash of the friend's network range (/24, /48).
    pub ip_range_hash: Option<String>,
}

/// The answer to an event request: fresh, or replayed from the first time.
pub struct Recorded {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Concurrent transactions on PostgreSQL can lose a race on a unique key; the loser
/// retries from the start and then sees the winner's rows.
const ATTEMPTS: usize = 4;

pub async fn record_event(
    store: &dyn Store,
    clock: &Clock,
    fraud: &FraudData,
    program: &Program,
    input: &EventInput,
) -> Result<Recorded> {
    let key = idempotency_key(
        input.kind,
        input.idempotency_key.as_deref(),
        input.order_id.as_deref(),
    );
    // No read before the write: the unique key on the event's idempotency key decides,
    // and a replay costs one refused insert.
    let mut last_err = None;
    for _ in 0..ATTEMPTS {
        match attempt(store, clock.now(), fraud, program, input, key.as_deref()).await {
            Ok(r) => return Ok(r),
            Err(AppError::Store(e)) if e.is_retryable() => last_err = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last_err
        .map(AppError::Store)
        .unwrap_or_else(|| AppError::Internal(anyhow::anyhow!("event retries exhausted"))))
}

fn replay(stored: StoredResponse) -> Recorded {
    Recorded {
        status: stored.status,
        body: stored.body,
        replayed: true,
    }
}

async fn attempt(
    store: &dyn Store,
    now: Millis,
    fraud: &FraudData,
    program: &Program,
    input: &EventInput,
    key: Option<&str>,
) -> Result<Recorded> {
    let event_id = EventId::new();
    let mut tx = store.begin().await?;
    let claimed = tx
        .claim_event(&NewEvent {
            id: event_id.clone(),
            workspace_id: program.workspace_id.clone(),
            program_id: program.id.clone(),
            kind: input.kind.as_str().into(),
            idempotency_key: key
                .map(str::to_owned)
                .unwrap_or_else(|| event_id.to_string()),
            order_id: input.order_id.clone(),
            amount: input.amount.map(|m| m.amount),
            currency: input.amount.map(|m| m.currency),
            occurred_at: input.occurred_at,
            created_at: now,
            ip_hash: input.fingerprint.ip_hash.clone(),
            device_id: input.fingerprint.device_id.clone(),
            payment_fingerprint: input.fingerprint.payment_fingerprint.clone(),
        })
        .await?;
    if !claimed {
        // The same event was recorded first by another request (or instance).
        drop(tx);
        let stored = store
            .get_event_response(&program.id, key.unwrap_or_default())
            .await?
            .ok_or(AppError::Conflict {
                code: "event_in_progress",
                field: None,
                message: "the same event is being recorded by another request; retry".into(),
            })?;
        return Ok(replay(stored));
    }
    let outcome = match input.kind {
        EventKind::Signup | EventKind::Purchase | EventKind::SubscriptionPayment => {
            attribute(tx.as_mut(), fraud, program, input, &event_id, now).await?
        }
        EventKind::Refund => refund(tx.as_mut(), program, input, now).await?,
    };
    let out = EventOut::new(&event_id, program, input, &outcome);
    let body = serde_json::to_string(&out).map_err(|e| AppError::Internal(e.into()))?;
    let response = StoredResponse { status: 201, body };
    tx.finish_event(
        &event_id,
        outcome.customer.as_ref(),
        outcome.referral.as_ref().map(|r| &r.id),
        &response,
    )
    .await?;
    tx.commit().await?;
    metrics::counter!("vouch_events_total", "type" => input.kind.as_str()).increment(1);
    for r in &outcome.rewards {
        if r.event_id.as_ref() == Some(&event_id) {
            metrics::counter!("vouch_rewards_total", "role" => r.role.as_str()).increment(1);
        }
    }
    Ok(Recorded {
        status: response.status,
        body: response.body,
        replayed: false,
    })
}

/// What an event did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub customer: Option<CustomerId>,
    pub referral: Option<Referral>,
    /// Rewards created or changed by this event.
    pub rewards: Vec<Reward>,
}

fn friend_identity(input: &EventInput) -> Identity<'_> {
    Identity {
        email: input.email.as_ref().map(|e| e.normalized()),
        external_id: input.external_id.as_deref(),
    }
}

/// The customer row for the friend, created on first sight.
async fn customer_for(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
) -> Result<(Customer, bool)> {
    let friend = friend_identity(input);
    // Serialize events of one friend so two first events cannot both create them.
    let lock_key = format!(
        "customer:{}:{}",
        program.id,
        friend.external_id.or(friend.email).unwrap_or_default()
    );
    tx.lock(&lock_key).await?;
    if let Some(c) = tx
        .find_customer(&program.id, friend.email, friend.external_id)
        .await?
    {
        if c.email_normalized.is_none() && friend.email.is_some()
            || c.external_id.is_none() && friend.external_id.is_some()
        {
            tx.complete_customer_identity(&c.id, friend.email, friend.external_id)
                .await?;
        }
        return Ok((c, false));
    }
    // Written at the end of the event, with its attribution, in one statement.
    Ok((
        Customer {
            id: CustomerId::new(),
            email_normalized: friend.email.map(str::to_owned),
            external_id: friend.external_id.map(str::to_owned),
            referral_id: None,
            first_purchase_at: None,
        },
        true,
    ))
}

/// Writes what the event learnt about the customer: a new row with everything at
/// once, or only the changes to an existing one.
async fn save_customer(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    (customer, is_new): (&Customer, bool),
    attribution: Option<CustomerAttribution>,
    now: Millis,
) -> Result<()> {
    let first_purchase = (input.kind.is_payment() && customer.first_purchase_at.is_none())
        .then_some(input.occurred_at);
    if is_new {
        tx.insert_customer(&NewCustomer {
            id: customer.id.clone(),
            workspace_id: program.workspace_id.clone(),
            program_id: program.id.clone(),
            email_normalized: customer.email_normalized.clone(),
            external_id: customer.external_id.clone(),
            attribution,
            first_purchase_at: first_purchase,
            created_at: now,
        })
        .await?;
        return Ok(());
    }
    if let Some(a) = attribution {
        tx.attribute_customer(&customer.id, &a).await?;
    }
    if let Some(at) = first_purchase {
        tx.mark_first_purchase(&customer.id, at).await?;
    }
    Ok(())
}

/// Signup or purchase: find or decide the friend's attribution, then move the referral.
async fn attribute(
    tx: &mut dyn StoreTx,
    fraud: &FraudData,
    program: &Program,
    input: &EventInput,
    event_id: &EventId,
    now: Millis,
) -> Result<Outcome> {
    let (customer, is_new) = customer_for(tx, program, input).await?;
    let mut outcome = Outcome {
        customer: Some(customer.id.clone()),
        ..Outcome::default()
    };
    let existing = match &customer.referral_id {
        Some(id) => tx.get_referral_for_update(id).await?,
        None => None,
    };
    // The advocate, when this event just read them (saves a read at conversion).
    let mut advocate = None;
    let mut fresh = false;
    let referral = match existing {
        // Decided once: later events inherit the customer's attribution.
        Some(r) => Some(r),
        // A customer who already bought without a referral is not a new referral.
        None if customer.first_purchase_at.is_some() => None,
        None => match new_referral(tx, fraud, program, input, &customer, now).await? {
            Some((r, a)) => {
                advocate = Some(a);
                fresh = true;
                Some(r)
            }
            None => None,
        },
    };
    let Some(mut referral) = referral else {
        if input.kind.is_payment() {
            redeem_coupon(tx, program, input, &mut outcome, now).await?;
        }
        save_customer(tx, program, input, (&customer, is_new), None, now).await?;
        return Ok(outcome);
    };
    match input.kind {
        EventKind::Signup => {
            if let Some(event) = referral.sign_up(input.occurred_at, now) {
                tx.emit(vec![event]);
            }
        }
        kind if kind.is_payment() && referral.status.awaits_conversion() => {
            let conversion = Conversion {
                event_id,
                advocate,
                fraud,
                fresh,
            };
            convert(
                tx,
                program,
                input,
                conversion,
                &mut referral,
                &mut outcome,
                now,
            )
            .await?;
        }
        kind if kind.is_payment()
            && matches!(
                referral.status,
                ReferralStatus::Converted | ReferralStatus::Rewarded
            ) =>
        {
            let conversion = Conversion {
                event_id,
                advocate,
                fraud,
                fresh,
            };
            repeat_payment(
                tx,
                program,
                input,
                conversion,
                &mut referral,
                &mut outcome,
                now,
            )
            .await?;
        }
        _ => {}
    }
    if input.kind.is_payment() {
        redeem_coupon(tx, program, input, &mut outcome, now).await?;
    }
    referral.updated_at = now;
    // A new referral is written once, in the state this event left it in.
    let attribution = if fresh {
        tx.insert_referral(&referral).await?;
        Some(CustomerAttribution {
            referral_id: referral.id.clone(),
            source: referral.source,
            model: program.config.attribution_model,
            window_days: program.config.attribution_window_days,
            attributed_at: now,
        })
    } else {
        tx.update_referral(&referral).await?;
        None
    };
    save_customer(tx, program, input, (&customer, is_new), attribution, now).await?;
    outcome.referral = Some(referral);
    Ok(outcome)
}

/// A referral for a friend seen for the first time with a click or a code, with its
/// advocate; `None` when the event carries neither (or they point nowhere here). Not
/// written yet: the caller writes it once this event has moved it.
async fn new_referral(
    tx: &mut dyn StoreTx,
    fraud_data: &FraudData,
    program: &Program,
    input: &EventInput,
    customer: &Customer,
    now: Millis,
) -> Result<Option<(Referral, Participant)>> {
    let click_row = match &input.click_id {
        Some(id) => tx.get_click(&program.id, id).await?,
        None => None,
    };
    let click = click_row.as_ref().map(|c| ClickTouch {
        click_id: c.id.clone(),
        participant_id: c.participant_id.clone(),
        clicked_at: c.occurred_at,
    });
    // The code is only needed when there is no click (the click is stronger).
    let code_owner = match (&click, &input.referral_code) {
        (None, Some(code)) => tx.find_code_owner(&program.id, code).await?,
        _ => None,
    };
    let owner_id = code_owner.as_ref().map(|p| p.id.clone());
    // A coupon issued to a referred friend, the weakest touch: read only when needed.
    let coupon_owner = match (&click, &owner_id, &input.coupon_code) {
        (None, None, Some(code)) => coupon_advocate(tx, program, code).await?,
        _ => None,
    };
    let Some(touch) = strongest_touch(click, owner_id, coupon_owner, input.occurred_at) else {
        return Ok(None);
    };
    let advocate = match code_owner {
        Some(p) if p.id == touch.referrer => p,
        _ => match tx.get_participant(&touch.referrer).await? {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let active = advocate.status == vouch_store::ParticipantStatus::Active
        && program.status == ProgramStatus::Active;
    let verdict = judge_referral(
        Identity {
            email: advocate.email_normalized.as_deref(),
            external_id: advocate.external_id.as_deref(),
        },
        active,
        friend_identity(input),
        &touch,
        input.occurred_at,
        program.config.attribution_window_days,
    );
    let referral = Referral {
        id: ReferralId::new(),
        workspace_id: program.workspace_id.clone(),
        program_id: program.id.clone(),
        referrer_participant_id: advocate.id.clone(),
        referee_participant_id: None,
        customer_id: customer.id.clone(),
        status: if verdict.is_some() {
            ReferralStatus::Rejected
        } else {
            ReferralStatus::Clicked
        },
        reason: verdict,
        source: touch.source,
        click_id: touch.click_id.clone(),
        touched_at: touch.touched_at,
        signed_up_at: None,
        converted_at: None,
        conversion_event_id: None,
        payments: 0,
        skipped: vec![],
        ip_hash: input
            .fingerprint
            .ip_hash
            .clone()
            .or_else(|| click_row.as_ref().and_then(|c| c.ip_hash.clone())),
        ip_range_hash: input.ip_range_hash.clone(),
        device_id: input.fingerprint.device_id.clone(),
        risk_score: 0,
        signals: vec![],
        review: None,
        created_at: now,
        updated_at: now,
    };
    let mut referral = referral;
    tx.emit(referral.created(now));
    if referral.reason == Some(RejectReason::SelfReferral) {
        // A fraud decision like the others: written to the audit log.
        tx.insert_audit(&vouch_store::AuditEntry {
            id: vouch_domain::ids::AuditId::new(),
            workspace_id: program.workspace_id.clone(),
            actor: "system".into(),
            action: "referral.rejected".into(),
            subject_type: "referral".into(),
            subject_id: referral.id.to_string(),
            reason: Some("self_referral: the friend is the advocate (same email or id)".into()),
            data: serde_json::json!({ "reason": "self_referral" }),
            created_at: now,
        })
        .await?;
    }
    if referral.status != ReferralStatus::Rejected {
        let evidence = fraud::Seen {
            advocate: &advocate,
            input,
            click: click_row.as_ref(),
            data: fraud_data,
        };
        fraud::weigh(tx, program, &mut referral, &evidence, now).await?;
    }
    Ok(Some((referral, advocate)))
}

/// The first qualifying purchase: the friend becomes a participant, both sides are
/// rewarded (pending their hold), and the ledger records it.
/// The converting event, and the advocate if the caller already read them.
struct Conversion<'a> {
    event_id: &'a EventId,
    advocate: Option<Participant>,
    fraud: &'a FraudData,
    /// The referral was created by this very event, which was already weighed.
    fresh: bool,
}

async fn convert(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    conversion: Conversion<'_>,
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
        };
        fraud::weigh(tx, program, referral, &evidence, now).await?;
    }
    if referral.status == ReferralStatus::Rejected {
        return Ok(());
    }
    let referee = match enroll_in(
        tx,
        program,
        &EnrolmentInput {
            email: input.email.clone(),
            name: None,
            external_id: input.external_id.clone(),
            locale: referrer.locale.clone(),
            vanity_code: None,
            referred_by: Some(referral.id.clone()),
            fingerprint: input.fingerprint.clone(),
        },
        now,
    )
    .await?
    {
        Enrolment::Created(p) | Enrolment::Existing(p) => p,
    };
    let converted = referral.convert(referee.id.clone(), input.occurred_at, event_id, now)?;
    tx.emit(vec![converted]);

    let trigger = trigger_for(input.kind, 1);
    pay(
        tx,
        program,
        input,
        event_id,
        (&referrer, Some(&referee.id)),
        trigger,
        referral,
        outcome,
        now,
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
async fn locked_referrer(
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

/// Which payment this is, as the rules see it.
fn trigger_for(kind: EventKind, n: u32) -> Trigger {
    match kind {
        EventKind::SubscriptionPayment => Trigger::SubscriptionPayment(n),
        _ => Trigger::Purchase(n),
    }
}

/// A later purchase or subscription payment of a converted friend: rewarded when the
/// program's rules pay more than the first (`purchases`, `subscription_months`).
async fn repeat_payment(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    conversion: Conversion<'_>,
    referral: &mut Referral,
    outcome: &mut Outcome,
    now: Millis,
) -> Result<()> {
    let n = u32::try_from(referral.payments.saturating_add(1)).unwrap_or(u32::MAX);
    referral.payments = i64::from(n);
    if !program.config.in_schedule(input.occurred_at) {
        return Ok(());
    }
    let referrer = locked_referrer(tx, referral, conversion.advocate).await?;
    if referrer.status == vouch_store::ParticipantStatus::Blocked {
        return Ok(());
    }
    let referee = referral.referee_participant_id.clone();
    pay(
        tx,
        program,
        input,
        conversion.event_id,
        (&referrer, referee.as_ref()),
        trigger_for(input.kind, n),
        referral,
        outcome,
        now,
    )
    .await
}

/// Applies the program's rules to one payment of a referral and creates what they give.
#[allow(clippy::too_many_arguments)]
async fn pay(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    event_id: &EventId,
    (referrer, referee): (&Participant, Option<&ParticipantId>),
    trigger: Trigger,
    referral: &mut Referral,
    outcome: &mut Outcome,
    now: Millis,
) -> Result<()> {
    if let Trigger::Purchase(n) | Trigger::SubscriptionPayment(n) = trigger {
        referral.payments = referral.payments.max(i64::from(n));
    }
    let mut facts = rewarding::gather_facts(
        tx,
        program,
        referrer,
        trigger,
        input.occurred_at,
        input.amount,
        now,
    )
    .await?;
    let upline = rewarding::upline(tx, program, referrer).await?;
    facts.has_upline = upline.is_some();
    let decision = rules::evaluate(&program.config.rules(), &facts);
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
            held_for_review: referral.review.as_deref() == Some(fraud::REVIEW_PENDING),
        },
        now,
    )
    .await?;
    referral.skipped.extend(decision.skipped);
    outcome.rewards.extend(rewards);
    Ok(())
}

/// The advocate whose referred friend was issued `code`.
async fn coupon_advocate(
    tx: &mut dyn StoreTx,
    program: &Program,
    code: &str,
) -> Result<Option<ParticipantId>> {
    let Some(reward) = tx.find_coupon_reward(&program.id, code).await? else {
        return Ok(None);
    };
    if reward.role != Role::Referee {
        return Ok(None);
    }
    let Some(referral_id) = &reward.referral_id else {
        return Ok(None);
    };
    Ok(tx
        .get_referral_for_update(referral_id)
        .await?
        .map(|r| r.referrer_participant_id))
}

/// A payment that used a coupon Vouch issued: the coupon is spent.
async fn redeem_coupon(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    outcome: &mut Outcome,
    now: Millis,
) -> Result<()> {
    let Some(code) = &input.coupon_code else {
        return Ok(());
    };
    let Some(mut reward) = tx.find_coupon_reward(&program.id, code).await? else {
        return Ok(());
    };
    if matches!(
        reward.status,
        RewardStatus::Approved | RewardStatus::Fulfilled
    ) {
        move_reward(tx, &mut reward, RewardStatus::Redeemed, now).await?;
        outcome.rewards.push(reward);
    }
    Ok(())
}

/// A refund of an order: pending rewards are cancelled, approved ones reversed with a
/// ledger entry, and the referral that order converted is reversed.
async fn refund(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    now: Millis,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let Some(order_id) = &input.order_id else {
        return Err(AppError::invalid("order_id", "is required for a refund"));
    };
    let Some(purchase) = tx.find_purchase(&program.id, order_id).await? else {
        return Ok(outcome);
    };
    // This refund is already recorded, so the total includes it.
    let refunded = tx.refunded_total(&program.id, order_id).await?;
    let order = purchase.amount.unwrap_or(0);
    let full = order <= 0 || refunded >= order;
    for mut reward in tx.rewards_for_event(&purchase.id).await? {
        if full {
            if let Some(next) = reward.status.after_refund() {
                move_reward(tx, &mut reward, next, now).await?;
                outcome.rewards.push(reward);
            }
            continue;
        }
        // A partial refund shrinks only rewards that were a percent of the order.
        let percent_based = reward
            .inputs
            .pointer("/explanation/percent")
            .is_some_and(|p| !p.is_null());
        if !percent_based || reward.status.after_refund().is_none() {
            continue;
        }
        let share = ledger::refund_share(reward.amount, reward.reversed_amount, order, refunded);
        if share <= 0 {
            continue;
        }
        if let Some(postings) = ledger::partial_reversal(
            &program.id,
            &reward.participant_id,
            reward.kind,
            Money::new(share, reward.currency),
            reward.status,
        ) {
            tx.post_ledger(&[NewLedgerTx {
                id: LedgerTxId::new(),
                workspace_id: program.workspace_id.clone(),
                idempotency_key: format!("reward:{}:partial:{}", reward.id, reward.reversed_amount),
                kind: "reward_partially_reversed".into(),
                reward_id: Some(reward.id.clone()),
                postings,
                created_at: now,
            }])
            .await?;
        }
        tx.adjust_program_spend(&program.id, &reward.currency, -share)
            .await?;
        let event = reward.reverse_partially(share, now);
        tx.update_reward(&reward).await?;
        tx.emit(vec![event]);
        outcome.rewards.push(reward);
    }
    // The referral the purchase was attributed to, even when it earned nothing.
    let referral_id = purchase
        .referral_id
        .clone()
        .or_else(|| outcome.rewards.first().and_then(|r| r.referral_id.clone()));
    if let Some(id) = referral_id {
        if let Some(mut referral) = tx.get_referral_for_update(&id).await? {
            if full && referral.conversion_event_id.as_ref() == Some(&purchase.id) {
                if let Some(event) = referral.reverse(now) {
                    tx.update_referral(&referral).await?;
                    tx.emit(vec![event]);
                }
            }
            outcome.customer = Some(referral.customer_id.clone());
            outcome.referral = Some(referral);
        }
    }
    Ok(outcome)
}

/// What an event did.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct EventOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub program_id: String,
    pub order_id: Option<String>,
    pub occurred_at: String,
    /// The referral the event was attributed to, or null.
    pub referral: Option<vouch_domain::views::ReferralOut>,
    /// Rewards this event created or changed.
    pub rewards: Vec<vouch_domain::views::RewardOut>,
}

impl EventOut {
    pub fn new(id: &EventId, program: &Program, input: &EventInput, outcome: &Outcome) -> Self {
        Self {
            id: id.to_string(),
            kind: input.kind,
            program_id: program.id.to_string(),
            order_id: input.order_id.clone(),
            occurred_at: vouch_domain::views::rfc3339(input.occurred_at),
            referral: outcome
                .referral
                .clone()
                .map(vouch_domain::views::ReferralOut::from),
            rewards: outcome
                .rewards
                .iter()
                .cloned()
                .map(vouch_domain::views::RewardOut::from)
                .collect(),
        }
    }
}
