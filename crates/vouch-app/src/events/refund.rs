//! Coupons spent and orders refunded: cancelled or reversed rewards, clawbacks of percent rewards, the referral reversed.

use crate::error::{AppError, Result};
use crate::move_reward;
use vouch_domain::ids::{LedgerTxId, ParticipantId};
use vouch_domain::ledger;
use vouch_domain::money::Money;
use vouch_domain::reward::{RewardStatus, Role};
use vouch_domain::Millis;
use vouch_store::{NewLedgerTx, Program, StoreTx};

use super::*;

/// The advocate whose referred friend was issued `code`.
pub(super) async fn coupon_advocate(
    tx: &mut dyn StoreTx,
    program: &Program,
    code: &str,
) -> Result<Option<ParticipantId>> {
    let Some(reward) = tx.find_coupon_reward(&program.id, code).await? else {
        return Ok(None);
    };
    if reward.role != Role::Referee {
        return Ok(None);
    }
    let Some(referral_id) = &reward.referral_id else {
        return Ok(None);
    };
    Ok(tx
        .get_referral_for_update(referral_id)
        .await?
        .map(|r| r.referrer_participant_id))
}

/// A payment that used a coupon Vouch issued: the coupon is spent.
pub(super) async fn redeem_coupon(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    outcome: &mut Outcome,
    now: Millis,
) -> Result<()> {
    let Some(code) = &input.coupon_code else {
        return Ok(());
    };
    let Some(mut reward) = tx.find_coupon_reward(&program.id, code).await? else {
        return Ok(());
    };
    if matches!(
        reward.status,
        RewardStatus::Approved | RewardStatus::Fulfilled
    ) {
        move_reward(tx, &mut reward, RewardStatus::Redeemed, now).await?;
        outcome.rewards.push(reward);
    }
    Ok(())
}

/// A refund of an order: pending rewards are cancelled, approved ones reversed with a
/// ledger entry, and the referral that order converted is reversed.
pub(super) async fn refund(
    tx: &mut dyn StoreTx,
    program: &Program,
    input: &EventInput,
    event_id: &vouch_domain::ids::EventId,
    now: Millis,
) -> Result<Outcome> {
    let mut outcome = Outcome::default();
    let Some(order_id) = &input.order_id else {
        return Err(AppError::invalid("order_id", "is required for a refund"));
    };
    let Some(purchase) = tx.find_purchase(&program.id, order_id).await? else {
        return Ok(outcome);
    };
    // This refund is already recorded, so the total includes it.
    let refunded = tx.refunded_total(&program.id, order_id).await?;
    let order = purchase.amount.unwrap_or(0);
    let full = order <= 0 || refunded >= order;
    // A refund of "the whole order" is counted in reports at what the order had left.
    if let (None, Some(amount), Some(currency)) = (input.amount, purchase.amount, purchase.currency)
    {
        tx.fill_refund_amount(
            event_id,
            &program.id,
            order_id,
            Money::new(amount, currency),
        )
        .await?;
    }
    for mut reward in tx.rewards_for_event(&purchase.id).await? {
        if full {
            if let Some(next) = reward.status.after_refund() {
                move_reward(tx, &mut reward, next, now).await?;
                outcome.rewards.push(reward);
            }
            continue;
        }
        // A partial refund shrinks only rewards that were a percent of the order.
        let percent_based = reward
            .inputs
            .pointer("/explanation/percent")
            .is_some_and(|p| !p.is_null());
        if !percent_based || reward.status.after_refund().is_none() {
            continue;
        }
        let share = ledger::refund_share(reward.amount, reward.reversed_amount, order, refunded);
        if share <= 0 {
            continue;
        }
        if let Some(postings) = ledger::partial_reversal(
            &program.id,
            &reward.participant_id,
            reward.kind,
            Money::new(share, reward.currency),
            reward.status,
        ) {
            tx.post_ledger(&[NewLedgerTx {
                id: LedgerTxId::new(),
                workspace_id: program.workspace_id.clone(),
                idempotency_key: format!("reward:{}:partial:{}", reward.id, reward.reversed_amount),
                kind: "reward_partially_reversed".into(),
                reward_id: Some(reward.id.clone()),
                postings,
                created_at: now,
            }])
            .await?;
        }
        tx.adjust_program_spend(&program.id, &reward.currency, -share)
            .await?;
        let event = reward.reverse_partially(share, now);
        tx.update_reward(&reward).await?;
        tx.emit(vec![event]);
        outcome.rewards.push(reward);
    }
    // The referral the purchase was attributed to, even when it earned nothing.
    let referral_id = purchase
        .referral_id
        .clone()
        .or_else(|| outcome.rewards.first().and_then(|r| r.referral_id.clone()));
    if let Some(id) = referral_id {
        if let Some(mut referral) = tx.get_referral_for_update(&id).await? {
            if full && referral.conversion_event_id.as_ref() == Some(&purchase.id) {
                if let Some(event) = referral.reverse(now) {
                    tx.update_referral(&referral).await?;
                    tx.emit(vec![event]);
                    crate::fraud::after_refund(tx, program, &mut referral, now).await?;
                }
            }
            outcome.customer = Some(referral.customer_id.clone());
            outcome.referral = Some(referral);
        }
    }
    Ok(outcome)
}
