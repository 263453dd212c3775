//! The use cases: each gathers facts from the store, asks the domain to decide, and
//! persists the decision with its domain events (the outbox) in one transaction. The
//! HTTP server, the job worker and the CLI (`vouch demo`, `vouch simulate-fraud`) all
//! call these; none of it knows about HTTP. Time comes from [`clock::Clock`].
#![forbid(unsafe_code)]

pub mod analytics;
pub mod approval;
pub mod blocking;
pub mod cache;
pub mod clock;
pub mod cohorts;
pub mod contests;
pub mod coupons;
pub mod emails;
pub mod enrolment;
pub mod error;
pub mod events;
pub mod fraud;
pub mod fulfilment;
pub mod hashing;
pub mod holdout;
pub mod imports;
pub mod integrations;
pub mod jobs;
pub mod likely;
pub mod outbox;
pub mod payouts;
pub mod redemptions;
pub mod reviews;
pub mod rewarding;
pub mod rollups;
pub mod sealing;
pub mod simulation;
pub mod webhooks;
pub mod workspaces;

use vouch_domain::ids::LedgerTxId;
use vouch_domain::ledger;
use vouch_domain::money::Money;
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;
use vouch_store::{NewLedgerTx, Reward, StoreTx};

/// Moves a reward to `to` (an illegal move is an error), posting the matching ledger
/// transaction (once: its key is the reward and the new status) and its domain event.
pub(crate) async fn move_reward(
    tx: &mut dyn StoreTx,
    reward: &mut Reward,
    to: RewardStatus,
    now: Millis,
) -> crate::error::Result<()> {
    let from = reward.status;
    let event = reward.move_to(to, now)?;
    // Partial refunds already took part of it back.
    let remaining = Money::new(reward.amount - reward.reversed_amount, reward.currency);
    let postings = ledger::reward_transition(
        &reward.program_id,
        &reward.participant_id,
        reward.kind,
        remaining,
        Some(from),
        to,
    )
    .filter(|_| remaining.amount > 0);
    if let Some(postings) = postings {
        tx.post_ledger(&[NewLedgerTx {
            id: LedgerTxId::new(),
            workspace_id: reward.workspace_id.clone(),
            idempotency_key: format!("reward:{}:{}", reward.id, to.as_str()),
            kind: format!("reward_{}", to.as_str()),
            reward_id: Some(reward.id.clone()),
            postings,
            created_at: now,
        }])
        .await?;
    }
    // A reward that stops standing no longer counts against the program's budget.
    if !to.stands() && from.stands() && remaining.amount != 0 {
        tx.adjust_program_spend(&reward.program_id, &reward.currency, -remaining.amount)
            .await?;
    }
    tx.update_reward(reward).await?;
    tx.emit(vec![event]);
    Ok(())
}
