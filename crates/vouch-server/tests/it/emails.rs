//! Emails on both backends, written as `.eml` files (the dry run) or sent to an SMTP
//! server that is down: which events email whom, the email log, unsubscribing and the
//! suppression list, invitations, the share reminder and the retry schedule with the
//! server's clock moved, programs' own templates and the preview. (Delivery to a real
//! SMTP server, parsed by an independent library, is `crates/vouch/tests/email.rs`.)

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use vouch_server::Config;

use crate::harness::{expect_json, expect_problem, TestApp};

/// Runs each test on both backends, the server configured by `$setup` (given a
/// temporary directory).
macro_rules! email_tests {
    ($setup:path => $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let dir = tempfile::tempdir().unwrap();
                let d = dir.path().to_owned();
                let app = crate::harness::TestApp::spawn_with(crate::harness::Db::Sqlite,
                    move |c| $setup(c, d)).await.unwrap();
                super::$name(app, dir.path()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let dir = tempfile::tempdir().unwrap();
                let d = dir.path().to_owned();
                if let Some(app) = crate::harness::TestApp::spawn_with(crate::harness::Db::Postgres,
                    move |c| $setup(c, d)).await {
                    super::$name(app, dir.path()).await;
                }
            }
        }
    )*};
}

/// Emails written as `.eml` files to the directory.
fn dry_run(c: &mut Config, dir: PathBuf) {
    c.email_dir = Some(dir);
}

/// An SMTP server that is down: a port nothing listens on.
fn mail_server_down(c: &mut Config, _dir: PathBuf) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    c.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
}

email_tests!(super::dry_run =>
    each_event_emails_the_right_person_once,
    unsubscribing_stops_program_emails_but_not_money_owed,
    invitations_are_limited_and_sent_once_per_friend,
    the_share_reminder_waits_and_skips_advocates_who_shared,
    programs_override_templates_and_preview_them,
    imported_advocates_get_the_welcome_only_when_asked,
);

email_tests!(super::mail_server_down => a_failing_mail_server_is_retried_on_the_schedule_then_given_up);

async fn emails(app: &TestApp, query: &str) -> Vec<Value> {
    let v = app
        .get_ok(&format!("/api/v1/emails?limit=100&{query}"))
        .await;
    v["data"].as_array().unwrap().clone()
}

/// Waits (up to 10 s) until the emails matching `query` satisfy `check`.
async fn wait_emails(app: &TestApp, query: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..100 {
        let got = emails(app, query).await;
        if check(&got) {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "emails never matched ({query}): {:#?}",
        emails(app, query).await
    );
}

fn settled(v: &[Value]) -> bool {
    !v.is_empty() && v.iter().all(|m| m["status"] != "pending")
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// The `.eml` file of an email, found by its id header.
fn eml(dir: &Path, email_id: &str) -> String {
    eml_files(dir)
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .find(|s| s.contains(&format!("X-Vouch-Email-Id: {email_id}")))
        .unwrap_or_else(|| panic!("no .eml for {email_id} in {}", dir.display()))
}

async fn advocate_in(app: &TestApp, program: &Value, email: &str, locale: &str) -> Value {
    let path = format!(
        "/api/v1/programs/{}/participants",
        program["id"].as_str().unwrap()
    );
    app.post_ok(
        &path,
        &json!({"email": email, "name": "Sara Ali", "locale": locale}),
        201,
    )
    .await
}

fn purchase(program: &Value, code: &Value, friend: &str, order: &str) -> Value {
    json!({"type": "purchase", "program_id": program["id"], "referral_code": code,
        "customer": {"email": friend}, "order_id": order, "amount": 5000, "currency": "USD"})
}

async fn each_event_emails_the_right_person_once(app: TestApp, dir: &Path) {
    // Rewards wait 14 days: the friend's purchase is news first, the reward later.
    let program = app.program(json!({"hold_days": 14})).await;
    let sara = advocate_in(&app, &program, "sara@example.com", "ar").await;
    let sid = sara["id"].as_str().unwrap();
    let welcome = wait_emails(&app, &format!("participant_id={sid}&kind=welcome"), settled).await;
    assert_eq!(welcome.len(), 1);
    let w = &welcome[0];
    assert_eq!(
        (w["status"].as_str(), w["locale"].as_str()),
        (Some("sent"), Some("ar")),
        "{w}"
    );
    let file = eml(dir, w["id"].as_str().unwrap());
    assert!(
        file.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{file}"
    );
    assert!(
        file.contains("List-Unsubscribe: <http://127.0.0.1:"),
        "{file}"
    );
    assert!(file.contains("Content-Language: ar"), "{file}");
    assert!(file.contains("multipart/alternative"), "{file}");
    assert!(
        file.contains("text/plain") && file.contains("text/html"),
        "{file}"
    );

    app.event(json!({"type": "signup", "program_id": program["id"],
        "referral_code": sara["referral_code"], "customer": {"email": "friend@example.net"}}))
        .await;
    app.event(purchase(
        &program,
        &sara["referral_code"],
        "friend@example.net",
        "o-1",
    ))
    .await;
    let sent =
        |v: &[Value], kind: &str| v.iter().any(|m| m["kind"] == kind && m["status"] == "sent");
    let to_sara = wait_emails(&app, &format!("participant_id={sid}"), |v| {
        sent(v, "friend_signed_up") && sent(v, "friend_purchased")
    })
    .await;
    let bought = to_sara
        .iter()
        .find(|m| m["kind"] == "friend_purchased")
        .unwrap();
    assert!(
        bought["subject"].as_str().unwrap().contains("10.00 USD"),
        "{bought}"
    );
    assert!(!to_sara.iter().any(|m| m["kind"] == "reward_available"));
    // The hold ends: the reward is available, to both of them.
    app.clock.advance(Duration::from_secs(15 * 86_400));
    let to_sara = wait_emails(&app, &format!("participant_id={sid}"), |v| {
        sent(v, "reward_available") && v.iter().all(|m| m["status"] != "pending")
    })
    .await;
    let mut kinds: Vec<&str> = to_sara
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "friend_purchased",
            "friend_signed_up",
            "reward_available",
            "share_reminder",
            "welcome"
        ],
        "{to_sara:#?}"
    );
    let reminder = to_sara
        .iter()
        .find(|m| m["kind"] == "share_reminder")
        .unwrap();
    assert_eq!(reminder["status"], "skipped", "Sara shared: {reminder}");
    let available = to_sara
        .iter()
        .find(|m| m["kind"] == "reward_available")
        .unwrap();
    assert!(
        available["subject"].as_str().unwrap().contains("10.00 USD"),
        "{available}"
    );
    // The friend hears about their own reward, in the language of the advocate who
    // brought them (friends enrolled by a purchase take it).
    let to_friend = wait_emails(&app, "kind=friend_reward", settled).await;
    assert_eq!(to_friend.len(), 1);
    assert_eq!(to_friend[0]["to"], "friend@example.net");
    assert_eq!(to_friend[0]["locale"], "ar");
    assert!(to_friend[0]["subject"]
        .as_str()
        .unwrap()
        .contains("Spring referrals"));

    // Without a hold the reward is available at once: "bought, reward pending" would be
    // wrong, so only `reward_available` goes.
    let now = app.program(json!({})).await;
    let anna = app.advocate(&now, "anna@example.com").await;
    app.event(purchase(
        &now,
        &anna["referral_code"],
        "other@example.net",
        "o-9",
    ))
    .await;
    let aid = anna["id"].as_str().unwrap();
    let got = wait_emails(&app, &format!("participant_id={aid}"), |v| {
        sent(v, "reward_available")
            && v.iter()
                .any(|m| m["kind"] == "friend_purchased" && m["status"] != "pending")
    })
    .await;
    let bought = got
        .iter()
        .find(|m| m["kind"] == "friend_purchased")
        .unwrap();
    assert_eq!(bought["status"], "skipped", "{bought}");

    // The same purchase reported again changes nothing and emails nobody again.
    let resp = app
        .post(
            "/api/v1/events",
            &purchase(
                &program,
                &sara["referral_code"],
                "friend@example.net",
                "o-1",
            ),
        )
        .await;
    assert!(resp.status().is_success(), "{}", resp.status());
    tokio::time::sleep(Duration::from_millis(600)).await;
    let again = emails(&app, &format!("participant_id={sid}")).await;
    assert_eq!(again.len(), to_sara.len(), "{again:#?}");
    // A sent email is not sent twice.
    let resp = app
        .post(
            &format!("/api/v1/emails/{}/retry", w["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    expect_problem(resp, 409, "already_sent", None).await;
}

async fn unsubscribing_stops_program_emails_but_not_money_owed(app: TestApp, dir: &Path) {
    let program = app.program(json!({})).await;
    let sara = advocate_in(&app, &program, "Sara@Example.com", "en").await;
    let sid = sara["id"].as_str().unwrap();
    let w = wait_emails(&app, &format!("participant_id={sid}&kind=welcome"), settled).await;
    let file = eml(dir, w[0]["id"].as_str().unwrap());
    let start = file.find("List-Unsubscribe: <").unwrap() + "List-Unsubscribe: <".len();
    let url = &file[start..start + file[start..].find('>').unwrap()];
    assert!(url.starts_with(&app.base), "{url}");

    // Following the link only asks; a forged token is not found.
    let page = app.client.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Sara@Example.com") && html.contains("<form method=\"post\""),
        "{html}"
    );
    assert!(app.get_ok("/api/v1/email-suppressions").await["data"]
        .as_array()
        .unwrap()
        .is_empty());
    let last = if url.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &url[..url.len() - 1]);
    assert_eq!(app.client.post(&forged).send().await.unwrap().status(), 404);
    // A mail client's one-click POST unsubscribes.
    let resp = app
        .client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let list = app.get_ok("/api/v1/email-suppressions").await;
    assert_eq!(list["data"][0]["email"], "Sara@Example.com", "{list}");
    assert_eq!(list["data"][0]["reason"], "unsubscribed");

    app.event(json!({"type": "signup", "program_id": program["id"],
        "referral_code": sara["referral_code"], "customer": {"email": "friend@example.net"}}))
        .await;
    app.event(purchase(
        &program,
        &sara["referral_code"],
        "friend@example.net",
        "o-1",
    ))
    .await;
    let got = wait_emails(&app, &format!("participant_id={sid}"), |v| {
        v.iter()
            .any(|m| m["kind"] == "reward_available" && m["status"] != "pending")
            && v.iter()
                .any(|m| m["kind"] == "friend_purchased" && m["status"] != "pending")
    })
    .await;
    let of = |k: &str| got.iter().find(|m| m["kind"] == k).unwrap().clone();
    assert_eq!(of("friend_purchased")["status"], "skipped");
    assert!(of("friend_purchased")["reason"]
        .as_str()
        .unwrap()
        .contains("unsubscribed"));
    assert_eq!(
        of("reward_available")["status"],
        "sent",
        "money owed still goes"
    );

    // The merchant takes the address off the list (case does not matter).
    let resp = app
        .client
        .delete(app.url("/api/v1/email-suppressions/sara@example.com"))
        .bearer_auth(&app.sk)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    // A bounced address gets nothing, not even money owed.
    app.post_ok(
        "/api/v1/email-suppressions",
        &json!({"email": "sara@example.com", "reason": "bounced"}),
        201,
    )
    .await;
    app.event(purchase(
        &program,
        &sara["referral_code"],
        "other@example.net",
        "o-2",
    ))
    .await;
    let got = wait_emails(
        &app,
        &format!("participant_id={sid}&kind=reward_available"),
        |v| v.len() == 2 && settled(v),
    )
    .await;
    assert_eq!(got[0]["status"], "skipped", "{got:#?}");
    let resp = app
        .post("/api/v1/email-suppressions", &json!({"email": "nope"}))
        .await;
    expect_problem(resp, 422, "validation_failed", Some("email")).await;
}

async fn invitations_are_limited_and_sent_once_per_friend(app: TestApp, dir: &Path) {
    let program = app.program(json!({})).await;
    let sara = advocate_in(&app, &program, "sara@example.com", "ar").await;
    let path = format!(
        "/api/v1/participants/{}/invitations",
        sara["id"].as_str().unwrap()
    );
    app.post_ok(
        "/api/v1/email-suppressions",
        &json!({"email": "quiet@example.net"}),
        201,
    )
    .await;
    let r = app
        .post_ok(
            &path,
            &json!({"emails": ["a@example.net", "quiet@example.net", "SARA@example.com"],
            "note": "جرّبوا القهوة!"}),
            200,
        )
        .await;
    let status: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["queued", "suppressed", "own_address"], "{r}");
    let id = r["results"][0]["email_id"].as_str().unwrap().to_owned();
    let again = app
        .post_ok(&path, &json!({"emails": ["A@example.net"]}), 200)
        .await;
    assert_eq!(again["results"][0]["status"], "duplicate", "{again}");
    let sent = wait_emails(&app, "kind=invitation", settled).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["status"], "sent");
    // In the advocate's language, with their link and note.
    let file = eml(dir, &id);
    assert!(file.contains("Content-Language: ar"), "{file}");
    let friend_body = String::from_utf8(decode_parts(&file)).unwrap();
    assert!(
        friend_body.contains(sara["referral_url"].as_str().unwrap()),
        "{friend_body}"
    );
    assert!(friend_body.contains("جرّبوا القهوة!"), "{friend_body}");

    let many: Vec<String> = (0..10).map(|i| format!("f{i}@example.net")).collect();
    app.post_ok(&path, &json!({"emails": many}), 200).await;
    let more: Vec<String> = (10..20).map(|i| format!("f{i}@example.net")).collect();
    let resp = app.post(&path, &json!({"emails": more})).await;
    expect_problem(resp, 429, "rate_limited", None).await;
    let resp = app
        .post(&path, &json!({"emails": ["not an address"]}))
        .await;
    expect_problem(resp, 422, "validation_failed", Some("emails[0]")).await;
    let resp = app.post(&path, &json!({"emails": []})).await;
    expect_problem(resp, 422, "validation_failed", Some("emails")).await;
}

/// The decoded bodies of an `.eml` file's base64 parts, concatenated.
fn decode_parts(eml: &str) -> Vec<u8> {
    use base64::Engine;
    let mut out = vec![];
    for part in eml.split("Content-Transfer-Encoding: base64").skip(1) {
        let body: String = part
            .trim_start()
            .lines()
            .take_while(|l| !l.starts_with("--") && !l.is_empty())
            .collect();
        if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(body) {
            out.extend(b);
        }
    }
    for part in eml
        .split("Content-Transfer-Encoding: quoted-printable")
        .skip(1)
    {
        out.extend(part.replace("=\r\n", "").replace("=\n", "").as_bytes());
    }
    out
}

async fn the_share_reminder_waits_and_skips_advocates_who_shared(app: TestApp, _dir: &Path) {
    let program = app
        .program(json!({"emails": {"reminder_after_days": 3}}))
        .await;
    let quiet = advocate_in(&app, &program, "quiet@example.com", "en").await;
    let sharer = advocate_in(&app, &program, "sharer@example.com", "en").await;
    let reminders = wait_emails(&app, "kind=share_reminder", |v| v.len() == 2).await;
    assert!(
        reminders.iter().all(|m| m["status"] == "pending"),
        "{reminders:#?}"
    );
    app.click(sharer["referral_code"].as_str().unwrap()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.clock.advance(Duration::from_secs(2 * 86_400));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(emails(&app, "kind=share_reminder")
        .await
        .iter()
        .all(|m| m["status"] == "pending"));
    app.clock.advance(Duration::from_secs(86_400 + 60));
    let got = wait_emails(&app, "kind=share_reminder", settled).await;
    let of = |p: &Value| {
        got.iter()
            .find(|m| m["participant_id"] == p["id"])
            .unwrap()
            .clone()
    };
    assert_eq!(of(&quiet)["status"], "sent", "{got:#?}");
    assert_eq!(of(&sharer)["status"], "skipped");
    assert!(of(&sharer)["reason"].as_str().unwrap().contains("shared"));
}

async fn programs_override_templates_and_preview_them(app: TestApp, dir: &Path) {
    let program = app
        .program(json!({"emails": {"disabled": ["share_reminder"], "from_name": "Acme"}}))
        .await;
    let pid = program["id"].as_str().unwrap();
    let default = app.get_ok("/api/v1/email-templates/welcome/ar").await;
    assert_eq!(default["customized"], false);
    assert!(
        default["source"].as_str().unwrap().starts_with("subject:"),
        "{default}"
    );
    assert_eq!(
        default["variables"]["participant"]["referral_code"],
        "SARA-7KQ2"
    );

    let path = format!("/api/v1/programs/{pid}/email-templates/welcome/en");
    let put = |body: Value| {
        let req = app
            .client
            .put(app.url(&path))
            .bearer_auth(&app.sk)
            .json(&body);
        async move { req.send().await.unwrap() }
    };
    let bad = put(json!({"source": "subject: {{ program.name \nheading: x\n---\nbody"})).await;
    let p = expect_problem(bad, 422, "validation_failed", Some("source")).await;
    assert!(p["detail"].as_str().unwrap().contains("subject"), "{p}");
    let bad = put(json!({"source": "heading: x\n---\nbody"})).await;
    expect_problem(bad, 422, "validation_failed", Some("source")).await;
    let ok = put(json!({"source": "subject: {{ participant.first_name }}, {{ program.name }} loves you\nheading: Hello\naction: Go\n---\nCode: {{ participant.referral_code }}"})).await;
    let saved = expect_json(ok, 200).await;
    assert_eq!(saved["customized"], true);

    let preview = app
        .post_ok(
            "/api/v1/email-templates/welcome/en/preview",
            &json!({"program_id": pid}),
            200,
        )
        .await;
    assert_eq!(
        preview["subject"], "Sara, Spring referrals loves you",
        "{preview}"
    );
    assert!(preview["text"]
        .as_str()
        .unwrap()
        .contains("Code: SARA-7KQ2"));
    let ar = app
        .post_ok(
            "/api/v1/email-templates/friend_reward/ar/preview",
            &json!({}),
            200,
        )
        .await;
    assert!(ar["html"].as_str().unwrap().contains("dir=\"rtl\""));
    assert!(ar["html"].as_str().unwrap().contains("WELCOME-5F3A9C"));

    let sara = app.advocate(&program, "sara@example.com").await;
    let sid = sara["id"].as_str().unwrap();
    let w = wait_emails(&app, &format!("participant_id={sid}&kind=welcome"), settled).await;
    let welcome = &w[0];
    assert_eq!(welcome["subject"], ", Spring referrals loves you");
    let file = eml(dir, welcome["id"].as_str().unwrap());
    assert!(
        file.contains("From: Acme <noreply@") || file.contains("From: \"Acme\" <noreply@"),
        "{file}"
    );

    let list = app
        .get_ok(&format!("/api/v1/programs/{pid}/email-templates"))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let del = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.sk)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 204);
    let del = app
        .client
        .delete(app.url(&path))
        .bearer_auth(&app.sk)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status(), 404);
    let resp = app.get("/api/v1/email-templates/welcome/fr").await;
    expect_problem(resp, 422, "validation_failed", Some("locale")).await;
}

async fn a_failing_mail_server_is_retried_on_the_schedule_then_given_up(app: TestApp, _dir: &Path) {
    let program = app.program(json!({})).await;
    let sara = app.advocate(&program, "sara@example.com").await;
    let q = format!(
        "participant_id={}&kind=welcome",
        sara["id"].as_str().unwrap()
    );
    let first = wait_emails(&app, &q, |v| v.first().is_some_and(|m| m["attempts"] == 1)).await;
    assert_eq!(first[0]["status"], "pending", "{first:#?}");
    assert!(
        first[0]["last_error"].as_str().unwrap().contains("SMTP"),
        "{first:#?}"
    );
    // 1 min, 5 min, 30 min, 2 h, 6 h, 12 h (each up to a fifth longer), then it stops.
    for (n, wait) in [
        (2, 72),
        (3, 360),
        (4, 2160),
        (5, 8640),
        (6, 25920),
        (7, 51840),
    ] {
        app.clock.advance(Duration::from_secs(wait));
        wait_emails(&app, &q, |v| v[0]["attempts"] == n).await;
    }
    let last = wait_emails(&app, &q, |v| v[0]["status"] == "failed").await;
    assert_eq!(last[0]["attempts"], 7, "{last:#?}");
    // A manual retry queues it again.
    let resp = app
        .post(
            &format!("/api/v1/emails/{}/retry", last[0]["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    let again = expect_json(resp, 202).await;
    assert_eq!(again["status"], "pending");
    wait_emails(&app, &q, |v| v[0]["attempts"] == 8).await;
}

async fn imported_advocates_get_the_welcome_only_when_asked(app: TestApp, _dir: &Path) {
    let program = app.program(json!({})).await;
    let path = format!(
        "/api/v1/programs/{}/participants/import",
        program["id"].as_str().unwrap()
    );
    let import = |query: &'static str, csv: &'static str| {
        let req = app
            .client
            .post(app.url(&format!("{path}{query}")))
            .bearer_auth(&app.sk)
            .header("content-type", "text/csv")
            .body(csv);
        async move { expect_json(req.send().await.unwrap(), 200).await }
    };
    let quiet = import("", "email,name\nq1@example.com,Q\nq2@example.com,R\n").await;
    assert_eq!(quiet["created"], 2, "{quiet}");
    let told = import("?welcome_email=true", "email\nt1@example.com\n").await;
    assert_eq!(told["created"], 1, "{told}");
    let sent = wait_emails(&app, "kind=welcome", settled).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent = if sent.len() == 1 {
        emails(&app, "kind=welcome").await
    } else {
        sent
    };
    let to: Vec<&str> = sent.iter().map(|m| m["to"].as_str().unwrap()).collect();
    assert_eq!(to, ["t1@example.com"], "{sent:#?}");
}
