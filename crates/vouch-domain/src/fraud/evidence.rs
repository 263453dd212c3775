//! What the use cases found out about a referral, and the signals it makes.

use super::{
    decide, Assessment, FraudSettings, Signal, SignalCode, REFUND_PATTERN_MIN_REFUNDS,
    SCRIPTED_MIN_OTHERS, SCRIPTED_MIN_RANGE,
};

/// Other people of the workspace (not this friend, not their advocate) who showed the
/// same device, card or email identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sharing {
    /// How many distinct people.
    pub people: u32,
    /// How many of them are advocates (a ring spread over accounts).
    pub advocates: u32,
}

impl Sharing {
    fn any(self) -> bool {
        self.people > 0
    }

    /// One other person is a couple sharing a card or a family tablet as often as a
    /// ring: it holds. Two or more, or another advocate, is a ring: it rejects.
    fn weight(self) -> u32 {
        if self.people >= 2 || self.advocates >= 1 {
            80
        } else {
            45
        }
    }

    fn describe(self, what: &str) -> String {
        let others = self.people.saturating_sub(self.advocates);
        let mut parts = vec![];
        if others > 0 {
            parts.push(format!(
                "{others} other friend{}",
                if others == 1 { "" } else { "s" }
            ));
        }
        if self.advocates > 0 {
            parts.push(format!(
                "{} other advocate{}",
                self.advocates,
                if self.advocates == 1 { "" } else { "s" }
            ));
        }
        format!("shares {what} with {}", parts.join(" and "))
    }
}

/// What the use cases found out about a referral; every count excludes this referral.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    pub same_device: bool,
    pub same_payment: bool,
    /// The friend's email identity is the advocate's, spelled differently.
    pub email_alias: bool,
    /// What the merchant's block list matched (`email`, `domain`, `ip`, `device`, `payment`).
    pub blocked: Option<String>,
    pub shared_device: Sharing,
    pub shared_payment: Sharing,
    pub shared_email: Sharing,
    pub same_network: bool,
    pub same_browser: bool,
    /// The friend's device or card is known and is not the advocate's: the same
    /// network and browser string then describe a household, not the advocate.
    pub own_device_or_card: bool,
    pub disposable_email: bool,
    pub throwaway_tld: bool,
    /// The browser string says it is automated.
    pub automated_browser: bool,
    pub advocate_referrals_hour: u32,
    pub advocate_referrals_day: u32,
    /// The advocate's other referrals of the last hour from the friend's network range.
    pub advocate_range_hour: u32,
    pub network_range_referrals_day: u32,
    /// Seconds from the click to this purchase, when both are known.
    pub seconds_to_purchase: Option<i64>,
    /// Seconds from the click to this signup, when both are known.
    pub seconds_to_signup: Option<i64>,
    /// The advocate's other referrals of the last hour that signed up or bought within
    /// `min_seconds_to_purchase` of their click.
    pub advocate_fast_hour: u32,
    /// The program's other referrals of the last day from the friend's network range
    /// that signed up or bought that quickly.
    pub range_fast_day: u32,
    pub advocate_conversions: u32,
    pub advocate_refunds: u32,
    /// Typed-code referrals of this advocate without a click, in the last day and week.
    pub code_referrals_day: u32,
    pub code_referrals_week: u32,
    /// The host of a coupon-aggregator site the click came from.
    pub coupon_site: Option<String>,
}

/// Weighs the evidence.
pub fn assess(e: &Evidence, s: &FraudSettings) -> Assessment {
    let mut signals = vec![];
    let mut add = |code: SignalCode, weight: u32, explanation: String| {
        signals.push(Signal {
            code,
            weight,
            explanation,
        })
    };
    if e.same_device {
        add(
            SignalCode::SameDevice,
            100,
            "the friend used the advocate's own device".into(),
        );
    }
    if e.same_payment {
        add(
            SignalCode::SamePayment,
            100,
            "the friend paid with the advocate's own payment method".into(),
        );
    }
    if e.email_alias {
        add(
            SignalCode::EmailAlias,
            100,
            "the friend's email is the advocate's, spelled differently".into(),
        );
    }
    if let Some(what) = &e.blocked {
        add(
            SignalCode::BlockList,
            100,
            format!("the block list names the friend's {what}"),
        );
    }
    for (code, sharing, what) in [
        (SignalCode::SharedDevice, e.shared_device, "a device"),
        (SignalCode::SharedPayment, e.shared_payment, "a card"),
        (SignalCode::SharedEmail, e.shared_email, "an email address"),
    ] {
        if sharing.any() {
            add(code, sharing.weight(), sharing.describe(what));
        }
    }
    match (e.same_network, e.same_browser) {
        (true, true) => add(
            SignalCode::SameNetworkAndBrowser,
            // A browser string is shared by everyone with the same phone and system:
            // it corroborates, never identifies.
            if e.own_device_or_card { 15 } else { 25 },
            "the friend came from the advocate's network with the same browser string \
             (a household with the same phone model explains it)"
                .into(),
        ),
        (true, false) => add(
            SignalCode::SameNetwork,
            10,
            "the friend came from the advocate's network (a household or an office explains it)"
                .into(),
        ),
        _ => {}
    }
    if e.disposable_email {
        add(
            SignalCode::DisposableEmail,
            45,
            "the friend's email is at a disposable-address provider".into(),
        );
    }
    if e.throwaway_tld && !e.disposable_email {
        add(
            SignalCode::ThrowawayTld,
            40,
            "the friend's email is on a top-level domain where throwaway providers cluster".into(),
        );
    }
    if e.automated_browser {
        add(
            SignalCode::AutomatedBrowser,
            45,
            "the browser says it is automated (headless, a script or a crawler)".into(),
        );
    }
    if e.advocate_referrals_hour >= s.max_referrals_per_hour {
        add(
            SignalCode::VelocityHour,
            10,
            format!(
                "the advocate had {} other referrals in the last hour (limit {}; a viral post \
                 explains it)",
                e.advocate_referrals_hour, s.max_referrals_per_hour
            ),
        );
    } else if e.advocate_referrals_day >= s.max_referrals_per_day {
        add(
            SignalCode::VelocityDay,
            10,
            format!(
                "the advocate had {} other referrals in the last day (limit {})",
                e.advocate_referrals_day, s.max_referrals_per_day
            ),
        );
    }
    if e.advocate_range_hour >= s.max_range_referrals_per_hour {
        add(
            SignalCode::RangeBurst,
            20,
            format!(
                "{} other referrals of this advocate came from the friend's network range in the last hour",
                e.advocate_range_hour
            ),
        );
    }
    if e.network_range_referrals_day >= s.max_referrals_per_network_day {
        add(
            SignalCode::NetworkRangeVelocity,
            10,
            format!(
                "{} other referrals came from the friend's network range in the last day \
                 (an office, a campus or a mobile carrier explains it)",
                e.network_range_referrals_day
            ),
        );
    }
    let fast = |secs: Option<i64>| {
        secs.is_some_and(|secs| (0..i64::from(s.min_seconds_to_purchase)).contains(&secs))
    };
    if let (true, Some(secs)) = (fast(e.seconds_to_purchase), e.seconds_to_purchase) {
        add(
            SignalCode::FastPurchase,
            20,
            format!("the purchase came {secs} s after the click"),
        );
    }
    // People take longer than that to fill in a form; one quick person is ordinary, a
    // column of them is a script: most of an advocate's hour (a viral post has a few
    // quick buyers among many), or several from one network range in a day.
    if fast(e.seconds_to_purchase) || fast(e.seconds_to_signup) {
        let column = e.advocate_fast_hour >= SCRIPTED_MIN_OTHERS
            && e.advocate_fast_hour * 2 >= e.advocate_referrals_hour;
        if column {
            add(
                SignalCode::ScriptedCheckouts,
                45,
                format!(
                    "{} of this advocate's {} other referrals of the last hour also signed up \
                     or bought seconds after their clicks",
                    e.advocate_fast_hour, e.advocate_referrals_hour
                ),
            );
        } else if e.range_fast_day >= SCRIPTED_MIN_RANGE {
            add(
                SignalCode::ScriptedCheckouts,
                45,
                format!(
                    "{} other referrals from the friend's network range in the last day also \
                     signed up or bought seconds after their clicks",
                    e.range_fast_day
                ),
            );
        }
    }
    if e.advocate_refunds >= REFUND_PATTERN_MIN_REFUNDS
        && e.advocate_refunds * 3 >= e.advocate_conversions
    {
        add(
            SignalCode::RefundPattern,
            45,
            format!(
                "{} of the advocate's {} converted referrals were refunded",
                e.advocate_refunds, e.advocate_conversions
            ),
        );
    }
    if e.code_referrals_day >= s.max_code_referrals_per_day
        || e.code_referrals_week >= s.max_code_referrals_per_week
    {
        add(
            SignalCode::CodeLeakage,
            45,
            format!(
                "{} people used the advocate's code in the last week without clicking a link \
                 ({} in the last day)",
                e.code_referrals_week, e.code_referrals_day
            ),
        );
    }
    if let Some(host) = &e.coupon_site {
        add(
            SignalCode::CouponSite,
            45,
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
