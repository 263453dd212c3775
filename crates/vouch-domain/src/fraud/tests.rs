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
    assert_eq!(assess(&both, &s).decision, Decision::Approve);
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
fn a_household_or_an_office_is_not_the_advocate() {
    let s = FraudSettings::default();
    // Same Wi-Fi, same phone model (an identical browser string), own device and card.
    let household = Evidence {
        same_network: true,
        same_browser: true,
        own_device_or_card: true,
        ..Evidence::default()
    };
    assert_eq!(assess(&household, &s).decision, Decision::Approve);
    // Without a device or card to tell them apart, still not enough alone.
    let unknown = Evidence {
        own_device_or_card: false,
        ..household.clone()
    };
    assert_eq!(assess(&unknown, &s).decision, Decision::Approve);
    // An office: many referrals from one range, the same browser string everywhere.
    let office = Evidence {
        network_range_referrals_day: 40,
        ..household
    };
    assert_eq!(assess(&office, &s).decision, Decision::Approve);
}

#[test]
fn a_viral_post_is_not_a_burst_a_column_of_scripted_checkouts_is() {
    let s = FraudSettings::default();
    // Eighty followers in the hour, a few of whom bought at once.
    let follower = Evidence {
        advocate_referrals_hour: 80,
        advocate_referrals_day: 80,
        seconds_to_purchase: Some(12),
        advocate_fast_hour: 6,
        ..Evidence::default()
    };
    assert_eq!(assess(&follower, &s).decision, Decision::Approve);
    // Thirty accounts in the hour, nearly all signing up seconds after the click.
    let script = Evidence {
        advocate_referrals_hour: 30,
        seconds_to_signup: Some(4),
        advocate_fast_hour: 28,
        ..Evidence::default()
    };
    let a = assess(&script, &s);
    assert_eq!(a.decision, Decision::Review);
    assert!(a
        .signals
        .iter()
        .any(|x| x.code == SignalCode::ScriptedCheckouts));
    assert_eq!(
        Windows::back_from(0).related(&a.signals),
        vec![Related::AdvocateFast(-3_600_000)]
    );
}

#[test]
fn privacy_relays_are_people_new_throwaway_domains_are_not() {
    let l = DomainList::disposable();
    for relay in [
        "privaterelay.appleid.com",
        "duck.com",
        "mozmail.com",
        "slmail.me",
    ] {
        assert!(!l.contains(relay), "{relay}");
    }
    assert!(l.contains("quick-tempmail-box.com"));
    assert!(throwaway_tld("inbox-fly.icu") && throwaway_tld("x.TOP."));
    assert!(!throwaway_tld("gmail.com") && !throwaway_tld("acme.co.uk"));
    let s = FraudSettings::default();
    let e = Evidence {
        throwaway_tld: true,
        ..Evidence::default()
    };
    assert_eq!(assess(&e, &s).decision, Decision::Review);
}

#[test]
fn a_signal_seen_at_signup_and_at_purchase_counts_once() {
    let s = FraudSettings::default();
    let signup = assess(
        &Evidence {
            same_network: true,
            ..Evidence::default()
        },
        &s,
    );
    let purchase = assess(
        &Evidence {
            same_network: true,
            same_browser: true,
            ..Evidence::default()
        },
        &s,
    );
    let mut seen = signup.signals.clone();
    merge(&mut seen, &purchase.signals);
    merge(&mut seen, &purchase.signals);
    assert_eq!(seen.len(), 2);
    // Only the strongest of the network family counts: 25, not 10 + 25 + 25.
    assert_eq!(decide(&seen, &s), (25, Decision::Approve));
}

#[test]
fn identity_shared_across_people_is_a_ring() {
    let s = FraudSettings::default();
    let card = |people, advocates| {
        assess(
            &Evidence {
                shared_payment: Sharing { people, advocates },
                ..Evidence::default()
            },
            &s,
        )
    };
    assert_eq!(card(1, 0).decision, Decision::Review);
    assert_eq!(card(3, 0).decision, Decision::Reject);
    assert_eq!(card(1, 1).decision, Decision::Reject);
    assert_eq!(
        card(4, 1).signals[0].explanation,
        "shares a card with 3 other friends and 1 other advocate"
    );
    assert_eq!(
        Windows::back_from(0).related(&card(3, 0).signals),
        vec![Related::SharingIdentity]
    );
}

#[test]
fn automated_browsers_are_recognised_real_ones_are_not() {
    for bot in [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        "python-requests/2.32.3",
        "curl/8.5.0",
    ] {
        assert!(automated_browser(bot), "{bot}");
    }
    for person in [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36 Instagram 357.0.0.25.101 Android",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/485.0.0.41.107]",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ] {
        assert!(!automated_browser(person), "{person}");
    }
}

#[test]
fn the_maintained_disposable_list_is_large_and_spares_real_providers() {
    let l = DomainList::disposable();
    assert!(l.len() > 20_000, "{}", l.len());
    assert!(l.contains("mailinator.com") && l.contains("sub.yopmail.com"));
    for real in [
        "gmail.com",
        "outlook.de",
        "icloud.com",
        "proton.me",
        "gmx.de",
        "yandex.ru",
    ] {
        assert!(!l.contains(real), "{real}");
    }
    let own = DomainList::disposable_with("fresh-throwaway.example\n");
    assert!(own.contains("fresh-throwaway.example") && own.contains("mailinator.com"));
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
            shared_device: Sharing { people: counts[0] % 3, advocates: 0 },
            shared_payment: Sharing::default(),
            shared_email: Sharing::default(),
            email_alias: false,
            own_device_or_card: flags[5],
            automated_browser: false,
            advocate_range_hour: counts[3],
            code_referrals_week: counts[4],
            advocate_fast_hour: counts[2],
            range_fast_day: counts[3] % 3,
            seconds_to_signup: Some(i64::from(counts[4])),
            throwaway_tld: flags[4],
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
