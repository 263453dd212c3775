//! Fraud: the evidence about a referral gathered from the store, weighed by the domain's
//! rules, and the decision applied (hold for review, or reject), each written to the
//! audit log.

use vouch_domain::attribution::{ReferralStatus, RejectReason};
use vouch_domain::fraud::{
    assess, Assessment, Decision, Evidence, Windows, REFUND_PATTERN_MIN_REFUNDS,
};
use vouch_domain::ids::{AuditId, WorkspaceId};
use vouch_domain::lifecycle::DomainEvent;
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;
use vouch_store::{AuditEntry, Click, FraudQuery, Participant, Program, Referral, StoreTx};

use super::events::EventInput;
use crate::error::Result;

use vouch_store::{PendingReason, Review};
/// Why a reward of a held referral waits beyond its hold.
pub const HELD_FOR_REVIEW: PendingReason = PendingReason::Review;

/// What the engine saw of a referral: its advocate, the event and the click.
pub struct Seen<'a> {
    pub advocate: &'a Participant,
    pub input: &'a EventInput,
    pub click: Option<&'a Click>,
    pub data: &'a FraudData,
}

/// Weighs a referral and applies the decision: audited, and a burst holds its earlier
/// referrals too.
pub async fn weigh(
    tx: &mut dyn StoreTx,
    program: &Program,
    referral: &mut Referral,
    seen: &Seen<'_>,
    now: Millis,
) -> Result<()> {
    let assessment = evaluate(tx, program, referral, seen).await?;
    if let Some((entry, event)) = apply(
        referral,
        assessment,
        &program.config.fraud,
        &program.workspace_id,
        now,
    )? {
        tx.emit(vec![event]);
        tx.insert_audit(&entry).await?;
        hold_related(tx, program, referral, now).await?;
    }
    Ok(())
}

/// The host of a URL, lower-case, without `www.`.
fn host_of(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    Some(host.trim_start_matches("www.").to_owned())
}

/// Gathers the evidence about `referral` and weighs it under the program's settings.
pub async fn evaluate(
    tx: &mut dyn StoreTx,
    program: &Program,
    referral: &Referral,
    seen: &Seen<'_>,
) -> Result<Assessment> {
    let Seen {
        advocate,
        input,
        click,
        data,
    } = *seen;
    let friend = &input.fingerprint;
    let mine = &advocate.fingerprint;
    let eq =
        |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a == b);
    let click_ip = click.and_then(|c| c.ip_hash.clone());
    let same_network = eq(&friend.ip_hash, &mine.ip_hash) || eq(&click_ip, &mine.ip_hash);
    let click_ua = click.and_then(|c| c.user_agent.as_deref()).map(ua_hash);
    let same_browser = eq(&friend.ua_hash, &mine.ua_hash) || eq(&click_ua, &mine.ua_hash);
    let email = input.email.as_ref().map(|e| e.normalized().to_owned());
    let domain = email
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d.to_owned());
    let f = &program.config.fraud;
    let counts = tx
        .fraud_counts(&FraudQuery {
            program: &program.id,
            referrer: &referral.referrer_participant_id,
            exclude: &referral.id,
            now: referral.touched_at,
            windows: Windows::back_from(referral.touched_at),
            refunds_from: i64::from(REFUND_PATTERN_MIN_REFUNDS),
            ip_hash: referral.ip_hash.as_deref(),
            ip_range_hash: referral.ip_range_hash.as_deref(),
            device_id: referral.device_id.as_deref(),
            at_most: i64::from(
                f.max_referrals_per_hour
                    .max(f.max_referrals_per_day)
                    .max(f.max_referrals_per_network_day)
                    .max(f.max_code_referrals_per_day),
            ),
            workspace: &program.workspace_id,
            email: email.as_deref(),
            email_domain: domain.as_deref(),
            block_ip_hash: friend.ip_hash.as_deref().or(click_ip.as_deref()),
        })
        .await?;
    let blocked = counts.blocked.clone();
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let evidence = Evidence {
        same_device: eq(&friend.device_id, &mine.device_id),
        same_payment: eq(&friend.payment_fingerprint, &mine.payment_fingerprint),
        same_network,
        same_browser,
        friends_sharing: n(counts.friends_sharing),
        disposable_email: domain
            .as_deref()
            .is_some_and(|d| data.disposable.contains(d)),
        blocked,
        advocate_referrals_hour: n(counts.advocate_referrals_hour),
        advocate_referrals_day: n(counts.advocate_referrals_day),
        network_range_referrals_day: n(counts.network_range_day),
        seconds_to_purchase: match (input.kind.is_payment(), click) {
            (true, Some(c)) => Some((input.occurred_at - c.occurred_at) / 1000),
            _ => None,
        },
        advocate_conversions: n(counts.advocate_conversions),
        advocate_refunds: n(counts.advocate_refunds),
        code_referrals_day: if referral.click_id.is_none() {
            n(counts.code_referrals_day)
        } else {
            0
        },
        coupon_site: click
            .and_then(|c| c.referer.as_deref())
            .and_then(host_of)
            .filter(|h| data.coupon_sites.contains(h)),
    };
    Ok(assess(&evidence, &program.config.fraud))
}

/// When a burst shows, the earlier referrals of the same burst that were not reviewed
/// are held too (the domain's [`Windows::burst`] says which), with whatever rewards are
/// still in their hold. Each is audited.
pub async fn hold_related(
    tx: &mut dyn StoreTx,
    program: &Program,
    referral: &Referral,
    now: Millis,
) -> Result<()> {
    let (advocate_since, range_since) =
        Windows::back_from(referral.touched_at).burst(&referral.signals);
    let mut related = vec![];
    if let Some(since) = advocate_since {
        related.extend(
            tx.related_referrals(&vouch_store::HoldQuery {
                program: &program.id,
                referrer: Some(&referral.referrer_participant_id),
                ip_range_hash: None,
                exclude: &referral.id,
                since,
            })
            .await?,
        );
    }
    if let (Some(since), Some(range)) = (range_since, &referral.ip_range_hash) {
        related.extend(
            tx.related_referrals(&vouch_store::HoldQuery {
                program: &program.id,
                referrer: None,
                ip_range_hash: Some(range),
                exclude: &referral.id,
                since,
            })
            .await?,
        );
    }
    for mut other in related {
        let Some(event) = other.hold(now) else {
            continue;
        };
        tx.update_referral(&other).await?;
        tx.emit(vec![event]);
        // Rewards still in their hold wait for the review too.
        for mut reward in tx.rewards_for_referral(&other.id).await? {
            if reward.status == RewardStatus::Pending && reward.pending_reason.is_none() {
                reward.pending_reason = Some(HELD_FOR_REVIEW);
                reward.updated_at = now;
                tx.update_reward(&reward).await?;
            }
        }
        tx.insert_audit(&AuditEntry {
            id: AuditId::new(),
            workspace_id: program.workspace_id.clone(),
            actor: "system".into(),
            action: "referral.held_for_review".into(),
            subject_type: "referral".into(),
            subject_id: other.id.to_string(),
            reason: Some(format!("part of the same burst as {}", referral.id)),
            data: serde_json::json!({ "related_to": referral.id, "signals": referral.signals }),
            created_at: now,
        })
        .await?;
    }
    Ok(())
}

/// What a request may tell about the person's network and device.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ContextIn {
    /// The person's IP address as your server saw it. Stored only as a keyed hash.
    pub ip_address: Option<String>,
    /// Their browser's user agent. Stored only as a hash.
    pub user_agent: Option<String>,
    /// Your device fingerprint or id for them.
    pub device_id: Option<String>,
    /// A fingerprint of the card or payment account (never the number itself).
    pub payment_fingerprint: Option<String>,
}

/// The keyed network hashes, browser hash and ids of a request context. The IP is
/// hashed under the workspace's key, once alone and once as its /24 (IPv4) or /48
/// (IPv6) range; it is never stored in clear.
pub async fn fingerprint(
    store: &dyn vouch_store::Store,
    data: &FraudData,
    ws: &WorkspaceId,
    ctx: &ContextIn,
) -> Result<(vouch_store::Fingerprint, Option<String>)> {
    let clip = |v: &Option<String>, field: &str| -> Result<Option<String>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) if v.chars().count() > 512 => Err(crate::error::AppError::invalid(
                field,
                "must be at most 512 characters",
            )),
            v => Ok(v.map(str::to_owned)),
        }
    };
    let ip = match clip(&ctx.ip_address, "ip_address")? {
        Some(raw) => Some(raw.parse::<std::net::IpAddr>().map_err(|_| {
            crate::error::AppError::invalid("ip_address", "is not an IPv4 or IPv6 address")
        })?),
        None => None,
    };
    let (ip_hash, range_hash) = match ip.filter(|ip| vouch_domain::fraud::is_public_ip(*ip)) {
        Some(ip) => {
            let key = data
                .hash_keys
                .get_or_load(ws, async {
                    Ok::<_, vouch_store::StoreError>(
                        store
                            .get_workspace(ws)
                            .await?
                            .map(|w| w.hash_key)
                            .unwrap_or_default(),
                    )
                })
                .await?;
            let hasher = crate::hashing::IpHasher::new(&key);
            let range = match ip {
                std::net::IpAddr::V4(v4) => {
                    let o = v4.octets();
                    format!("range:{}.{}.{}.0/24", o[0], o[1], o[2])
                }
                std::net::IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("range:{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
                }
            };
            (
                Some(hasher.hash(&ip.to_string())),
                Some(hasher.hash(&range)),
            )
        }
        None => (None, None),
    };
    Ok((
        vouch_store::Fingerprint {
            ip_hash,
            ua_hash: clip(&ctx.user_agent, "user_agent")?.map(|ua| ua_hash(&ua)),
            device_id: clip(&ctx.device_id, "device_id")?,
            payment_fingerprint: clip(&ctx.payment_fingerprint, "payment_fingerprint")?,
        },
        range_hash,
    ))
}

/// A user agent as stored for comparison: hashed, never kept in clear on participants.
pub fn ua_hash(ua: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(ua.trim().as_bytes())[..16])
}

/// Applies an assessment to a referral: a stricter decision than it had wins (a
/// referral a person already approved is not held again). Returns the audit entry
/// to write and the domain event when the decision changed.
pub fn apply(
    referral: &mut Referral,
    a: Assessment,
    settings: &vouch_domain::fraud::FraudSettings,
    ws: &WorkspaceId,
    now: Millis,
) -> Result<Option<(AuditEntry, DomainEvent)>> {
    for s in &a.signals {
        if !referral.signals.iter().any(|x| x.code == s.code) {
            referral.signals.push(s.clone());
        }
    }
    // Everything seen so far counts: the score is the sum of all the signals.
    let (score, decision) = vouch_domain::fraud::decide(&referral.signals, settings);
    referral.risk_score = i64::from(score);
    // A person approved what they saw; only new evidence strong enough to reject on its
    // own overrides them.
    let decision = match referral.review {
        Some(Review::Approved) if a.decision == Decision::Reject => Decision::Reject,
        Some(Review::Approved) => Decision::Approve,
        _ => decision,
    };
    let (action, event) = match decision {
        Decision::Reject if referral.status != ReferralStatus::Rejected => (
            "referral.rejected",
            referral.reject(RejectReason::Fraud, now)?,
        ),
        Decision::Review => match referral.hold(now) {
            Some(event) => ("referral.held_for_review", event),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let entry = AuditEntry {
        id: AuditId::new(),
        workspace_id: ws.clone(),
        actor: "system".into(),
        action: action.into(),
        subject_type: "referral".into(),
        subject_id: referral.id.to_string(),
        reason: Some(format!("risk score {score}")),
        data: serde_json::json!({ "score": score, "signals": referral.signals }),
        created_at: now,
    };
    Ok(Some((entry, event)))
}

/// Lists the fraud rules look names up in.
pub struct FraudData {
    pub disposable: vouch_domain::fraud::DomainList,
    pub coupon_sites: vouch_domain::fraud::DomainList,
    /// Workspaces' IP-hashing keys (they never change), so an event that brings an IP
    /// does not read its workspace again.
    pub hash_keys: crate::cache::TtlCache<vouch_domain::ids::WorkspaceId, String>,
}

fn hash_keys() -> crate::cache::TtlCache<vouch_domain::ids::WorkspaceId, String> {
    crate::cache::TtlCache::new(std::time::Duration::from_secs(3600), 10_000)
}

impl FraudData {
    /// The lists Vouch ships with.
    pub fn shipped() -> Self {
        Self {
            disposable: vouch_domain::fraud::DomainList::disposable(),
            coupon_sites: vouch_domain::fraud::DomainList::coupon_sites(),
            hash_keys: hash_keys(),
        }
    }

    /// The shipped lists, or the operator's file of disposable domains instead.
    pub fn load(disposable_domains: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let disposable = match disposable_domains {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("reading disposable domains {}: {e}", path.display())
                })?;
                vouch_domain::fraud::DomainList::parse(&text)
            }
            None => vouch_domain::fraud::DomainList::disposable(),
        };
        Ok(Self {
            disposable,
            coupon_sites: vouch_domain::fraud::DomainList::coupon_sites(),
            hash_keys: hash_keys(),
        })
    }
}
