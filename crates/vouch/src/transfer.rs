//! `vouch import` and `vouch export`: advocates in from a file, participants,
//! referrals and rewards out, straight against the database (the same use cases and
//! the same file formats as the API's import and `Accept: text/csv` lists).

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use vouch_domain::ids::ProgramId;
use vouch_server::api::export::{self, Format};
use vouch_store::{ListQuery, Store};

use crate::DbArgs;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import customers as advocates from CSV (first row: email,name,locale,
    /// external_id,code) or JSON lines (`.jsonl`/`.ndjson`). Prints the report as JSON.
    Participants {
        /// The file.
        file: PathBuf,
        /// The program they join (`prg_…`).
        #[arg(long)]
        program: String,
        /// Send each new advocate the welcome email (by default importing writes to
        /// nobody).
        #[arg(long)]
        welcome_email: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum What {
    Participants,
    Referrals,
    Rewards,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to export.
    what: What,
    /// Only this program's (`prg_…`); its workspace is the one exported.
    #[arg(long)]
    program: String,
    #[arg(long, value_enum, default_value = "csv")]
    format: FileFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The public base URL, for the advocates' referral links.
    #[arg(
        long,
        env = "VOUCH_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    public_url: String,
    #[command(flatten)]
    db: DbArgs,
}

async fn program(store: &dyn Store, raw: &str) -> anyhow::Result<vouch_store::Program> {
    let id = ProgramId::parse(raw.trim()).context("--program is not a program id (prg_…)")?;
    store
        .find_program(&id)
        .await?
        .with_context(|| format!("no program {raw}"))
}

pub async fn import(cmd: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::Participants {
        file,
        program: p,
        welcome_email,
        db,
    } = cmd;
    let store = db.open().await?;
    let program = program(store.as_ref(), &p).await?;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    let format = match ext {
        "jsonl" | "ndjson" => vouch_app::imports::Format::JsonLines,
        _ => vouch_app::imports::Format::Csv,
    };
    let rows = vouch_app::imports::parse(format, &bytes)?;
    let now = vouch_app::clock::Clock::system().now();
    let report =
        vouch_app::imports::import(store.as_ref(), &program, rows, welcome_email, now).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let store = args.db.open().await?;
    let program = program(store.as_ref(), &args.program).await?;
    let format = match args.format {
        FileFormat::Csv => Format::Csv,
        FileFormat::Jsonl => Format::JsonLines,
    };
    let q = ListQuery {
        program_id: Some(program.id.clone()),
        ..Default::default()
    };
    let mut out: Box<dyn std::io::Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let (s, ws, url) = (
        store.as_ref(),
        &program.workspace_id,
        args.public_url.as_str(),
    );
    use vouch_server::api::{participants, referrals, rewards};
    let rows = match args.what {
        What::Participants => {
            export::write_all(
                format,
                participants::EXPORT_COLUMNS,
                q,
                |q| async move {
                    Ok(s.list_participants(ws, &q)
                        .await?
                        .map(|p| participants::ParticipantOut::new(p, url)))
                },
                &mut out,
            )
            .await?
        }
        What::Referrals => {
            export::write_all(
                format,
                referrals::EXPORT_COLUMNS,
                q,
                |q| async move {
                    Ok(s.list_referrals(ws, &q)
                        .await?
                        .map(vouch_domain::views::ReferralOut::from))
                },
                &mut out,
            )
            .await?
        }
        What::Rewards => {
            export::write_all(
                format,
                rewards::EXPORT_COLUMNS,
                q,
                |q| async move {
                    Ok(s.list_rewards(ws, &q)
                        .await?
                        .map(vouch_domain::views::RewardOut::from))
                },
                &mut out,
            )
            .await?
        }
    };
    out.flush()?;
    eprintln!("{rows} rows");
    Ok(())
}
