//! Spending credit: a transfer from the participant's available balance to their
//! redeemed account, never beyond what is available.

use vouch_domain::ids::{LedgerTxId, RedemptionId};
use vouch_domain::ledger::{self, RedeemError};
use vouch_domain::money::Money;
use vouch_store::{NewLedgerTx, Participant, ParticipantStatus, Redemption, Store};

use crate::error::{AppError, Result};

pub struct RedeemInput {
    pub money: Money,
    pub idempotency_key: Option<String>,
    pub reference: Option<String>,
}

/// A new redemption, or the one a retried request already made.
pub enum Redeemed {
    Created(Redemption),
    Replayed(Redemption),
}

const ATTEMPTS: usize = 4;

pub async fn redeem(
    store: &dyn Store,
    participant: &Participant,
    input: &RedeemInput,
    now: vouch_domain::Millis,
) -> Result<Redeemed> {
    if participant.status == ParticipantStatus::Blocked {
        return Err(AppError::Conflict {
            code: "participant_blocked",
            field: None,
            message: "a blocked participant cannot redeem".into(),
        });
    }
    let mut last = None;
    for _ in 0..ATTEMPTS {
        match attempt(store, participant, input, now).await {
            Err(AppError::Store(e)) if e.is_retryable() => last = Some(e),
            other => return other,
        }
    }
    Err(last
        .map(AppError::Store)
        .unwrap_or_else(|| AppError::Internal(anyhow::anyhow!("redemption retries exhausted"))))
}

async fn attempt(
    store: &dyn Store,
    participant: &Participant,
    input: &RedeemInput,
    now: vouch_domain::Millis,
) -> Result<Redeemed> {
    let id = RedemptionId::new();
    let key = input
        .idempotency_key
        .clone()
        .unwrap_or_else(|| id.to_string());
    let mut tx = store.begin().await?;
    // One redemption of a participant at a time, so two cannot both spend one balance.
    tx.lock(&format!("participant:{}", participant.id)).await?;
    if let Some(existing) = tx.find_redemption(&participant.id, &key).await? {
        return Ok(Redeemed::Replayed(existing));
    }
    let available = tx
        .available_balance(&participant.id, &input.money.currency)
        .await?;
    let postings =
        ledger::redeem(&participant.id, input.money, available).map_err(|e| match e {
            RedeemError::NotPositive => AppError::invalid("amount", "must be greater than 0"),
            RedeemError::Overdraw { available } => AppError::invalid(
                "amount",
                format!(
                    "exceeds the available balance of {}",
                    Money::new(available, input.money.currency)
                ),
            ),
        })?;
    let redemption = Redemption {
        id: id.clone(),
        workspace_id: participant.workspace_id.clone(),
        participant_id: participant.id.clone(),
        amount: input.money.amount,
        currency: input.money.currency,
        idempotency_key: key,
        reference: input.reference.clone(),
        created_at: now,
    };
    if !tx.insert_redemption(&redemption).await? {
        return Err(AppError::Conflict {
            code: "redemption_in_progress",
            field: None,
            message: "the same redemption is being recorded by another request; retry".into(),
        });
    }
    tx.post_ledger(&[NewLedgerTx {
        id: LedgerTxId::new(),
        workspace_id: participant.workspace_id.clone(),
        idempotency_key: format!("redemption:{id}"),
        kind: "redemption".into(),
        reward_id: None,
        postings,
        created_at: now,
    }])
    .await?;
    tx.commit().await?;
    metrics::counter!("vouch_redemptions_total").increment(1);
    Ok(Redeemed::Created(redemption))
}
