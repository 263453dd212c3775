//! Turning the domain's reward plans into rewards: the facts the rules read (gathered
//! under the advocate's lock), coupons generated or drawn from a pool, ledger entries
//! and approval jobs, all in the caller's transaction.

use rand::Rng;
use vouch_domain::code::ALPHABET;
use vouch_domain::ids::{CouponPoolId, EventId, LedgerTxId, ParticipantId, ReferralId};
use vouch_domain::ledger;
use vouch_domain::reward::RewardStatus;
use vouch_domain::rules::{self, Facts, Payment, Plan, RewardKind};
use vouch_domain::Millis;
use vouch_store::{NewLedgerTx, Participant, PendingReason, Program, Reward, StoreTx, TotalsQuery};

use super::approval::approve_job;
use crate::error::{AppError, Result};

/// Why a pending reward waits beyond its hold: its coupon pool has no free code.
pub const POOL_EMPTY: PendingReason = PendingReason::CouponPoolEmpty;

/// A coupon code: 10 characters of the unambiguous alphabet, grouped for reading.
pub fn coupon_code() -> String {
    let mut rng = rand::thread_rng();
    let mut s = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            s.push('-');
        }
        s.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    s
}

/// Reads what the rules need about the advocate and the program: the domain's
/// [`questions`](rules::questions), answered by the store in one round trip. The caller
/// holds the advocate's lock; with a budget, this also takes the program's, so two
/// conversions of different advocates cannot both spend the last of it.
pub async fn gather_facts(
    tx: &mut dyn StoreTx,
    program: &Program,
    referrer: &Participant,
    referral: Option<&ReferralId>,
    payment: &Payment,
) -> Result<Facts> {
    let c = &program.config;
    let q = rules::questions(c, payment);
    if c.caps.budget.is_some() {
        tx.lock(&format!("program:{}:budget", program.id)).await?;
    }
    let answers = tx
        .advocate_totals(&TotalsQuery {
            referrer: &referrer.id,
            conversions: q.conversions.clone(),
            usage: q.usage,
            referral,
            spend: q.spend.map(|currency| (&program.id, currency)),
        })
        .await?;
    Ok(rules::facts(c, payment, &q, &answers, false))
}

/// The participant who referred `referrer`, when the program pays a second level.
pub async fn upline(
    tx: &mut dyn StoreTx,
    program: &Program,
    referrer: &Participant,
) -> Result<Option<ParticipantId>> {
    if program.config.multi_level.is_none() {
        return Ok(None);
    }
    let Some(referral_id) = &referrer.referred_by else {
        return Ok(None);
    };
    Ok(tx
        .get_referral_for_update(referral_id)
        .await?
        .map(|r| r.referrer_participant_id)
        .filter(|p| *p != referrer.id))
}

/// Where a reward comes from: the referral and event, and what the rules were given.
pub struct Source<'a> {
    pub referral: Option<&'a ReferralId>,
    pub event: Option<&'a EventId>,
    pub inputs: serde_json::Value,
    /// The referral waits in the review queue: its rewards stay pending until decided.
    pub held_for_review: bool,
}

/// Creates the planned rewards, each for its participant: written once in its final
/// status (approved at once when the hold is over), with its ledger entries and, while
/// pending, an approval job. Returns the rewards that were new.
pub async fn create_rewards(
    tx: &mut dyn StoreTx,
    program: &Program,
    plans: Vec<(Plan, ParticipantId)>,
    source: Source<'_>,
    now: Millis,
) -> Result<Vec<Reward>> {
    let mut rewards = Vec::with_capacity(plans.len());
    for (plan, participant) in plans {
        // The merchant's check, when the program has one, answers before it stands.
        let checked = program.config.reward_check.is_some() && !source.held_for_review;
        let status = if plan.approve_at <= now && !source.held_for_review && !checked {
            RewardStatus::Approved
        } else {
            RewardStatus::Pending
        };
        let mut reward = Reward::new_plain(
            program,
            participant,
            source.referral.cloned(),
            source.event.cloned(),
            plan.role,
            plan.trigger,
            plan.kind,
            plan.money,
            status,
            plan.approve_at,
            now,
        );
        reward.rule = serde_json::to_value(&plan.rule).map_err(|e| AppError::Internal(e.into()))?;
        let mut inputs = source.inputs.clone();
        if let Some(obj) = inputs.as_object_mut() {
            obj.insert(
                "explanation".into(),
                serde_json::to_value(&plan.explanation)
                    .map_err(|e| AppError::Internal(e.into()))?,
            );
        }
        reward.inputs = inputs;
        if source.held_for_review {
            reward.pending_reason = Some(super::fraud::HELD_FOR_REVIEW);
        } else if checked {
            reward.pending_reason = Some(crate::webhooks::reward_check::MERCHANT_CHECK);
        }
        if let (RewardKind::Coupon, Some(spec)) = (plan.kind, &plan.rule.coupon) {
            // A coupon's days run from when it is issued (a code waiting for its pool
            // is issued when codes arrive).
            match spec.pool_id.as_deref().and_then(CouponPoolId::parse) {
                Some(pool) => match tx.draw_pool_code(&pool, &program.id, &reward.id).await? {
                    Some(code) => {
                        reward.coupon_code = Some(code);
                        reward.coupon_expires_at = rules::coupon_expiry(spec, now);
                    }
                    None => {
                        // Never fails the event: the reward waits for codes.
                        reward.status = RewardStatus::Pending;
                        reward.pending_reason = Some(POOL_EMPTY);
                    }
                },
                None => {
                    reward.coupon_code = Some(coupon_code());
                    reward.coupon_expires_at = rules::coupon_expiry(spec, now);
                }
            }
        }
        rewards.push(reward);
    }
    let inserted = tx.insert_rewards(&rewards).await?;
    rewards.retain(|r| inserted.contains(&r.id));
    tx.emit(rewards.iter().flat_map(|r| r.created(now)).collect());
    let mut entries = vec![];
    for reward in &rewards {
        // The ledger tells both steps: earned (pending), then approved.
        let mut steps = vec![(None, RewardStatus::Pending, "earned")];
        if reward.status == RewardStatus::Approved {
            steps.push((
                Some(RewardStatus::Pending),
                RewardStatus::Approved,
                "approved",
            ));
        }
        for (from, to, name) in steps {
            if let Some(postings) = ledger::reward_transition(
                &program.id,
                &reward.participant_id,
                reward.kind,
                reward.money(),
                from,
                to,
            ) {
                entries.push(NewLedgerTx {
                    id: LedgerTxId::new(),
                    workspace_id: program.workspace_id.clone(),
                    idempotency_key: format!("reward:{}:{name}", reward.id),
                    kind: format!("reward_{name}"),
                    reward_id: Some(reward.id.clone()),
                    postings,
                    created_at: now,
                });
            }
        }
        if reward.pending_reason == Some(crate::webhooks::reward_check::MERCHANT_CHECK) {
            tx.enqueue_job(&crate::webhooks::reward_check::check_job(reward, now))
                .await?;
        } else if reward.status == RewardStatus::Pending && reward.approve_at > now {
            tx.enqueue_job(&approve_job(&reward.id, reward.approve_at))
                .await?;
        }
    }
    tx.post_ledger(&entries).await?;
    Ok(rewards)
}
