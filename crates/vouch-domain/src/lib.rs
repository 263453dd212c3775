//! Vouch's pure rules: the glossary's types, referral codes, attribution, reward
//! decisions and the ledger's postings. Nothing here does I/O; the server gathers the
//! facts, calls these functions, and hands the decisions to the store.
#![forbid(unsafe_code)]

pub mod analytics;
pub mod attribution;
pub mod click;
pub mod code;
pub mod cohorts;
pub mod contest;
pub mod crypto;
pub mod email;
pub mod entities;
pub mod error;
pub mod event;
pub mod fraud;
pub mod holdout;
pub mod ids;
pub mod integration;
pub mod ledger;
pub mod lifecycle;
pub mod likely;
pub mod money;
pub mod notification;
pub mod program;
pub mod redirect;
pub mod reward;
pub mod rules;
pub mod simulate;
pub mod text;
pub mod views;
pub mod webhook;

pub use error::{DomainError, Result};

/// Milliseconds since the Unix epoch: the one time representation stored and compared.
/// Integers keep SQLite and PostgreSQL identical and make window arithmetic exact.
pub type Millis = i64;

/// Milliseconds in one day.
pub const DAY_MS: Millis = 86_400_000;
