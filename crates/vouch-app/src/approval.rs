//! Approving rewards when their hold ends: the `approve_reward` job.

use serde::{Deserialize, Serialize};
use vouch_domain::attribution::ReferralStatus;
use vouch_domain::ids::{JobId, RewardId};
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;
use vouch_store::{NewJob, Store, StoreTx};

use super::move_reward;

pub const APPROVE_REWARD: &str = "approve_reward";

#[derive(Debug, Serialize, Deserialize)]
pub struct ApproveReward {
    pub reward_id: RewardId,
}

pub fn approve_job(reward_id: &RewardId, run_at: Millis) -> NewJob {
    NewJob {
        id: JobId::new(),
        kind: APPROVE_REWARD.into(),
        payload: serde_json::json!({ "reward_id": reward_id }),
        dedupe_key: Some(format!("{APPROVE_REWARD}:{reward_id}")),
        run_at,
    }
}

/// What an approval attempt found.
#[derive(Debug, PartialEq, Eq)]
pub enum Approval {
    Approved,
    /// The hold ends at this time (a clock ahead on another instance ran the job early).
    NotDue(Millis),
    /// Already approved, cancelled or gone: nothing to do.
    Nothing,
}

/// Approves a pending reward whose hold has ended, and marks its referral `rewarded`
/// once every reward of the conversion is approved. Safe to run twice.
pub async fn approve_reward_in(
    tx: &mut dyn StoreTx,
    reward_id: &RewardId,
    now: Millis,
) -> crate::error::Result<Approval> {
    let Some(mut reward) = tx.get_reward_for_update(reward_id).await? else {
        return Ok(Approval::Nothing);
    };
    // A coupon reward waiting for its pool is approved when codes arrive.
    if reward.status != RewardStatus::Pending || reward.pending_reason.is_some() {
        return Ok(Approval::Nothing);
    }
    if reward.approve_at > now {
        return Ok(Approval::NotDue(reward.approve_at));
    }
    move_reward(tx, &mut reward, RewardStatus::Approved, now).await?;
    if let Some(referral) = &reward.referral_id {
        settle_referral(tx, referral, now).await?;
    }
    Ok(Approval::Approved)
}

/// `converted` → `rewarded` when nothing of the referral is still pending.
pub async fn settle_referral(
    tx: &mut dyn StoreTx,
    referral_id: &vouch_domain::ids::ReferralId,
    now: Millis,
) -> crate::error::Result<()> {
    let Some(mut referral) = tx.get_referral_for_update(referral_id).await? else {
        return Ok(());
    };
    if referral.status != ReferralStatus::Converted {
        return Ok(());
    }
    let rewards = tx.rewards_for_referral(referral_id).await?;
    if !rewards.is_empty() && rewards.iter().all(|r| r.status == RewardStatus::Approved) {
        let event = referral.mark_rewarded(now)?;
        tx.update_referral(&referral).await?;
        tx.emit(vec![event]);
    }
    Ok(())
}

/// Runs one claimed `approve_reward` job in its own transaction, removing the job in
/// the same commit.
pub async fn run_job(
    store: &dyn Store,
    job_id: &JobId,
    payload: &serde_json::Value,
    now: Millis,
) -> anyhow::Result<()> {
    let job: ApproveReward = serde_json::from_value(payload.clone())?;
    let mut tx = store.begin().await?;
    match approve_reward_in(tx.as_mut(), &job.reward_id, now).await? {
        Approval::NotDue(at) => {
            drop(tx);
            store.retry_job(job_id, at, "hold not over yet").await?;
        }
        Approval::Approved | Approval::Nothing => {
            tx.finish_job(job_id).await?;
            tx.commit().await?;
        }
    }
    Ok(())
}
