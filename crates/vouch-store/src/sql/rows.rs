//! Decoding rows into the model, with column lists shared by every query that reads them.

use sqlx::any::AnyRow;
use sqlx::Row;
use vouch_domain::attribution::{AttributionSource, ReferralStatus, RejectReason};
use vouch_domain::ids::*;
use vouch_domain::money::Currency;
use vouch_domain::program::{ProgramConfig, RewardKind};
use vouch_domain::reward::{RewardStatus, Role};

use crate::error::{Result, StoreError};
use crate::model::*;

pub(crate) const PROGRAM_COLS: &str =
    "id, workspace_id, slug, status, config, version, created_at, updated_at";

/// Participants with their primary (first) referral code.
pub(crate) const PARTICIPANT_SELECT: &str = "SELECT p.id, p.workspace_id, p.program_id, \
    p.email, p.email_normalized, p.name, p.external_id, p.locale, p.status, p.created_at, \
    p.referred_by_referral_id, p.ip_hash, p.ua_hash, p.device_id, p.payment_fingerprint, \
    (SELECT c.display FROM referral_codes c WHERE c.participant_id = p.id \
     ORDER BY c.created_at, c.code LIMIT 1) AS referral_code FROM participants p";

pub(crate) const REFERRAL_COLS: &str = "id, workspace_id, program_id, referrer_participant_id, \
    referee_participant_id, customer_id, status, reason, source, click_id, touched_at, \
    signed_up_at, converted_at, conversion_event_id, created_at, updated_at, payments, skipped, \
    ip_hash, ip_range_hash, device_id, risk_score, signals, review";

pub(crate) const REWARD_COLS: &str = "id, workspace_id, program_id, participant_id, \
    referral_id, event_id, role, trigger, kind, amount, currency, status, rule, inputs, \
    program_version, approve_at, created_at, updated_at, pending_reason, reversed_amount, \
    coupon_code, coupon_expires_at, fulfilment_reference, fulfilled_at, payout_line_id";

pub(crate) const CUSTOMER_COLS: &str =
    "id, email_normalized, external_id, referral_id, first_purchase_at";

pub(crate) fn s(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn os(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub(crate) fn i(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn oi(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

fn parsed<T>(row: &AnyRow, col: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    let raw = s(row, col)?;
    parse(&raw).ok_or_else(|| StoreError::corrupt(format!("{col} = {raw:?}")))
}

fn currency(raw: &str) -> Option<Currency> {
    Currency::parse_unit("currency", raw).ok()
}

pub(crate) fn workspace(row: &AnyRow) -> Result<Workspace> {
    Ok(Workspace {
        id: WorkspaceId::from_trusted(s(row, "id")?),
        name: s(row, "name")?,
        hash_key: s(row, "hash_key")?,
        created_at: i(row, "created_at")?,
    })
}

pub(crate) fn api_key(row: &AnyRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: ApiKeyId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        kind: parsed(row, "kind", |k| match k {
            "secret" => Some(KeyKind::Secret),
            "publishable" => Some(KeyKind::Publishable),
            _ => None,
        })?,
    })
}

pub(crate) fn program(row: &AnyRow) -> Result<Program> {
    let config: ProgramConfig = serde_json::from_str(&s(row, "config")?)
        .map_err(|e| StoreError::corrupt(format!("program config: {e}")))?;
    Ok(Program {
        id: ProgramId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        slug: s(row, "slug")?,
        status: parsed(row, "status", ProgramStatus::parse)?,
        config,
        version: i(row, "version")?,
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
    })
}

pub(crate) fn participant(row: &AnyRow) -> Result<Participant> {
    Ok(Participant {
        id: ParticipantId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        email: os(row, "email")?,
        email_normalized: os(row, "email_normalized")?,
        name: os(row, "name")?,
        external_id: os(row, "external_id")?,
        locale: s(row, "locale")?,
        status: parsed(row, "status", |v| match v {
            "active" => Some(ParticipantStatus::Active),
            "blocked" => Some(ParticipantStatus::Blocked),
            _ => None,
        })?,
        referral_code: os(row, "referral_code")?.unwrap_or_default(),
        referred_by: os(row, "referred_by_referral_id")?.map(ReferralId::from_trusted),
        fingerprint: Fingerprint {
            ip_hash: os(row, "ip_hash")?,
            ua_hash: os(row, "ua_hash")?,
            device_id: os(row, "device_id")?,
            payment_fingerprint: os(row, "payment_fingerprint")?,
            automated: false,
        },
        created_at: i(row, "created_at")?,
    })
}

pub(crate) fn link_target(row: &AnyRow) -> Result<LinkTarget> {
    let config: ProgramConfig = serde_json::from_str(&s(row, "config")?)
        .map_err(|e| StoreError::corrupt(format!("program config: {e}")))?;
    let active = s(row, "program_status")? == "active" && s(row, "participant_status")? == "active";
    Ok(LinkTarget {
        code: s(row, "code")?,
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        participant_id: ParticipantId::from_trusted(s(row, "participant_id")?),
        destination_url: config.destination_url,
        allowed_domains: config.allowed_domains,
        window_days: config.attribution_window_days,
        model: config.attribution_model,
        active,
        hash_key: s(row, "hash_key")?,
        friend_page: config.friend_page.enabled,
        unique_window_hours: config.unique_click_window_hours.max(1),
    })
}

pub(crate) fn click(row: &AnyRow) -> Result<Click> {
    Ok(Click {
        id: ClickId::from_trusted(s(row, "id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        participant_id: ParticipantId::from_trusted(s(row, "participant_id")?),
        occurred_at: i(row, "occurred_at")?,
        ip_hash: os(row, "ip_hash")?,
        user_agent: os(row, "user_agent")?,
        referer: os(row, "referer")?,
    })
}

pub(crate) const AUDIT_COLS: &str =
    "id, workspace_id, actor, action, subject_type, subject_id, reason, data, created_at";

pub(crate) fn audit(row: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: AuditId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        actor: s(row, "actor")?,
        action: s(row, "action")?,
        subject_type: s(row, "subject_type")?,
        subject_id: s(row, "subject_id")?,
        reason: os(row, "reason")?,
        data: match os(row, "data")? {
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| StoreError::corrupt(format!("audit data: {e}")))?,
            None => serde_json::Value::Null,
        },
        created_at: i(row, "created_at")?,
    })
}

pub(crate) fn block_entry(row: &AnyRow) -> Result<BlockEntry> {
    Ok(BlockEntry {
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        kind: s(row, "kind")?,
        value: s(row, "value")?,
        label: os(row, "label")?,
        created_at: i(row, "created_at")?,
    })
}

pub(crate) fn customer(row: &AnyRow) -> Result<Customer> {
    Ok(Customer {
        id: CustomerId::from_trusted(s(row, "id")?),
        email_normalized: os(row, "email_normalized")?,
        external_id: os(row, "external_id")?,
        referral_id: os(row, "referral_id")?.map(ReferralId::from_trusted),
        first_purchase_at: oi(row, "first_purchase_at")?,
    })
}

pub(crate) fn referral(row: &AnyRow) -> Result<Referral> {
    let reason = match os(row, "reason")? {
        Some(r) => Some(
            RejectReason::parse(&r).ok_or_else(|| StoreError::corrupt(format!("reason {r:?}")))?,
        ),
        None => None,
    };
    Ok(Referral {
        id: ReferralId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        referrer_participant_id: ParticipantId::from_trusted(s(row, "referrer_participant_id")?),
        referee_participant_id: os(row, "referee_participant_id")?.map(ParticipantId::from_trusted),
        customer_id: CustomerId::from_trusted(s(row, "customer_id")?),
        status: parsed(row, "status", ReferralStatus::parse)?,
        reason,
        source: parsed(row, "source", AttributionSource::parse)?,
        click_id: os(row, "click_id")?.map(ClickId::from_trusted),
        touched_at: i(row, "touched_at")?,
        signed_up_at: oi(row, "signed_up_at")?,
        converted_at: oi(row, "converted_at")?,
        conversion_event_id: os(row, "conversion_event_id")?.map(EventId::from_trusted),
        payments: i(row, "payments")?,
        skipped: match os(row, "skipped")? {
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| StoreError::corrupt(format!("referral skipped: {e}")))?,
            None => vec![],
        },
        ip_hash: os(row, "ip_hash")?,
        ip_range_hash: os(row, "ip_range_hash")?,
        device_id: os(row, "device_id")?,
        risk_score: i(row, "risk_score")?,
        signals: match os(row, "signals")? {
            Some(raw) => serde_json::from_str(&raw)
                .map_err(|e| StoreError::corrupt(format!("referral signals: {e}")))?,
            None => vec![],
        },
        review: os(row, "review")?.as_deref().and_then(Review::parse),
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
    })
}

pub(crate) fn reward(row: &AnyRow) -> Result<Reward> {
    let rule = serde_json::from_str(&s(row, "rule")?)
        .map_err(|e| StoreError::corrupt(format!("reward rule: {e}")))?;
    let inputs = serde_json::from_str(&s(row, "inputs")?)
        .map_err(|e| StoreError::corrupt(format!("reward inputs: {e}")))?;
    Ok(Reward {
        id: RewardId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        participant_id: ParticipantId::from_trusted(s(row, "participant_id")?),
        referral_id: os(row, "referral_id")?.map(ReferralId::from_trusted),
        event_id: os(row, "event_id")?.map(EventId::from_trusted),
        role: parsed(row, "role", Role::parse)?,
        trigger: {
            let t = s(row, "trigger")?;
            vouch_domain::rules::RewardTrigger::parse(&t)
                .ok_or_else(|| StoreError::corrupt(format!("reward trigger {t}")))?
        },
        kind: parsed(row, "kind", RewardKind::parse)?,
        amount: i(row, "amount")?,
        currency: parsed(row, "currency", currency)?,
        status: parsed(row, "status", RewardStatus::parse)?,
        rule,
        inputs,
        program_version: i(row, "program_version")?,
        approve_at: i(row, "approve_at")?,
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
        pending_reason: os(row, "pending_reason")?
            .as_deref()
            .and_then(PendingReason::parse),
        reversed_amount: i(row, "reversed_amount")?,
        coupon_code: os(row, "coupon_code")?,
        coupon_expires_at: oi(row, "coupon_expires_at")?,
        fulfilment_reference: os(row, "fulfilment_reference")?,
        fulfilled_at: oi(row, "fulfilled_at")?,
        payout_line_id: os(row, "payout_line_id")?,
    })
}

pub(crate) fn job(row: &AnyRow) -> Result<Job> {
    let payload = serde_json::from_str(&s(row, "payload")?)
        .map_err(|e| StoreError::corrupt(format!("job payload: {e}")))?;
    Ok(Job {
        id: JobId::from_trusted(s(row, "id")?),
        kind: s(row, "kind")?,
        payload,
        attempts: i(row, "attempts")?,
    })
}

pub(crate) fn balance(row: &AnyRow) -> Result<Balance> {
    Ok(Balance {
        currency: parsed(row, "currency", currency)?,
        pending: i(row, "pending")?,
        available: i(row, "available")?,
        payable: i(row, "payable")?,
        in_payout: i(row, "in_payout")?,
        paid_out: i(row, "paid_out")?,
    })
}

pub(crate) const REDEMPTION_COLS: &str =
    "id, workspace_id, participant_id, amount, currency, idempotency_key, reference, created_at";

pub(crate) fn redemption(row: &AnyRow) -> Result<Redemption> {
    Ok(Redemption {
        id: RedemptionId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        participant_id: ParticipantId::from_trusted(s(row, "participant_id")?),
        amount: i(row, "amount")?,
        currency: parsed(row, "currency", currency)?,
        idempotency_key: s(row, "idempotency_key")?,
        reference: os(row, "reference")?,
        created_at: i(row, "created_at")?,
    })
}

pub(crate) const PAYOUT_COLS: &str =
    "id, workspace_id, program_id, currency, status, total, created_at, updated_at";

pub(crate) fn payout(row: &AnyRow) -> Result<Payout> {
    Ok(Payout {
        id: PayoutId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: os(row, "program_id")?.map(ProgramId::from_trusted),
        currency: parsed(row, "currency", currency)?,
        status: PayoutStatus::parse(&s(row, "status")?)
            .ok_or_else(|| StoreError::corrupt("payout status"))?,
        total: i(row, "total")?,
        created_at: i(row, "created_at")?,
        updated_at: i(row, "updated_at")?,
    })
}

pub(crate) const PAYOUT_LINE_COLS: &str = "id, payout_id, workspace_id, participant_id, email, \
    amount, currency, status, reference, error, updated_at";

pub(crate) fn payout_line(row: &AnyRow) -> Result<PayoutLine> {
    Ok(PayoutLine {
        id: PayoutLineId::from_trusted(s(row, "id")?),
        payout_id: PayoutId::from_trusted(s(row, "payout_id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        participant_id: ParticipantId::from_trusted(s(row, "participant_id")?),
        email: os(row, "email")?,
        amount: i(row, "amount")?,
        currency: parsed(row, "currency", currency)?,
        status: LineStatus::parse(&s(row, "status")?)
            .ok_or_else(|| StoreError::corrupt("payout line status"))?,
        reference: os(row, "reference")?,
        error: os(row, "error")?,
        updated_at: i(row, "updated_at")?,
    })
}

pub(crate) fn coupon_pool(row: &AnyRow) -> Result<CouponPool> {
    Ok(CouponPool {
        id: CouponPoolId::from_trusted(s(row, "id")?),
        workspace_id: WorkspaceId::from_trusted(s(row, "workspace_id")?),
        program_id: ProgramId::from_trusted(s(row, "program_id")?),
        name: s(row, "name")?,
        created_at: i(row, "created_at")?,
        available: i(row, "available")?,
        issued: i(row, "issued")?,
    })
}

pub(crate) fn recorded_event(row: &AnyRow) -> Result<RecordedEvent> {
    Ok(RecordedEvent {
        id: EventId::from_trusted(s(row, "id")?),
        kind: s(row, "type")?,
        order_id: os(row, "order_id")?,
        amount: oi(row, "amount")?,
        currency: match os(row, "currency")? {
            Some(c) => Some(currency(&c).ok_or_else(|| StoreError::corrupt("event currency"))?),
            None => None,
        },
        referral_id: os(row, "referral_id")?.map(ReferralId::from_trusted),
        occurred_at: i(row, "occurred_at")?,
    })
}
