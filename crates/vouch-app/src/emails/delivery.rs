//! The email outbox. The outbox's `emails` subscriber turns each domain event that
//! calls for a message into one row of `email_messages` and a `send_email` job, in the
//! dispatch transaction (so each event is emailed once). The job decides whether to
//! send at all (the program's settings, the address, the suppression list), renders
//! and sends through the [`Postman`] outside any transaction, and writes the outcome
//! with the end of the job; a failed attempt is tried again on a schedule.

use rand::Rng;
use serde_json::json;
use vouch_domain::entities::ParticipantStatus;
use vouch_domain::ids::{EmailId, JobId};
use vouch_domain::notification::{next_send_attempt, EmailKind, EmailStatus, SuppressionReason};
use vouch_domain::Millis;
use vouch_store::{EmailMessage, NewJob, OutboxEvent, Store, StoreTx, Suppression};

use super::{context, lang, unsubscribe_token, Mailing, Outgoing, Posted};
use crate::error::Result;
use crate::outbox::Subscriber;

pub const SEND_EMAIL: &str = "send_email";
/// Kept of an error in the log.
const LOGGED_ERROR: usize = 1024;

/// The outbox subscriber that queues emails.
pub struct Emails;

#[async_trait::async_trait]
impl Subscriber for Emails {
    fn name(&self) -> &'static str {
        "emails"
    }

    async fn handle(&self, tx: &mut dyn StoreTx, events: &[OutboxEvent]) -> anyhow::Result<()> {
        for e in events {
            let ev = &e.event;
            let role = ev.data.get("role").and_then(|r| r.as_str());
            let (Some(kind), Some(pid)) = (EmailKind::for_event(ev.kind, role), &ev.participant_id)
            else {
                continue;
            };
            // Imported advocates get it only when the import asked.
            if kind == EmailKind::Welcome && ev.data.get("welcome_email") == Some(&json!(false)) {
                continue;
            }
            let Some(p) = tx.get_participant(pid).await? else {
                continue;
            };
            // Nobody to write to: nothing to log either (advocates known by an id only).
            if p.email.is_none() {
                continue;
            }
            let m = EmailMessage {
                id: EmailId::new(),
                workspace_id: p.workspace_id.clone(),
                program_id: p.program_id.clone(),
                participant_id: p.id.clone(),
                kind,
                to_address: p.email.clone(),
                locale: Some(p.locale.clone()),
                data: ev.data.clone(),
                dedupe_key: format!("{}:{}", ev.id, kind.as_str()),
                status: EmailStatus::Pending,
                reason: None,
                subject: None,
                attempts: 0,
                send_at: ev.occurred_at,
                sent_at: None,
                smtp_message_id: None,
                last_error: None,
                created_at: ev.occurred_at,
                updated_at: ev.occurred_at,
            };
            queue(tx, &m).await?;
        }
        Ok(())
    }
}

/// Inserts an email and its job (due at `send_at`); false when its dedupe key exists.
pub async fn queue(tx: &mut dyn StoreTx, m: &EmailMessage) -> Result<bool> {
    if !tx.insert_email(m).await? {
        return Ok(false);
    }
    enqueue(tx, &m.id, m.send_at).await?;
    Ok(true)
}

async fn enqueue(tx: &mut dyn StoreTx, id: &EmailId, at: Millis) -> Result<()> {
    tx.enqueue_job(&NewJob {
        id: JobId::new(),
        kind: SEND_EMAIL.into(),
        payload: json!({ "email_id": id.as_str() }),
        dedupe_key: Some(format!("email:{id}")),
        run_at: at,
    })
    .await?;
    Ok(())
}

/// Why an email is not sent, if it is not.
async fn skip_reason(
    store: &dyn Store,
    m: &EmailMessage,
    program: Option<&vouch_store::Program>,
    participant: Option<&vouch_store::Participant>,
) -> Result<Option<String>> {
    let (Some(program), Some(p)) = (program, participant) else {
        return Ok(Some("the program or the participant is gone".into()));
    };
    if !program.config.emails.sends(m.kind) {
        return Ok(Some("this program does not send this email".into()));
    }
    if p.status == ParticipantStatus::Blocked && !m.kind.transactional() {
        return Ok(Some("the participant is blocked".into()));
    }
    let Some(to) = &m.to_address else {
        return Ok(Some("no email address".into()));
    };
    if let Ok(e) = vouch_domain::email::Email::parse("email", to) {
        if let Some(s) = store
            .get_suppression(&m.workspace_id, e.normalized())
            .await?
        {
            if s.reason.blocks(m.kind) {
                return Ok(Some(format!(
                    "the address is suppressed ({})",
                    s.reason.as_str()
                )));
            }
        }
    }
    if m.kind == EmailKind::ShareReminder {
        let stats = store.participant_stats(&p.id).await?;
        if stats.clicks > 0 || stats.signups > 0 || stats.conversions > 0 {
            return Ok(Some("the advocate has shared since joining".into()));
        }
    }
    Ok(None)
}

/// What a friend's purchase earned the advocate, for `friend_purchased`.
enum Purchase {
    /// A reward in its hold, as shown (`10.00 USD`).
    Pending(serde_json::Value),
    /// Every reward of the referral is approved already.
    AlreadyAvailable,
    /// None (a limit refused it, or the program pays the friend only).
    NoReward,
}

async fn pending_reward(
    store: &dyn Store,
    m: &EmailMessage,
    advocate: &vouch_store::Participant,
) -> Result<Purchase> {
    let referral = m.data["id"].as_str();
    let q = vouch_store::ListQuery {
        participant_id: Some(advocate.id.clone()),
        limit: 50,
        ..Default::default()
    };
    let mine: Vec<vouch_store::Reward> = store
        .list_rewards(&m.workspace_id, &q)
        .await?
        .items
        .into_iter()
        .filter(|r| r.referral_id.as_ref().map(|x| x.as_str()) == referral)
        .collect();
    let pending = mine
        .iter()
        .find(|r| r.status == vouch_domain::reward::RewardStatus::Pending);
    Ok(match pending {
        Some(r) => Purchase::Pending(serde_json::Value::String(
            vouch_domain::views::RewardOut::from(r.clone()).display,
        )),
        None if mine.is_empty() => Purchase::NoReward,
        None => Purchase::AlreadyAvailable,
    })
}

/// Runs one `send_email` job: one attempt.
pub async fn run_job(
    store: &dyn Store,
    ctx: &Mailing,
    job: &JobId,
    payload: &serde_json::Value,
    now: Millis,
) -> anyhow::Result<()> {
    let Some(postman) = &ctx.postman else {
        anyhow::bail!("this process does not send email");
    };
    let id = payload["email_id"]
        .as_str()
        .and_then(EmailId::parse)
        .ok_or_else(|| anyhow::anyhow!("job without an email id"))?;
    let Some(mut m) = store.get_email(&id).await? else {
        return finish(store, job, None).await;
    };
    if m.status != EmailStatus::Pending {
        return finish(store, job, None).await;
    }
    let program = store.find_program(&m.program_id).await?;
    let participant = store
        .get_participant(&m.workspace_id, &m.participant_id)
        .await?;
    m.updated_at = now;
    if let Some(reason) = skip_reason(store, &m, program.as_ref(), participant.as_ref()).await? {
        m.status = EmailStatus::Skipped;
        m.reason = Some(reason);
        return finish(store, job, Some(&m)).await;
    }
    let (Some(program), Some(p)) = (program, participant) else {
        return finish(store, job, None).await;
    };
    let mut data = m.data.clone();
    if m.kind == EmailKind::FriendPurchased {
        match pending_reward(store, &m, &p).await? {
            Purchase::Pending(display) => data["display"] = display,
            // With no hold, `reward_available` says it all; "pending" would be wrong.
            Purchase::AlreadyAvailable => {
                m.status = EmailStatus::Skipped;
                m.reason = Some("the reward is already available (reward_available)".into());
                return finish(store, job, Some(&m)).await;
            }
            Purchase::NoReward => {}
        }
    }
    let ws = store
        .get_workspace(&m.workspace_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("workspace gone"))?;
    let lang = lang(m.locale.as_deref());
    let source = store
        .get_template(&program.id, m.kind, lang)
        .await?
        .map(|t| t.source);
    let out = Outgoing {
        email_id: m.id.clone(),
        kind: m.kind,
        to: m.to_address.clone().unwrap_or_default(),
        to_name: if m.kind == EmailKind::Invitation {
            None
        } else {
            p.name.clone()
        },
        from_name: program
            .config
            .emails
            .from_name
            .clone()
            .unwrap_or_else(|| program.config.name.clone()),
        reply_to: program.config.emails.reply_to.clone(),
        lang,
        source,
        context: context::build(m.kind, &program, &p, &data, &ctx.public_url),
        unsubscribe_url: format!(
            "{}/unsubscribe/{}",
            ctx.public_url,
            unsubscribe_token(ctx.server_secret.as_deref(), &ws.hash_key, &m.id)
        ),
    };
    let posted = postman.post(&out).await;
    settle(store, job, &mut m, &program, &p, posted, now).await
}

/// Ends the job, writing the email when given.
async fn finish(store: &dyn Store, job: &JobId, m: Option<&EmailMessage>) -> anyhow::Result<()> {
    let mut tx = store.begin().await?;
    if let Some(m) = m {
        tx.update_email(m).await?;
    }
    tx.finish_job(job).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes an attempt's outcome; after a welcome, queues the share reminder.
async fn settle(
    store: &dyn Store,
    job: &JobId,
    m: &mut EmailMessage,
    program: &vouch_store::Program,
    p: &vouch_store::Participant,
    posted: Posted,
    now: Millis,
) -> anyhow::Result<()> {
    m.attempts += 1;
    let mut tx = store.begin().await?;
    // Ended first: a retry's job takes the same key.
    tx.finish_job(job).await?;
    let mut refused = false;
    match posted {
        Posted::Sent {
            subject,
            message_id,
        } => {
            m.status = EmailStatus::Sent;
            m.subject = Some(subject);
            m.smtp_message_id = Some(message_id);
            m.sent_at = Some(now);
            m.last_error = None;
            if m.kind == EmailKind::Welcome {
                if let Some(at) = program.config.emails.reminder_at(p.created_at) {
                    queue(tx.as_mut(), &reminder(m, at)).await?;
                }
            }
            metrics::counter!("vouch_emails_sent_total", "kind" => m.kind.as_str()).increment(1);
        }
        Posted::Failed {
            error,
            permanent,
            address_refused,
        } => {
            m.last_error = Some(error.chars().take(LOGGED_ERROR).collect());
            let attempts = u32::try_from(m.attempts).unwrap_or(u32::MAX);
            let jitter = rand::thread_rng().gen_range(0.0..=1.0);
            match next_send_attempt(attempts, now, jitter).filter(|_| !permanent) {
                Some(at) => {
                    m.send_at = at;
                    enqueue(tx.as_mut(), &m.id, at).await?;
                }
                None => m.status = EmailStatus::Failed,
            }
            refused = address_refused;
            metrics::counter!("vouch_email_failures_total").increment(1);
        }
    }
    m.updated_at = now;
    tx.update_email(m).await?;
    tx.commit().await?;
    if refused {
        if let Some(e) = m
            .to_address
            .as_deref()
            .and_then(|a| vouch_domain::email::Email::parse("email", a).ok())
        {
            store
                .put_suppression(&Suppression {
                    workspace_id: m.workspace_id.clone(),
                    email_normalized: e.normalized().to_owned(),
                    email: e.as_str().to_owned(),
                    reason: SuppressionReason::Bounced,
                    created_at: now,
                })
                .await?;
        }
    }
    Ok(())
}

/// The share reminder that follows a welcome.
fn reminder(welcome: &EmailMessage, at: Millis) -> EmailMessage {
    EmailMessage {
        id: EmailId::new(),
        kind: EmailKind::ShareReminder,
        data: json!({}),
        dedupe_key: format!("reminder:{}", welcome.participant_id),
        status: EmailStatus::Pending,
        reason: None,
        subject: None,
        attempts: 0,
        send_at: at,
        sent_at: None,
        smtp_message_id: None,
        last_error: None,
        created_at: welcome.updated_at,
        updated_at: welcome.updated_at,
        ..welcome.clone()
    }
}

/// Tries a failed or pending email again now.
pub async fn retry(store: &dyn Store, m: &mut EmailMessage, now: Millis) -> Result<()> {
    m.status = EmailStatus::Pending;
    m.send_at = now;
    m.updated_at = now;
    let mut tx = store.begin().await?;
    tx.update_email(m).await?;
    // A scheduled attempt is brought forward; a settled email gets a new job.
    if !tx.reschedule_job(&format!("email:{}", m.id), now).await? {
        enqueue(tx.as_mut(), &m.id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
