//! Fraud: the evidence about a referral gathered from the store, weighed by the domain's
//! rules, and the decision applied (hold for review, or reject), each written to the
//! audit log. The friend's and the advocate's identities (device, card, mailbox) go to
//! the workspace's identity graph, where a ring shows whichever advocate it used.

use vouch_domain::attribution::{ReferralStatus, RejectReason};
use vouch_domain::fraud::{
    assess, Assessment, Decision, Evidence, Related, Sharing, Signal, Windows,
    REFUND_PATTERN_MIN_REFUNDS,
};
use vouch_domain::ids::{AuditId, WorkspaceId};
use vouch_domain::lifecycle::DomainEvent;
use vouch_domain::reward::RewardStatus;
use vouch_domain::Millis;
use vouch_store::{
    AuditEntry, Click, FraudQuery, IdentityMark, Participant, Program, Referral, Showing, StoreTx,
};

use super::events::EventInput;
use crate::error::Result;

mod context;

pub use context::{
    fingerprint, identity_marks, person_key, ua_hash, workspace_key, ContextIn, FraudData, Sighting,
};

use vouch_store::{PendingReason, Review};
/// Why a reward of a held referral waits beyond its hold.
pub const HELD_FOR_REVIEW: PendingReason = PendingReason::Review;

/// What the engine saw of a referral: its advocate, the event and the click.
pub struct Seen<'a> {
    pub advocate: &'a Participant,
    pub input: &'a EventInput,
    pub click: Option<&'a Click>,
    pub data: &'a FraudData,
    /// The referral's first weighing: the advocate's identities are recorded then
    /// (enrolment records them too; this reaches advocates enrolled before the graph).
    pub first: bool,
}

/// The people and identities around a referral, as the identity graph keys them.
struct People {
    friend: String,
    advocate: String,
    friend_marks: Vec<IdentityMark>,
    advocate_marks: Vec<IdentityMark>,
}

fn people(referral: &Referral, seen: &Seen<'_>) -> Option<People> {
    let hasher = seen.input.hasher.as_ref()?;
    let email = seen.input.email.as_ref().map(|e| e.as_str());
    let adv_email = seen.advocate.email_normalized.as_deref();
    Some(People {
        friend: person_key(hasher, email, &format!("customer:{}", referral.customer_id)),
        advocate: person_key(
            hasher,
            adv_email,
            &format!("participant:{}", seen.advocate.id),
        ),
        friend_marks: identity_marks(hasher, &seen.input.fingerprint, email),
        advocate_marks: identity_marks(hasher, &seen.advocate.fingerprint, adv_email),
    })
}

/// Weighs a referral and applies the decision: audited, and the earlier referrals that
/// share its evidence are held with it. The identities seen are recorded either way.
pub async fn weigh(
    tx: &mut dyn StoreTx,
    program: &Program,
    referral: &mut Referral,
    seen: &Seen<'_>,
    now: Millis,
) -> Result<()> {
    let people = people(referral, seen);
    let assessment = evaluate(tx, program, referral, seen, people.as_ref()).await?;
    if let Some(p) = &people {
        let ws = &program.workspace_id;
        let at = seen.input.occurred_at;
        let advocate = &seen.advocate.id;
        if seen.first {
            tx.record_identities(&Showing {
                workspace: ws,
                person: &p.advocate,
                role: "advocate",
                advocate,
                referral: None,
                marks: &p.advocate_marks,
                at,
            })
            .await?;
        }
        tx.record_identities(&Showing {
            workspace: ws,
            person: &p.friend,
            role: "friend",
            advocate,
            referral: Some(&referral.id),
            marks: &p.friend_marks,
            at,
        })
        .await?;
    }
    if let Some((entry, event)) = apply(
        referral,
        assessment,
        &program.config.fraud,
        &program.workspace_id,
        now,
    )? {
        tx.emit(vec![event]);
        tx.insert_audit(&entry).await?;
        let marks = people.map(|p| p.friend_marks).unwrap_or_default();
        let scopes = Windows::back_from(referral.touched_at).related(&referral.signals);
        hold_related(tx, program, referral, &scopes, &marks, now).await?;
    }
    Ok(())
}

/// The coupon-aggregator site a referer names, if it names one: all a click keeps of
/// where it came from.
pub fn coupon_site_of(data: &FraudData, referer: &str) -> Option<String> {
    host_of(referer).filter(|h| data.coupon_sites.contains(h))
}

/// The host of a URL, lower-case, without `www.`.
fn host_of(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    Some(host.trim_start_matches("www.").to_owned())
}

/// Gathers the evidence about `referral` and weighs it under the program's settings.
async fn evaluate(
    tx: &mut dyn StoreTx,
    program: &Program,
    referral: &Referral,
    seen: &Seen<'_>,
    people: Option<&People>,
) -> Result<Assessment> {
    let Seen {
        advocate,
        input,
        click,
        data,
        ..
    } = *seen;
    let friend = &input.fingerprint;
    let mine = &advocate.fingerprint;
    let eq =
        |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a == b);
    let differs =
        |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if a != b);
    let click_ip = click.and_then(|c| c.ip_hash.clone());
    let same_network = eq(&friend.ip_hash, &mine.ip_hash) || eq(&click_ip, &mine.ip_hash);
    // Clicks keep the browser string as the same keyed hash.
    let click_ua = click.and_then(|c| c.user_agent.clone());
    let same_browser = eq(&friend.ua_hash, &mine.ua_hash) || eq(&click_ua, &mine.ua_hash);
    let email = input.email.as_ref().map(|e| e.normalized().to_owned());
    let domain = email
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        .map(|(_, d)| d.to_owned());
    let email_alias = match (&input.email, &advocate.email_normalized) {
        (Some(f), Some(a)) => {
            f.normalized() != a && f.identity_key() == vouch_domain::email::identity_key(a)
        }
        _ => false,
    };
    let f = &program.config.fraud;
    let none = String::new();
    let seconds_to_purchase = match (input.kind.is_payment(), click) {
        (true, Some(c)) => Some((input.occurred_at - c.occurred_at) / 1000),
        _ => None,
    };
    let seconds_to_signup = match (input.kind, click) {
        (vouch_domain::event::EventKind::Signup, Some(c)) => {
            Some((input.occurred_at - c.occurred_at) / 1000)
        }
        _ => None,
    };
    let fast = seconds_to_purchase
        .or(seconds_to_signup)
        .is_some_and(|s| (0..i64::from(f.min_seconds_to_purchase)).contains(&s));
    let counts = tx
        .fraud_counts(&FraudQuery {
            program: &program.id,
            referrer: &referral.referrer_participant_id,
            exclude: &referral.id,
            now: referral.touched_at,
            windows: Windows::back_from(referral.touched_at),
            refunds_from: i64::from(REFUND_PATTERN_MIN_REFUNDS),
            ip_range_hash: referral.ip_range_hash.as_deref(),
            at_most: i64::from(
                f.max_referrals_per_hour
                    .max(f.max_referrals_per_day)
                    .max(f.max_referrals_per_network_day)
                    .max(f.max_code_referrals_per_day)
                    .max(f.max_code_referrals_per_week)
                    .max(f.max_range_referrals_per_hour),
            ),
            workspace: &program.workspace_id,
            email: email.as_deref(),
            email_domain: domain.as_deref(),
            block_ip_hash: friend.ip_hash.as_deref().or(click_ip.as_deref()),
            block_device: friend.device_id.as_deref(),
            block_payment: friend.payment_fingerprint.as_deref(),
            person: people.map_or(&none, |p| &p.friend),
            advocate_person: people.map_or(&none, |p| &p.advocate),
            identities: people.map_or(&[], |p| &p.friend_marks),
            fast_within: fast.then(|| i64::from(f.min_seconds_to_purchase) * 1000),
        })
        .await?;
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let sharing = |kind: &str| {
        counts
            .sharing
            .iter()
            .find(|(k, _, _)| *k == kind)
            .map(|(_, people, advocates)| Sharing {
                people: n(*people),
                advocates: n(*advocates),
            })
            .unwrap_or_default()
    };
    let evidence = Evidence {
        same_device: eq(&friend.device_id, &mine.device_id),
        same_payment: eq(&friend.payment_fingerprint, &mine.payment_fingerprint),
        email_alias,
        blocked: counts.blocked.clone(),
        shared_device: sharing("device"),
        shared_payment: sharing("payment"),
        shared_email: sharing("email"),
        same_network,
        same_browser,
        own_device_or_card: differs(&friend.device_id, &mine.device_id)
            || differs(&friend.payment_fingerprint, &mine.payment_fingerprint),
        disposable_email: domain
            .as_deref()
            .is_some_and(|d| data.disposable.contains(d)),
        throwaway_tld: domain
            .as_deref()
            .is_some_and(vouch_domain::fraud::throwaway_tld),
        automated_browser: friend.automated,
        advocate_referrals_hour: n(counts.advocate_referrals_hour),
        advocate_referrals_day: n(counts.advocate_referrals_day),
        advocate_range_hour: n(counts.advocate_range_hour),
        network_range_referrals_day: n(counts.network_range_day),
        seconds_to_purchase,
        seconds_to_signup,
        advocate_fast_hour: n(counts.advocate_fast_hour),
        range_fast_day: n(counts.range_fast_day),
        advocate_conversions: n(counts.advocate_conversions),
        advocate_refunds: n(counts.advocate_refunds),
        code_referrals_day: if referral.click_id.is_none() {
            n(counts.code_referrals_day)
        } else {
            0
        },
        code_referrals_week: if referral.click_id.is_none() {
            n(counts.code_referrals_week)
        } else {
            0
        },
        // A click keeps of its referer only the coupon site it came from, if any.
        coupon_site: click
            .and_then(|c| c.referer.clone())
            .filter(|h| data.coupon_sites.contains(h)),
    };
    Ok(assess(&evidence, &program.config.fraud))
}

/// After a refund reversed a referral: when the advocate's refunds make a pattern
/// (returns after the hold included), the advocate's other converted referrals of the
/// last 30 days go to review, where rejecting them reverses what they earned.
pub async fn after_refund(
    tx: &mut dyn StoreTx,
    program: &Program,
    referral: &mut Referral,
    now: Millis,
) -> Result<()> {
    let counts = tx
        .fraud_counts(&FraudQuery {
            program: &program.id,
            referrer: &referral.referrer_participant_id,
            exclude: &referral.id,
            now,
            windows: Windows::back_from(now),
            refunds_from: i64::from(REFUND_PATTERN_MIN_REFUNDS) - 1,
            ip_range_hash: None,
            at_most: 1,
            workspace: &program.workspace_id,
            email: None,
            email_domain: None,
            block_ip_hash: None,
            block_device: None,
            block_payment: None,
            person: "",
            advocate_person: "",
            identities: &[],
            fast_within: None,
        })
        .await?;
    let n = |v: i64| u32::try_from(v.saturating_add(1)).unwrap_or(u32::MAX);
    let evidence = Evidence {
        // This referral is one of the refunded conversions.
        advocate_refunds: n(counts.advocate_refunds),
        advocate_conversions: n(counts.advocate_conversions),
        ..Evidence::default()
    };
    let found = assess(&evidence, &program.config.fraud);
    if found.signals.is_empty() {
        return Ok(());
    }
    vouch_domain::fraud::merge(&mut referral.signals, &found.signals);
    referral.updated_at = now;
    tx.update_referral(referral).await?;
    let scopes = Windows::back_from(now).related(&found.signals);
    hold_related(tx, program, referral, &scopes, &[], now).await
}

/// When a referral is held or rejected, the earlier referrals that share its evidence
/// (the domain's [`Windows::related`] says which) and were not reviewed are held too,
/// with whatever rewards are still in their hold. Each is audited.
async fn hold_related(
    tx: &mut dyn StoreTx,
    program: &Program,
    referral: &Referral,
    scopes: &[Related],
    marks: &[IdentityMark],
    now: Millis,
) -> Result<()> {
    let mut related: Vec<(Referral, &str, Related)> = vec![];
    let fast_ms = i64::from(program.config.fraud.min_seconds_to_purchase) * 1000;
    for &scope in scopes {
        let hold = |since, range, typed_only, converted_only| vouch_store::HoldQuery {
            program: &program.id,
            referrer: &referral.referrer_participant_id,
            ip_range_hash: range,
            typed_only,
            converted_only,
            fast_within: None,
            exclude: &referral.id,
            since,
        };
        let (found, why) = match scope {
            Related::SharingIdentity => (
                tx.sharing_referrals(&program.workspace_id, marks, &referral.id)
                    .await?,
                "shares a device, card or mailbox with",
            ),
            Related::AdvocateRange(since) => match referral.ip_range_hash.as_deref() {
                Some(range) => (
                    tx.related_referrals(&hold(since, Some(range), false, false))
                        .await?,
                    "came from the same network range in the same hour as",
                ),
                None => continue,
            },
            Related::AdvocateCodes(since) => (
                tx.related_referrals(&hold(since, None, true, false))
                    .await?,
                "used the same leaked code as",
            ),
            Related::AdvocateFast(since) => (
                tx.related_referrals(&vouch_store::HoldQuery {
                    fast_within: Some(fast_ms),
                    ..hold(since, None, false, false)
                })
                .await?,
                "bought seconds after the click in the same hour as",
            ),
            Related::AdvocateConverted(since) => (
                tx.related_referrals(&hold(since, None, false, true))
                    .await?,
                "belongs to the same refund pattern as",
            ),
        };
        for r in found {
            if !related.iter().any(|(x, _, _)| x.id == r.id) {
                related.push((r, why, scope));
            }
        }
    }
    for (mut other, why, scope) in related {
        // The evidence it shares, on the referral itself, so that the review queue
        // shows (and filters) it for what it is.
        let shared: Vec<Signal> = referral
            .signals
            .iter()
            .filter(|s| scope.covers(s.code))
            .map(|s| Signal {
                explanation: format!("with {}: {}", referral.id, s.explanation),
                ..s.clone()
            })
            .collect();
        vouch_domain::fraud::merge(&mut other.signals, &shared);
        let (score, _) = vouch_domain::fraud::decide(&other.signals, &program.config.fraud);
        other.risk_score = i64::from(score);
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
            reason: Some(format!("{why} {}", referral.id)),
            data: serde_json::json!({ "related_to": referral.id, "signals": referral.signals }),
            created_at: now,
        })
        .await?;
    }
    Ok(())
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
    vouch_domain::fraud::merge(&mut referral.signals, &a.signals);
    // Everything seen so far counts, each fact once: a signal seen at signup and again
    // at purchase, or two strengths of one family, count at the strongest.
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
