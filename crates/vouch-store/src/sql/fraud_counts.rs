//! The counts the fraud rules read about a referral, and the identity graph (devices,
//! cards and mailboxes shown by the people of a workspace), in one round trip.

use vouch_domain::attribution::{AttributionSource, ReferralStatus};

use super::tx::{Args, SqlTx};
use crate::error::Result;
use crate::model::*;

/// Each count stops where the rule stops caring (`LIMIT`), so a busy advocate costs
/// what a quiet one does. Subqueries for evidence the event did not bring are left out.
pub(super) async fn fraud_counts(tx: &mut SqlTx, q: &FraudQuery<'_>) -> Result<FraudCounts> {
    let (referrer, exclude) = (q.referrer.as_str(), q.exclude.as_str());
    let w = q.windows;
    let mut cols: Vec<String> = vec![];
    let mut args = Args::default();
    let recent = |extra: &str| {
        format!(
            "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
             WHERE referrer_participant_id = ? AND id <> ? AND touched_at >= ? \
             AND touched_at <= ?{extra} LIMIT ?) AS w)"
        )
    };
    // The program's referrals from one network range in a window, with more conditions.
    let in_range = |extra: &str| {
        format!(
            "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
             WHERE program_id = ? AND ip_range_hash = ? AND id <> ? AND touched_at >= ? \
             AND touched_at <= ?{extra} LIMIT ?) AS n)"
        )
    };
    let typed = format!(" AND source <> '{}'", AttributionSource::Click.as_str());
    // The hour's count is compared with the quick ones of the hour as well (scripted
    // checkouts must be most of it), so it counts past the largest limit.
    for (name, since, extra, limit) in [
        ("hour_n", w.hour_since, "", q.at_most * 2 + 1),
        ("day_n", w.day_since, "", q.at_most),
        ("code_n", w.day_since, typed.as_str(), q.at_most),
        ("code_week_n", w.week_since, typed.as_str(), q.at_most),
    ] {
        cols.push(format!("{} AS {name}", recent(extra)));
        args = args
            .arg(referrer)
            .arg(exclude)
            .arg(since)
            .arg(q.now)
            .arg(limit);
    }
    cols.push(format!(
        "(SELECT CAST(COUNT(*) AS BIGINT) FROM (SELECT 1 FROM referrals \
         WHERE referrer_participant_id = ? AND id <> ? AND status = '{}' LIMIT 1000) AS r) \
         AS refund_n",
        ReferralStatus::Reversed.as_str()
    ));
    args = args.arg(referrer).arg(exclude);
    let blockable = q.email.is_some()
        || q.email_domain.is_some()
        || q.block_ip_hash.is_some()
        || q.block_device.is_some()
        || q.block_payment.is_some();
    if blockable {
        cols.push(
            "(SELECT kind FROM block_list WHERE workspace_id = ? AND ( \
             (kind = 'email' AND value = ?) OR (kind = 'domain' AND value = ?) \
             OR (kind = 'ip' AND value = ?) OR (kind = 'device' AND value = ?) \
             OR (kind = 'payment' AND value = ?)) ORDER BY kind LIMIT 1) AS blocked"
                .into(),
        );
        const NONE: &str = "\u{1}none";
        args = args
            .arg(q.workspace.as_str())
            .arg(q.email.unwrap_or(NONE))
            .arg(q.email_domain.unwrap_or(NONE))
            .arg(q.block_ip_hash.unwrap_or(NONE))
            .arg(q.block_device.unwrap_or(NONE))
            .arg(q.block_payment.unwrap_or(NONE));
    }
    if let Some(range) = q.ip_range_hash {
        cols.push(format!("{} AS range_n", in_range("")));
        args = args
            .arg(q.program.as_str())
            .arg(range)
            .arg(exclude)
            .arg(w.day_since)
            .arg(q.now)
            .arg(q.at_most);
        cols.push(format!(
            "{} AS range_hour_n",
            recent(" AND ip_range_hash = ?")
        ));
        args = args
            .arg(referrer)
            .arg(exclude)
            .arg(w.hour_since)
            .arg(q.now)
            .arg(range)
            .arg(q.at_most);
    }
    let quick = format!(
        " AND source = '{}' AND ((converted_at IS NOT NULL AND converted_at - touched_at < ?) \
         OR (signed_up_at IS NOT NULL AND signed_up_at - touched_at < ?))",
        AttributionSource::Click.as_str()
    );
    if let Some(within) = q.fast_within {
        cols.push(format!("{} AS fast_hour_n", recent(&quick)));
        args = args
            .arg(referrer)
            .arg(exclude)
            .arg(w.hour_since)
            .arg(q.now)
            .arg(within)
            .arg(within)
            .arg(q.at_most);
    }
    if let (Some(within), Some(range)) = (q.fast_within, q.ip_range_hash) {
        cols.push(format!("{} AS range_fast_n", in_range(&quick)));
        args = args
            .arg(q.program.as_str())
            .arg(range)
            .arg(exclude)
            .arg(w.day_since)
            .arg(q.now)
            .arg(within)
            .arg(within)
            .arg(q.at_most);
    }
    // Everyone else who showed the friend's device, card or mailbox; counted up to a
    // handful, which is all the rules distinguish.
    for (i, mark) in q.identities.iter().enumerate() {
        // A mailbox is shared when another address spells it (the person key is the
        // mailbox, so people are told apart by address); a device or card when
        // another person showed it.
        // The friend's own rows never count, whatever key an event without an email
        // gave them: rows of this referral are theirs.
        let (counted, others) = match &mark.address {
            Some(_) => (
                "address",
                "address <> ? AND person <> ? AND (referral_id IS NULL OR referral_id <> ?)",
            ),
            None => (
                "person",
                "person <> ? AND person <> ? AND (referral_id IS NULL OR referral_id <> ?)",
            ),
        };
        cols.push(format!(
            "(SELECT CAST(COUNT(DISTINCT {counted}) AS BIGINT) FROM (SELECT {counted} FROM \
             fraud_identities WHERE workspace_id = ? AND kind = ? AND value = ? AND {others} \
             LIMIT 20) AS p{i}) AS people_{i}, \
             (SELECT CAST(COUNT(DISTINCT {counted}) AS BIGINT) FROM (SELECT {counted} FROM \
             fraud_identities WHERE workspace_id = ? AND kind = ? AND value = ? AND {others} \
             AND role = 'advocate' LIMIT 20) AS a{i}) AS advocates_{i}"
        ));
        for _ in 0..2 {
            args = args
                .arg(q.workspace.as_str())
                .arg(mark.kind)
                .arg(mark.value.as_str())
                .arg(mark.address.as_deref().unwrap_or(q.person))
                .arg(q.advocate_person)
                .arg(exclude);
        }
    }
    let sql = tx.backend.sql_owned(format!("SELECT {}", cols.join(", ")));
    let rows = tx.rows(&sql, args).await?;
    let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
    let get = |c: &str| -> Result<i64> { Ok(sqlx::Row::try_get(row, c)?) };
    let mut sharing = vec![];
    for (i, mark) in q.identities.iter().enumerate() {
        sharing.push((
            mark.kind,
            get(&format!("people_{i}"))?,
            get(&format!("advocates_{i}"))?,
        ));
    }
    let mut counts = FraudCounts {
        advocate_referrals_hour: get("hour_n")?,
        advocate_referrals_day: get("day_n")?,
        code_referrals_day: get("code_n")?,
        code_referrals_week: get("code_week_n")?,
        advocate_refunds: get("refund_n")?,
        network_range_day: if q.ip_range_hash.is_some() {
            get("range_n")?
        } else {
            0
        },
        advocate_range_hour: if q.ip_range_hash.is_some() {
            get("range_hour_n")?
        } else {
            0
        },
        advocate_fast_hour: if q.fast_within.is_some() {
            get("fast_hour_n")?
        } else {
            0
        },
        range_fast_day: if q.fast_within.is_some() && q.ip_range_hash.is_some() {
            get("range_fast_n")?
        } else {
            0
        },
        advocate_conversions: 0,
        blocked: if blockable {
            sqlx::Row::try_get(row, "blocked")?
        } else {
            None
        },
        sharing,
    };
    // The refund rate matters only once there are refunds to speak of.
    if counts.advocate_refunds >= q.refunds_from {
        let sql = tx.backend.sql_owned(format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT 1 FROM referrals \
             WHERE referrer_participant_id = ? AND id <> ? \
             AND status IN ({}) LIMIT ?) AS c",
            super::status_list(&ReferralStatus::EVER_CONVERTED, |s| s.as_str())
        ));
        let args = Args::default()
            .arg(referrer)
            .arg(exclude)
            // Enough to compare with one more refund than counted (a refund just made).
            .arg((counts.advocate_refunds + 1) * 3 + 1);
        let rows = tx.rows(&sql, args).await?;
        let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
        counts.advocate_conversions = sqlx::Row::try_get(row, "n")?;
    }
    Ok(counts)
}
