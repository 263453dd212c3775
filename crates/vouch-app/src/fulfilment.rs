//! Fulfilment: the merchant reports that an approved gift card, custom reward or coupon
//! was delivered (`POST /api/v1/rewards/{id}/fulfill`).

use vouch_domain::ids::{RewardId, WorkspaceId};
use vouch_domain::reward::RewardStatus;
use vouch_domain::rules::RewardKind;
use vouch_store::{Reward, Store};

use super::move_reward;
use crate::error::{AppError, Result};

/// Marks an approved reward fulfilled, with the merchant's optional reference. Doing it
/// again answers the fulfilled reward unchanged.
pub async fn fulfil(
    store: &dyn Store,
    ws: &WorkspaceId,
    id: &RewardId,
    reference: Option<String>,
    now: vouch_domain::Millis,
) -> Result<Reward> {
    let mut tx = store.begin().await?;
    let mut reward = tx
        .get_reward_for_update(id)
        .await?
        .filter(|r| &r.workspace_id == ws)
        .ok_or(AppError::NotFound { what: "reward" })?;
    if !(reward.kind.needs_fulfilment() || reward.kind == RewardKind::Coupon) {
        return Err(AppError::Conflict {
            code: "reward_not_fulfillable",
            field: None,
            message: format!(
                "{} rewards are not fulfilled by hand: credit and points are redeemed, cash \
                 is paid out",
                reward.kind.as_str()
            ),
        });
    }
    match reward.status {
        RewardStatus::Approved => {
            reward.fulfilment_reference = reference;
            reward.fulfilled_at = Some(now);
            move_reward(tx.as_mut(), &mut reward, RewardStatus::Fulfilled, now).await?;
            tx.commit().await?;
            Ok(reward)
        }
        RewardStatus::Fulfilled | RewardStatus::Redeemed => Ok(reward),
        RewardStatus::Pending => Err(AppError::Conflict {
            code: "reward_not_approved",
            field: None,
            message: match reward.pending_reason {
                Some(r) => format!("the reward is pending ({})", r.as_str()),
                None => "the reward is still in its hold period".into(),
            },
        }),
        RewardStatus::Cancelled | RewardStatus::Reversed => Err(AppError::Conflict {
            code: "reward_not_fulfillable",
            field: None,
            message: format!("the reward was {}", reward.status.as_str()),
        }),
    }
}
