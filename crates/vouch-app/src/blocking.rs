//! Blocking an advocate: their links stop working and stop attributing, and what they
//! earned but is still in its hold is cancelled (approved credit stays theirs).

use vouch_domain::reward::RewardStatus;
use vouch_store::{Participant, ParticipantStatus, Reward, Store};

use super::move_reward;
use crate::error::Result;
use vouch_domain::Millis;

/// Blocks the participant; returns the rewards this cancelled. Blocking twice changes
/// nothing the second time.
pub async fn block(
    store: &dyn Store,
    participant: &Participant,
    now: Millis,
) -> Result<Vec<Reward>> {
    let mut tx = store.begin().await?;
    // The same lock conversions take: no reward of theirs is created meanwhile.
    tx.lock(&format!("participant:{}", participant.id)).await?;
    let mut participant = participant.clone();
    if let Some(event) = participant.block(now) {
        tx.set_participant_status(&participant.id, ParticipantStatus::Blocked)
            .await?;
        tx.emit(vec![event]);
    }
    let mut cancelled = tx
        .participant_rewards(&participant.id, RewardStatus::Pending)
        .await?;
    for reward in &mut cancelled {
        move_reward(tx.as_mut(), reward, RewardStatus::Cancelled, now).await?;
    }
    tx.commit().await?;
    Ok(cancelled)
}

/// Lets a blocked participant's links and referrals work again. What blocking
/// cancelled stays cancelled.
pub async fn unblock(store: &dyn Store, participant: &Participant, now: Millis) -> Result<()> {
    let mut tx = store.begin().await?;
    tx.lock(&format!("participant:{}", participant.id)).await?;
    let mut participant = participant.clone();
    if let Some(event) = participant.unblock(now) {
        tx.set_participant_status(&participant.id, ParticipantStatus::Active)
            .await?;
        tx.emit(vec![event]);
    }
    tx.commit().await?;
    Ok(())
}
