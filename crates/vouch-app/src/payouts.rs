//! Cash payouts: approved cash rewards, netted in the ledger's payable balance, grouped
//! into one batch per currency; each line is later marked paid or failed.

use std::collections::{BTreeMap, HashMap};

use vouch_domain::ids::{LedgerTxId, PayoutId, PayoutLineId, ProgramId, WorkspaceId};
use vouch_domain::ledger::{payout_postings, PayoutStep};
use vouch_domain::money::{Currency, Money};
use vouch_domain::reward::RewardStatus;
use vouch_store::{LineStatus, NewLedgerTx, Payout, PayoutLine, PayoutStatus, Store, StoreTx};

use super::move_reward;
use crate::error::{AppError, Result};

/// The most lines one batch (and so one PayPal file) holds.
pub const MAX_LINES_PER_BATCH: usize = 5_000;

/// Which balances a new payout takes.
pub struct PayoutRequest {
    pub program_id: Option<ProgramId>,
    pub currency: Option<Currency>,
}

/// What creating payouts did: the batches, and balances left for later.
pub struct Created {
    pub payouts: Vec<(Payout, Vec<PayoutLine>)>,
    /// Participants whose payable balance is below their program's threshold.
    pub below_threshold: usize,
}

/// Batches every payable balance at or above its program's threshold, one payout per
/// currency, moving each to `in_payout` in the ledger.
pub async fn create_payouts(
    store: &dyn Store,
    ws: &WorkspaceId,
    req: &PayoutRequest,
    now: vouch_domain::Millis,
) -> Result<Created> {
    let mut tx = store.begin().await?;
    // One batch at a time per workspace, so a balance is never batched twice.
    tx.lock(&format!("payouts:{ws}")).await?;
    let balances = tx
        .payable_balances(ws, req.program_id.as_ref(), req.currency.as_ref())
        .await?;
    let mut thresholds: HashMap<ProgramId, Option<Money>> = HashMap::new();
    let mut by_currency: BTreeMap<Currency, Vec<PayoutLine>> = BTreeMap::new();
    let mut below = 0;
    for b in balances {
        if b.amount <= 0 {
            // Nothing owed (or a clawback deficit that later earnings will net).
            continue;
        }
        if !thresholds.contains_key(&b.program_id) {
            let t = store
                .get_program(ws, &b.program_id)
                .await?
                .and_then(|p| p.config.payout_threshold);
            thresholds.insert(b.program_id.clone(), t);
        }
        let threshold = thresholds.get(&b.program_id).copied().flatten();
        if threshold.is_some_and(|t| t.currency == b.currency && b.amount < t.amount) {
            below += 1;
            continue;
        }
        by_currency.entry(b.currency).or_default().push(PayoutLine {
            id: PayoutLineId::new(),
            payout_id: PayoutId::new(), // replaced below with the batch's id
            workspace_id: ws.clone(),
            participant_id: b.participant_id,
            email: b.email,
            amount: b.amount,
            currency: b.currency,
            status: LineStatus::Pending,
            reference: None,
            error: None,
            updated_at: now,
        });
    }
    let mut payouts = vec![];
    // PayPal takes at most 5 000 rows per file: a batch never has more lines.
    let batches = by_currency.into_iter().flat_map(|(currency, lines)| {
        lines
            .chunks(MAX_LINES_PER_BATCH)
            .map(|c| (currency, c.to_vec()))
            .collect::<Vec<_>>()
    });
    for (currency, mut lines) in batches {
        let payout = Payout {
            id: PayoutId::new(),
            workspace_id: ws.clone(),
            program_id: req.program_id.clone(),
            currency,
            status: PayoutStatus::Pending,
            total: lines.iter().map(|l| l.amount).sum(),
            created_at: now,
            updated_at: now,
        };
        let mut entries = vec![];
        for line in &mut lines {
            line.payout_id = payout.id.clone();
            entries.push(NewLedgerTx {
                id: LedgerTxId::new(),
                workspace_id: ws.clone(),
                idempotency_key: format!("payout_line:{}:batched", line.id),
                kind: "payout_batched".into(),
                reward_id: None,
                postings: payout_postings(
                    &line.participant_id,
                    Money::new(line.amount, currency),
                    PayoutStep::Batched,
                ),
                created_at: now,
            });
        }
        tx.insert_payout(&payout, &lines).await?;
        tx.post_ledger(&entries).await?;
        tx.emit(vec![payout.created(&lines)]);
        payouts.push((payout, lines));
    }
    tx.commit().await?;
    Ok(Created {
        payouts,
        below_threshold: below,
    })
}

/// The result the merchant reports for one line.
pub struct LineResult {
    pub line_id: PayoutLineId,
    pub paid: bool,
    pub reference: Option<String>,
    pub error: Option<String>,
}

/// Marks lines paid (cash leaves the books; its rewards are fulfilled) or failed (the
/// amount returns to payable for a later batch). Reporting the same result again is a
/// no-op; changing a final result is a 409.
pub async fn record_results(
    store: &dyn Store,
    ws: &WorkspaceId,
    payout_id: &PayoutId,
    results: &[LineResult],
    now: vouch_domain::Millis,
) -> Result<()> {
    let mut tx = store.begin().await?;
    for r in results {
        let mut line = tx
            .get_payout_line_for_update(payout_id, &r.line_id)
            .await?
            .filter(|l| &l.workspace_id == ws)
            .ok_or(AppError::NotFound {
                what: "payout line",
            })?;
        let status = if r.paid {
            LineStatus::Paid
        } else {
            LineStatus::Failed
        };
        if line.status == status {
            continue;
        }
        let event = line.settle(r.paid, now).map_err(|_| AppError::Conflict {
            code: "payout_line_final",
            field: None,
            message: format!("line {} is already {}", line.id, line.status.as_str()),
        })?;
        let step = if r.paid {
            PayoutStep::Paid
        } else {
            PayoutStep::Failed
        };
        tx.post_ledger(&[NewLedgerTx {
            id: LedgerTxId::new(),
            workspace_id: ws.clone(),
            idempotency_key: format!("payout_line:{}:{}", line.id, status.as_str()),
            kind: format!("payout_{}", status.as_str()),
            reward_id: None,
            postings: payout_postings(
                &line.participant_id,
                Money::new(line.amount, line.currency),
                step,
            ),
            created_at: now,
        }])
        .await?;
        line.reference = r.reference.clone();
        line.error = r.error.clone();
        tx.update_payout_line(&line).await?;
        let mut event = event;
        // The event shows the reference and error reported with the result.
        event.data["reference"] = serde_json::json!(line.reference);
        event.data["error"] = serde_json::json!(line.error);
        tx.emit(vec![event]);
        settle_rewards(tx.as_mut(), &line, r.paid, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A paid line fulfils its rewards; a failed one frees them for the next batch.
async fn settle_rewards(
    tx: &mut dyn StoreTx,
    line: &PayoutLine,
    paid: bool,
    now: vouch_domain::Millis,
) -> Result<()> {
    for mut reward in tx.rewards_in_payout_line(&line.id).await? {
        if paid {
            if reward.status == RewardStatus::Approved {
                reward.fulfilled_at = Some(now);
                reward.fulfilment_reference = line.reference.clone();
                move_reward(tx, &mut reward, RewardStatus::Fulfilled, now).await?;
            }
        } else {
            reward.payout_line_id = None;
            reward.updated_at = now;
            tx.update_reward(&reward).await?;
        }
    }
    Ok(())
}

/// How amounts are written in an exported file: PayPal reads the sender's own format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DecimalMark {
    /// `100.50`
    #[default]
    Point,
    /// `100,50`, for senders whose PayPal account uses a comma decimal.
    Comma,
}

/// The PayPal Payouts bulk-upload CSV: one row per pending line with an email (paid
/// lines are done; failed ones move to a later batch), no header:
/// recipient, amount in major units, currency, your reference (the line id), a note,
/// and the wallet. Only the free-text note is defused against spreadsheet formulas:
/// the recipient, amount and currency are written exactly as PayPal must read them.
pub fn paypal_csv(lines: &[PayoutLine], note: &str, decimal: DecimalMark) -> Result<String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(vec![]);
    let note = defused(note);
    for l in lines.iter().filter(|l| l.status == LineStatus::Pending) {
        let Some(email) = &l.email else { continue };
        let amount = Money::new(l.amount, l.currency).major();
        let amount = match decimal {
            DecimalMark::Point => amount,
            DecimalMark::Comma => amount.replace('.', ","),
        };
        w.write_record([
            email.as_str(),
            &amount,
            l.currency.as_str(),
            l.id.as_str(),
            &note,
            "PAYPAL",
        ])
        .map_err(|e| AppError::Internal(e.into()))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
}

/// Free text as a spreadsheet will not run it as a formula.
fn defused(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}
