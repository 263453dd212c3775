//! The email outbox, the suppression list and programs' templates.

use std::sync::Arc;

use vouch_domain::ids::*;
use vouch_domain::notification::{EmailKind, EmailStatus, SuppressionReason};
use vouch_store::*;

fn email(w: &super::World, kind: EmailKind, key: &str, at: i64) -> EmailMessage {
    EmailMessage {
        id: EmailId::new(),
        workspace_id: w.ws.clone(),
        program_id: w.program.id.clone(),
        participant_id: w.advocate.id.clone(),
        kind,
        to_address: Some("Sara@Example.com".into()),
        locale: Some("ar".into()),
        data: serde_json::json!({"note": "سلام", "n": 1}),
        dedupe_key: key.into(),
        status: EmailStatus::Pending,
        reason: None,
        subject: None,
        attempts: 0,
        send_at: at,
        sent_at: None,
        smtp_message_id: None,
        last_error: None,
        created_at: at,
        updated_at: at,
    }
}

pub async fn emails_suppressions_and_templates(store: Arc<dyn Store>) {
    let w = super::world(store.as_ref()).await;
    let mut a = email(&w, EmailKind::Welcome, "act_1:welcome", 10);
    let b = email(&w, EmailKind::Invitation, "invite:x", 20);
    let mut tx = store.begin().await.unwrap();
    assert!(tx.insert_email(&a).await.unwrap());
    assert!(tx.insert_email(&b).await.unwrap());
    let dup = email(&w, EmailKind::Welcome, "act_1:welcome", 30);
    assert!(!tx.insert_email(&dup).await.unwrap(), "one per dedupe key");
    tx.commit().await.unwrap();

    a.status = EmailStatus::Sent;
    a.subject = Some("مرحبًا".into());
    a.attempts = 1;
    a.sent_at = Some(11);
    a.smtp_message_id = Some("<eml@x>".into());
    let mut tx = store.begin().await.unwrap();
    tx.update_email(&a).await.unwrap();
    tx.commit().await.unwrap();
    let got = store.get_email(&a.id).await.unwrap().unwrap();
    assert_eq!(got.status, EmailStatus::Sent);
    assert_eq!(got.subject.as_deref(), Some("مرحبًا"));
    assert_eq!(got.data["note"], "سلام");
    assert_eq!(got.sent_at, Some(11));

    let q = |f: fn(&mut EmailQuery)| {
        let mut q = EmailQuery {
            limit: 10,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    let all = store.list_emails(&w.ws, &q(|_| {})).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, b.id, "newest first");
    let sent = store
        .list_emails(&w.ws, &q(|q| q.status = Some(EmailStatus::Sent)))
        .await
        .unwrap();
    assert_eq!(sent.len(), 1);
    let invites = store
        .list_emails(&w.ws, &q(|q| q.kind = Some(EmailKind::Invitation)))
        .await
        .unwrap();
    assert_eq!(invites[0].id, b.id);
    assert!(store
        .list_emails(&WorkspaceId::new(), &q(|_| {}))
        .await
        .unwrap()
        .is_empty());
    let n = |since| {
        let s = store.clone();
        let p = w.advocate.id.clone();
        async move {
            s.count_emails_since(&p, EmailKind::Invitation, since)
                .await
                .unwrap()
        }
    };
    assert_eq!(n(0).await, 1);
    assert_eq!(n(21).await, 0);

    let s = |reason| Suppression {
        workspace_id: w.ws.clone(),
        email_normalized: "sara@example.com".into(),
        email: "Sara@Example.com".into(),
        reason,
        created_at: 5,
    };
    assert!(store
        .put_suppression(&s(SuppressionReason::Unsubscribed))
        .await
        .unwrap());
    assert!(!store
        .put_suppression(&s(SuppressionReason::Bounced))
        .await
        .unwrap());
    let got = store
        .get_suppression(&w.ws, "sara@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.reason, SuppressionReason::Bounced);
    assert!(store
        .get_suppression(&WorkspaceId::new(), "sara@example.com")
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store
            .list_suppressions(&w.ws, None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store
        .list_suppressions(&w.ws, Some("sara@example.com"), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .delete_suppression(&w.ws, "sara@example.com")
        .await
        .unwrap());
    assert!(!store
        .delete_suppression(&w.ws, "sara@example.com")
        .await
        .unwrap());

    let t = |source: &str, at| EmailTemplate {
        workspace_id: w.ws.clone(),
        program_id: w.program.id.clone(),
        kind: EmailKind::Welcome,
        locale: "ar".into(),
        source: source.into(),
        updated_at: at,
    };
    store
        .put_template(&t("subject: a\nheading: b\n---\n", 1))
        .await
        .unwrap();
    store
        .put_template(&t("subject: c\nheading: d\n---\n", 2))
        .await
        .unwrap();
    let got = store
        .get_template(&w.program.id, EmailKind::Welcome, "ar")
        .await
        .unwrap()
        .unwrap();
    assert!(got.source.starts_with("subject: c"), "replaced");
    assert_eq!(got.updated_at, 2);
    assert!(store
        .get_template(&w.program.id, EmailKind::Welcome, "en")
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.list_templates(&w.program.id).await.unwrap().len(), 1);
    assert!(store
        .delete_template(&w.program.id, EmailKind::Welcome, "ar")
        .await
        .unwrap());
    assert!(store
        .list_templates(&w.program.id)
        .await
        .unwrap()
        .is_empty());
}
