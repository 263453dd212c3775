//! Coupon pools: codes a merchant uploads for coupon rewards. Rewards that found their
//! pool empty wait (`pending`, `coupon_pool_empty`) and get codes when more arrive.

use vouch_domain::ids::CouponPoolId;
use vouch_domain::reward::RewardStatus;
use vouch_store::{CouponPool, Program, Store};

use super::approval::{approve_job, settle_referral};
use super::move_reward;
use super::rewarding::POOL_EMPTY;
use crate::error::{AppError, Result};

/// At most this many codes per upload.
pub const MAX_CODES: usize = 100_000;

/// Reads codes from a JSON list or a CSV body (first column, one per line, an optional
/// `code` header). Blank lines are skipped; duplicates are kept once.
pub fn parse_codes(raw: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    let mut seen = std::collections::HashSet::new();
    for (i, c) in raw.iter().enumerate() {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        if c.chars().count() > 100 || c.chars().any(char::is_control) {
            return Err(AppError::invalid(
                format!("codes[{i}]"),
                "must be 1 to 100 printable characters",
            ));
        }
        if seen.insert(c.to_owned()) {
            out.push(c.to_owned());
        }
    }
    if out.len() > MAX_CODES {
        return Err(AppError::invalid(
            "codes",
            format!("at most {MAX_CODES} codes per upload"),
        ));
    }
    Ok(out)
}

/// Names a first row may give the code column: such a row is a header, not a code.
const HEADERS: [&str; 6] = [
    "code",
    "codes",
    "coupon",
    "coupon code",
    "coupon_code",
    "discount code",
];

/// The first column of each CSV row, as spreadsheets write them: a byte-order mark
/// (Excel's UTF-8) is dropped, a header row is recognised, and `;` separates fields
/// when the first row uses it (European exports).
pub fn csv_codes(body: &str) -> Result<Vec<String>> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let first_line = body.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body.as_bytes());
    let mut out = vec![];
    for (i, record) in reader.records().enumerate() {
        let record = record
            .map_err(|e| AppError::invalid("codes", format!("the CSV could not be read: {e}")))?;
        let first = record.get(0).unwrap_or_default().trim();
        if i == 0 && HEADERS.iter().any(|h| first.eq_ignore_ascii_case(h)) {
            continue;
        }
        out.push(first.to_owned());
    }
    Ok(out)
}

/// What an upload did.
pub struct Uploaded {
    pub pool: CouponPool,
    /// Codes read from the upload (blank rows and repeats left out).
    pub read: usize,
    pub added: usize,
    /// Waiting rewards that got a code from this upload.
    pub assigned: usize,
}

/// Creates a pool with its first codes.
pub async fn create_pool(
    store: &dyn Store,
    program: &Program,
    name: String,
    codes: Vec<String>,
    now: vouch_domain::Millis,
) -> Result<Uploaded> {
    let pool = CouponPool {
        id: CouponPoolId::new(),
        workspace_id: program.workspace_id.clone(),
        program_id: program.id.clone(),
        name,
        created_at: now,
        available: 0,
        issued: 0,
    };
    let mut tx = store.begin().await?;
    tx.insert_coupon_pool(&pool).await?;
    tx.commit().await?;
    add_codes(store, program, &pool.id, codes, now).await
}

/// Adds codes to a pool, then gives codes to the rewards that were waiting for them.
pub async fn add_codes(
    store: &dyn Store,
    program: &Program,
    pool_id: &CouponPoolId,
    codes: Vec<String>,
    now: vouch_domain::Millis,
) -> Result<Uploaded> {
    let read = codes.len();
    let mut tx = store.begin().await?;
    let added = tx.add_pool_codes(pool_id, &codes).await?;
    let mut assigned = 0;
    for mut reward in tx
        .rewards_awaiting(&program.id, POOL_EMPTY.as_str())
        .await?
    {
        let pool_of_reward = reward
            .rule
            .pointer("/coupon/pool_id")
            .and_then(|v| v.as_str());
        if pool_of_reward != Some(pool_id.as_str()) {
            continue;
        }
        let Some(code) = tx.draw_pool_code(pool_id, &program.id, &reward.id).await? else {
            break;
        };
        assigned += 1;
        reward.coupon_code = Some(code);
        // Its days run from now, when it is issued.
        reward.coupon_expires_at =
            serde_json::from_value::<vouch_domain::rules::RewardRule>(reward.rule.clone())
                .ok()
                .and_then(|rule| rule.coupon)
                .and_then(|spec| vouch_domain::rules::coupon_expiry(&spec, now));
        reward.pending_reason = None;
        reward.updated_at = now;
        if reward.status == RewardStatus::Pending && reward.approve_at <= now {
            move_reward(tx.as_mut(), &mut reward, RewardStatus::Approved, now).await?;
            if let Some(referral) = &reward.referral_id {
                settle_referral(tx.as_mut(), referral, now).await?;
            }
        } else {
            tx.update_reward(&reward).await?;
            if reward.status == RewardStatus::Pending {
                tx.enqueue_job(&approve_job(&reward.id, reward.approve_at))
                    .await?;
            }
        }
    }
    tx.commit().await?;
    let pool = store
        .get_coupon_pool(&program.workspace_id, pool_id)
        .await?
        .ok_or(AppError::NotFound {
            what: "coupon pool",
        })?;
    Ok(Uploaded {
        pool,
        read,
        added,
        assigned,
    })
}
