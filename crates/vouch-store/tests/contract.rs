//! The store contract: what every backend must do, run against SQLite and PostgreSQL.

use std::sync::Arc;

use vouch_domain::attribution::{AttributionSource, ReferralStatus};
use vouch_domain::ids::*;
use vouch_domain::ledger::{reward_transition, Posting};
use vouch_domain::money::{Currency, Money};
use vouch_domain::program::{AttributionModel, ProgramConfig, RewardKind, RewardRule};
use vouch_domain::reward::{RewardStatus, Role};
use vouch_store::*;

macro_rules! contract {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (_dir, url) = vouch_store::testing::fresh_sqlite();
                super::$name(super::open(&url).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(url) = vouch_store::testing::fresh_postgres().await {
                    super::$name(super::open(&url).await).await;
                }
            }
        }
    )*};
}

contract!(
    migrations_are_idempotent,
    keys_are_found_by_hash_only,
    slugs_are_unique,
    enrolment_is_one_per_person_and_codes_are_unique,
    dropped_transactions_leave_nothing,
    link_targets_and_clicks,
    events_are_claimed_once,
    rewards_exist_once_per_referral_role_and_trigger,
    ledger_is_balanced_and_idempotent,
    jobs_are_leased_to_one_worker,
    lists_page_newest_first,
    concurrent_claims_of_one_event_let_exactly_one_win,
    redemptions_are_unique_per_key,
    integrations_and_their_delivery_log,
    emails_suppressions_and_templates,
);

#[path = "contract/integrations.rs"]
mod integrations;
use integrations::integrations_and_their_delivery_log;
#[path = "contract/emails.rs"]
mod emails;
use emails::emails_suppressions_and_templates;

async fn open(url: &str) -> Arc<dyn Store> {
    let s = connect(url).await.expect("connect");
    s.migrate().await.expect("migrate");
    Arc::new(s)
}

fn usd() -> Currency {
    Currency::parse("c", "USD").unwrap()
}

struct World {
    ws: WorkspaceId,
    program: Program,
    advocate: Participant,
}

async fn world(store: &dyn Store) -> World {
    let ws = Workspace {
        id: WorkspaceId::new(),
        name: "w".into(),
        hash_key: "k".into(),
        created_at: 1,
    };
    store.create_workspace(&ws, &[]).await.unwrap();
    let program = Program {
        id: ProgramId::new(),
        workspace_id: ws.id.clone(),
        slug: format!("p-{}", ProgramId::new().as_str()[4..].to_owned()),
        status: ProgramStatus::Active,
        config: ProgramConfig {
            name: "P".into(),
            destination_url: "https://x.com/".into(),
            allowed_domains: vec!["x.com".into()],
            attribution_window_days: 30,
            attribution_model: AttributionModel::LastClick,
            hold_days: 0,
            referrer_reward: Some(RewardRule::fixed(RewardKind::Credit, 100, usd())),
            referee_reward: None,
            starts_at: None,
            ends_at: None,
            ..ProgramConfig::default()
        },
        version: 1,
        created_at: 1,
        updated_at: 1,
    };
    store.insert_program(&program).await.unwrap();
    let advocate = enroll(
        store,
        &program,
        "a@x.com",
        &format!("C{}", &ProgramId::new().as_str()[10..]),
    )
    .await
    .unwrap();
    World {
        ws: ws.id,
        program,
        advocate,
    }
}

fn new_participant(program: &Program, email: &str) -> NewParticipant {
    NewParticipant {
        id: ParticipantId::new(),
        workspace_id: program.workspace_id.clone(),
        program_id: program.id.clone(),
        email: Some(email.into()),
        email_normalized: Some(email.into()),
        name: None,
        external_id: None,
        locale: "en".into(),
        referred_by_referral_id: None,
        fingerprint: Default::default(),
        created_at: 2,
    }
}

async fn enroll(
    store: &dyn Store,
    program: &Program,
    email: &str,
    code: &str,
) -> Result<Participant> {
    let mut tx = store.begin().await?;
    let code = vouch_domain::code::ReferralCode::from_trusted(code.to_owned());
    let out = tx.enroll(&new_participant(program, email), &code).await?;
    tx.commit().await?;
    Ok(match out {
        Enrolment::Created(p) | Enrolment::Existing(p) => p,
    })
}

async fn migrations_are_idempotent(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    assert_eq!(store.count_workspaces().await.unwrap(), 0);
}

async fn keys_are_found_by_hash_only(store: Arc<dyn Store>) {
    let ws = Workspace {
        id: WorkspaceId::new(),
        name: "w".into(),
        hash_key: "k".into(),
        created_at: 1,
    };
    let key = NewApiKey {
        id: ApiKeyId::new(),
        kind: KeyKind::Secret,
        key_hash: "h1".into(),
        key_hint: "abcd".into(),
    };
    store.create_workspace(&ws, &[key]).await.unwrap();
    let found = store.find_api_key("h1").await.unwrap().unwrap();
    assert_eq!(
        (found.workspace_id, found.kind),
        (ws.id.clone(), KeyKind::Secret)
    );
    assert!(store.find_api_key("h2").await.unwrap().is_none());
    assert_eq!(
        store.get_workspace(&ws.id).await.unwrap().unwrap().name,
        "w"
    );
}

async fn slugs_are_unique(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    let mut copy = w.program.clone();
    copy.id = ProgramId::new();
    assert!(matches!(
        store.insert_program(&copy).await,
        Err(StoreError::Conflict { what: "slug" })
    ));
    let got = store
        .get_program_by_slug(&w.program.slug)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.id, w.program.id);
    assert_eq!(got.config, w.program.config);
    // Scoped by workspace.
    assert!(store
        .get_program(&WorkspaceId::new(), &w.program.id)
        .await
        .unwrap()
        .is_none());
}

async fn enrolment_is_one_per_person_and_codes_are_unique(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    let again = enroll(store.as_ref(), &w.program, "a@x.com", "OTHER1")
        .await
        .unwrap();
    assert_eq!(again.id, w.advocate.id, "same email, same participant");
    assert_eq!(again.referral_code, w.advocate.referral_code);
    let taken = enroll(
        store.as_ref(),
        &w.program,
        "b@x.com",
        &w.advocate.referral_code,
    )
    .await;
    assert!(matches!(
        taken,
        Err(StoreError::Conflict {
            what: "referral_code"
        })
    ));
    let page = store
        .list_participants(
            &w.ws,
            &ListQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "the refused enrolment left nothing");
}

async fn dropped_transactions_leave_nothing(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    {
        let mut tx = store.begin().await.unwrap();
        let ghost = vouch_domain::code::ReferralCode::from_trusted("GHOST1".into());
        tx.enroll(&new_participant(&w.program, "ghost@x.com"), &ghost)
            .await
            .unwrap();
        // dropped without commit
    }
    assert!(store.link_target("GHOST1").await.unwrap().is_none());
    let mut tx = store.begin().await.unwrap();
    assert!(tx
        .find_participant(&w.program.id, Some("ghost@x.com"), None)
        .await
        .unwrap()
        .is_none());
}

async fn link_targets_and_clicks(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    let t = store
        .link_target(&w.advocate.referral_code.to_uppercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.participant_id, w.advocate.id);
    assert_eq!(t.allowed_domains, vec!["x.com"]);
    assert!(t.active);
    let clicks: Vec<NewClick> = (0..50)
        .map(|i| NewClick {
            id: ClickId::new(),
            workspace_id: w.ws.clone(),
            program_id: w.program.id.clone(),
            participant_id: w.advocate.id.clone(),
            code: t.code.clone(),
            occurred_at: 1000 + i,
            ip_hash: Some("h".into()),
            user_agent: None,
            referer: Some("r".into()),
            source: (i % 2 == 0).then(|| "qr".into()),
            unique: true,
        })
        .collect();
    store.insert_clicks(&clicks).await.unwrap();
    store.insert_clicks(&[]).await.unwrap();
    let c = store.get_click(&clicks[7].id).await.unwrap().unwrap();
    assert_eq!(c.occurred_at, 1007);
    assert_eq!(
        store
            .participant_stats(&w.advocate.id)
            .await
            .unwrap()
            .clicks,
        50
    );
    let mut paused = w.program.clone();
    paused.status = ProgramStatus::Paused;
    store.update_program(&paused).await.unwrap();
    assert!(
        !store
            .link_target(&t.code.to_uppercase())
            .await
            .unwrap()
            .unwrap()
            .active
    );
}

fn event(w: &World, key: &str) -> NewEvent {
    NewEvent {
        id: EventId::new(),
        workspace_id: w.ws.clone(),
        program_id: w.program.id.clone(),
        kind: "purchase".into(),
        idempotency_key: key.into(),
        order_id: Some("o1".into()),
        amount: Some(100),
        currency: Some(usd()),
        occurred_at: 5,
        created_at: 5,
        ip_hash: None,
        device_id: None,
        payment_fingerprint: None,
    }
}

async fn events_are_claimed_once(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    let e = event(&w, "purchase:order:o1");
    let mut tx = store.begin().await.unwrap();
    assert!(tx.claim_event(&e).await.unwrap());
    let answer = StoredResponse {
        status: 201,
        body: "{\"a\":1}".into(),
    };
    tx.finish_event(&e.id, None, None, &answer).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(!tx
        .claim_event(&event(&w, "purchase:order:o1"))
        .await
        .unwrap());
    assert_eq!(
        tx.find_purchase(&w.program.id, "o1")
            .await
            .unwrap()
            .map(|p| p.id),
        Some(e.id.clone())
    );
    drop(tx);
    let stored = store
        .get_event_response(&w.program.id, "purchase:order:o1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.status, stored.body.as_str()), (201, "{\"a\":1}"));
}

fn referral(w: &World, customer: &CustomerId) -> Referral {
    Referral {
        id: ReferralId::new(),
        workspace_id: w.ws.clone(),
        program_id: w.program.id.clone(),
        referrer_participant_id: w.advocate.id.clone(),
        referee_participant_id: None,
        customer_id: customer.clone(),
        status: ReferralStatus::Converted,
        reason: None,
        source: AttributionSource::ReferralCode,
        click_id: None,
        touched_at: 1,
        signed_up_at: None,
        converted_at: Some(2),
        conversion_event_id: None,
        payments: 1,
        skipped: vec![],
        ip_hash: None,
        ip_range_hash: None,
        device_id: None,
        risk_score: 0,
        signals: vec![],
        review: None,
        created_at: 1,
        updated_at: 1,
    }
}

fn reward(w: &World, r: &Referral, event: &EventId) -> Reward {
    Reward {
        id: RewardId::new(),
        workspace_id: w.ws.clone(),
        program_id: w.program.id.clone(),
        participant_id: w.advocate.id.clone(),
        referral_id: Some(r.id.clone()),
        event_id: Some(event.clone()),
        role: Role::Referrer,
        trigger: vouch_domain::rules::RewardTrigger::Payment(
            vouch_domain::rules::Trigger::Purchase(1),
        ),
        kind: RewardKind::Credit,
        amount: 100,
        currency: usd(),
        status: RewardStatus::Pending,
        rule: serde_json::json!({"kind": "credit"}),
        inputs: serde_json::json!({"order_id": "o1"}),
        program_version: 1,
        approve_at: 10,
        created_at: 1,
        updated_at: 1,
        pending_reason: None,
        reversed_amount: 0,
        coupon_code: None,
        coupon_expires_at: None,
        fulfilment_reference: None,
        fulfilled_at: None,
        payout_line_id: None,
    }
}

async fn rewards_exist_once_per_referral_role_and_trigger(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    let mut tx = store.begin().await.unwrap();
    let customer = NewCustomer {
        id: CustomerId::new(),
        workspace_id: w.ws.clone(),
        program_id: w.program.id.clone(),
        email_normalized: Some("f@x.com".into()),
        external_id: None,
        attribution: None,
        first_purchase_at: None,
        created_at: 1,
    };
    tx.insert_customer(&customer).await.unwrap();
    let r = referral(&w, &customer.id);
    tx.insert_referral(&r).await.unwrap();
    let e = EventId::new();
    assert!(
        tx.insert_rewards(&[reward(&w, &r, &e)])
            .await
            .unwrap()
            .len()
            == 1
    );
    assert!(
        tx.insert_rewards(&[reward(&w, &r, &EventId::new())])
            .await
            .unwrap()
            .is_empty(),
        "second copy refused"
    );
    let mut other_role = reward(&w, &r, &e);
    other_role.role = Role::Referee;
    assert!(tx.insert_rewards(&[other_role]).await.unwrap().len() == 1);
    // The program's spend counts what was inserted (not the skipped duplicate), and
    // moves with adjustments.
    assert_eq!(
        tx.program_spend(&w.program.id).await.unwrap(),
        vec![(usd(), 200)]
    );
    tx.adjust_program_spend(&w.program.id, &usd(), -100)
        .await
        .unwrap();
    assert_eq!(
        tx.program_spend(&w.program.id).await.unwrap(),
        vec![(usd(), 100)]
    );
    assert_eq!(tx.rewards_for_referral(&r.id).await.unwrap().len(), 2);
    assert_eq!(tx.rewards_for_event(&e).await.unwrap().len(), 2);
    tx.commit().await.unwrap();
    let got = store.get_referral(&w.ws, &r.id).await.unwrap().unwrap();
    assert_eq!(got.status, ReferralStatus::Converted);
    assert!(store
        .get_referral(&WorkspaceId::new(), &r.id)
        .await
        .unwrap()
        .is_none());
}

async fn ledger_is_balanced_and_idempotent(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    let earn = reward_transition(
        &w.program.id,
        &w.advocate.id,
        RewardKind::Credit,
        Money::new(700, usd()),
        None,
        RewardStatus::Pending,
    )
    .unwrap();
    let approve = reward_transition(
        &w.program.id,
        &w.advocate.id,
        RewardKind::Credit,
        Money::new(300, usd()),
        Some(RewardStatus::Pending),
        RewardStatus::Approved,
    )
    .unwrap();
    let tx_of = |key: &str, postings: Vec<Posting>| NewLedgerTx {
        id: LedgerTxId::new(),
        workspace_id: w.ws.clone(),
        idempotency_key: key.into(),
        kind: "t".into(),
        reward_id: None,
        postings,
        created_at: 1,
    };
    let mut tx = store.begin().await.unwrap();
    let pending = vouch_domain::ledger::Account::Pending(w.advocate.id.clone()).key();
    tx.post_ledger(&[tx_of("k1", earn.clone())]).await.unwrap();
    tx.post_ledger(&[tx_of("k1", earn)]).await.unwrap();
    assert_eq!(
        tx.account_balance(&pending, &usd()).await.unwrap(),
        700,
        "same key posts once"
    );
    tx.post_ledger(&[tx_of("k2", approve)]).await.unwrap();
    assert_eq!(tx.account_balance(&pending, &usd()).await.unwrap(), 400);
    let mut unbalanced = tx_of("k3", vec![]);
    unbalanced.postings.push(Posting {
        account: "x".into(),
        amount: 5,
        currency: usd(),
    });
    assert!(tx.post_ledger(&[unbalanced]).await.is_err());
    drop(tx);
    // The failed posting rolled the whole transaction back.
    assert_eq!(store.balances(&w.advocate.id).await.unwrap(), vec![]);
    let mut tx = store.begin().await.unwrap();
    let earn = reward_transition(
        &w.program.id,
        &w.advocate.id,
        RewardKind::Credit,
        Money::new(700, usd()),
        None,
        RewardStatus::Pending,
    )
    .unwrap();
    tx.post_ledger(&[tx_of("k1", earn)]).await.unwrap();
    let approve = reward_transition(
        &w.program.id,
        &w.advocate.id,
        RewardKind::Credit,
        Money::new(300, usd()),
        Some(RewardStatus::Pending),
        RewardStatus::Approved,
    )
    .unwrap();
    tx.post_ledger(&[tx_of("k2", approve)]).await.unwrap();
    tx.commit().await.unwrap();
    let b = store.balances(&w.advocate.id).await.unwrap();
    assert_eq!(
        b,
        vec![Balance {
            payable: 0,
            in_payout: 0,
            paid_out: 0,
            currency: usd(),
            pending: 400,
            available: 300
        }]
    );
}

async fn jobs_are_leased_to_one_worker(store: Arc<dyn Store>) {
    let mut tx = store.begin().await.unwrap();
    for (i, key) in ["a", "a", "b"].iter().enumerate() {
        tx.enqueue_job(&NewJob {
            id: JobId::new(),
            kind: "k".into(),
            payload: serde_json::json!({"i": i}),
            dedupe_key: Some((*key).into()),
            run_at: 100,
        })
        .await
        .unwrap();
    }
    tx.enqueue_job(&NewJob {
        id: JobId::new(),
        kind: "later".into(),
        payload: serde_json::json!({}),
        dedupe_key: None,
        run_at: 10_000,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.count_jobs().await.unwrap(), 3, "deduplicated");
    let claimed = store.claim_jobs(200, 10, 1000).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|j| j.attempts == 1 && j.kind == "k"));
    assert!(
        store.claim_jobs(300, 10, 1000).await.unwrap().is_empty(),
        "leased"
    );
    store.retry_job(&claimed[0].id, 400, "boom").await.unwrap();
    let again = store.claim_jobs(500, 10, 1000).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    // An expired lease (crashed worker) frees the job for another.
    let stolen = store.claim_jobs(1301, 10, 1000).await.unwrap();
    assert_eq!(stolen.len(), 1);
    let mut tx = store.begin().await.unwrap();
    tx.finish_job(&stolen[0].id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.count_jobs().await.unwrap(), 2);
}

async fn lists_page_newest_first(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    for i in 0..4 {
        enroll(
            store.as_ref(),
            &w.program,
            &format!("p{i}@x.com"),
            &format!("LIST{i}X"),
        )
        .await
        .unwrap();
    }
    let q = ListQuery {
        limit: 2,
        program_id: Some(w.program.id.clone()),
        ..Default::default()
    };
    let first = store.list_participants(&w.ws, &q).await.unwrap();
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.items[0].email.as_deref(), Some("p3@x.com"));
    let q2 = ListQuery {
        cursor: first.next_cursor.clone(),
        ..q.clone()
    };
    let second = store.list_participants(&w.ws, &q2).await.unwrap();
    assert_eq!(second.items[0].email.as_deref(), Some("p1@x.com"));
    let q3 = ListQuery {
        cursor: second.next_cursor.clone(),
        ..q
    };
    let third = store.list_participants(&w.ws, &q3).await.unwrap();
    assert_eq!(third.items.len(), 1);
    assert!(third.next_cursor.is_none());
}

async fn concurrent_claims_of_one_event_let_exactly_one_win(store: Arc<dyn Store>) {
    let w = Arc::new(world(store.as_ref()).await);
    let mut handles = vec![];
    for _ in 0..8 {
        let store = store.clone();
        let w = w.clone();
        handles.push(tokio::spawn(async move {
            let e = event(&w, "purchase:order:race");
            let mut tx = store.begin().await.unwrap();
            let won = tx.claim_event(&e).await.unwrap();
            if won {
                tx.finish_event(
                    &e.id,
                    None,
                    None,
                    &StoredResponse {
                        status: 201,
                        body: "{}".into(),
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
            won
        }));
    }
    let mut wins = 0;
    for h in handles {
        wins += usize::from(h.await.unwrap());
    }
    assert_eq!(wins, 1);
}

async fn redemptions_are_unique_per_key(store: Arc<dyn Store>) {
    let w = world(store.as_ref()).await;
    let r = Redemption {
        id: RedemptionId::new(),
        workspace_id: w.ws.clone(),
        participant_id: w.advocate.id.clone(),
        amount: 250,
        currency: usd(),
        idempotency_key: "k".into(),
        reference: Some("order-1".into()),
        created_at: 9,
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.available_balance(&w.advocate.id, &usd()).await.unwrap(),
        0
    );
    assert!(tx.insert_redemption(&r).await.unwrap());
    let mut again = r.clone();
    again.id = RedemptionId::new();
    assert!(!tx.insert_redemption(&again).await.unwrap());
    assert_eq!(
        tx.find_redemption(&w.advocate.id, "k").await.unwrap(),
        Some(r)
    );
    assert!(tx
        .find_redemption(&w.advocate.id, "other")
        .await
        .unwrap()
        .is_none());
    tx.commit().await.unwrap();
}
