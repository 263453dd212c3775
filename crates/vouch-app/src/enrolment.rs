//! Enrolling an advocate: one participant per person per program, with a referral code.

use vouch_domain::code::ReferralCode;
use vouch_domain::email::Email;
use vouch_domain::ids::{ParticipantId, ReferralId};
use vouch_store::{Enrolment, NewParticipant, Program, StoreError, StoreTx};

use vouch_domain::rules;

use super::rewarding;
use crate::error::{AppError, Result};

#[derive(Debug)]
pub struct EnrolmentInput {
    pub email: Option<Email>,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub locale: String,
    pub vanity_code: Option<ReferralCode>,
    pub referred_by: Option<ReferralId>,
    /// Their network and device as seen when they joined (for self-referral checks).
    pub fingerprint: vouch_store::Fingerprint,
    /// The workspace's keyed hasher: with it, the advocate's device, card and mailbox
    /// join the identity graph the fraud rules compare friends with.
    pub hasher: Option<crate::hashing::IpHasher>,
    /// Whether they get the welcome email (imports ask for it; everyone else does).
    pub welcome_email: bool,
}

/// Generated codes collide about once in 10^11; a few tries are plenty.
const CODE_ATTEMPTS: usize = 5;

/// Enrols inside the caller's transaction. An already enrolled email or external id
/// gives back the existing participant.
pub async fn enroll_in(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EnrolmentInput,
    now: vouch_domain::Millis,
) -> Result<Enrolment> {
    let new = NewParticipant {
        id: ParticipantId::new(),
        workspace_id: program.workspace_id.clone(),
        program_id: program.id.clone(),
        email: input.email.as_ref().map(|e| e.as_str().to_owned()),
        email_normalized: input.email.as_ref().map(|e| e.normalized().to_owned()),
        name: input.name.clone(),
        external_id: input.external_id.clone(),
        locale: input.locale.clone(),
        referred_by_referral_id: input.referred_by.clone(),
        fingerprint: input.fingerprint.clone(),
        created_at: now,
    };
    // A control customer is not shown the program; a friend who came through a
    // referral has seen it already.
    if input.referred_by.is_none() {
        if let Some(existing) = crate::holdout::check_enrolment(
            tx,
            program,
            new.email_normalized.as_deref(),
            new.external_id.as_deref(),
        )
        .await?
        {
            return Ok(Enrolment::Existing(existing));
        }
    }
    let enrolment = enroll_with_code(tx, &new, input).await?;
    if let Enrolment::Created(p) = &enrolment {
        let mut event = p.enrolled(now);
        if !input.welcome_email {
            // Read by the emails subscriber; webhooks see it too.
            event.data["welcome_email"] = serde_json::Value::Bool(false);
        }
        tx.emit(vec![event]);
        if let Some(hasher) = &input.hasher {
            let email = p.email_normalized.as_deref();
            let person = crate::fraud::person_key(hasher, email, &format!("participant:{}", p.id));
            tx.record_identities(&vouch_store::Showing {
                workspace: &program.workspace_id,
                person: &person,
                role: "advocate",
                advocate: &p.id,
                referral: None,
                marks: &crate::fraud::identity_marks(hasher, &input.fingerprint, email),
                at: now,
            })
            .await?;
        }
    }
    if let (Enrolment::Created(p), None, Some(rule)) = (
        &enrolment,
        &input.referred_by,
        &program.config.welcome_reward,
    ) {
        let c = &program.config;
        // The same budget as every other reward, under the same lock.
        let spent = match c.caps.budget {
            Some(budget) => {
                tx.lock(&format!("program:{}:budget", program.id)).await?;
                let answers = tx
                    .advocate_totals(&vouch_store::TotalsQuery {
                        referrer: &p.id,
                        conversions: vec![],
                        usage: None,
                        referral: None,
                        spend: Some((&program.id, budget.currency)),
                    })
                    .await?;
                rules::budget_spent(c, &answers)
            }
            None => 0,
        };
        let decision = rules::welcome(&c.rules(), rule, spent, now);
        let plans: Vec<_> = decision
            .plans
            .into_iter()
            .map(|plan| (plan, p.id.clone()))
            .collect();
        if !plans.is_empty() {
            rewarding::create_rewards(
                tx,
                program,
                plans,
                rewarding::Source {
                    referral: None,
                    event: None,
                    inputs: serde_json::json!({ "trigger": "welcome" }),
                    held_for_review: false,
                },
                now,
            )
            .await?;
        }
    }
    Ok(enrolment)
}

async fn enroll_with_code(
    tx: &mut dyn StoreTx,
    new: &NewParticipant,
    input: &EnrolmentInput,
) -> Result<Enrolment> {
    if let Some(code) = &input.vanity_code {
        return match tx.enroll(new, code).await {
            Err(StoreError::Conflict {
                what: "referral_code",
            }) => Err(AppError::Conflict {
                code: "referral_code_taken",
                field: Some("referral_code".into()),
                message: format!("the referral code {} is already taken", code.display()),
            }),
            other => Ok(other?),
        };
    }
    for _ in 0..CODE_ATTEMPTS {
        match tx.enroll(new, &ReferralCode::generate()).await {
            Err(StoreError::Conflict {
                what: "referral_code",
            }) => continue,
            other => return Ok(other?),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "could not find a free referral code"
    )))
}

/// Enrols in a transaction of its own.
pub async fn enroll(
    store: &dyn vouch_store::Store,
    program: &Program,
    input: &EnrolmentInput,
    now: vouch_domain::Millis,
) -> Result<Enrolment> {
    let mut tx = store.begin().await?;
    let out = enroll_in(tx.as_mut(), program, input, now).await?;
    tx.commit().await?;
    Ok(out)
}
