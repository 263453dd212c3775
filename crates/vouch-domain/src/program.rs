//! A program's rules: where its links go, how long and how a click counts, how long a
//! reward is held, and what each side earns.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::{Currency, Money};
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

/// The kinds of reward a rule can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// Account credit, held in the participant's ledger balance.
    Credit,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "credit" => Some(Self::Credit),
            _ => None,
        }
    }
}

/// What one side earns for a referral: `{"kind": "credit", "amount": 1000, "currency": "USD"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RewardRule {
    pub kind: RewardKind,
    /// Minor units (cents); greater than zero.
    pub amount: i64,
    pub currency: Currency,
}

impl RewardRule {
    pub fn validate(&self) -> Result<()> {
        if self.amount <= 0 {
            return Err(DomainError::invalid("amount", "must be greater than 0"));
        }
        if self.amount > 1_000_000_000_000 {
            return Err(DomainError::invalid("amount", "is too large"));
        }
        Ok(())
    }

    pub fn money(&self) -> Money {
        Money::new(self.amount, self.currency)
    }
}

/// Limits that keep configurations sane (a 10-year window is already generous).
pub const MAX_WINDOW_DAYS: i64 = 3650;
pub const MAX_HOLD_DAYS: i64 = 365;

/// A program's validated configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

impl ProgramConfig {
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
            r.validate().map_err(|e| e.within("referrer_reward"))?;
        }
        if let Some(r) = &self.referee_reward {
            r.validate().map_err(|e| e.within("referee_reward"))?;
        }
        Ok(self)
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

    fn config() -> ProgramConfig {
        ProgramConfig {
            name: "Spring".into(),
            destination_url: "https://shop.example.com/welcome?utm=x".into(),
            allowed_domains: vec![],
            attribution_window_days: 30,
            attribution_model: AttributionModel::LastClick,
            hold_days: 14,
            referrer_reward: Some(RewardRule {
                kind: RewardKind::Credit,
                amount: 1000,
                currency: Currency::parse("c", "USD").unwrap(),
            }),
            referee_reward: None,
            starts_at: None,
            ends_at: None,
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
        c.referrer_reward.as_mut().unwrap().amount = -5;
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
