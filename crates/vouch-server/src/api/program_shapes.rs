//! The shapes of a program in the API: what creating and changing one takes, what it
//! answers, and a patch applied to a configuration (shared with `/simulate`).

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use vouch_domain::fraud::FraudSettings;
use vouch_domain::money::Money;
use vouch_domain::program::{AttributionModel, Caps, ProgramConfig, RewardRule};
use vouch_domain::rules::{Boost, Milestone, MultiLevel};
use vouch_store::{Program, ProgramStatus};

use super::common::{parse_time, rfc3339, rfc3339_opt};
use crate::error::Result;

/// Whether a program's links and sign-up page work.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProgramStatusDto {
    Active,
    Paused,
}

impl From<ProgramStatus> for ProgramStatusDto {
    fn from(s: ProgramStatus) -> Self {
        match s {
            ProgramStatus::Active => Self::Active,
            ProgramStatus::Paused => Self::Paused,
        }
    }
}

impl From<ProgramStatusDto> for ProgramStatus {
    fn from(s: ProgramStatusDto) -> Self {
        match s {
            ProgramStatusDto::Active => Self::Active,
            ProgramStatusDto::Paused => Self::Paused,
        }
    }
}

/// A new program.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProgramIn {
    /// Shown to advocates and friends.
    pub name: String,
    /// Where referral links send friends (http or https).
    #[schema(example = "https://shop.example.com/welcome")]
    pub destination_url: String,
    /// Hosts links may redirect to; `*.example.com` allows subdomains. Default: the
    /// destination's host.
    pub allowed_domains: Option<Vec<String>>,
    /// Days after a click during which a signup or purchase is attributed (default 30).
    pub attribution_window_days: Option<i64>,
    /// `last_click` (default) or `first_click`.
    pub attribution_model: Option<AttributionModel>,
    /// Days a reward stays pending before it is approved (default 0: no hold).
    pub hold_days: Option<i64>,
    /// What the advocate earns per converted friend.
    pub referrer_reward: Option<RewardRule>,
    /// What the friend earns on their first purchase.
    pub referee_reward: Option<RewardRule>,
    /// RFC 3339; purchases before it earn nothing.
    pub starts_at: Option<String>,
    /// RFC 3339; purchases after it earn nothing.
    pub ends_at: Option<String>,
    pub status: Option<ProgramStatusDto>,
    /// Promotions multiplying rewards between two instants.
    #[serde(default)]
    pub boosts: Vec<Boost>,
    /// One-off bonuses for reaching N successful referrals in a period.
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    /// Per-advocate caps and the program budget.
    pub caps: Option<Caps>,
    /// Given to every participant who joins.
    pub welcome_reward: Option<RewardRule>,
    /// Off by default: the referrer's own referrer earns a share (a warning comes back).
    pub multi_level: Option<MultiLevel>,
    /// What one point is worth.
    pub points_value: Option<Money>,
    /// Cash balances below this are not paid out yet.
    pub payout_threshold: Option<Money>,
    /// Fraud thresholds and limits (defaults: review from 40, reject from 80).
    pub fraud: Option<FraudSettings>,
    /// The friend page links lead to (default off: straight to the shop).
    pub friend_page: Option<vouch_domain::program::FriendPage>,
    /// Repeat clicks of one visitor on a link within this many hours count once as
    /// unique (default 24).
    pub unique_click_window_hours: Option<i64>,
    /// Which emails the program sends (all by default) and the share reminder's delay.
    pub emails: Option<vouch_domain::notification::EmailSettings>,
    /// Ask one of the merchant's webhook endpoints before each reward stands.
    pub reward_check: Option<vouch_domain::webhook::RewardCheck>,
    /// The IANA time zone its reports count days in (`Asia/Riyadh`); UTC unless set.
    pub time_zone: Option<String>,
    /// The share of customers (0–90) kept away from the program, to measure its lift
    /// (`GET /analytics/holdout`); 0 by default.
    #[schema(maximum = 90)]
    pub holdout_percent: Option<u8>,
}

/// Changes to a program; omitted fields stay as they are. A reward set to `null` is
/// removed. Rewards already earned keep the rule that produced them.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProgramPatch {
    pub name: Option<String>,
    pub destination_url: Option<String>,
    pub allowed_domains: Option<Vec<String>>,
    pub attribution_window_days: Option<i64>,
    pub attribution_model: Option<AttributionModel>,
    pub hold_days: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RewardRule>)]
    pub referrer_reward: Option<Option<RewardRule>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RewardRule>)]
    pub referee_reward: Option<Option<RewardRule>>,
    /// RFC 3339, or null to remove.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub starts_at: Option<Option<String>>,
    /// RFC 3339, or null to remove.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub ends_at: Option<Option<String>>,
    pub status: Option<ProgramStatusDto>,
    pub boosts: Option<Vec<Boost>>,
    pub milestones: Option<Vec<Milestone>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Caps>)]
    pub caps: Option<Option<Caps>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<RewardRule>)]
    pub welcome_reward: Option<Option<RewardRule>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<MultiLevel>)]
    pub multi_level: Option<Option<MultiLevel>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Money>)]
    pub points_value: Option<Option<Money>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Money>)]
    pub payout_threshold: Option<Option<Money>>,
    pub fraud: Option<FraudSettings>,
    pub friend_page: Option<vouch_domain::program::FriendPage>,
    pub unique_click_window_hours: Option<i64>,
    /// Which emails the program sends (all by default) and the share reminder's delay.
    pub emails: Option<vouch_domain::notification::EmailSettings>,
    /// `null` turns the check off.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<vouch_domain::webhook::RewardCheck>)]
    pub reward_check: Option<Option<vouch_domain::webhook::RewardCheck>>,
    /// `null` goes back to UTC.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
    /// A change regroups customers and restarts the lift measurement.
    #[schema(maximum = 90)]
    pub holdout_percent: Option<u8>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`).
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A program.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramOut {
    #[schema(example = "prg_01jd2x3y4z5a6b7c8d9e0f1g2h")]
    pub id: String,
    /// Used in the landing page URL.
    pub slug: String,
    pub name: String,
    pub status: ProgramStatusDto,
    pub destination_url: String,
    pub allowed_domains: Vec<String>,
    pub attribution_window_days: i64,
    pub attribution_model: AttributionModel,
    pub hold_days: i64,
    pub referrer_reward: Option<RewardRule>,
    pub referee_reward: Option<RewardRule>,
    /// Purchases before it earn nothing.
    pub starts_at: Option<String>,
    /// Purchases after it earn nothing.
    pub ends_at: Option<String>,
    pub boosts: Vec<Boost>,
    pub milestones: Vec<Milestone>,
    pub caps: Caps,
    pub welcome_reward: Option<RewardRule>,
    pub multi_level: Option<MultiLevel>,
    pub points_value: Option<Money>,
    pub payout_threshold: Option<Money>,
    pub fraud: FraudSettings,
    pub friend_page: vouch_domain::program::FriendPage,
    pub unique_click_window_hours: i64,
    pub emails: vouch_domain::notification::EmailSettings,
    pub reward_check: Option<vouch_domain::webhook::RewardCheck>,
    pub time_zone: Option<String>,
    /// The share of customers kept away from the program.
    pub holdout_percent: u8,
    /// Since when the current holdout applies: the lift is measured from then on.
    pub holdout_since: Option<String>,
    /// Things to know about this configuration (multi-level compliance, say).
    pub warnings: Vec<String>,
    /// Increases on every change.
    pub version: i64,
    /// The program's public page where advocates join.
    pub landing_url: String,
    pub created_at: String,
    pub updated_at: String,
}

impl ProgramOut {
    pub fn new(p: Program, public_url: &str) -> Self {
        let warnings = p.config.warnings();
        Self {
            landing_url: format!("{public_url}/p/{}", p.slug),
            id: p.id.to_string(),
            slug: p.slug,
            name: p.config.name,
            status: p.status.into(),
            destination_url: p.config.destination_url,
            allowed_domains: p.config.allowed_domains,
            attribution_window_days: p.config.attribution_window_days,
            attribution_model: p.config.attribution_model,
            hold_days: p.config.hold_days,
            referrer_reward: p.config.referrer_reward,
            referee_reward: p.config.referee_reward,
            starts_at: rfc3339_opt(p.config.starts_at),
            ends_at: rfc3339_opt(p.config.ends_at),
            warnings,
            boosts: p.config.boosts,
            milestones: p.config.milestones,
            caps: p.config.caps,
            welcome_reward: p.config.welcome_reward,
            multi_level: p.config.multi_level,
            points_value: p.config.points_value,
            payout_threshold: p.config.payout_threshold,
            fraud: p.config.fraud,
            friend_page: p.config.friend_page,
            unique_click_window_hours: p.config.unique_click_window_hours,
            emails: p.config.emails,
            reward_check: p.config.reward_check,
            time_zone: p.config.time_zone,
            holdout_percent: p.config.holdout_percent,
            holdout_since: rfc3339_opt(p.config.holdout_since),
            version: p.version,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

pub(crate) fn time_field(field: &str, raw: Option<&str>) -> Result<Option<vouch_domain::Millis>> {
    raw.map(|t| parse_time(field, t)).transpose()
}

/// A program configuration with a patch applied and validated (also used to try
/// changes in `/simulate`).
pub fn apply_patch(config: ProgramConfig, patch: ProgramPatch) -> Result<ProgramConfig> {
    let mut c = config;
    if let Some(v) = patch.name {
        c.name = v;
    }
    if let Some(v) = patch.destination_url {
        c.destination_url = v;
        // A new destination host should not silently keep the old allow list.
        if patch.allowed_domains.is_none() {
            c.allowed_domains.clear();
        }
    }
    if let Some(v) = patch.allowed_domains {
        c.allowed_domains = v;
    }
    if let Some(v) = patch.attribution_window_days {
        c.attribution_window_days = v;
    }
    if let Some(v) = patch.attribution_model {
        c.attribution_model = v;
    }
    if let Some(v) = patch.hold_days {
        c.hold_days = v;
    }
    if let Some(v) = patch.referrer_reward {
        c.referrer_reward = v;
    }
    if let Some(v) = patch.referee_reward {
        c.referee_reward = v;
    }
    if let Some(v) = patch.starts_at {
        c.starts_at = time_field("starts_at", v.as_deref())?;
    }
    if let Some(v) = patch.ends_at {
        c.ends_at = time_field("ends_at", v.as_deref())?;
    }
    if let Some(v) = patch.boosts {
        c.boosts = v;
    }
    if let Some(v) = patch.milestones {
        c.milestones = v;
    }
    if let Some(v) = patch.caps {
        c.caps = v.unwrap_or_default();
    }
    if let Some(v) = patch.welcome_reward {
        c.welcome_reward = v;
    }
    if let Some(v) = patch.multi_level {
        c.multi_level = v;
    }
    if let Some(v) = patch.points_value {
        c.points_value = v;
    }
    if let Some(v) = patch.payout_threshold {
        c.payout_threshold = v;
    }
    if let Some(v) = patch.fraud {
        c.fraud = v;
    }
    if let Some(v) = patch.friend_page {
        c.friend_page = v;
    }
    if let Some(v) = patch.unique_click_window_hours {
        c.unique_click_window_hours = v;
    }
    if let Some(v) = patch.emails {
        c.emails = v;
    }
    if let Some(v) = patch.reward_check {
        c.reward_check = v;
    }
    if let Some(v) = patch.time_zone {
        c.time_zone = v;
    }
    if let Some(v) = patch.holdout_percent {
        c.holdout_percent = v;
    }
    Ok(c.validate()?)
}
