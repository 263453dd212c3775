//! The review queue: referrals the fraud rules held, approved or rejected by a person.
//! Approving releases their rewards (approved at once when the hold has passed);
//! rejecting cancels them, and reverses through the ledger those already approved.
//! Every decision goes to the audit log.

use vouch_domain::ids::{AuditId, ReferralId, WorkspaceId};
use vouch_domain::reward::RewardStatus;
use vouch_store::{AuditEntry, Referral, Store};

use super::approval::{approve_job, settle_referral};
use super::fraud::HELD_FOR_REVIEW;
use super::move_reward;
use crate::error::{AppError, Result};
use vouch_store::Review;

/// Who decided, and why.
pub struct Verdict<'a> {
    pub approve: bool,
    pub reason: Option<String>,
    /// The API key id, for the audit log.
    pub actor: &'a str,
}

/// Decides one held referral. Deciding it the same way again returns it unchanged;
/// a referral that is not held (or was decided the other way) is a 409.
pub async fn decide(
    store: &dyn Store,
    ws: &WorkspaceId,
    id: &ReferralId,
    v: &Verdict<'_>,
    now: vouch_domain::Millis,
) -> Result<Referral> {
    let mut tx = store.begin().await?;
    let found = tx
        .get_referral_for_update(id)
        .await?
        .filter(|r| &r.workspace_id == ws)
        .ok_or(AppError::NotFound { what: "referral" })?;
    // The same lock conversions take, so no reward of this referral appears meanwhile.
    tx.lock(&format!("participant:{}", found.referrer_participant_id))
        .await?;
    let mut referral = tx
        .get_referral_for_update(id)
        .await?
        .ok_or(AppError::NotFound { what: "referral" })?;
    let target = if v.approve {
        Review::Approved
    } else {
        Review::Rejected
    };
    match referral.review {
        Some(r) if r == target => return Ok(referral),
        Some(Review::Pending) => {}
        _ => {
            return Err(AppError::Conflict {
                code: "not_in_review",
                field: None,
                message: match &referral.review {
                    Some(r) => format!("the referral was already {}", r.as_str()),
                    None => "the referral is not held for review".into(),
                },
            })
        }
    }
    let event = if v.approve {
        referral.approve_review(now)?
    } else {
        referral.reject_review(now)?
    };
    for mut reward in tx.rewards_for_referral(id).await? {
        if !v.approve {
            // Rejected: whatever it earned goes, through the ledger when it was already
            // approved (a referral held with a ring or a refund pattern found later).
            if let Some(next) = reward.status.after_refund() {
                reward.pending_reason = None;
                move_reward(tx.as_mut(), &mut reward, next, now).await?;
            }
            continue;
        }
        if reward.status != RewardStatus::Pending || reward.pending_reason != Some(HELD_FOR_REVIEW)
        {
            continue;
        }
        reward.pending_reason = None;
        if reward.approve_at <= now {
            // Reviewed after the hold has passed: approved now.
            move_reward(tx.as_mut(), &mut reward, RewardStatus::Approved, now).await?;
        } else {
            reward.updated_at = now;
            tx.update_reward(&reward).await?;
            tx.enqueue_job(&approve_job(&reward.id, reward.approve_at))
                .await?;
        }
    }
    tx.update_referral(&referral).await?;
    tx.emit(vec![event]);
    if v.approve {
        settle_referral(tx.as_mut(), id, now).await?;
    }
    tx.insert_audit(&AuditEntry {
        id: AuditId::new(),
        workspace_id: ws.clone(),
        actor: v.actor.to_owned(),
        action: format!("review.{}", target.as_str()),
        subject_type: "referral".into(),
        subject_id: id.to_string(),
        reason: v.reason.clone(),
        data: serde_json::json!({
            "risk_score": referral.risk_score,
            "signals": referral.signals,
        }),
        created_at: now,
    })
    .await?;
    tx.commit().await?;
    store
        .get_referral(ws, id)
        .await?
        .ok_or(AppError::NotFound { what: "referral" })
}

/// A manual decision about someone else than a referral (blocking, the block list).
#[expect(clippy::too_many_arguments, reason = "one entry's fields")]
pub async fn audit(
    store: &dyn Store,
    ws: &WorkspaceId,
    actor: &str,
    action: &str,
    subject: (&str, String),
    reason: Option<String>,
    data: serde_json::Value,
    now: vouch_domain::Millis,
) -> Result<()> {
    store
        .audit(&AuditEntry {
            id: AuditId::new(),
            workspace_id: ws.clone(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject_type: subject.0.to_owned(),
            subject_id: subject.1,
            reason,
            data,
            created_at: now,
        })
        .await?;
    Ok(())
}
