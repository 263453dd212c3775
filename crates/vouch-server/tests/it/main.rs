//! Black-box API tests over real HTTP, each run on SQLite and on PostgreSQL.

mod harness;

mod activity;
mod analytics;
mod attribution_edges;
mod clicks;
mod cohorts;
mod contests;
mod emails;
mod events;
mod famous_programs;
mod fraud;
mod fraud_cases;
mod holdout;
mod hooks;
mod hooks_independent;
mod hostile;
mod imports;
mod leaderboard;
mod likely;
mod links;
mod money_edges;
mod ops;
mod participants;
mod payouts;
mod portal;
mod programs;
mod redemptions;
mod reward_check;
mod rules;
mod simulate;
mod webhooks;
