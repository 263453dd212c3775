//! Emails to the people in a program. Domain events become rows of the email outbox
//! ([`delivery`]: the `emails` subscriber and the `send_email` job); advocates invite
//! friends ([`invite`]); people unsubscribe ([`unsubscribe`]) and merchants keep a
//! suppression list. What a message says is rendered by a [`Postman`] (the server's:
//! templates, then SMTP or `.eml` files), from the facts gathered here ([`context`]).

use std::sync::Arc;

use async_trait::async_trait;
use vouch_domain::email::Email;
use vouch_domain::ids::{EmailId, ParticipantId, WorkspaceId};
use vouch_domain::notification::{
    EmailKind, EmailStatus, SuppressionReason, INVITATIONS_PER_DAY, MAX_INVITATIONS_PER_REQUEST,
};
use vouch_domain::{Millis, DAY_MS};
use vouch_store::{EmailMessage, Store, Suppression};

use crate::error::{AppError, Result};
use crate::hashing::IpHasher;

pub mod context;
pub mod delivery;

/// One email, ready to be rendered and sent.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub email_id: EmailId,
    pub kind: EmailKind,
    pub to: String,
    pub to_name: Option<String>,
    /// The sender's display name (the program's, unless it set another).
    pub from_name: String,
    pub reply_to: Option<String>,
    /// `en` or `ar`.
    pub lang: &'static str,
    /// The program's own words for this message in this language, if it has them.
    pub source: Option<String>,
    /// The facts the message shows ([`context`]).
    pub context: serde_json::Value,
    /// The one-click unsubscribe address (a POST unsubscribes; a GET shows a page).
    pub unsubscribe_url: String,
}

/// What became of one attempt.
#[derive(Debug, Clone)]
pub enum Posted {
    Sent {
        subject: String,
        message_id: String,
    },
    Failed {
        error: String,
        /// Trying again will not help (a refused address, a template that fails).
        permanent: bool,
        /// The server refused the address itself: it goes on the suppression list.
        address_refused: bool,
    },
}

/// Renders and sends one email.
#[async_trait]
pub trait Postman: Send + Sync {
    async fn post(&self, email: &Outgoing) -> Posted;
}

/// What the job runner needs to send emails.
#[derive(Clone, Default)]
pub struct Mailing {
    pub postman: Option<Arc<dyn Postman>>,
    /// The base of links in emails.
    pub public_url: String,
    pub server_secret: Option<String>,
}

/// `en` or `ar` for a participant's locale.
pub fn lang(locale: Option<&str>) -> &'static str {
    match locale.map(|l| l.trim().to_ascii_lowercase()) {
        Some(l) if l == "ar" || l.starts_with("ar-") || l.starts_with("ar_") => "ar",
        _ => "en",
    }
}

/// The signature in an unsubscribe link: keyed per workspace by the server's secret.
fn unsubscribe_sig(server_secret: Option<&str>, workspace_key: &str, id: &EmailId) -> String {
    IpHasher::for_workspace(server_secret, workspace_key).hash(&format!("unsubscribe:{id}"))
}

/// Compares in constant time (HMACs of both under one key, checked with
/// `verify_slice`), so a forged link learns nothing from timing.
fn same(a: &[u8], b: &[u8]) -> bool {
    use hmac::Mac;
    let tag = |x: &[u8]| {
        let mut m = vouch_domain::crypto::hmac_sha256(b"vouch:compare");
        m.update(x);
        m
    };
    tag(a).verify_slice(&tag(b).finalize().into_bytes()).is_ok()
}

/// The token of an email's unsubscribe link: `{email id}.{signature}`.
pub fn unsubscribe_token(server_secret: Option<&str>, workspace_key: &str, id: &EmailId) -> String {
    format!("{id}.{}", unsubscribe_sig(server_secret, workspace_key, id))
}

/// The email an unsubscribe token names, when its signature holds.
pub async fn email_for_token(
    store: &dyn Store,
    server_secret: Option<&str>,
    token: &str,
) -> Result<EmailMessage> {
    let not_found = AppError::NotFound {
        what: "unsubscribe link",
    };
    let (id, sig) = token.split_once('.').ok_or(not_found)?;
    let id = EmailId::parse(id).ok_or(AppError::NotFound {
        what: "unsubscribe link",
    })?;
    let email = store.get_email(&id).await?.ok_or(AppError::NotFound {
        what: "unsubscribe link",
    })?;
    let ws = store
        .get_workspace(&email.workspace_id)
        .await?
        .ok_or(AppError::NotFound { what: "workspace" })?;
    let expected = unsubscribe_sig(server_secret, &ws.hash_key, &email.id);
    if !same(expected.as_bytes(), sig.as_bytes()) || email.to_address.is_none() {
        return Err(AppError::NotFound {
            what: "unsubscribe link",
        });
    }
    Ok(email)
}

/// Puts the address an email went to on its workspace's suppression list (kept as is
/// when it is already there for a stronger reason). Returns the address.
pub async fn unsubscribe(
    store: &dyn Store,
    server_secret: Option<&str>,
    token: &str,
    now: Millis,
) -> Result<String> {
    let email = email_for_token(store, server_secret, token).await?;
    let address = email.to_address.unwrap_or_default();
    let normalized = Email::parse("email", &address)?.normalized().to_owned();
    if store
        .get_suppression(&email.workspace_id, &normalized)
        .await?
        .is_none()
    {
        store
            .put_suppression(&Suppression {
                workspace_id: email.workspace_id,
                email_normalized: normalized,
                email: address.clone(),
                reason: SuppressionReason::Unsubscribed,
                created_at: now,
            })
            .await?;
    }
    metrics::counter!("vouch_email_unsubscribes_total").increment(1);
    Ok(address)
}

/// Adds an address to the suppression list by hand (or changes its reason).
pub async fn suppress(
    store: &dyn Store,
    ws: &WorkspaceId,
    address: &str,
    reason: SuppressionReason,
    now: Millis,
) -> Result<Suppression> {
    let e = Email::parse("email", address)?;
    let s = Suppression {
        workspace_id: ws.clone(),
        email_normalized: e.normalized().to_owned(),
        email: e.as_str().to_owned(),
        reason,
        created_at: now,
    };
    store.put_suppression(&s).await?;
    Ok(store
        .get_suppression(ws, e.normalized())
        .await?
        .unwrap_or(s))
}

/// What became of one invited address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invited {
    /// Queued; the email's id.
    Queued(EmailId),
    /// This advocate already invited this friend.
    Duplicate,
    /// The address asked for no emails.
    Suppressed,
    /// The advocate's own address.
    Own,
    /// A customer in the program's holdout (control) group: not invited.
    HeldOut,
}

/// An advocate invites friends by email: at most 10 addresses at a time and 20 a day,
/// each friend once. The invitation carries the advocate's link and an optional note.
pub async fn invite(
    store: &dyn Store,
    ws: &WorkspaceId,
    advocate: &ParticipantId,
    addresses: &[String],
    note: Option<String>,
    now: Millis,
) -> Result<Vec<(String, Invited)>> {
    if addresses.is_empty() || addresses.len() > MAX_INVITATIONS_PER_REQUEST {
        return Err(AppError::invalid("emails", "must list 1 to 10 addresses"));
    }
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > 500 || n.chars().any(|c| c.is_control() && c != '\n'))
    {
        return Err(AppError::invalid(
            "note",
            "must be at most 500 printable characters",
        ));
    }
    let p = store
        .get_participant(ws, advocate)
        .await?
        .ok_or(AppError::NotFound {
            what: "participant",
        })?;
    if p.status != vouch_domain::entities::ParticipantStatus::Active {
        return Err(AppError::Conflict {
            code: "participant_blocked",
            field: None,
            message: "a blocked participant cannot invite friends".into(),
        });
    }
    let parsed = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| Email::parse(&format!("emails[{i}]"), a))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let sent = store
        .count_emails_since(advocate, EmailKind::Invitation, now - DAY_MS)
        .await?;
    if sent + parsed.len() as i64 > INVITATIONS_PER_DAY {
        return Err(AppError::RateLimited {
            message: format!(
                "an advocate may invite {INVITATIONS_PER_DAY} friends a day; {} left today",
                (INVITATIONS_PER_DAY - sent).max(0)
            ),
        });
    }
    // Customers held out are not invited, whoever invites them.
    let program = store.get_program(ws, &p.program_id).await?;
    let holdout = match program.filter(|g| g.config.holdout_percent > 0) {
        Some(g) => {
            let key = store.get_workspace(ws).await?.map(|w| w.hash_key);
            Some((g, key.unwrap_or_default()))
        }
        None => None,
    };
    let mut out = Vec::with_capacity(parsed.len());
    let mut tx = store.begin().await?;
    for e in parsed {
        let original = e.as_str().to_owned();
        if p.email_normalized.as_deref() == Some(e.normalized()) {
            out.push((original, Invited::Own));
            continue;
        }
        if let Some((g, key)) = &holdout {
            let group = g
                .config
                .holdout_group(key, g.id.as_str(), Some(e.normalized()), None);
            if group == Some(vouch_domain::holdout::Group::Control) {
                out.push((original, Invited::HeldOut));
                continue;
            }
        }
        let blocked = store
            .get_suppression(ws, e.normalized())
            .await?
            .is_some_and(|s| s.reason.blocks(EmailKind::Invitation));
        if blocked {
            out.push((original, Invited::Suppressed));
            continue;
        }
        let m = EmailMessage {
            id: EmailId::new(),
            workspace_id: ws.clone(),
            program_id: p.program_id.clone(),
            participant_id: p.id.clone(),
            kind: EmailKind::Invitation,
            to_address: Some(original.clone()),
            locale: Some(p.locale.clone()),
            data: serde_json::json!({ "note": note }),
            dedupe_key: format!("invite:{}:{}", p.id, e.normalized()),
            status: EmailStatus::Pending,
            reason: None,
            subject: None,
            attempts: 0,
            send_at: now,
            sent_at: None,
            smtp_message_id: None,
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        if delivery::queue(tx.as_mut(), &m).await? {
            out.push((original, Invited::Queued(m.id)));
        } else {
            out.push((original, Invited::Duplicate));
        }
    }
    tx.commit().await?;
    Ok(out)
}
