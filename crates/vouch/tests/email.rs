//! Emails from a running `vouch serve --smtp-url …` to a real SMTP server on loopback
//! (`e2e/smtp_sink.mjs`: npm `smtp-server`, with authentication), each message parsed by
//! an independent library (npm `mailparser`): headers, both parts, the language, the
//! one-click unsubscribe and what it stops, a refused address going on the suppression
//! list; on SQLite, and on two instances sharing one PostgreSQL (each email sent once).
//! Needs Node and `e2e/node_modules` (`scripts/browser-deps.sh`); without them the test
//! skips loudly, and with `CI` or `VOUCH_REQUIRE_BROWSER` it fails.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;
use common::{call, serve};

fn node_ready() -> bool {
    common::node_ready(&["smtp-server", "mailparser"])
}

/// The SMTP server and the messages it accepted.
struct Sink {
    node: common::NodeScript,
    port: u16,
    got: Vec<Value>,
}

fn sink() -> Sink {
    sink_with(&[])
}

fn sink_with(args: &[&str]) -> Sink {
    let node = common::node_script("smtp_sink.mjs", args);
    let first = node
        .lines
        .recv_timeout(Duration::from_secs(20))
        .expect("sink port");
    let port = u16::try_from(first["port"].as_u64().unwrap()).unwrap();
    Sink {
        node,
        port,
        got: vec![],
    }
}

impl Sink {
    fn url(&self) -> String {
        format!("smtp://vouch:secret@127.0.0.1:{}", self.port)
    }

    /// The first message to `to` whose subject contains `subject` (waiting up to 30 s).
    fn message(&mut self, to: &str, subject: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self.got.iter().find(|m| {
                m["envelope_to"][0] == to && m["subject"].as_str().unwrap_or("").contains(subject)
            });
            if let Some(m) = found {
                return m.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.node.lines.recv_timeout(left) {
                Ok(v) => self.got.push(v),
                Err(_) => panic!("no email to {to} about {subject:?}; got {:#?}", self.got),
            }
        }
    }

    fn count_to(&mut self, to: &str) -> usize {
        while let Ok(v) = self.node.lines.recv_timeout(Duration::from_millis(50)) {
            self.got.push(v);
        }
        self.got
            .iter()
            .filter(|m| m["envelope_to"][0] == to)
            .count()
    }
}

async fn wait_email(base: &str, sk: &str, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..150 {
        let v = call(
            reqwest::Method::GET,
            format!("{base}/api/v1/emails?{query}"),
            sk,
            Value::Null,
        )
        .await;
        if let Some(m) = v["data"].as_array().and_then(|d| d.first()) {
            if done(m) {
                return m.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("email {query} never reached the state expected");
}

/// The whole flow against one or two servers (`bases`), sharing one database.
async fn flow(sink: &mut Sink, bases: &[String], sk: &str) {
    let post = |i: usize, path: &str, body: Value| {
        call(
            reqwest::Method::POST,
            format!("{}{path}", bases[i % bases.len()]),
            sk,
            body,
        )
    };
    let program = post(
        0,
        "/api/v1/programs",
        json!({"name": "Acme Coffee", "destination_url": "https://shop.example.com/",
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
            "emails": {"from_name": "Acme Coffee team", "reply_to": "help@acme.example"}}),
    )
    .await;
    let pid = program["id"].as_str().unwrap().to_owned();
    let sara = post(
        1,
        &format!("/api/v1/programs/{pid}/participants"),
        json!({"email": "sara@example.com", "name": "سارة علي", "locale": "ar"}),
    )
    .await;
    let code = sara["referral_code"].as_str().unwrap().to_owned();

    // The Arabic welcome: authenticated, both parts, right to left, one-click unsubscribe.
    let welcome = sink.message("sara@example.com", "Acme Coffee");
    assert_eq!(welcome["user"], "vouch");
    let h = &welcome["headers"];
    assert_eq!(h["content-language"], "ar");
    assert_eq!(h["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    assert_eq!(welcome["from"][0]["name"], "Acme Coffee team");
    assert!(h["reply-to"]
        .as_str()
        .unwrap()
        .contains("help@acme.example"));
    assert_eq!(welcome["to"][0]["name"], "سارة علي");
    let html = welcome["html"].as_str().unwrap();
    let text = welcome["text"].as_str().unwrap();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{html}");
    assert!(html.contains("dir=\"rtl\" width=\"600\""), "{html}");
    assert!(text.contains("شكرًا لانضمامك") && html.contains("شكرًا لانضمامك"));
    assert!(text.contains(&code) && html.contains(&code), "{text}");
    let unsubscribe = h["list-unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(|c| c == '<' || c == '>')
        .to_owned();
    assert!(text.contains(&unsubscribe) && html.contains(&unsubscribe));
    assert!(h["message-id"].as_str().unwrap().starts_with("<eml_"));

    // An English invitation carries the advocate's link.
    let anna = post(
        0,
        &format!("/api/v1/programs/{pid}/participants"),
        json!({"email": "anna@example.com", "name": "Anna Berg", "locale": "en"}),
    )
    .await;
    sink.message("anna@example.com", "Acme Coffee");
    post(
        1,
        &format!(
            "/api/v1/participants/{}/invitations",
            anna["id"].as_str().unwrap()
        ),
        json!({"emails": ["ben@example.net", "bounce@example.net"], "note": "Try the beans!"}),
    )
    .await;
    let invite = sink.message("ben@example.net", "Anna invited you");
    assert_eq!(invite["headers"]["content-language"], "en");
    let t = invite["text"].as_str().unwrap();
    // Each test instance has its own public URL (one deployment would share one).
    let link = format!("/r/{}", anna["referral_code"].as_str().unwrap());
    assert!(t.contains(&link), "{t}");
    assert!(t.contains("Try the beans!"), "{t}");
    // The refused address fails for good and goes on the suppression list.
    let bounced = wait_email(&bases[0], sk, "to=bounce@example.net", |m| {
        m["status"] == "failed"
    })
    .await;
    assert!(
        bounced["last_error"].as_str().unwrap().contains("550"),
        "{bounced}"
    );
    let list = call(
        reqwest::Method::GET,
        format!("{}/api/v1/email-suppressions", bases[0]),
        sk,
        Value::Null,
    )
    .await;
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["email"] == "bounce@example.net" && s["reason"] == "bounced"),
        "{list}"
    );

    // Sara unsubscribes with one click, as her mail client would.
    let resp = reqwest::Client::new()
        .post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let before = sink.count_to("sara@example.com");
    // A friend signs up (a program email: not sent) and buys (money owed: sent).
    post(
        0,
        "/api/v1/events",
        json!({"type": "signup", "program_id": pid, "referral_code": code,
            "customer": {"email": "friend@example.net"}}),
    )
    .await;
    post(
        1,
        "/api/v1/events",
        json!({"type": "purchase", "program_id": pid, "referral_code": code,
            "customer": {"email": "friend@example.net"}, "order_id": "o-1",
            "amount": 5000, "currency": "USD"}),
    )
    .await;
    let reward = sink.message("sara@example.com", "10.00 USD");
    assert_eq!(reward["headers"]["content-language"], "ar");
    let skipped = wait_email(
        &bases[0],
        sk,
        &format!(
            "participant_id={}&kind=friend_signed_up",
            sara["id"].as_str().unwrap()
        ),
        |m| m["status"] != "pending",
    )
    .await;
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    // Only the reward reached her after she unsubscribed: each email once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.count_to("sara@example.com"),
        before + 1,
        "{:#?}",
        sink.got
    );
    assert_eq!(sink.count_to("anna@example.com"), 1);
    assert_eq!(sink.count_to("ben@example.net"), 1);
}

#[tokio::test]
async fn emails_reach_a_real_smtp_server_on_sqlite() {
    if !node_ready() {
        return;
    }
    let mut sink = sink();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let server = serve(&["--data-dir", &data, "--smtp-url", &sink.url()]);
    let sk = server.key("sk_");
    flow(&mut sink, std::slice::from_ref(&server.base), &sk).await;
}

#[tokio::test]
async fn two_instances_on_postgresql_send_each_email_once() {
    let Some(url) = vouch_store::testing::fresh_postgres().await else {
        return;
    };
    if !node_ready() {
        return;
    }
    let mut sink = sink();
    let sk = common::workspace_key(&url);
    let smtp = sink.url();
    let a = serve(&["--database-url", &url, "--smtp-url", &smtp]);
    let b = serve(&["--database-url", &url, "--smtp-url", &smtp]);
    flow(&mut sink, &[a.base.clone(), b.base.clone()], &sk).await;
}

/// A certificate authority and a certificate for 127.0.0.1 it signed, made with the
/// openssl command: (ca.pem, key, cert) paths in `dir`.
fn private_ca(dir: &std::path::Path) -> (String, String, String) {
    let p = |f: &str| dir.join(f).display().to_string();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let (ca_key, ca_pem, key, csr, cert, ext) = (
        p("ca.key"),
        p("ca.pem"),
        p("srv.key"),
        p("srv.csr"),
        p("srv.pem"),
        p("ext.cnf"),
    );
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        &ca_key,
        "-out",
        &ca_pem,
        "-days",
        "2",
        "-subj",
        "/CN=Vouch test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    run(&ca);
    let mut req = vec!["req"];
    req.extend(ec);
    req.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=127.0.0.1"]);
    run(&req);
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca_pem,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-out",
        &cert,
        "-days",
        "2",
        "-extfile",
        &ext,
    ]);
    (ca_pem, key, cert)
}

/// STARTTLS and TLS from the first byte, to servers whose certificate chains to a
/// private authority given with `--smtp-ca-file`; without it the same server is refused.
#[tokio::test]
async fn emails_go_over_starttls_and_tls_trusting_a_private_ca() {
    if !node_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (ca, key, cert) = private_ca(dir.path());
    for (mode, scheme, query) in [
        ("--starttls", "smtp", "?tls=required"),
        ("--tls", "smtps", ""),
    ] {
        let mut sink = sink_with(&[mode, &key, &cert]);
        let data = dir.path().join(format!("data{mode}")).display().to_string();
        let url = format!("{scheme}://vouch:secret@127.0.0.1:{}{query}", sink.port);
        let server = serve(&[
            "--data-dir",
            &data,
            "--smtp-url",
            &url,
            "--smtp-ca-file",
            &ca,
        ]);
        let sk = server.key("sk_");
        let post = |path: &str, body: Value| {
            call(
                reqwest::Method::POST,
                format!("{}{path}", server.base),
                &sk,
                body,
            )
        };
        let program = post(
            "/api/v1/programs",
            json!({"name": "Secure Coffee", "destination_url": "https://shop.example.com/",
                "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"}}),
        )
        .await;
        let pid = program["id"].as_str().unwrap();
        post(
            &format!("/api/v1/programs/{pid}/participants"),
            json!({"email": "tls@example.com"}),
        )
        .await;
        let m = sink.message("tls@example.com", "Secure Coffee");
        assert_eq!(m["secure"], true, "{mode}: {m}");
        assert_eq!(m["user"], "vouch");

        // The same server without the authority: the certificate is not trusted.
        let data = dir
            .path()
            .join(format!("untrusting{mode}"))
            .display()
            .to_string();
        let plain = serve(&["--data-dir", &data, "--smtp-url", &url]);
        let sk2 = plain.key("sk_");
        let p2 = call(
            reqwest::Method::POST,
            format!("{}/api/v1/programs", plain.base),
            &sk2,
            json!({"name": "Secure Coffee", "destination_url": "https://shop.example.com/"}),
        )
        .await;
        let pid2 = p2["id"].as_str().unwrap();
        call(
            reqwest::Method::POST,
            format!("{}/api/v1/programs/{pid2}/participants", plain.base),
            &sk2,
            json!({"email": "nope@example.com"}),
        )
        .await;
        let failed = wait_email(&plain.base, &sk2, "kind=welcome", |m| m["attempts"] == 1).await;
        assert_eq!(failed["status"], "pending", "{failed}");
        assert!(
            failed["last_error"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("cert"),
            "{failed}"
        );
    }
}
