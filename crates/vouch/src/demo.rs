//! `vouch demo`: a program with advocates and simulated traffic, made through the same
//! engine the API uses.

use vouch_app::enrolment::{enroll, EnrolmentInput};
use vouch_app::events::{record_event, EventInput};
use vouch_app::workspaces::create_workspace;
use vouch_domain::email::Email;
use vouch_domain::event::EventKind;
use vouch_domain::ids::{ClickId, ProgramId};
use vouch_domain::money::{Currency, Money};
use vouch_domain::program::{AttributionModel, ProgramConfig, RewardKind, RewardRule};
use vouch_domain::DAY_MS;
use vouch_store::{Enrolment, NewClick, Program, ProgramStatus, Store};

/// Seeds the demo; returns what to print and the program.
pub async fn seed(store: &dyn Store, public_url: &str) -> anyhow::Result<(String, Program)> {
    let ws = create_workspace(store, "Demo coffee roasters").await?;
    let fraud = vouch_app::fraud::FraudData::shipped();
    let usd = Currency::parse("currency", "USD")?;
    let config = ProgramConfig {
        name: "Demo Coffee".into(),
        destination_url: "https://coffee.example.com/welcome".into(),
        allowed_domains: vec![],
        attribution_window_days: 30,
        attribution_model: AttributionModel::LastClick,
        hold_days: 0,
        referrer_reward: Some(RewardRule::fixed(RewardKind::Credit, 1000, usd)),
        referee_reward: Some(RewardRule::fixed(RewardKind::Credit, 500, usd)),
        starts_at: None,
        ends_at: None,
        ..ProgramConfig::default()
    }
    .validate()?;
    let clock = vouch_app::clock::Clock::system();
    let now = clock.now();
    let mut program = Program {
        id: ProgramId::new(),
        workspace_id: ws.workspace_id.clone(),
        slug: "demo-coffee".into(),
        status: ProgramStatus::Active,
        config,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    if store.insert_program(&program).await.is_err() {
        program.slug = format!("demo-coffee-{}", &program.id.as_str()[4..10]);
        store.insert_program(&program).await?;
    }
    let advocates = [
        ("sara@example.com", "Sara", "ar"),
        ("omar@example.com", "Omar", "ar"),
        ("emma@example.com", "Emma", "en"),
    ];
    let mut lines = vec![];
    for (i, (email, name, locale)) in advocates.iter().enumerate() {
        let p = match enroll(
            store,
            &program,
            &EnrolmentInput {
                email: Some(Email::parse("email", email)?),
                name: Some((*name).into()),
                external_id: None,
                locale: (*locale).into(),
                vanity_code: None,
                referred_by: None,
                fingerprint: Default::default(),
                hasher: None,
                welcome_email: true,
            },
            now,
        )
        .await?
        {
            Enrolment::Created(p) | Enrolment::Existing(p) => p,
        };
        // Simulated traffic: clicks, some signups, fewer purchases.
        let clicks: Vec<NewClick> = (0..(10 + 5 * i))
            .map(|k| NewClick {
                id: ClickId::new(),
                workspace_id: ws.workspace_id.clone(),
                program_id: program.id.clone(),
                participant_id: p.id.clone(),
                code: p.referral_code.clone(),
                occurred_at: now - (k as i64) * DAY_MS / 8,
                ip_hash: None,
                user_agent: None,
                referer: None,
                source: None,
                unique: true,
            })
            .collect();
        store.insert_clicks(&clicks).await?;
        for (k, click) in clicks.iter().take(3 + i).enumerate() {
            let friend = Email::parse(
                "email",
                &format!("friend{k}.of.{name}@example.net").to_lowercase(),
            )?;
            let base = EventInput {
                kind: EventKind::Signup,
                event_name: None,
                refund_id: None,
                email: Some(friend),
                external_id: None,
                click_id: Some(click.id.clone()),
                referral_code: None,
                coupon_code: None,
                order_id: None,
                amount: None,
                occurred_at: click.occurred_at + 60_000,
                idempotency_key: None,
                fingerprint: Default::default(),
                hasher: None,
                ip_range_hash: None,
            };
            record_event(store, &clock, &fraud, &program, &base).await?;
            if k % 2 == 0 {
                let purchase = EventInput {
                    kind: EventKind::Purchase,
                    click_id: None,
                    order_id: Some(format!("demo-{}-{k}", p.referral_code)),
                    amount: Some(Money::new(4500, usd)),
                    occurred_at: click.occurred_at + 3_600_000,
                    ..base
                };
                record_event(store, &clock, &fraud, &program, &purchase).await?;
            }
        }
        lines.push(format!(
            "  {name:<5} {public_url}/r/{}   (page: {public_url}/p/{}?code={}&lang={locale})",
            p.referral_code, program.slug, p.referral_code
        ));
    }
    let summary = format!(
        "Demo seeded.\n\
         Workspace {ws_id}\n  Secret key:      {sk}\n  Publishable key: {pk}\n\
         Program {program_id}\n\
         Program page:  {public_url}/p/{slug}   (Arabic: {public_url}/p/{slug}?lang=ar)\n\
         Advocates' links:\n{links}\n\
         Try: curl -H 'Authorization: Bearer {sk}' {public_url}/api/v1/referrals",
        ws_id = ws.workspace_id,
        sk = ws.secret_key,
        pk = ws.publishable_key,
        slug = program.slug,
        program_id = program.id,
        links = lines.join("\n"),
    );
    Ok((summary, program))
}
