//! Fraud: explainable signals, a risk score per referral, and the decision the
//! program's thresholds give it. The server gathers the evidence (hashed networks,
//! devices, counts); this module only weighs it.
//!
//! Each signal has a stable code, a weight and a sentence a person can act on. The
//! score is the sum of the weights, at most 100. Below `review_score` the referral
//! counts as usual; from it, its rewards wait for a person in the review queue; from
//! `reject_score`, it is rejected. One strong signal (the friend's device or card is the
//! advocate's, a merchant block list) rejects on its own; weaker ones only hold for
//! review, and only together.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Millis, Result};

/// What a signal says, as a stable machine code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignalCode {
    /// The friend used the advocate's own device.
    SameDevice,
    /// The friend paid with the advocate's own card or payment account.
    SamePayment,
    /// The friend came from the advocate's network with the advocate's browser.
    SameNetworkAndBrowser,
    /// The friend came from the advocate's network (a household, or the advocate).
    SameNetwork,
    /// Several friends of this advocate share one network or device.
    SharedByFriends,
    /// The friend's email is at a disposable-address provider.
    DisposableEmail,
    /// The merchant's block list names the friend's email, domain or network.
    BlockList,
    /// More referrals for this advocate in the last hour than the program allows.
    VelocityHour,
    /// More referrals for this advocate in the last day than the program allows.
    VelocityDay,
    /// Many referrals from one network range in the last day.
    NetworkRangeVelocity,
    /// The purchase came implausibly soon after the click.
    FastPurchase,
    /// Many of this advocate's referrals were refunded.
    RefundPattern,
    /// The advocate's code is used by implausibly many people who never clicked a link.
    CodeLeakage,
    /// The friend arrived from a coupon-aggregator site.
    CouponSite,
}

impl SignalCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SameDevice => "same_device",
            Self::SamePayment => "same_payment",
            Self::SameNetworkAndBrowser => "same_network_and_browser",
            Self::SameNetwork => "same_network",
            Self::SharedByFriends => "shared_by_friends",
            Self::DisposableEmail => "disposable_email",
            Self::BlockList => "block_list",
            Self::VelocityHour => "velocity_hour",
            Self::VelocityDay => "velocity_day",
            Self::NetworkRangeVelocity => "network_range_velocity",
            Self::FastPurchase => "fast_purchase",
            Self::RefundPattern => "refund_pattern",
            Self::CodeLeakage => "code_leakage",
            Self::CouponSite => "coupon_site",
        }
    }

    /// How much the signal adds to the score.
    pub fn weight(self) -> u32 {
        match self {
            Self::SameDevice | Self::SamePayment | Self::BlockList => 100,
            Self::SameNetworkAndBrowser => 60,
            Self::DisposableEmail | Self::CouponSite | Self::CodeLeakage => 45,
            Self::SharedByFriends | Self::NetworkRangeVelocity => 45,
            // An influencer's post looks like a burst: velocity alone never holds.
            Self::VelocityHour => 30,
            Self::RefundPattern => 45,
            // Quick buyers exist: timing only adds to other signals.
            Self::FastPurchase | Self::VelocityDay => 25,
            Self::SameNetwork => 20,
        }
    }
}

/// One reason a referral looks risky.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Signal {
    pub code: SignalCode,
    pub weight: u32,
    /// For a person reviewing it.
    pub explanation: String,
}

/// A refund pattern needs at least this many refunded referrals (and at least half of
/// the advocate's conversions refunded): below it, refunds are ordinary.
pub const REFUND_PATTERN_MIN_REFUNDS: u32 = 3;

/// The windows the velocity rules count in, back from a referral's touch (its click,
/// or the event), so backfilled events are judged by when they happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Referrals touched since this instant count for `velocity_hour`.
    pub hour_since: Millis,
    /// And since this one for `velocity_day`, code leakage and a network range.
    pub day_since: Millis,
}

impl Windows {
    pub fn back_from(touched_at: Millis) -> Self {
        const HOUR: Millis = 3_600_000;
        Self {
            hour_since: touched_at - HOUR,
            day_since: touched_at - 24 * HOUR,
        }
    }

    /// When a burst shows (velocity, a ring, a leaked code, a network range), the
    /// earlier referrals of the same burst look the same in hindsight: which of them to
    /// hold too. The advocate's referrals since the first instant; the network range's
    /// since the second.
    pub fn burst(self, signals: &[Signal]) -> (Option<Millis>, Option<Millis>) {
        use SignalCode as C;
        let has = |c: C| signals.iter().any(|s| s.code == c);
        let advocate = if has(C::VelocityHour) {
            Some(self.hour_since)
        } else if has(C::VelocityDay) || has(C::CodeLeakage) || has(C::SharedByFriends) {
            Some(self.day_since)
        } else {
            None
        };
        let range = has(C::NetworkRangeVelocity).then_some(self.day_since);
        (advocate, range)
    }
}

/// What a program does with risky referrals; every field has a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FraudSettings {
    /// Scores from here hold the referral's rewards for review (default 40).
    pub review_score: u32,
    /// Scores from here reject the referral (default 80).
    pub reject_score: u32,
    /// Referrals per advocate per hour before `velocity_hour` (default 5).
    pub max_referrals_per_hour: u32,
    /// Referrals per advocate per day before `velocity_day` (default 20).
    pub max_referrals_per_day: u32,
    /// Referrals from one network range (/24, /48) per day (default 4).
    pub max_referrals_per_network_day: u32,
    /// A purchase sooner than this after the click is `fast_purchase` (default 30).
    pub min_seconds_to_purchase: u32,
    /// Typed-code referrals per advocate per day, without a click, before
    /// `code_leakage` (default 25).
    pub max_code_referrals_per_day: u32,
}

impl Default for FraudSettings {
    fn default() -> Self {
        Self {
            review_score: 40,
            reject_score: 80,
            max_referrals_per_hour: 5,
            max_referrals_per_day: 20,
            max_referrals_per_network_day: 4,
            min_seconds_to_purchase: 30,
            max_code_referrals_per_day: 25,
        }
    }
}

impl FraudSettings {
    pub fn validate(&self) -> Result<()> {
        if !(1..=100).contains(&self.review_score) {
            return Err(DomainError::invalid("review_score", "must be 1 to 100"));
        }
        if self.reject_score < self.review_score || self.reject_score > 101 {
            return Err(DomainError::invalid(
                "reject_score",
                "must be at least review_score and at most 101 (never reject)",
            ));
        }
        let positive = [
            ("max_referrals_per_hour", self.max_referrals_per_hour),
            ("max_referrals_per_day", self.max_referrals_per_day),
            (
                "max_referrals_per_network_day",
                self.max_referrals_per_network_day,
            ),
            (
                "max_code_referrals_per_day",
                self.max_code_referrals_per_day,
            ),
        ];
        for (field, v) in positive {
            if v == 0 {
                return Err(DomainError::invalid(field, "must be greater than 0"));
            }
        }
        Ok(())
    }
}

/// What the server found out about a referral; every count excludes this referral.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    pub same_device: bool,
    pub same_payment: bool,
    pub same_network: bool,
    pub same_browser: bool,
    /// Other friends of this advocate on the friend's network or device.
    pub friends_sharing: u32,
    pub disposable_email: bool,
    /// What the merchant's block list matched (`email`, `domain`, `ip`).
    pub blocked: Option<String>,
    pub advocate_referrals_hour: u32,
    pub advocate_referrals_day: u32,
    pub network_range_referrals_day: u32,
    /// Seconds from the click to this purchase, when both are known.
    pub seconds_to_purchase: Option<i64>,
    pub advocate_conversions: u32,
    pub advocate_refunds: u32,
    /// Typed-code referrals of this advocate in the last day, without a click.
    pub code_referrals_day: u32,
    /// The host of a coupon-aggregator site the click came from.
    pub coupon_site: Option<String>,
}

/// What the thresholds make of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Review,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Review => "review",
            Self::Reject => "reject",
        }
    }
}

/// A referral's risk: its signals, their score and the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    pub score: u32,
    pub decision: Decision,
    pub signals: Vec<Signal>,
}

/// Weighs the evidence.
pub fn assess(e: &Evidence, s: &FraudSettings) -> Assessment {
    let mut signals = vec![];
    let mut add = |code: SignalCode, explanation: String| {
        signals.push(Signal {
            code,
            weight: code.weight(),
            explanation,
        })
    };
    if e.same_device {
        add(
            SignalCode::SameDevice,
            "the friend used the advocate's own device".into(),
        );
    }
    if e.same_payment {
        add(
            SignalCode::SamePayment,
            "the friend paid with the advocate's own payment method".into(),
        );
    }
    match (e.same_network, e.same_browser) {
        (true, true) => add(
            SignalCode::SameNetworkAndBrowser,
            "the friend came from the advocate's network, with the same browser".into(),
        ),
        (true, false) => add(
            SignalCode::SameNetwork,
            "the friend came from the advocate's network (a household can explain it)".into(),
        ),
        _ => {}
    }
    if e.friends_sharing >= 2 {
        add(
            SignalCode::SharedByFriends,
            format!(
                "{} other friends of this advocate used the same network or device",
                e.friends_sharing
            ),
        );
    }
    if e.disposable_email {
        add(
            SignalCode::DisposableEmail,
            "the friend's email is at a disposable-address provider".into(),
        );
    }
    if let Some(what) = &e.blocked {
        add(
            SignalCode::BlockList,
            format!("the block list names the friend's {what}"),
        );
    }
    if e.advocate_referrals_hour >= s.max_referrals_per_hour {
        add(
            SignalCode::VelocityHour,
            format!(
                "the advocate had {} other referrals in the last hour (limit {})",
                e.advocate_referrals_hour, s.max_referrals_per_hour
            ),
        );
    } else if e.advocate_referrals_day >= s.max_referrals_per_day {
        add(
            SignalCode::VelocityDay,
            format!(
                "the advocate had {} other referrals in the last day (limit {})",
                e.advocate_referrals_day, s.max_referrals_per_day
            ),
        );
    }
    if e.network_range_referrals_day >= s.max_referrals_per_network_day {
        add(
            SignalCode::NetworkRangeVelocity,
            format!(
                "{} other referrals came from the same network range in the last day",
                e.network_range_referrals_day
            ),
        );
    }
    if let Some(secs) = e.seconds_to_purchase {
        if (0..i64::from(s.min_seconds_to_purchase)).contains(&secs) {
            add(
                SignalCode::FastPurchase,
                format!("the purchase came {secs} s after the click"),
            );
        }
    }
    if e.advocate_refunds >= REFUND_PATTERN_MIN_REFUNDS
        && e.advocate_refunds * 2 >= e.advocate_conversions
    {
        add(
            SignalCode::RefundPattern,
            format!(
                "{} of the advocate's {} converted referrals were refunded",
                e.advocate_refunds, e.advocate_conversions
            ),
        );
    }
    if e.code_referrals_day >= s.max_code_referrals_per_day {
        add(
            SignalCode::CodeLeakage,
            format!(
                "{} people used the advocate's code in the last day without clicking a link",
                e.code_referrals_day
            ),
        );
    }
    if let Some(host) = &e.coupon_site {
        add(
            SignalCode::CouponSite,
            format!("the friend arrived from the coupon site {host}"),
        );
    }
    let (score, decision) = decide(&signals, s);
    Assessment {
        score,
        decision,
        signals,
    }
}

/// The score of a set of signals (their weights' sum, at most 100) and what the
/// thresholds make of it.
pub fn decide(signals: &[Signal], s: &FraudSettings) -> (u32, Decision) {
    let score = signals.iter().map(|x| x.weight).sum::<u32>().min(100);
    let decision = if score >= s.reject_score {
        Decision::Reject
    } else if score >= s.review_score {
        Decision::Review
    } else {
        Decision::Approve
    };
    (score, decision)
}

/// Whether an address identifies a network on the internet. Loopback, private,
/// link-local and carrier-internal addresses say where a proxy or a test runs, not who
/// the person is: they never count as "the same network".
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        std::net::IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// A set of domains (disposable-address providers, coupon sites): one per line, `#`
/// comments. A domain matches itself and its subdomains.
#[derive(Debug, Clone, Default)]
pub struct DomainList(HashSet<String>);

impl DomainList {
    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| !l.is_empty())
                .map(|l| l.trim_start_matches("*.").to_ascii_lowercase())
                .collect(),
        )
    }

    /// The disposable-address providers Vouch ships with.
    pub fn disposable() -> Self {
        Self::parse(include_str!("../data/disposable_domains.txt"))
    }

    /// Coupon-aggregator sites whose referrals suggest a leaked code.
    pub fn coupon_sites() -> Self {
        Self::parse(include_str!("../data/coupon_sites.txt"))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `domain` or one of its parent domains is listed.
    pub fn contains(&self, domain: &str) -> bool {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut rest = d.as_str();
        loop {
            if self.0.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests;
