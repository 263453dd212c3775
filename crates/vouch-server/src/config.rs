//! Server configuration, assembled by the CLI from flags and `VOUCH_*` variables.

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// Base URL that advocates' links and QR codes point to (`http://127.0.0.1:8080`).
    pub public_url: String,
    /// Take the client address from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_proxy: bool,
    /// How often the job worker looks for due jobs.
    pub job_poll: Duration,
    /// How often the worker refreshes the analytics rollups.
    pub rollup_every: Duration,
    /// Run the background job worker in this process.
    pub run_jobs: bool,
    /// A file of disposable email domains replacing the list Vouch ships with.
    pub disposable_domains: Option<std::path::PathBuf>,
    /// The secret that keys every hash of an IP, browser, device, card or mailbox,
    /// with each workspace's own key. It never goes to the database.
    pub hash_secret: Option<String>,
    /// Deliver webhooks to loopback and private addresses (tests, internal networks).
    pub webhook_allow_private: bool,
    /// The SMTP server emails go through (`smtp://user:pass@host:587?tls=required`).
    pub smtp_url: Option<String>,
    /// A private certificate authority (PEM) the SMTP server's certificate may chain to.
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// Without SMTP, emails are written as `.eml` files here (the dry run).
    pub email_dir: Option<std::path::PathBuf>,
    /// The sender's address (each program puts its name in front of it).
    pub email_from: Option<String>,
    /// What the use cases take the time from (the wall clock, unless a test moves it).
    pub clock: vouch_app::clock::Clock,
}

impl Config {
    pub fn for_listen(addr: SocketAddr) -> Self {
        Self {
            public_url: format!("http://{addr}"),
            trust_proxy: false,
            job_poll: Duration::from_millis(500),
            rollup_every: Duration::from_secs(5),
            run_jobs: true,
            disposable_domains: None,
            hash_secret: None,
            webhook_allow_private: false,
            smtp_url: None,
            smtp_ca_file: None,
            email_dir: None,
            email_from: None,
            clock: vouch_app::clock::Clock::system(),
        }
    }
}

impl Config {
    /// The sender's address: `--email-from`, else `noreply@` the public host.
    pub fn sender(&self) -> String {
        if let Some(f) = &self.email_from {
            return f.clone();
        }
        let host = url::Url::parse(&self.public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .filter(|h| h.contains('.') && h.parse::<std::net::IpAddr>().is_err())
            .unwrap_or_else(|| "vouch.localhost".to_owned());
        format!("noreply@{host}")
    }
}
