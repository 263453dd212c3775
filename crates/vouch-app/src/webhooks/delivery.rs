//! Delivering webhooks. The outbox's `webhooks` subscriber turns each domain event into
//! one message per endpoint that wants it, and a job for it, in the dispatch
//! transaction (so each event is queued once). The job signs the message (Standard
//! Webhooks) and sends it through a [`Sender`] outside any transaction; the outcome,
//! the next attempt (on the retry schedule, with jitter) and the endpoint's health are
//! written together with the end of the job. Jobs are leased, so several instances
//! never send one attempt twice.

use std::sync::Arc;

use async_trait::async_trait;
use rand::Rng;
use serde_json::json;
use vouch_domain::ids::{JobId, MessageId};
use vouch_domain::webhook::{next_attempt, signature_header, DISABLE_AFTER_MS};
use vouch_domain::Millis;
use vouch_store::{
    MessageStatus, NewJob, OutboxEvent, Store, StoreTx, WebhookEndpoint, WebhookMessage,
};

use crate::error::{AppError, Result};
use crate::outbox::Subscriber;

pub const DELIVER_WEBHOOK: &str = "deliver_webhook";
/// Kept of an answer's body in the log.
const LOGGED_ANSWER: usize = 1024;

/// One HTTP attempt's outcome.
#[derive(Debug, Clone)]
pub enum Sent {
    Answered {
        status: u16,
        body: String,
        duration_ms: i64,
    },
    /// No answer: refused by the address guard, DNS, connect, TLS or the timeout.
    Failed { error: String, duration_ms: i64 },
}

/// Sends one signed message (the server's implementation: reqwest, at most 10 s, no
/// redirects, the private-address guard).
#[async_trait]
pub trait Sender: Send + Sync {
    async fn send(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: String,
        timeout: std::time::Duration,
    ) -> Sent;
}

/// How long a delivery waits for an answer.
pub const DELIVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the job runner needs to deliver webhooks.
#[derive(Clone, Default)]
pub struct Delivery {
    pub sender: Option<Arc<dyn Sender>>,
    pub server_secret: Option<String>,
}

/// The outbox subscriber that queues messages.
pub struct Webhooks;

#[async_trait]
impl Subscriber for Webhooks {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    async fn handle(&self, tx: &mut dyn StoreTx, events: &[OutboxEvent]) -> anyhow::Result<()> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        let endpoints = tx.enabled_endpoints(&first.event.workspace_id).await?;
        if endpoints.is_empty() {
            return Ok(());
        }
        for e in events {
            let ev = &e.event;
            let kind = ev.kind.as_str();
            // An endpoint hears of what happens after it was made, not the history
            // a new subscriber replays.
            for endpoint in endpoints
                .iter()
                .filter(|x| x.wants(kind) && ev.occurred_at >= x.created_at)
            {
                let payload = json!({
                    "type": kind,
                    "timestamp": vouch_domain::views::rfc3339(ev.occurred_at),
                    "data": ev.data,
                });
                queue(
                    tx,
                    endpoint,
                    Some(ev.id.to_string()),
                    kind,
                    payload.to_string(),
                    ev.occurred_at,
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// A message and its first job.
async fn queue(
    tx: &mut dyn StoreTx,
    endpoint: &WebhookEndpoint,
    event_id: Option<String>,
    kind: &str,
    payload: String,
    now: Millis,
) -> Result<Option<MessageId>> {
    let m = WebhookMessage {
        id: MessageId::new(),
        endpoint_id: endpoint.id.clone(),
        workspace_id: endpoint.workspace_id.clone(),
        event_id,
        event_type: kind.to_owned(),
        payload,
        status: MessageStatus::Pending,
        attempts: 0,
        next_attempt_at: Some(now),
        response_status: None,
        response_body: None,
        duration_ms: None,
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    if !tx.insert_message(&m).await? {
        return Ok(None);
    }
    enqueue(tx, &m.id, now).await?;
    Ok(Some(m.id))
}

async fn enqueue(tx: &mut dyn StoreTx, id: &MessageId, at: Millis) -> Result<()> {
    tx.enqueue_job(&NewJob {
        id: JobId::new(),
        kind: DELIVER_WEBHOOK.into(),
        payload: json!({ "message_id": id.as_str() }),
        dedupe_key: Some(format!("webhook:{id}")),
        run_at: at,
    })
    .await?;
    Ok(())
}

/// "Send a test event": a `webhook.test` message to one endpoint, queued now.
pub async fn send_test(
    store: &dyn Store,
    endpoint: &WebhookEndpoint,
    now: Millis,
) -> Result<MessageId> {
    let payload = json!({
        "type": "webhook.test",
        "timestamp": vouch_domain::views::rfc3339(now),
        "data": {"endpoint_id": endpoint.id.as_str(), "message": "A test event from Vouch"},
    });
    let mut tx = store.begin().await?;
    let id = queue(
        tx.as_mut(),
        endpoint,
        None,
        "webhook.test",
        payload.to_string(),
        now,
    )
    .await?
    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("test message not queued")))?;
    tx.commit().await?;
    Ok(id)
}

/// Tries a message again now (after it failed, or to send it sooner).
pub async fn retry(store: &dyn Store, message: &mut WebhookMessage, now: Millis) -> Result<()> {
    message.status = MessageStatus::Pending;
    message.next_attempt_at = Some(now);
    message.updated_at = now;
    let mut tx = store.begin().await?;
    tx.update_message(message).await?;
    // A scheduled attempt is brought forward; a settled message gets a new job.
    if !tx
        .reschedule_job(&format!("webhook:{}", message.id), now)
        .await?
    {
        enqueue(tx.as_mut(), &message.id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs one `deliver_webhook` job: one attempt.
pub async fn run_job(
    store: &dyn Store,
    ctx: &Delivery,
    job: &JobId,
    payload: &serde_json::Value,
    now: Millis,
) -> anyhow::Result<()> {
    let Some(sender) = &ctx.sender else {
        anyhow::bail!("this process does not send webhooks");
    };
    let id = payload["message_id"]
        .as_str()
        .and_then(MessageId::parse)
        .ok_or_else(|| anyhow::anyhow!("job without a message id"))?;
    let Some(mut m) = store.get_message(&id).await? else {
        return finish(store, job).await;
    };
    let endpoint = store.get_endpoint(&m.workspace_id, &m.endpoint_id).await?;
    let endpoint = match endpoint {
        Some(e) if e.enabled && m.status == MessageStatus::Pending => e,
        // Deleted or disabled meanwhile, or already settled: nothing to send.
        _ => {
            if m.status == MessageStatus::Pending {
                m.status = MessageStatus::Failed;
                m.last_error = Some("the endpoint is disabled or gone".into());
                m.next_attempt_at = None;
                m.updated_at = now;
                let mut tx = store.begin().await?;
                tx.update_message(&m).await?;
                tx.finish_job(job).await?;
                tx.commit().await?;
                return Ok(());
            }
            return finish(store, job).await;
        }
    };
    let keys = super::signing_keys(store, ctx.server_secret.as_deref(), &endpoint, now).await?;
    let headers = signed_headers(&keys, m.id.as_str(), now, &m.payload);
    let sent = sender
        .send(&endpoint.url, headers, m.payload.clone(), DELIVERY_TIMEOUT)
        .await;
    settle(store, job, &mut m, &endpoint, sent, now).await
}

/// The headers of a Standard Webhooks message: its id, the time and every key's
/// signature over them and the body.
pub(crate) fn signed_headers(
    keys: &[vouch_domain::webhook::SigningKey],
    id: &str,
    now: Millis,
    body: &str,
) -> Vec<(&'static str, String)> {
    let timestamp = now.div_euclid(1000);
    vec![
        ("content-type", "application/json".to_owned()),
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", timestamp.to_string()),
        (
            "webhook-signature",
            signature_header(keys, id, timestamp, body.as_bytes()),
        ),
    ]
}

async fn finish(store: &dyn Store, job: &JobId) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    tx.finish_job(job).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes an attempt's outcome, the next attempt, and the endpoint's health.
async fn settle(
    store: &dyn Store,
    job: &JobId,
    m: &mut WebhookMessage,
    endpoint: &WebhookEndpoint,
    sent: Sent,
    now: Millis,
) -> anyhow::Result<()> {
    m.attempts += 1;
    m.updated_at = now;
    let (ok, gone) = match &sent {
        Sent::Answered {
            status,
            body,
            duration_ms,
        } => {
            m.response_status = Some(i64::from(*status));
            m.response_body = Some(body.chars().take(LOGGED_ANSWER).collect());
            m.duration_ms = Some(*duration_ms);
            m.last_error = None;
            ((200..300).contains(status), *status == 410)
        }
        Sent::Failed { error, duration_ms } => {
            m.response_status = None;
            m.response_body = None;
            m.duration_ms = Some(*duration_ms);
            m.last_error = Some(error.chars().take(LOGGED_ANSWER).collect());
            (false, false)
        }
    };
    let mut tx = store.begin().await?;
    tx.finish_job(job).await?;
    if ok {
        m.status = MessageStatus::Succeeded;
        m.next_attempt_at = None;
        if endpoint.failing_since.is_some() {
            tx.set_endpoint_health(&endpoint.id, None, None, now)
                .await?;
        }
    } else {
        let failing_since = endpoint.failing_since.unwrap_or(now);
        let disable = if gone {
            Some("the endpoint answered 410 Gone".to_owned())
        } else if now - failing_since >= DISABLE_AFTER_MS {
            Some("every delivery failed for five days".to_owned())
        } else {
            None
        };
        tx.set_endpoint_health(&endpoint.id, Some(failing_since), disable.as_deref(), now)
            .await?;
        let attempts = u32::try_from(m.attempts).unwrap_or(u32::MAX);
        let jitter = rand::thread_rng().gen_range(0.0..=1.0);
        match next_attempt(attempts, now, jitter).filter(|_| disable.is_none()) {
            Some(at) => {
                m.status = MessageStatus::Pending;
                m.next_attempt_at = Some(at);
                enqueue(tx.as_mut(), &m.id, at).await?;
            }
            None => {
                m.status = MessageStatus::Failed;
                m.next_attempt_at = None;
            }
        }
        metrics::counter!("vouch_webhook_failures_total").increment(1);
    }
    tx.update_message(m).await?;
    tx.commit().await?;
    metrics::counter!("vouch_webhook_attempts_total", "ok" => ok.to_string()).increment(1);
    Ok(())
}
