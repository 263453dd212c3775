//! Attribution of a signup or purchase: the friend's customer row, their referral (decided once, at the first event), and what the event does to it.

use crate::error::Result;
use crate::fraud;
use crate::fraud::FraudData;
use vouch_domain::attribution::{
    judge_referral, strongest_touch, Candidate, ClickTouch, Identity, ReferralStatus, RejectReason,
    Touch,
};
use vouch_domain::event::EventKind;
use vouch_domain::ids::{CustomerId, EventId, ReferralId};
use vouch_domain::Millis;
use vouch_store::{
    Customer, CustomerAttribution, NewCustomer, Participant, Program, ProgramStatus, Referral,
    StoreTx,
};

use super::*;

pub(super) fn friend_identity(input: &EventInput) -> Identity<'_> {
    Identity {
        email: input.email.as_ref().map(|e| e.normalized()),
        external_id: input.external_id.as_deref(),
    }
}

/// The customer row for the friend, created on first sight.
pub(super) async fn customer_for(
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
pub(super) async fn save_customer(
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
pub(super) async fn attribute(
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
    // A referral judged again keeps its row (one referral per customer).
    let mut reopened = false;
    let referral = match existing {
        // Rejected only because the program was paused, and it is not any more: judged
        // again, from this event's touch or the first one.
        Some(r)
            if r.reason.is_some_and(RejectReason::judged_again)
                && program.status == ProgramStatus::Active =>
        {
            let again = Judging {
                previous: Some(&r),
                existing_customer: false,
            };
            match new_referral(tx, fraud, program, input, &customer, again, now).await? {
                Some((n, a)) => {
                    advocate = Some(a);
                    reopened = true;
                    Some(n)
                }
                None => Some(r),
            }
        }
        // Decided once: later events inherit the customer's attribution.
        Some(r) => Some(r),
        // A customer who already bought without a referral is not a new referral; with
        // a touch, the referral says so.
        None => {
            let first = Judging {
                previous: None,
                existing_customer: customer.first_purchase_at.is_some(),
            };
            match new_referral(tx, fraud, program, input, &customer, first, now).await? {
                Some((r, a)) => {
                    advocate = Some(a);
                    fresh = true;
                    Some(r)
                }
                None => None,
            }
        }
    };
    let Some(mut referral) = referral else {
        if input.kind.is_payment() {
            redeem_coupon(tx, program, input, &mut outcome, now).await?;
        }
        save_customer(tx, program, input, (&customer, is_new), None, now).await?;
        return Ok(outcome);
    };
    // A referral this event created or judged again was weighed with it already.
    let conversion = Conversion {
        event_id,
        advocate,
        fraud,
        fresh: fresh || reopened,
    };
    if input.kind == EventKind::Signup {
        if let Some(event) = referral.sign_up(input.occurred_at, now) {
            tx.emit(vec![event]);
        }
    }
    // The program's goal converts; other steps pay the rules that answer them.
    let converted = matches!(
        referral.status,
        ReferralStatus::Converted | ReferralStatus::Rewarded
    );
    let payments = u32::try_from(referral.payments).unwrap_or(u32::MAX);
    let step = match input.occurrence() {
        Some(occ) if converted || referral.status.awaits_conversion() => {
            program.config.step(occ, converted, payments)
        }
        _ => None,
    };
    match step {
        Some(step) if step.converts => {
            let r = &mut referral;
            convert(tx, program, input, conversion, step, r, &mut outcome, now).await?;
        }
        Some(step) => {
            let r = &mut referral;
            pay_step(tx, program, input, conversion, step, r, &mut outcome, now).await?;
        }
        None => {}
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

/// What a new referral is judged with besides the event.
#[derive(Clone, Copy)]
pub(super) struct Judging<'a> {
    /// The referral judged again (rejected during a pause): its touch counts when the
    /// event brings none.
    pub(super) previous: Option<&'a Referral>,
    /// The friend already bought without a referral.
    pub(super) existing_customer: bool,
}

/// A referral for a friend seen for the first time with a click or a code, with its
/// advocate; `None` when the event carries neither (or they point nowhere here). Not
/// written yet: the caller writes it once this event has moved it.
pub(super) async fn new_referral(
    tx: &mut dyn StoreTx,
    fraud_data: &FraudData,
    program: &Program,
    input: &EventInput,
    customer: &Customer,
    judging: Judging<'_>,
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
    let touch = strongest_touch(click, owner_id, coupon_owner, input.occurred_at).or_else(|| {
        judging.previous.map(|p| Touch {
            referrer: p.referrer_participant_id.clone(),
            source: p.source,
            click_id: p.click_id.clone(),
            touched_at: p.touched_at,
        })
    });
    let Some(touch) = touch else {
        return Ok(None);
    };
    let advocate = match code_owner {
        Some(p) if p.id == touch.referrer => p,
        _ => match tx.get_participant(&touch.referrer).await? {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let verdict = judge_referral(
        &Candidate {
            advocate: Identity {
                email: advocate.email_normalized.as_deref(),
                external_id: advocate.external_id.as_deref(),
            },
            advocate_active: advocate.status == vouch_store::ParticipantStatus::Active,
            program_active: program.status == ProgramStatus::Active,
            friend: friend_identity(input),
            existing_customer: judging.existing_customer,
        },
        &touch,
        input.occurred_at,
        program.config.attribution_window_days,
    );
    // Judged again: the same referral, with this judgment and this touch.
    let previous = judging.previous;
    let referral = Referral {
        id: previous.map_or_else(ReferralId::new, |p| p.id.clone()),
        workspace_id: program.workspace_id.clone(),
        program_id: program.id.clone(),
        referrer_participant_id: advocate.id.clone(),
        referee_participant_id: None,
        customer_id: customer.id.clone(),
        status: match (verdict, previous.and_then(|p| p.signed_up_at)) {
            (Some(_), _) => ReferralStatus::Rejected,
            (None, Some(_)) => ReferralStatus::SignedUp,
            (None, None) => ReferralStatus::Clicked,
        },
        reason: verdict,
        source: touch.source,
        click_id: touch.click_id.clone(),
        touched_at: touch.touched_at,
        signed_up_at: previous.and_then(|p| p.signed_up_at),
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
        created_at: previous.map_or(now, |p| p.created_at),
        updated_at: now,
    };
    let mut referral = referral;
    tx.emit(match previous {
        Some(_) => referral.reopened(now),
        None => referral.created(now),
    });
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
            first: true,
        };
        fraud::weigh(tx, program, &mut referral, &evidence, now).await?;
    }
    Ok(Some((referral, advocate)))
}
