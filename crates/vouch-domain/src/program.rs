//! A program's rules: where its links go, how long and how a click counts, how long a
//! reward is held, and what each side earns.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::Money;
use crate::redirect::{host_allowed, normalize_domain};
use crate::{DomainError, Millis, Result};

/// Which click wins when a friend clicked more than one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttributionModel {
    /// The first click inside the window keeps the friend.
    FirstClick,
    /// The most recent click takes the friend (default).
    #[default]
    LastClick,
}

impl AttributionModel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FirstClick => "first_click",
            Self::LastClick => "last_click",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "first_click" => Some(Self::FirstClick),
            "last_click" => Some(Self::LastClick),
            _ => None,
        }
    }
}

mod friend;
mod steps;
pub use friend::*;
pub use steps::*;

use crate::reward::Role;
use crate::rules::{AdvocateCap, Boost, Milestone, MultiLevel, Rules};
pub use crate::rules::{RewardKind, RewardRule};

/// Limits on what the program pays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    /// What one advocate may earn per period (count and amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_advocate: Option<AdvocateCap>,
    /// The program's total budget: rewards that would exceed it are not created.
    /// Points count at `points_value`; rewards in other currencies are not counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
}

impl Caps {
    pub fn is_empty(&self) -> bool {
        self.per_advocate.is_none() && self.budget.is_none()
    }
}

/// Limits that keep configurations sane (a 10-year window is already generous).
pub const MAX_WINDOW_DAYS: i64 = 3650;
pub const MAX_HOLD_DAYS: i64 = 365;

/// A program's validated configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramConfig {
    pub name: String,
    pub destination_url: String,
    pub allowed_domains: Vec<String>,
    pub attribution_window_days: i64,
    pub attribution_model: AttributionModel,
    pub hold_days: i64,
    pub referrer_reward: Option<RewardRule>,
    pub referee_reward: Option<RewardRule>,
    /// Purchases before this instant earn nothing (`None`: since creation).
    #[serde(default)]
    pub starts_at: Option<Millis>,
    /// Purchases after this instant earn nothing (`None`: open-ended).
    #[serde(default)]
    pub ends_at: Option<Millis>,
    /// Promotions that multiply rewards between two instants.
    #[serde(default)]
    pub boosts: Vec<Boost>,
    /// One-off bonuses for reaching a number of referrals in a period.
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    #[serde(default)]
    pub caps: Caps,
    /// Given to every participant who joins (not to friends enrolled by a purchase).
    #[serde(default)]
    pub welcome_reward: Option<RewardRule>,
    /// Off unless set: the referrer's own referrer earns a share.
    #[serde(default)]
    pub multi_level: Option<MultiLevel>,
    /// What one point is worth (for budgets and reports).
    #[serde(default)]
    pub points_value: Option<Money>,
    /// Cash balances below this are not paid out yet (other currencies: no minimum).
    #[serde(default)]
    pub payout_threshold: Option<Money>,
    /// Risk thresholds and limits; defaults apply without configuring anything.
    #[serde(default)]
    pub fraud: crate::fraud::FraudSettings,
    /// The friend page (off: links redirect straight to the shop).
    #[serde(default)]
    pub friend_page: FriendPage,
    /// A visitor's repeat clicks on one link within this many hours count once as a
    /// unique click (default 24).
    #[serde(default = "default_unique_window")]
    pub unique_click_window_hours: i64,
    /// Which emails the program sends, and the share reminder's delay.
    #[serde(default)]
    pub emails: crate::notification::EmailSettings,
    /// Ask the merchant before each reward stands (`reward.requested`); off unless set.
    #[serde(default)]
    pub reward_check: Option<crate::webhook::RewardCheck>,
    /// The IANA time zone its reports count days in (`Asia/Riyadh`); UTC unless set.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The share of customers (0–90%) kept away from the program to measure its lift;
    /// 0 (the default) shows the program to everyone.
    #[serde(default)]
    pub holdout_percent: u8,
    /// When the holdout last changed: the lift is measured from then on, as earlier
    /// customers were grouped differently.
    #[serde(default)]
    pub holdout_since: Option<Millis>,
}

fn default_unique_window() -> i64 {
    crate::click::DEFAULT_UNIQUE_WINDOW_HOURS
}

impl ProgramConfig {
    /// The group of the customer with this normalized email or external id under the
    /// workspace's `key`: everyone is exposed without a holdout; `None` when neither
    /// identity is known.
    pub fn holdout_group(
        &self,
        key: &str,
        program_id: &str,
        email_normalized: Option<&str>,
        external_id: Option<&str>,
    ) -> Option<crate::holdout::Group> {
        let who = crate::holdout::identity(email_normalized, external_id)?;
        if self.holdout_percent == 0 {
            return Some(crate::holdout::Group::Exposed);
        }
        let b = crate::holdout::bucket(key, program_id, &who);
        Some(crate::holdout::group_of(b, self.holdout_percent))
    }

    /// Whether a qualifying event at `at` falls inside the program's schedule.
    pub fn in_schedule(&self, at: Millis) -> bool {
        self.starts_at.is_none_or(|s| at >= s) && self.ends_at.is_none_or(|e| at <= e)
    }

    /// Checks every field and normalizes domains; the first problem names its field.
    pub fn validate(mut self) -> Result<Self> {
        self.name = self.name.trim().to_owned();
        if self.name.is_empty() || self.name.chars().count() > 200 {
            return Err(DomainError::invalid("name", "must be 1 to 200 characters"));
        }
        let dest = url::Url::parse(self.destination_url.trim()).map_err(|_| {
            DomainError::invalid("destination_url", "must be an absolute http(s) URL")
        })?;
        if !matches!(dest.scheme(), "http" | "https") || dest.host_str().is_none() {
            return Err(DomainError::invalid(
                "destination_url",
                "must be an absolute http(s) URL",
            ));
        }
        self.destination_url = dest.to_string();
        let host = dest.host_str().unwrap_or_default().to_ascii_lowercase();
        if self.allowed_domains.is_empty() {
            self.allowed_domains = vec![host.clone()];
        }
        let mut domains = Vec::with_capacity(self.allowed_domains.len());
        for (i, d) in self.allowed_domains.iter().enumerate() {
            let d = normalize_domain(d).ok_or_else(|| {
                DomainError::invalid(
                    format!("allowed_domains[{i}]"),
                    "must be a host name such as shop.example.com or *.example.com",
                )
            })?;
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
        self.allowed_domains = domains;
        if !host_allowed(&host, &self.allowed_domains) {
            return Err(DomainError::invalid(
                "destination_url",
                "host must be one of allowed_domains",
            ));
        }
        if !(1..=MAX_WINDOW_DAYS).contains(&self.attribution_window_days) {
            return Err(DomainError::invalid(
                "attribution_window_days",
                format!("must be between 1 and {MAX_WINDOW_DAYS}"),
            ));
        }
        if !(0..=MAX_HOLD_DAYS).contains(&self.hold_days) {
            return Err(DomainError::invalid(
                "hold_days",
                format!("must be between 0 and {MAX_HOLD_DAYS}"),
            ));
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at) {
            if end <= start {
                return Err(DomainError::invalid("ends_at", "must be after starts_at"));
            }
        }
        if let Some(r) = &self.referrer_reward {
            r.validate(Some(Role::Referrer))
                .map_err(|e| e.within("referrer_reward"))?;
        }
        if let Some(r) = &self.referee_reward {
            r.validate(Some(Role::Referee))
                .map_err(|e| e.within("referee_reward"))?;
        }
        if let Some(r) = &self.welcome_reward {
            r.validate(None).map_err(|e| e.within("welcome_reward"))?;
        }
        self.validate_limits()?;
        self.fraud.validate().map_err(|e| e.within("fraud"))?;
        self.friend_page
            .validate()
            .map_err(|e| e.within("friend_page"))?;
        self.emails.validate().map_err(|e| e.within("emails"))?;
        if let Some(c) = &self.reward_check {
            c.validate().map_err(|e| e.within("reward_check"))?;
        }
        if let Some(z) = &self.time_zone {
            if crate::analytics::zone(z).is_none() {
                return Err(DomainError::invalid(
                    "time_zone",
                    "must be an IANA time zone such as Asia/Riyadh or America/New_York",
                ));
            }
        }
        if self.holdout_percent > crate::holdout::MAX_HOLDOUT_PERCENT {
            return Err(DomainError::invalid(
                "holdout_percent",
                format!(
                    "must be between 0 and {}",
                    crate::holdout::MAX_HOLDOUT_PERCENT
                ),
            ));
        }
        if self.unique_click_window_hours == 0 {
            self.unique_click_window_hours = default_unique_window();
        }
        if !(1..=24 * 90).contains(&self.unique_click_window_hours) {
            return Err(DomainError::invalid(
                "unique_click_window_hours",
                "must be between 1 and 2160 (90 days)",
            ));
        }
        Ok(self)
    }

    fn validate_limits(&self) -> Result<()> {
        if self.boosts.len() > 50 || self.milestones.len() > 20 {
            return Err(DomainError::invalid(
                if self.boosts.len() > 50 {
                    "boosts"
                } else {
                    "milestones"
                },
                "has too many entries",
            ));
        }
        for (i, b) in self.boosts.iter().enumerate() {
            if b.ends_at <= b.starts_at {
                return Err(DomainError::invalid(
                    format!("boosts[{i}].ends_at"),
                    "must be after starts_at",
                ));
            }
            if matches!(b.role, Some(Role::SecondLevel | Role::Participant)) {
                return Err(DomainError::invalid(
                    format!("boosts[{i}].role"),
                    "must be referrer or referee",
                ));
            }
        }
        for (i, m) in self.milestones.iter().enumerate() {
            if !(1..=100_000).contains(&m.referrals) {
                return Err(DomainError::invalid(
                    format!("milestones[{i}].referrals"),
                    "must be between 1 and 100000",
                ));
            }
            m.reward
                .validate(None)
                .map_err(|e| e.within(&format!("milestones[{i}].reward")))?;
        }
        if let Some(cap) = &self.caps.per_advocate {
            if cap.max_rewards.is_none() && cap.max_amount.is_none() {
                return Err(DomainError::invalid(
                    "caps.per_advocate",
                    "give max_rewards, max_amount or both",
                ));
            }
            if cap.max_rewards == Some(0) {
                return Err(DomainError::invalid(
                    "caps.per_advocate.max_rewards",
                    "must be greater than 0",
                ));
            }
            if cap.max_amount.is_some_and(|m| m.amount <= 0) {
                return Err(DomainError::invalid(
                    "caps.per_advocate.max_amount.amount",
                    "must be greater than 0",
                ));
            }
        }
        let positive = |field: &str, m: &Option<Money>| match m {
            Some(m) if m.amount <= 0 || m.amount > crate::rules::MAX_AMOUNT => Err(
                DomainError::invalid(format!("{field}.amount"), "must be greater than 0"),
            ),
            _ => Ok(()),
        };
        positive("caps.budget", &self.caps.budget)?;
        positive("points_value", &self.points_value)?;
        positive("payout_threshold", &self.payout_threshold)?;
        Ok(())
    }

    /// The reward rules, for [`crate::rules::evaluate`].
    pub fn rules(&self) -> Rules<'_> {
        Rules {
            referrer: self.referrer_reward.as_ref(),
            referee: self.referee_reward.as_ref(),
            milestones: &self.milestones,
            boosts: &self.boosts,
            advocate_cap: self.caps.per_advocate.as_ref(),
            budget: self.caps.budget,
            points_value: self.points_value,
            multi_level: self.multi_level.as_ref(),
            hold_days: self.hold_days,
        }
    }

    /// Said in the API response whenever multi-level rewards are on.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = vec![];
        if self.multi_level.is_some() {
            w.push(
                "multi_level: paying a referrer's own referrer can make a program a \
                 multi-level marketing scheme, which is regulated or prohibited in some \
                 jurisdictions; check the rules where you operate."
                    .to_owned(),
            );
        }
        w
    }
}

/// A URL-safe slug from a program name; falls back to `program` for names with no
/// ASCII letters (Arabic names, say). The store appends a suffix when a slug is taken.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "program".to_owned()
    } else {
        slug.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn config() -> ProgramConfig {
        ProgramConfig {
            name: "Spring".into(),
            destination_url: "https://shop.example.com/welcome?utm=x".into(),
            allowed_domains: vec![],
            attribution_window_days: 30,
            attribution_model: AttributionModel::LastClick,
            hold_days: 14,
            referrer_reward: Some(RewardRule::fixed(
                RewardKind::Credit,
                1000,
                Currency::parse("c", "USD").unwrap(),
            )),
            referee_reward: None,
            starts_at: None,
            ends_at: None,
            ..ProgramConfig::default()
        }
    }

    #[test]
    fn schedule_bounds_are_inclusive_and_ordered() {
        let mut c = config();
        c.starts_at = Some(100);
        c.ends_at = Some(200);
        let c = c.validate().unwrap();
        assert!(
            !c.in_schedule(99) && c.in_schedule(100) && c.in_schedule(200) && !c.in_schedule(201)
        );
        let mut bad = config();
        bad.starts_at = Some(200);
        bad.ends_at = Some(200);
        assert!(
            matches!(bad.validate(), Err(DomainError::Invalid { field, .. }) if field == "ends_at")
        );
        assert!(config().in_schedule(i64::MIN));
    }

    #[test]
    fn allowed_domains_default_to_the_destination_host() {
        let c = config().validate().unwrap();
        assert_eq!(c.allowed_domains, vec!["shop.example.com"]);
    }

    #[test]
    fn destination_outside_allowed_domains_is_rejected() {
        let mut c = config();
        c.allowed_domains = vec!["other.com".into()];
        let e = c.validate().unwrap_err();
        assert_eq!(
            e,
            DomainError::invalid("destination_url", "host must be one of allowed_domains")
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let mut c = config();
        c.referrer_reward.as_mut().unwrap().amount = Some(-5);
        assert!(
            matches!(c.validate(), Err(DomainError::Invalid { field, .. }) if field == "referrer_reward.amount")
        );
        let mut c = config();
        c.destination_url = "javascript:alert(1)".into();
        assert!(
            matches!(c.validate(), Err(DomainError::Invalid { field, .. }) if field == "destination_url")
        );
        let mut c = config();
        c.attribution_window_days = 0;
        assert!(
            matches!(c.validate(), Err(DomainError::Invalid { field, .. }) if field == "attribution_window_days")
        );
    }

    #[test]
    fn slugs_are_ascii_and_never_empty() {
        assert_eq!(slugify("Summer Sale 2026!"), "summer-sale-2026");
        assert_eq!(slugify("برنامج الإحالة"), "program");
    }
}
