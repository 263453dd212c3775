//! Attribution: which advocate a friend's signup or purchase belongs to, and whether the
//! referral counts. Order of strength: explicit click id, then referral code, then the
//! friend's earlier attributed signup (the customer row).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ClickId, ParticipantId};
use crate::{Millis, DAY_MS};

/// How a referral was attributed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributionSource {
    Click,
    ReferralCode,
    /// A coupon issued to a referred friend, reported with a purchase.
    Coupon,
}

impl AttributionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::ReferralCode => "referral_code",
            Self::Coupon => "coupon",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "click" => Some(Self::Click),
            "referral_code" => Some(Self::ReferralCode),
            "coupon" => Some(Self::Coupon),
            _ => None,
        }
    }
}

/// A click the event named, already known to belong to the event's program.
#[derive(Debug, Clone)]
pub struct ClickTouch {
    pub click_id: ClickId,
    pub participant_id: ParticipantId,
    pub clicked_at: Millis,
}

/// The advocate an event points to, and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub referrer: ParticipantId,
    pub source: AttributionSource,
    pub click_id: Option<ClickId>,
    /// When the friend met the advocate's link (the click), or the event itself when the
    /// friend typed a code: the attribution window counts from here.
    pub touched_at: Millis,
}

/// The strongest touch an event carries: its click id, else its referral code, else a
/// coupon issued to a referred friend (`coupon_owner` is the advocate who shared it).
pub fn strongest_touch(
    click: Option<ClickTouch>,
    code_owner: Option<ParticipantId>,
    coupon_owner: Option<ParticipantId>,
    event_at: Millis,
) -> Option<Touch> {
    if let Some(c) = click {
        return Some(Touch {
            referrer: c.participant_id,
            source: AttributionSource::Click,
            click_id: Some(c.click_id),
            touched_at: c.clicked_at,
        });
    }
    let (referrer, source) = match (code_owner, coupon_owner) {
        (Some(p), _) => (p, AttributionSource::ReferralCode),
        (None, Some(p)) => (p, AttributionSource::Coupon),
        (None, None) => return None,
    };
    Some(Touch {
        referrer,
        source,
        click_id: None,
        touched_at: event_at,
    })
}

/// Whether an event at `event_at` is inside the window opened at `touched_at`. An event
/// stamped slightly before its click (clock skew, backfills) still counts.
pub fn within_window(touched_at: Millis, event_at: Millis, window_days: i64) -> bool {
    event_at.saturating_sub(touched_at) <= window_days.saturating_mul(DAY_MS)
}

/// Who a person is, for "is the friend the advocate?": normalized email and the
/// merchant's own customer id.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity<'a> {
    pub email: Option<&'a str>,
    pub external_id: Option<&'a str>,
}

impl Identity<'_> {
    pub fn same_person(&self, other: &Identity<'_>) -> bool {
        let eq = |a: Option<&str>, b: Option<&str>| matches!((a, b), (Some(x), Some(y)) if x == y);
        eq(self.email, other.email) || eq(self.external_id, other.external_id)
    }
}

/// Why a referral earns nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The friend is the advocate (same normalized email or same customer id).
    SelfReferral,
    /// The qualifying event came after the attribution window closed.
    OutsideWindow,
    /// The advocate is blocked.
    AdvocateInactive,
    /// The program was paused when the friend came. Judged again when the friend comes
    /// back after the program resumes.
    ProgramPaused,
    /// The qualifying purchase fell before the program's start or after its end.
    OutsideSchedule,
    /// The fraud rules rejected it, or a reviewer did; its signals say why.
    Fraud,
    /// The friend had already bought without a referral: not a new customer.
    ExistingCustomer,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SelfReferral => "self_referral",
            Self::OutsideWindow => "outside_window",
            Self::AdvocateInactive => "advocate_inactive",
            Self::ProgramPaused => "program_paused",
            Self::OutsideSchedule => "outside_schedule",
            Self::Fraud => "fraud",
            Self::ExistingCustomer => "existing_customer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "self_referral" => Some(Self::SelfReferral),
            "outside_window" => Some(Self::OutsideWindow),
            "advocate_inactive" => Some(Self::AdvocateInactive),
            "program_paused" => Some(Self::ProgramPaused),
            "outside_schedule" => Some(Self::OutsideSchedule),
            "fraud" => Some(Self::Fraud),
            "existing_customer" => Some(Self::ExistingCustomer),
            _ => None,
        }
    }
}

impl RejectReason {
    /// Whether a referral rejected for this reason is judged again when the friend
    /// comes back (the pause is over then, or not): every other verdict is final.
    pub fn judged_again(self) -> bool {
        self == Self::ProgramPaused
    }
}

/// Who is being referred, by whom, and where they both stand.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub advocate: Identity<'a>,
    /// Not blocked.
    pub advocate_active: bool,
    /// Not paused.
    pub program_active: bool,
    pub friend: Identity<'a>,
    /// The friend already bought without a referral.
    pub existing_customer: bool,
}

/// The verdict on a new referral: `None` when it counts.
pub fn judge_referral(
    c: &Candidate<'_>,
    touch: &Touch,
    event_at: Millis,
    window_days: i64,
) -> Option<RejectReason> {
    if c.advocate.same_person(&c.friend) {
        return Some(RejectReason::SelfReferral);
    }
    if c.existing_customer {
        return Some(RejectReason::ExistingCustomer);
    }
    if !c.advocate_active {
        return Some(RejectReason::AdvocateInactive);
    }
    if !c.program_active {
        return Some(RejectReason::ProgramPaused);
    }
    if !within_window(touch.touched_at, event_at, window_days) {
        return Some(RejectReason::OutsideWindow);
    }
    None
}

/// Where a referral is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferralStatus {
    Clicked,
    SignedUp,
    /// The friend made a qualifying purchase; rewards are pending their hold.
    Converted,
    /// Every reward of the conversion is approved.
    Rewarded,
    /// Earns nothing; `reason` says why.
    Rejected,
    /// The qualifying purchase was refunded.
    Reversed,
}

impl ReferralStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clicked => "clicked",
            Self::SignedUp => "signed_up",
            Self::Converted => "converted",
            Self::Rewarded => "rewarded",
            Self::Rejected => "rejected",
            Self::Reversed => "reversed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "clicked" => Self::Clicked,
            "signed_up" => Self::SignedUp,
            "converted" => Self::Converted,
            "rewarded" => Self::Rewarded,
            "rejected" => Self::Rejected,
            "reversed" => Self::Reversed,
            _ => return None,
        })
    }

    /// Referrals that can still be held for review: not rejected, not reversed.
    pub const HOLDABLE: [Self; 4] = [
        Self::Clicked,
        Self::SignedUp,
        Self::Converted,
        Self::Rewarded,
    ];

    /// Converted and not reversed: what tiers and milestones count.
    pub const CONVERTED: [Self; 2] = [Self::Converted, Self::Rewarded];
    /// Every referral that converted once, reversed or not: what a refund rate divides by.
    pub const EVER_CONVERTED: [Self; 3] = [Self::Converted, Self::Rewarded, Self::Reversed];

    /// A purchase converts a referral only once: the first qualifying purchase.
    pub fn awaits_conversion(self) -> bool {
        matches!(self, Self::Clicked | Self::SignedUp)
    }

    /// A signup moves a clicked referral forward and leaves later states alone.
    pub fn after_signup(self) -> Self {
        match self {
            Self::Clicked => Self::SignedUp,
            s => s,
        }
    }

    /// A refund of the converting order reverses a converted or rewarded referral.
    pub fn after_refund(self) -> Self {
        match self {
            Self::Converted | Self::Rewarded => Self::Reversed,
            s => s,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn touch(at: Millis) -> Touch {
        Touch {
            referrer: ParticipantId::new(),
            source: AttributionSource::Click,
            click_id: None,
            touched_at: at,
        }
    }

    #[test]
    fn click_beats_code() {
        let click = ClickTouch {
            click_id: ClickId::new(),
            participant_id: ParticipantId::new(),
            clicked_at: 5,
        };
        let other = ParticipantId::new();
        let t = strongest_touch(Some(click.clone()), Some(other.clone()), None, 10).unwrap();
        assert_eq!(t.referrer, click.participant_id);
        assert_eq!(t.touched_at, 5);
        let t = strongest_touch(None, Some(other.clone()), None, 10).unwrap();
        assert_eq!(
            (t.referrer, t.source, t.touched_at),
            (other, AttributionSource::ReferralCode, 10)
        );
        assert!(strongest_touch(None, None, None, 10).is_none());
    }

    fn cand<'a>(advocate: Identity<'a>, friend: Identity<'a>) -> Candidate<'a> {
        Candidate {
            advocate,
            advocate_active: true,
            program_active: true,
            friend,
            existing_customer: false,
        }
    }

    #[test]
    fn verdicts_come_in_order_self_referral_existing_customer_blocked_paused_window() {
        let adv = Identity {
            email: Some("a@x.com"),
            external_id: None,
        };
        let friend = Identity {
            email: Some("b@x.com"),
            external_id: None,
        };
        let late = 31 * DAY_MS;
        let mut c = cand(adv, friend);
        c.existing_customer = true;
        c.advocate_active = false;
        c.program_active = false;
        assert_eq!(
            judge_referral(&c, &touch(0), late, 30),
            Some(RejectReason::ExistingCustomer)
        );
        c.existing_customer = false;
        assert_eq!(
            judge_referral(&c, &touch(0), late, 30),
            Some(RejectReason::AdvocateInactive)
        );
        c.advocate_active = true;
        assert_eq!(
            judge_referral(&c, &touch(0), late, 30),
            Some(RejectReason::ProgramPaused)
        );
        assert!(RejectReason::ProgramPaused.judged_again());
        assert!(!RejectReason::ExistingCustomer.judged_again());
        c.program_active = true;
        assert_eq!(
            judge_referral(&c, &touch(0), late, 30),
            Some(RejectReason::OutsideWindow)
        );
    }

    #[test]
    fn self_referral_wins_over_window() {
        let me = Identity {
            email: Some("a@x.com"),
            external_id: None,
        };
        let r = judge_referral(&cand(me, me), &touch(0), 100 * DAY_MS, 30);
        assert_eq!(r, Some(RejectReason::SelfReferral));
        let same_ext = Identity {
            email: Some("b@x.com"),
            external_id: Some("42"),
        };
        let adv = Identity {
            email: Some("a@x.com"),
            external_id: Some("42"),
        };
        assert_eq!(
            judge_referral(&cand(adv, same_ext), &touch(0), 0, 30),
            Some(RejectReason::SelfReferral)
        );
    }

    #[test]
    fn window_is_inclusive_of_its_last_millisecond() {
        let adv = Identity {
            email: Some("a@x.com"),
            external_id: None,
        };
        let friend = Identity {
            email: Some("b@x.com"),
            external_id: None,
        };
        assert_eq!(
            judge_referral(&cand(adv, friend), &touch(0), 30 * DAY_MS, 30),
            None
        );
        assert_eq!(
            judge_referral(&cand(adv, friend), &touch(0), 30 * DAY_MS + 1, 30),
            Some(RejectReason::OutsideWindow)
        );
    }

    #[test]
    fn missing_identities_are_never_the_same_person() {
        let none = Identity::default();
        assert!(!none.same_person(&none));
    }

    proptest! {
        #[test]
        fn window_never_overflows(t in any::<i64>(), e in any::<i64>(), d in 0i64..10_000) {
            let _ = within_window(t, e, d);
        }

        #[test]
        fn statuses_round_trip(i in 0usize..6) {
            let all = [ReferralStatus::Clicked, ReferralStatus::SignedUp, ReferralStatus::Converted,
                ReferralStatus::Rewarded, ReferralStatus::Rejected, ReferralStatus::Reversed];
            prop_assert_eq!(ReferralStatus::parse(all[i].as_str()), Some(all[i]));
        }
    }
}
