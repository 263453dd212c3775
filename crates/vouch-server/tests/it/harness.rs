//! A real server on 127.0.0.1:0 over a fresh database per test, driven through real
//! HTTP. `both!` runs a test once on SQLite and once on PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use vouch_app::workspaces::create_workspace;
use vouch_server::Config;
use vouch_store::Store;

/// The browser string the tests' requests carry.
pub const BROWSER: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub sk: String,
    pub pk: String,
    pub workspace_id: String,
    pub store: Arc<dyn Store>,
    /// The server's clock: `clock.advance(…)` runs a hold period without waiting.
    pub clock: vouch_app::clock::Clock,
    _dir: Option<tempfile::TempDir>,
    _stop: oneshot::Sender<()>,
}

/// Runs `$name(app)` against both backends.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::harness::TestApp::spawn($crate::harness::Db::Sqlite).await.unwrap();
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::harness::TestApp::spawn($crate::harness::Db::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

/// Runs `$name(app)` against both backends with deliveries to loopback allowed (a
/// receiver in the test).
#[macro_export]
macro_rules! private_ok {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::harness::TestApp::spawn_with($crate::harness::Db::Sqlite,
                    |c| c.webhook_allow_private = true).await.unwrap();
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::harness::TestApp::spawn_with($crate::harness::Db::Postgres,
                    |c| c.webhook_allow_private = true).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

impl TestApp {
    pub async fn spawn(db: Db) -> Option<Self> {
        Self::spawn_with(db, |_| {}).await
    }

    /// A server whose configuration `configure` adjusts first.
    pub async fn spawn_with(db: Db, configure: impl FnOnce(&mut Config)) -> Option<Self> {
        let (dir, url) = match db {
            Db::Sqlite => {
                let (dir, url) = vouch_store::testing::fresh_sqlite();
                (Some(dir), url)
            }
            Db::Postgres => (None, vouch_store::testing::fresh_postgres().await?),
        };
        let store = vouch_store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let store: Arc<dyn Store> = Arc::new(store);
        let ws = create_workspace(store.as_ref(), "Test shop")
            .await
            .expect("workspace");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Config::for_listen(addr);
        config.job_poll = Duration::from_millis(100);
        config.rollup_every = Duration::from_millis(200);
        configure(&mut config);
        let clock = config.clock.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(vouch_server::serve(
            listener,
            store.clone(),
            config,
            async move {
                let _ = stopped.await;
            },
        ));
        Some(Self {
            base: format!("http://{addr}"),
            // A phone's browser: requests without one are scripts, and links do not
            // count them as clicks.
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(BROWSER)
                .build()
                .expect("client"),
            sk: ws.secret_key,
            pk: ws.publishable_key,
            workspace_id: ws.workspace_id.to_string(),
            store,
            clock,
            _dir: dir,
            _stop: stop,
        })
    }

    /// Moves the server's clock `secs` ahead and returns that instant (RFC 3339), for
    /// events that happen later than what came before them (events may not be dated
    /// ahead of the server's clock).
    pub fn after(&self, secs: u64) -> String {
        self.clock.advance(Duration::from_secs(secs));
        vouch_domain::views::rfc3339(self.clock.now())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.sk)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(&self.sk)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.client
            .patch(self.url(path))
            .bearer_auth(&self.sk)
            .json(body)
            .send()
            .await
            .expect("PATCH")
    }

    /// POST with a status check; returns the JSON body.
    pub async fn post_ok(&self, path: &str, body: &Value, status: u16) -> Value {
        let resp = self.post(path, body).await;
        expect_json(resp, status).await
    }

    /// GET with `Accept: text/csv`; the body.
    pub async fn get_csv(&self, path: &str) -> String {
        let resp = self
            .client
            .get(self.url(path))
            .bearer_auth(&self.sk)
            .header("accept", "text/csv")
            .send()
            .await
            .expect("GET csv");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        resp.text().await.expect("csv body")
    }

    pub async fn get_ok(&self, path: &str) -> Value {
        expect_json(self.get(path).await, 200).await
    }

    /// A program with 10 USD for the advocate and 5 USD for the friend, no hold.
    pub async fn program(&self, extra: Value) -> Value {
        let mut body = json!({
            "name": "Spring referrals",
            "destination_url": "https://shop.example.com/welcome?utm_source=vouch",
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
            "referee_reward": {"kind": "credit", "amount": 500, "currency": "USD"},
        });
        merge(&mut body, extra);
        self.post_ok("/api/v1/programs", &body, 201).await
    }

    pub async fn advocate(&self, program: &Value, email: &str) -> Value {
        let path = format!(
            "/api/v1/programs/{}/participants",
            program["id"].as_str().unwrap()
        );
        self.post_ok(&path, &json!({ "email": email }), 201).await
    }

    /// Follows a referral link like a browser's first hop; returns the click id.
    pub async fn click(&self, code: &str) -> String {
        let resp = self
            .client
            .get(self.url(&format!("/r/{code}")))
            .send()
            .await
            .expect("click");
        assert_eq!(resp.status(), StatusCode::FOUND);
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        let url = reqwest::Url::parse(&location).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "vouch_click")
            .map(|(_, v)| v.into_owned())
            .expect("vouch_click")
    }

    pub async fn event(&self, body: Value) -> Value {
        self.post_ok("/api/v1/events", &body, 201).await
    }

    pub async fn participant(&self, id: &str) -> Value {
        self.get_ok(&format!("/api/v1/participants/{id}")).await
    }

    /// Waits (up to 10 s) until `check` holds for the participant.
    pub async fn wait_participant(&self, id: &str, check: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..100 {
            let p = self.participant(id).await;
            if check(&p) {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "participant {id} never reached the expected state: {}",
            self.participant(id).await
        );
    }
}

pub async fn expect_json(resp: Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts an RFC 9457 problem with the code (and field, if given).
pub async fn expect_problem(resp: Response, status: u16, code: &str, field: Option<&str>) -> Value {
    let got = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = resp.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    assert_eq!(ctype.as_deref(), Some("application/problem+json"), "{text}");
    let v: Value = serde_json::from_str(&text).expect("problem JSON");
    assert_eq!(v["code"], code, "{text}");
    assert_eq!(v["status"], status, "{text}");
    if let Some(f) = field {
        assert_eq!(v["field"], f, "{text}");
    }
    v
}

pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

pub fn balance(p: &Value, currency: &str) -> (i64, i64) {
    p["balance"]
        .as_array()
        .and_then(|b| b.iter().find(|x| x["currency"] == currency))
        .map(|x| {
            (
                x["available"].as_i64().unwrap(),
                x["pending"].as_i64().unwrap(),
            )
        })
        .unwrap_or((0, 0))
}
