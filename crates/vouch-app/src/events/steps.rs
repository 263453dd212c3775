//! A friend's step that is not the conversion: a later purchase or subscription
//! payment, or a signup, arrival or custom event (before or after the conversion, each
//! paid once per referral), paid by the rules that answer it.

use crate::enrolment::{enroll_in, EnrolmentInput};
use crate::error::Result;
use vouch_domain::ids::ParticipantId;
use vouch_domain::program::Step;
use vouch_domain::reward::Role;
use vouch_domain::rules::{self, Trigger};
use vouch_store::{Enrolment, Participant, Program, Referral, StoreTx};

use super::*;

/// Pays the rules that answer `step` (not a conversion).
#[allow(clippy::too_many_arguments)]
pub(super) async fn pay_step(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    conversion: Conversion<'_>,
    step: Step,
    referral: &mut Referral,
    outcome: &mut Outcome,
    now: Millis,
) -> Result<()> {
    if let Trigger::Purchase(n) | Trigger::SubscriptionPayment(n) = step.trigger {
        referral.payments = i64::from(n);
    }
    if !program.config.in_schedule(input.occurred_at) {
        return Ok(());
    }
    // Before conversion, a step pays only inside the attribution window, as the
    // conversion itself does.
    let converted = referral.converted_at.is_some();
    if !converted
        && !vouch_domain::attribution::within_window(
            referral.touched_at,
            input.occurred_at,
            program.config.attribution_window_days,
        )
    {
        return Ok(());
    }
    if program.status != vouch_store::ProgramStatus::Active {
        referral.skipped.push(rules::Skipped {
            role: Role::Referrer,
            trigger: step.trigger.key(),
            reason: rules::SkipReason::ProgramPaused,
            message: "the program was paused: steps during a pause earn nothing".into(),
        });
        return Ok(());
    }
    // Each signup, arrival or custom event pays once per referral; a friend claiming
    // their offer again is shown the one they have.
    let key = step.trigger.key();
    let once = !step.trigger.occurrence().is_payment();
    let earlier: Vec<_> = if !once {
        vec![]
    } else {
        tx.rewards_for_referral(&referral.id)
            .await?
            .into_iter()
            .filter(|r| r.trigger.key() == key)
            .collect()
    };
    if !earlier.is_empty() {
        // Shown again only to the browser that claimed it (its click): an email alone
        // must not hand anyone another person's code.
        let same_browser = input.click_id.is_some() && input.click_id == referral.click_id;
        if step.trigger == rules::Trigger::Arrival && same_browser {
            outcome.rewards.extend(earlier);
        }
        return Ok(());
    }
    let referrer = locked_referrer(tx, referral, conversion.advocate).await?;
    if referrer.status == vouch_store::ParticipantStatus::Blocked {
        return Ok(());
    }
    let referee = match &referral.referee_participant_id {
        Some(id) => Some(id.clone()),
        None if pays_friend(program, step) => {
            friend_participant(tx, program, input, &referrer, referral, now).await?
        }
        None => None,
    };
    let decided = decide(tx, program, input, &referrer, referral, step, now).await?;
    create(
        tx,
        program,
        input,
        conversion.event_id,
        (&referrer, referee.as_ref()),
        decided,
        referral,
        outcome,
        now,
    )
    .await
}

/// Whether the friend's rule pays on this step.
pub(super) fn pays_friend(program: &Program, step: Step) -> bool {
    program
        .config
        .referee_reward
        .as_ref()
        .is_some_and(|r| r.answers(step.trigger.occurrence()))
}

/// The friend as a participant (they hold a reward before converting): enrolled with
/// the event's identity, in the advocate's language. `None` when the event names no
/// one.
pub(super) async fn friend_participant(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    referrer: &Participant,
    referral: &mut Referral,
    now: Millis,
) -> Result<Option<ParticipantId>> {
    if input.email.is_none() && input.external_id.is_none() {
        return Ok(None);
    }
    let p = match enroll_in(
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
            hasher: None,
            welcome_email: true,
        },
        now,
    )
    .await?
    {
        Enrolment::Created(p) | Enrolment::Existing(p) => p,
    };
    referral.referee_participant_id = Some(p.id.clone());
    Ok(Some(p.id))
}
