//! `vouch`: run the server, apply migrations, create workspaces, seed a demo.

mod demo;
mod demo_scale;
mod fraud_sim;
mod transfer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use vouch_app::workspaces::create_workspace;
use vouch_server::Config;
use vouch_store::Store;

#[derive(Debug, Parser)]
#[command(
    name = "vouch",
    version,
    about = "Referral programs: links, codes, attribution and rewards"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log format.
    #[arg(long, env = "VOUCH_LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"], global = true)]
    log_format: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (API, links, pages and background jobs).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
    /// Manage workspaces (merchants).
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Seed a demo program with advocates and simulated traffic, then serve it.
    Demo(DemoArgs),
    /// Import customers as advocates from a CSV or JSON lines file.
    #[command(subcommand)]
    Import(transfer::ImportCommand),
    /// Export a program's participants, referrals or rewards as CSV or JSON lines.
    Export(transfer::ExportArgs),
    /// Print the OpenAPI document.
    Openapi,
    /// Analytics maintenance.
    #[command(subcommand)]
    Analytics(AnalyticsCommand),
    /// Run a month of honest and hostile referral traffic through the fraud rules on a
    /// throwaway database and report precision and recall.
    SimulateFraud(SimulateFraudArgs),
    /// Replay a file of referral traffic (honest and fraudulent stories, see
    /// eval/fraud/README.md) through the engine and report how the fraud rules did.
    EvaluateFraud(EvaluateFraudArgs),
}

#[derive(Debug, Clone, Args)]
struct EvaluateFraudArgs {
    /// The traffic file (JSON).
    #[arg(long)]
    traffic: std::path::PathBuf,
}

#[derive(Debug, Clone, Args)]
struct SimulateFraudArgs {
    /// Random seed: the same seed gives the same traffic.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Honest advocates (each brings zero to fifteen friends).
    #[arg(long, default_value_t = 600)]
    honest_advocates: usize,
    /// Referrals per kind of attack (about).
    #[arg(long, default_value_t = 40)]
    per_attack: usize,
}

#[derive(Debug, Subcommand)]
enum AnalyticsCommand {
    /// Recompute every analytics rollup from the raw clicks, referrals, events and
    /// rewards (after restoring a backup, or if the rollups are ever in doubt).
    Rebuild {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum WorkspaceCommand {
    /// Create a workspace; prints `{"workspace_id", "secret_key", "publishable_key"}`.
    Create {
        /// The merchant's name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Directory of the embedded SQLite database (created on first start).
    #[arg(long, env = "VOUCH_DATA_DIR", default_value = "./vouch-data")]
    data_dir: PathBuf,
    /// A database URL (`postgres://…` or `sqlite://…`); overrides --data-dir.
    #[arg(long, env = "VOUCH_DATABASE_URL")]
    database_url: Option<String>,
}

impl DbArgs {
    fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("cannot create {}", self.data_dir.display()))?;
        let dir = self.data_dir.canonicalize()?;
        Ok(format!("sqlite://{}/vouch.db?mode=rwc", dir.display()))
    }

    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let url = self.url()?;
        let store = vouch_store::connect(&url).await.with_context(|| {
            format!("cannot open the database {}", vouch_store::sql_redact(&url))
        })?;
        store.migrate().await.context("migrations failed")?;
        Ok(Arc::new(store))
    }
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VOUCH_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Public base URL of this server, used in referral links and QR codes.
    #[arg(long, env = "VOUCH_PUBLIC_URL")]
    public_url: Option<String>,
    /// Trust `X-Forwarded-For` for client addresses (only behind your own proxy).
    #[arg(long, env = "VOUCH_TRUST_PROXY")]
    trust_proxy: bool,
    /// Do not run background jobs in this process.
    #[arg(long, env = "VOUCH_NO_JOBS")]
    no_jobs: bool,
    /// Deliver webhooks to loopback and private addresses too (for tests or an
    /// internal network; refused by default, as a guard against server-side request
    /// forgery).
    #[arg(long, env = "VOUCH_WEBHOOK_ALLOW_PRIVATE")]
    webhook_allow_private: bool,
    /// The SMTP server that sends emails: `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS) or `smtp://host:25` (a local
    /// relay). Without it, emails are written as `.eml` files to `--email-dir`.
    #[arg(long, env = "VOUCH_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// A private certificate authority (PEM) to trust for the SMTP server's certificate,
    /// besides the public ones; with it, `smtp://` URLs require STARTTLS.
    #[arg(long, env = "VOUCH_SMTP_CA_FILE")]
    smtp_ca_file: Option<PathBuf>,
    /// Where emails are written without SMTP (default: `emails` in the data directory).
    #[arg(long, env = "VOUCH_EMAIL_DIR")]
    email_dir: Option<PathBuf>,
    /// The sender's address (default `noreply@` the public host); each program's name
    /// is shown in front of it.
    #[arg(long, env = "VOUCH_EMAIL_FROM")]
    email_from: Option<String>,
    /// A file of disposable email domains (one per line) added to the shipped list.
    #[arg(long, env = "VOUCH_DISPOSABLE_DOMAINS")]
    disposable_domains: Option<std::path::PathBuf>,
    /// The secret that keys the hashes of IPs, browsers, devices, cards and mailboxes
    /// (kept out of the database). Every instance of one deployment needs the same.
    #[arg(long, env = "VOUCH_HASH_SECRET", hide_env_values = true)]
    hash_secret: Option<String>,
    /// A file holding that secret instead. With the embedded database and neither
    /// given, Vouch creates `hash.key` in the data directory on first start.
    #[arg(long, env = "VOUCH_HASH_SECRET_FILE")]
    hash_secret_file: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
}

impl ServeArgs {
    /// The hashing secret: given, read from its file, or (embedded database only) made
    /// once beside the database and read from there after.
    fn hash_secret(&self) -> anyhow::Result<Option<String>> {
        if let Some(s) = self
            .hash_secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            return Ok(Some(s.to_owned()));
        }
        let file = match (&self.hash_secret_file, &self.db.database_url) {
            (Some(f), _) => f.clone(),
            (None, None) => self.db.data_dir.join("hash.key"),
            (None, Some(_)) => {
                tracing::warn!(
                    "no VOUCH_HASH_SECRET: IP and browser hashes are keyed by the database alone"
                );
                return Ok(None);
            }
        };
        if !file.exists() && self.hash_secret_file.is_none() {
            // A database made before the secret existed keeps its hashes comparable:
            // a secret now would make every stored IP hash (and the block list's IPs)
            // match nothing. The operator chooses when to start one.
            if self.db.data_dir.join("vouch.db").exists() {
                tracing::warn!(
                    "no hash secret for an existing database: IP and browser hashes are keyed \
                     by the database alone; set VOUCH_HASH_SECRET to key them (earlier hashes \
                     then stop matching)"
                );
                return Ok(None);
            }
            std::fs::create_dir_all(&self.db.data_dir)?;
            write_secret(&file)?;
        }
        let secret = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read the hash secret {}", file.display()))?;
        let secret = secret.trim();
        anyhow::ensure!(
            !secret.is_empty(),
            "the hash secret {} is empty",
            file.display()
        );
        Ok(Some(secret.to_owned()))
    }
}

/// 32 random bytes, hex, readable by the owner only.
fn write_secret(path: &std::path::Path) -> anyhow::Result<()> {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    let mut f = options
        .open(path)
        .with_context(|| format!("cannot create the hash secret {}", path.display()))?;
    f.write_all(hex.as_bytes())?;
    Ok(())
}

#[derive(Debug, Clone, Args)]
struct DemoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Only seed the data; do not start the server.
    #[arg(long)]
    no_serve: bool,
    /// `small` (three advocates, through the engine), `medium` (10 000 advocates, a
    /// million clicks) or `large` (100 000 advocates, ten million clicks, about a
    /// million events): a year of history for analytics benchmarks.
    #[arg(long, default_value = "small", value_parser = ["small", "medium", "large"])]
    scale: String,
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VOUCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(&cli.log_format);
    match cli.command {
        Command::Serve(args) => {
            // Before the database is opened: a new one gets a secret of its own.
            let secret = args.hash_secret()?;
            serve(args, None, secret).await
        }
        Command::Migrate(db) => {
            db.open().await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Create { name, db }) => {
            let store = db.open().await?;
            let created = create_workspace(store.as_ref(), &name).await?;
            println!("{}", serde_json::to_string(&created)?);
            Ok(())
        }
        Command::Import(cmd) => transfer::import(cmd).await,
        Command::Export(args) => transfer::export(args).await,
        Command::Demo(args) => {
            let secret = args.serve.hash_secret()?;
            let store = args.serve.db.open().await?;
            let config = config(&args.serve);
            let (summary, program) = demo::seed(store.as_ref(), &config.public_url).await?;
            if let Some(scale) = demo_scale::Scale::parse(&args.scale).flatten() {
                let started = std::time::Instant::now();
                let g = demo_scale::grow(store.as_ref(), &program, scale).await?;
                eprintln!(
                    "wrote {} clicks, {} referrals, {} events, {} rewards in {:.1} s",
                    g.clicks,
                    g.referrals,
                    g.events,
                    g.rewards,
                    started.elapsed().as_secs_f64()
                );
                let started = std::time::Instant::now();
                let clock = vouch_app::clock::Clock::system();
                let days =
                    vouch_app::rollups::rebuild(store.as_ref(), clock.wall(), clock.now()).await?;
                eprintln!(
                    "analytics rollups: {days} program-days in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
            println!("{summary}");
            if args.no_serve {
                return Ok(());
            }
            serve(args.serve, Some(store), secret).await
        }
        Command::SimulateFraud(args) => {
            let report = fraud_sim::run(args.seed, args.honest_advocates, args.per_attack).await?;
            println!("{}", report.text);
            // The bar the defaults must clear: at least 90% of attacks caught, at most 2%
            // of honest referrals flagged.
            if report.recall < 0.90 || report.false_positive_rate > 0.02 {
                anyhow::bail!(
                    "the fraud rules missed the bar (recall >= 90%, false positives <= 2%)"
                );
            }
            Ok(())
        }
        Command::EvaluateFraud(args) => {
            let report = fraud_sim::evaluate(&args.traffic).await?;
            println!("{}", report.text);
            if report.recall < 0.90 || report.false_positive_rate > 0.02 {
                anyhow::bail!(
                    "the fraud rules missed the bar (recall >= 90%, false positives <= 2%)"
                );
            }
            Ok(())
        }
        Command::Analytics(AnalyticsCommand::Rebuild { db }) => {
            let store = db.open().await?;
            let clock = vouch_app::clock::Clock::system();
            let started = std::time::Instant::now();
            let days =
                vouch_app::rollups::rebuild(store.as_ref(), clock.wall(), clock.now()).await?;
            eprintln!(
                "analytics rollups rebuilt: {days} program-days in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&vouch_server::api::openapi())?
            );
            Ok(())
        }
    }
}

fn config(args: &ServeArgs) -> Config {
    config_for(args, args.listen)
}

/// `bound` is the address actually listened on (it differs from `--listen` for port 0).
fn config_for(args: &ServeArgs, bound: SocketAddr) -> Config {
    let mut config = Config::for_listen(bound);
    if let Some(url) = &args.public_url {
        config.public_url = url.trim_end_matches('/').to_owned();
    }
    config.trust_proxy = args.trust_proxy;
    config.run_jobs = !args.no_jobs;
    config.disposable_domains = args.disposable_domains.clone();
    config.webhook_allow_private = args.webhook_allow_private;
    config.smtp_url = args.smtp_url.clone();
    config.smtp_ca_file = args.smtp_ca_file.clone();
    config.email_from = args.email_from.clone();
    config.email_dir = Some(
        args.email_dir
            .clone()
            .unwrap_or_else(|| args.db.data_dir.join("emails")),
    );
    config
}

async fn serve(
    args: ServeArgs,
    store: Option<Arc<dyn Store>>,
    hash_secret: Option<String>,
) -> anyhow::Result<()> {
    let store = match store {
        Some(s) => s,
        None => args.db.open().await?,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let mut config = config_for(&args, listener.local_addr()?);
    config.hash_secret = hash_secret;
    if store.count_workspaces().await? == 0 {
        let created = create_workspace(store.as_ref(), "Default workspace").await?;
        say(&format!(
            "Created the default workspace {}.\n  \
             Secret key (server-side, shown once):   {}\n  \
             Publishable key (safe in browsers):     {}",
            created.workspace_id, created.secret_key, created.publishable_key
        ));
    }
    let base = &config.public_url;
    say(&format!(
        "Vouch is running on {base} ({} database)\n  \
         API reference:  {base}/api/docs\n  \
         OpenAPI:        {base}/api/openapi.json\n  \
         Health:         {base}/healthz   Metrics: {base}/metrics",
        store.backend().as_str()
    ));
    match (&config.smtp_url, &config.email_dir) {
        (Some(_), _) => say(&format!(
            "  Emails:         sent by SMTP from {}",
            config.sender()
        )),
        (None, Some(dir)) => say(&format!(
            "  Emails:         written to {} (no --smtp-url: a dry run)",
            dir.display()
        )),
        (None, None) => {}
    }
    tracing::info!(listen = %args.listen, "serving");
    vouch_server::serve(listener, store, config, shutdown_signal()).await
}

/// Prints to stdout, ignoring a closed pipe: a server must not die because whoever
/// started it stopped reading (`println!` would panic).
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
