//! What the dashboard's analytics queries cost over a large history, from the rollups
//! and, for comparison, from the raw rows alone (the same report with the rollups
//! ignored). Each query runs through the report use case the API calls.
//!
//! Seed first (a year: 100 000 advocates, ten million clicks, about a million events):
//!   `vouch demo --scale large --no-serve --data-dir /tmp/vouch-large`
//! (or `--database-url postgres://…`), note the workspace and program ids it prints, then
//!   `VOUCH_BENCH_DB=sqlite:///tmp/vouch-large/vouch.db VOUCH_BENCH_WORKSPACE=ws_… \
//!    VOUCH_BENCH_PROGRAM=prg_… cargo bench -p vouch-server --bench analytics`
//! `VOUCH_BENCH_RUNS` (default 20) sets the runs per query from the rollups; the raw
//! runs are fewer (`VOUCH_BENCH_RAW_RUNS`, default 3; 0 skips them), being slow.
//! `VOUCH_BENCH_ONLY=leaderboard` runs the cases whose name contains that.

use std::time::Instant;

use vouch_app::analytics::Zone;
use vouch_app::clock::Clock;
use vouch_domain::analytics::{GroupBy, RankBy};
use vouch_domain::ids::{ProgramId, WorkspaceId};
use vouch_domain::DAY_MS;
use vouch_store::analytics::{AnalyticsQuery, Dimension, Parts};
use vouch_store::rollups::RollupMarks;
use vouch_store::{ProgramStore, RollupStore, Store};

/// When a case's period starts.
#[derive(Clone, Copy)]
enum Since {
    DaysAgo(i64),
    /// The first of this month in the program's time zone.
    ThisMonth,
    /// Last month, whole, in the program's time zone.
    LastMonth,
    AllTime,
}

struct Case {
    name: &'static str,
    since: Since,
    group_by: Option<GroupBy>,
    /// Conversions and money only, as the leaderboard asks.
    results: bool,
    /// The top ten advocates (the leaderboard), rather than a report.
    top: bool,
}

const fn case(name: &'static str, days: i64, group_by: Option<GroupBy>, results: bool) -> Case {
    Case {
        name,
        since: Since::DaysAgo(days),
        group_by,
        results,
        top: false,
    }
}

const fn top(name: &'static str, since: Since) -> Case {
    Case {
        name,
        since,
        group_by: Some(GroupBy::Advocate),
        results: true,
        top: true,
    }
}

/// What the dashboard's overview asks (the first six), then longer periods, the
/// leaderboards (top ten by conversions) and the full per-advocate report (an export:
/// every advocate with a click).
const CASES: [Case; 13] = [
    case("totals, 30 days", 30, None, false),
    case("by day, 30 days", 30, Some(GroupBy::Day), false),
    case("by channel, 30 days", 30, Some(GroupBy::Channel), false),
    top("leaderboard, 30 days", Since::DaysAgo(30)),
    case("totals, 7 days", 7, None, false),
    case("by week, 90 days", 90, Some(GroupBy::Week), false),
    case("by month, 365 days", 365, Some(GroupBy::Month), false),
    top("leaderboard, this month", Since::ThisMonth),
    top("leaderboard, last month", Since::LastMonth),
    top("leaderboard, all time", Since::AllTime),
    top("leaderboard, 365 days", Since::DaysAgo(365)),
    case(
        "every advocate, 30 days, results",
        30,
        Some(GroupBy::Advocate),
        true,
    ),
    case(
        "every advocate, 30 days (export)",
        30,
        Some(GroupBy::Advocate),
        false,
    ),
];

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!("set {name} (see the top of benches/analytics.rs)");
        std::process::exit(2)
    })
}

async fn run(
    store: &dyn Store,
    q: &AnalyticsQuery,
    c: &Case,
    zone: Option<&Zone>,
    runs: usize,
) -> (f64, f64) {
    let mut ms = vec![];
    for _ in 0..runs {
        let started = Instant::now();
        if c.top {
            let settled = store.rollup_marks().await.expect("marks").settled_to;
            let r = vouch_app::rollups::leaders(store, q, RankBy::Conversions, 10, settled)
                .await
                .expect("leaders");
            std::hint::black_box(r);
        } else {
            let r = vouch_app::analytics::report(store, q.clone(), c.group_by, zone)
                .await
                .expect("report");
            std::hint::black_box(r);
        }
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let p = |f: f64| ms[((f * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    (p(0.5), p(0.95))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = env("VOUCH_BENCH_DB");
        let ws = WorkspaceId::from_trusted(env("VOUCH_BENCH_WORKSPACE"));
        let program = ProgramId::from_trusted(env("VOUCH_BENCH_PROGRAM"));
        let runs: usize = std::env::var("VOUCH_BENCH_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20);
        let store = vouch_store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let clock = Clock::system();
        let started = Instant::now();
        let r = vouch_app::rollups::refresh(&store, clock.wall(), clock.now())
            .await
            .expect("refresh");
        println!(
            "backend {}; refresh before measuring: {} days recomputed in {:.0} ms",
            store.backend().as_str(),
            r.days,
            started.elapsed().as_secs_f64() * 1000.0
        );
        let now = clock.now();
        let zone_name = store
            .get_program(&ws, &program)
            .await
            .expect("program")
            .expect("no such program")
            .config
            .time_zone;
        let zone = zone_name.as_deref().and_then(Zone::get);
        println!(
            "program time zone: {}",
            zone_name.as_deref().unwrap_or("UTC")
        );
        println!(
            "{:<34} {:>12} {:>12} {:>12} {:>12} {:>8}",
            "query", "rollup p50", "rollup p95", "raw p50", "raw p95", "raw/rollup"
        );
        let only = std::env::var("VOUCH_BENCH_ONLY").unwrap_or_default();
        let raw_runs: usize = std::env::var("VOUCH_BENCH_RAW_RUNS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(3);
        // The first of a month in the program's time zone, `back` months before now's.
        let month_start = |back: i64| {
            let day = match &zone {
                Some(z) => vouch_domain::analytics::local_day(&z.tz, now),
                None => now.div_euclid(DAY_MS),
            };
            let mut first = vouch_domain::analytics::month_start(day);
            for _ in 0..back {
                first = vouch_domain::analytics::month_start(first - 1);
            }
            zone.as_ref().map_or(first * DAY_MS, |z| z.start(first))
        };
        for c in CASES.iter().filter(|c| c.name.contains(only.as_str())) {
            let (from, to) = match c.since {
                Since::DaysAgo(days) => (now - days * DAY_MS, now),
                Since::AllTime => (0, now),
                Since::ThisMonth => (month_start(0), now),
                Since::LastMonth => (month_start(1), month_start(0)),
            };
            let q = AnalyticsQuery {
                workspace_id: ws.clone(),
                program_id: Some(program.clone()),
                from,
                to,
                currency: "USD".into(),
                by: Dimension::Total,
                parts: if c.results {
                    Parts::Results
                } else {
                    Parts::All
                },
            };
            let (r50, r95) = run(&store, &q, c, zone.as_ref(), runs).await;
            // The same report with the rollups ignored: everything from raw rows.
            let marks = store.rollup_marks().await.expect("marks");
            store
                .set_rollup_marks(RollupMarks {
                    settled_to: 0,
                    ..marks
                })
                .await
                .expect("marks");
            let (w50, w95) = if raw_runs > 0 {
                run(&store, &q, c, zone.as_ref(), raw_runs).await
            } else {
                (f64::NAN, f64::NAN)
            };
            store.set_rollup_marks(marks).await.expect("marks");
            println!(
                "{:<34} {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>9.1} ms {:>7.0}×",
                c.name,
                r50,
                r95,
                w50,
                w95,
                w50 / r50
            );
        }
    });
}
