//! A `vouch serve` process for the binary's tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_vouch");

/// A running `vouch serve`; killed with SIGKILL when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub stdout: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// The first-start key with this prefix (`sk_`, `pk_`) the server printed.
    #[allow(dead_code)] // not every test binary reads it
    pub fn key(&self, prefix: &str) -> String {
        self.stdout
            .iter()
            .find_map(|l| l.split_whitespace().find(|w| w.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no {prefix} key printed"))
            .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .to_owned()
    }
}

/// Creates a workspace in the database at `url` with the CLI; returns its secret key.
#[allow(dead_code)] // not every test binary shares a database
pub fn workspace_key(url: &str) -> String {
    let out = Command::new(BIN)
        .args(["workspace", "create", "Shared", "--database-url", url])
        .output()
        .expect("run vouch workspace create");
    let ws: serde_json::Value = serde_json::from_slice(&out.stdout).expect("workspace JSON");
    ws["secret_key"].as_str().expect("secret_key").to_owned()
}

pub fn serve(db_args: &[&str]) -> Server {
    let child = Command::new(BIN)
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(db_args)
        .env("VOUCH_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn vouch serve");
    // Owned by the guard at once, so the process is killed and reaped on any panic.
    let mut server = Server {
        child,
        base: String::new(),
        stdout: vec![],
    };
    let stdout = server.child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining after the test stops listening, as a terminal would.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("vouch serve did not start");
        let base = line.strip_prefix("Vouch is running on ").map(|rest| {
            rest.split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned()
        });
        server.stdout.push(line);
        if let Some(base) = base {
            server.base = base;
            return server;
        }
    }
}

/// The repository's root.
#[allow(dead_code)]
pub fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether Node and these packages of `e2e/node_modules` are there. Without them the
/// test skips loudly; with `CI` or `VOUCH_REQUIRE_BROWSER` set it fails.
#[allow(dead_code)]
pub fn node_ready(packages: &[&str]) -> bool {
    let ready = packages
        .iter()
        .all(|p| repo().join("e2e/node_modules").join(p).exists())
        && Command::new("node").arg("--version").output().is_ok();
    let required =
        std::env::var_os("CI").is_some() || std::env::var_os("VOUCH_REQUIRE_BROWSER").is_some();
    assert!(
        ready || !required,
        "node or e2e/node_modules missing: run scripts/browser-deps.sh"
    );
    if !ready {
        eprintln!("SKIPPING: node or e2e/node_modules ({packages:?}) is missing");
    }
    ready
}

/// A Node script from `e2e/` running beside the test; killed when dropped. Its
/// stdout's JSON lines arrive on `lines`, its other lines on `text`.
#[allow(dead_code)]
pub struct NodeScript {
    child: Child,
    pub lines: mpsc::Receiver<serde_json::Value>,
    pub text: mpsc::Receiver<String>,
}

impl Drop for NodeScript {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[allow(dead_code)]
pub fn node_script(script: &str, args: &[&str]) -> NodeScript {
    let mut child = Command::new("node")
        .arg(repo().join("e2e").join(script))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    let (text_tx, text) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(v) => {
                    let _ = tx.send(v);
                }
                Err(_) => {
                    let _ = text_tx.send(line);
                }
            }
        }
    });
    NodeScript { child, lines, text }
}

/// A request with the secret key whose answer must be a success; its JSON body.
#[allow(dead_code)]
pub async fn call(
    method: reqwest::Method,
    url: String,
    sk: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(sk)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let v: serde_json::Value = resp.json().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {v}");
    v
}
