use proptest::prelude::*;

use super::*;

#[test]
fn an_honest_referral_has_no_signals() {
    let a = assess(&Evidence::default(), &FraudSettings::default());
    assert_eq!((a.score, a.decision), (0, Decision::Approve));
}

#[test]
fn one_strong_signal_rejects_weak_ones_only_hold_together() {
    let s = FraudSettings::default();
    let device = Evidence {
        same_device: true,
        ..Evidence::default()
    };
    assert_eq!(assess(&device, &s).decision, Decision::Reject);
    let household = Evidence {
        same_network: true,
        ..Evidence::default()
    };
    assert_eq!(assess(&household, &s).decision, Decision::Approve);
    let day = Evidence {
        advocate_referrals_day: 30,
        ..Evidence::default()
    };
    assert_eq!(assess(&day, &s).decision, Decision::Approve);
    let both = Evidence {
        advocate_referrals_day: 30,
        same_network: true,
        ..Evidence::default()
    };
    assert_eq!(assess(&both, &s).decision, Decision::Review);
    let disposable = Evidence {
        disposable_email: true,
        ..Evidence::default()
    };
    let a = assess(&disposable, &s);
    assert_eq!(a.decision, Decision::Review);
    assert_eq!(a.signals[0].code.as_str(), "disposable_email");
}

#[test]
fn only_public_addresses_identify_a_network() {
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert!(is_public_ip(ip("203.0.113.7")) && is_public_ip(ip("2001:db8::1")));
    for local in [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.9",
        "100.64.0.1",
        "::1",
        "fd00::1",
    ] {
        assert!(!is_public_ip(ip(local)), "{local}");
    }
}

#[test]
fn thresholds_are_checked() {
    let bad = FraudSettings {
        review_score: 50,
        reject_score: 40,
        ..FraudSettings::default()
    };
    assert!(bad.validate().is_err());
    assert!(FraudSettings::default().validate().is_ok());
}

#[test]
fn domain_lists_match_subdomains_not_lookalikes() {
    let l = DomainList::parse("# c\nmailinator.com\n*.guerrillamail.com\n");
    assert!(l.contains("mailinator.com") && l.contains("x.mailinator.com"));
    assert!(l.contains("MAILINATOR.COM."));
    assert!(l.contains("sharklasers.guerrillamail.com"));
    assert!(!l.contains("notmailinator.com") && !l.contains("com"));
    assert!(DomainList::disposable().contains("mailinator.com"));
    assert!(DomainList::coupon_sites().contains("www.retailmenot.com"));
}

proptest! {
    /// More evidence never lowers the score, and the score stays within 0..=100.
    #[test]
    fn evidence_only_raises_the_score(
        flags in proptest::collection::vec(any::<bool>(), 6),
        counts in proptest::collection::vec(0u32..50, 6),
    ) {
        let s = FraudSettings::default();
        let e = Evidence {
            same_device: flags[0],
            same_payment: flags[1],
            same_network: flags[2],
            same_browser: flags[3],
            disposable_email: flags[4],
            friends_sharing: counts[0],
            advocate_referrals_hour: counts[1],
            advocate_referrals_day: counts[2],
            network_range_referrals_day: counts[3],
            advocate_conversions: counts[4] + counts[5],
            advocate_refunds: counts[5],
            code_referrals_day: counts[0],
            seconds_to_purchase: Some(i64::from(counts[1])),
            blocked: None,
            coupon_site: None,
        };
        let base = assess(&e, &s);
        prop_assert!(base.score <= 100);
        let mut more = e.clone();
        more.blocked = Some("email".into());
        more.coupon_site = Some("retailmenot.com".into());
        let worse = assess(&more, &s);
        prop_assert!(worse.score >= base.score);
        prop_assert_eq!(worse.decision, Decision::Reject);
    }
}
