//! `reward.requested`: a program may ask one of the merchant's webhook endpoints before
//! each of its rewards stands. The reward is created pending (`merchant_check`) in the
//! event's transaction with a `check_reward` job; the job sends the reward, signed like
//! every webhook, and waits up to the program's timeout. `{"approve": false}` cancels
//! the reward (through the ledger); anything else, an error or silence lets it go on:
//! approved at once when its hold is over, else when it ends. Either way the decision
//! is written to the audit log with what the endpoint answered.

use serde_json::json;
use vouch_domain::entities::PendingReason;
use vouch_domain::ids::{AuditId, JobId, RewardId, WorkspaceId};
use vouch_domain::reward::RewardStatus;
use vouch_domain::webhook::check_vetoes;
use vouch_domain::Millis;
use vouch_store::{AuditEntry, NewJob, Reward, Store};

use super::delivery::{Delivery, Sent};
use crate::approval::{approve_job, settle_referral};
use crate::move_reward;

pub const CHECK_REWARD: &str = "check_reward";
pub const MERCHANT_CHECK: PendingReason = PendingReason::MerchantCheck;

pub fn check_job(reward: &Reward, now: Millis) -> NewJob {
    NewJob {
        id: JobId::new(),
        kind: CHECK_REWARD.into(),
        payload: json!({"reward_id": reward.id, "workspace_id": reward.workspace_id}),
        dedupe_key: Some(format!("{CHECK_REWARD}:{}", reward.id)),
        run_at: now,
    }
}

/// What the endpoint said, for the audit log, and whether it vetoed.
struct Verdict {
    veto: Option<String>,
    answer: serde_json::Value,
}

async fn ask(
    store: &dyn Store,
    ctx: &Delivery,
    reward: &Reward,
    now: Millis,
) -> anyhow::Result<Verdict> {
    let proceed = |why: &str| Verdict {
        veto: None,
        answer: json!({ "skipped": why }),
    };
    let Some(program) = store.find_program(&reward.program_id).await? else {
        return Ok(proceed("the program is gone"));
    };
    let Some(check) = program.config.reward_check else {
        return Ok(proceed("the program no longer asks"));
    };
    let endpoint = match vouch_domain::ids::WebhookEndpointId::parse(&check.endpoint_id) {
        Some(id) => store.get_endpoint(&reward.workspace_id, &id).await?,
        None => None,
    };
    let Some(endpoint) = endpoint.filter(|e| e.enabled) else {
        return Ok(proceed("the endpoint is disabled or gone"));
    };
    let Some(sender) = &ctx.sender else {
        anyhow::bail!("this process does not send webhooks");
    };
    let keys = super::signing_keys(store, ctx.server_secret.as_deref(), &endpoint, now).await?;
    let id = format!("msg_check_{}", reward.id);
    let body = json!({
        "type": "reward.requested",
        "timestamp": vouch_domain::views::rfc3339(now),
        "data": vouch_domain::views::RewardOut::from(reward.clone()),
    })
    .to_string();
    let headers = super::delivery::signed_headers(&keys, &id, now, &body);
    let timeout = std::time::Duration::from_millis(check.timeout_ms);
    let sent = sender.send(&endpoint.url, headers, body, timeout).await;
    Ok(match sent {
        Sent::Answered {
            status,
            body,
            duration_ms,
        } => Verdict {
            veto: check_vetoes(Some(status), &body),
            answer: json!({
                "endpoint_id": endpoint.id, "status": status, "duration_ms": duration_ms,
                "body": body.chars().take(200).collect::<String>(),
            }),
        },
        Sent::Failed { error, duration_ms } => Verdict {
            veto: None,
            answer: json!({"endpoint_id": endpoint.id, "error": error, "duration_ms": duration_ms}),
        },
    })
}

/// Runs one `check_reward` job.
pub async fn run_job(
    store: &dyn Store,
    ctx: &Delivery,
    job: &JobId,
    payload: &serde_json::Value,
    now: Millis,
) -> anyhow::Result<()> {
    let ids = payload["reward_id"].as_str().and_then(RewardId::parse).zip(
        payload["workspace_id"]
            .as_str()
            .and_then(WorkspaceId::parse),
    );
    let Some((reward_id, ws)) = ids else {
        anyhow::bail!("job without a reward or workspace id");
    };
    let waiting =
        |r: &Reward| r.status == RewardStatus::Pending && r.pending_reason == Some(MERCHANT_CHECK);
    let verdict = match store.get_reward(&ws, &reward_id).await? {
        Some(r) if waiting(&r) => ask(store, ctx, &r, now).await?,
        _ => {
            let mut tx = store.begin().await?;
            tx.finish_job(job).await?;
            tx.commit().await?;
            return Ok(());
        }
    };
    let mut tx = store.begin().await?;
    tx.finish_job(job).await?;
    let Some(mut reward) = tx.get_reward_for_update(&reward_id).await? else {
        tx.commit().await?;
        return Ok(());
    };
    if !waiting(&reward) {
        tx.commit().await?;
        return Ok(());
    }
    reward.pending_reason = None;
    reward.updated_at = now;
    let action = match &verdict.veto {
        Some(_) => {
            move_reward(tx.as_mut(), &mut reward, RewardStatus::Cancelled, now).await?;
            "reward_check.vetoed"
        }
        None if reward.approve_at <= now => {
            move_reward(tx.as_mut(), &mut reward, RewardStatus::Approved, now).await?;
            if let Some(referral) = &reward.referral_id {
                settle_referral(tx.as_mut(), referral, now).await?;
            }
            "reward_check.passed"
        }
        None => {
            tx.update_reward(&reward).await?;
            tx.enqueue_job(&approve_job(&reward.id, reward.approve_at))
                .await?;
            "reward_check.passed"
        }
    };
    tx.insert_audit(&AuditEntry {
        id: AuditId::new(),
        workspace_id: reward.workspace_id.clone(),
        actor: "system".into(),
        action: action.into(),
        subject_type: "reward".into(),
        subject_id: reward.id.to_string(),
        reason: verdict.veto.clone(),
        data: verdict.answer,
        created_at: now,
    })
    .await?;
    tx.commit().await?;
    metrics::counter!("vouch_reward_checks_total", "vetoed" => verdict.veto.is_some().to_string())
        .increment(1);
    Ok(())
}
