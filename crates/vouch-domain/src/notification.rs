//! Emails to the people in a program: which message a domain event calls for, who may
//! be written to (unsubscribes and the suppression list), how an email is retried, a
//! program's email settings, and the template source format merchants override.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::lifecycle::EventType;
use crate::{DomainError, Millis, Result, DAY_MS};

/// Every message Vouch sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailKind {
    /// To an advocate who joined: their link and code.
    Welcome,
    /// To a friend, sent by an advocate from the portal or the API.
    Invitation,
    /// To the advocate: a friend signed up.
    FriendSignedUp,
    /// To the advocate: a friend bought; the reward is pending.
    FriendPurchased,
    /// To the advocate: a reward became available.
    RewardAvailable,
    /// To the advocate: a cash payout was sent.
    PayoutSent,
    /// To an advocate who has not shared since joining.
    ShareReminder,
    /// To the friend: their coupon or credit.
    FriendReward,
}

impl EmailKind {
    pub const ALL: [Self; 8] = [
        Self::Welcome,
        Self::Invitation,
        Self::FriendSignedUp,
        Self::FriendPurchased,
        Self::RewardAvailable,
        Self::PayoutSent,
        Self::ShareReminder,
        Self::FriendReward,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::Invitation => "invitation",
            Self::FriendSignedUp => "friend_signed_up",
            Self::FriendPurchased => "friend_purchased",
            Self::RewardAvailable => "reward_available",
            Self::PayoutSent => "payout_sent",
            Self::ShareReminder => "share_reminder",
            Self::FriendReward => "friend_reward",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// About money the person is owed: sent even after they unsubscribed from the
    /// program's emails (the law allows transactional messages).
    pub fn transactional(self) -> bool {
        matches!(
            self,
            Self::RewardAvailable | Self::PayoutSent | Self::FriendReward
        )
    }

    /// The message a domain event calls for, sent to the event's participant (the
    /// advocate for referrals, the owner for rewards and payout lines). `role` is the
    /// reward's `role` (`referrer` or `referee`) for reward events.
    pub fn for_event(kind: EventType, role: Option<&str>) -> Option<Self> {
        match kind {
            EventType::ParticipantEnrolled => Some(Self::Welcome),
            EventType::ReferralSignedUp => Some(Self::FriendSignedUp),
            EventType::ReferralConverted => Some(Self::FriendPurchased),
            EventType::RewardApproved => match role {
                Some("referee") => Some(Self::FriendReward),
                _ => Some(Self::RewardAvailable),
            },
            EventType::PayoutLinePaid => Some(Self::PayoutSent),
            _ => None,
        }
    }
}

/// The state of one email in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailStatus {
    /// Waiting to be sent (or to be tried again).
    Pending,
    Sent,
    /// Not sent on purpose: the reason says why (unsubscribed, no address, turned off).
    Skipped,
    /// Given up: the server refused it for good or every attempt failed.
    Failed,
}

impl EmailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Skipped => "skipped",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Skipped, Self::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Why an address is on a workspace's suppression list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// The person used an unsubscribe link: no program emails, but messages about
    /// money they are owed still go.
    Unsubscribed,
    /// The mail server refused the address for good.
    Bounced,
    /// Marked as spam.
    Complained,
    /// Added by the merchant.
    Manual,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsubscribed => "unsubscribed",
            Self::Bounced => "bounced",
            Self::Complained => "complained",
            Self::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Unsubscribed,
            Self::Bounced,
            Self::Complained,
            Self::Manual,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether an address suppressed for this reason gets `kind`.
    pub fn blocks(self, kind: EmailKind) -> bool {
        match self {
            Self::Unsubscribed => !kind.transactional(),
            Self::Bounced | Self::Complained | Self::Manual => true,
        }
    }
}

/// Invitations one advocate may send in a day.
pub const INVITATIONS_PER_DAY: i64 = 20;
/// Addresses in one invitation request.
pub const MAX_INVITATIONS_PER_REQUEST: usize = 10;

/// Waits after failed attempts: 1 min, 5 min, 30 min, 2 h, 6 h, 12 h (about 21 hours in
/// all), with up to 20% jitter.
pub const SEND_RETRY_DELAYS_MS: [Millis; 6] = [
    60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000,
];

/// When to try again after `attempts` failed attempts; `None`: give up.
/// `jitter` in 0..=1 stretches the wait by up to a fifth.
pub fn next_send_attempt(attempts: u32, now: Millis, jitter: f64) -> Option<Millis> {
    let i = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let base = *SEND_RETRY_DELAYS_MS.get(i)?;
    let extra = (base as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as Millis;
    Some(now + base + extra)
}

/// A program's emails.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// Off: the program sends no email at all (default on).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Messages this program does not send.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<EmailKind>,
    /// Days after joining when an advocate who has not referred anyone is reminded to
    /// share (default 14; 0 = never).
    #[serde(default = "default_reminder_days")]
    pub reminder_after_days: i64,
    /// The sender's display name (default: the program's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// Where replies go (default: the server's sender address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

fn yes() -> bool {
    true
}

fn default_reminder_days() -> i64 {
    14
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            disabled: vec![],
            reminder_after_days: default_reminder_days(),
            from_name: None,
            reply_to: None,
        }
    }
}

impl EmailSettings {
    pub fn sends(&self, kind: EmailKind) -> bool {
        self.enabled && !self.disabled.contains(&kind)
    }

    /// When the share reminder is due for someone who joined at `joined`.
    pub fn reminder_at(&self, joined: Millis) -> Option<Millis> {
        (self.reminder_after_days > 0).then(|| joined + self.reminder_after_days * DAY_MS)
    }

    pub fn validate(&self) -> Result<()> {
        if !(0..=365).contains(&self.reminder_after_days) {
            return Err(DomainError::invalid(
                "reminder_after_days",
                "must be between 0 and 365",
            ));
        }
        if let Some(n) = &self.from_name {
            if n.trim().is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
                return Err(DomainError::invalid(
                    "from_name",
                    "must be 1 to 100 printable characters",
                ));
            }
        }
        if let Some(r) = &self.reply_to {
            crate::email::Email::parse("reply_to", r)?;
        }
        Ok(())
    }
}

/// A message's words, in the format merchants override per program and language:
/// header lines, a line `---`, then the body's paragraphs separated by blank lines.
/// Values are templates (`{{ program.name }}`); the HTML and the plain-text parts are
/// both laid out from this one source.
///
/// ```text
/// subject: Welcome to {{ program.name }}
/// heading: Your link is ready
/// action: Share your link
/// ---
/// Hi {{ participant.first_name }},
///
/// Every friend who buys through your link earns you {{ offer.referrer }}.
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSource {
    pub subject: String,
    pub heading: String,
    /// The main button's label; the button leads to the message's link.
    pub action: Option<String>,
    /// A short line shown by mail clients beside the subject.
    pub preheader: Option<String>,
    pub body: String,
}

/// A template source's largest size.
pub const MAX_TEMPLATE_BYTES: usize = 20_000;

impl TemplateSource {
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = |m: &str| DomainError::invalid("template", m);
        if raw.len() > MAX_TEMPLATE_BYTES {
            return Err(bad("must be at most 20000 bytes"));
        }
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw
            .split_once("\n---\n")
            .or_else(|| raw.strip_suffix("\n---").map(|h| (h, "")))
            .ok_or_else(|| bad("needs header lines, a line '---', then the body"))?;
        let (mut subject, mut heading, mut action, mut preheader) = (None, None, None, None);
        for (n, line) in head.lines().enumerate() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once(':').ok_or_else(|| {
                DomainError::invalid("template", format!("line {}: expected 'key: value'", n + 1))
            })?;
            let value = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match key.trim() {
                "subject" => subject = value,
                "heading" => heading = value,
                "action" => action = value,
                "preheader" => preheader = value,
                other => {
                    return Err(DomainError::invalid(
                        "template",
                        format!(
                            "line {}: unknown key '{other}' (subject, heading, action, preheader)",
                            n + 1
                        ),
                    ))
                }
            }
        }
        Ok(Self {
            subject: subject.ok_or_else(|| bad("needs a 'subject:' line"))?,
            heading: heading.ok_or_else(|| bad("needs a 'heading:' line"))?,
            action,
            preheader,
            body: body.trim().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsubscribing_keeps_messages_about_money_owed() {
        let r = SuppressionReason::Unsubscribed;
        assert!(r.blocks(EmailKind::Welcome));
        assert!(r.blocks(EmailKind::ShareReminder));
        assert!(!r.blocks(EmailKind::PayoutSent));
        assert!(!r.blocks(EmailKind::FriendReward));
        assert!(SuppressionReason::Bounced.blocks(EmailKind::PayoutSent));
    }

    #[test]
    fn events_map_to_messages_by_role() {
        assert_eq!(
            EmailKind::for_event(EventType::RewardApproved, Some("referee")),
            Some(EmailKind::FriendReward)
        );
        assert_eq!(
            EmailKind::for_event(EventType::RewardApproved, Some("referrer")),
            Some(EmailKind::RewardAvailable)
        );
        assert_eq!(EmailKind::for_event(EventType::RewardCreated, None), None);
        for k in EmailKind::ALL {
            assert_eq!(EmailKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn retries_stop_after_the_schedule() {
        assert_eq!(next_send_attempt(1, 0, 0.0), Some(60_000));
        assert_eq!(next_send_attempt(6, 0, 1.0), Some(43_200_000 * 6 / 5));
        assert_eq!(next_send_attempt(7, 0, 0.0), None);
        assert_eq!(next_send_attempt(0, 0, 0.0), None);
    }

    #[test]
    fn template_source_parses_and_names_its_problems() {
        let t = TemplateSource::parse(
            "subject: Hi {{ x }}\r\nheading: Hello\r\naction: Go\r\n---\r\nOne.\r\n\r\nTwo.\r\n",
        )
        .unwrap();
        assert_eq!(t.subject, "Hi {{ x }}");
        assert_eq!(t.action.as_deref(), Some("Go"));
        assert_eq!(t.body, "One.\n\nTwo.");
        let e = TemplateSource::parse("subject: x\n---\nbody").unwrap_err();
        assert!(e.to_string().contains("heading"), "{e}");
        let e = TemplateSource::parse("subject: x\nheading: y\nfoo: z\n---\n").unwrap_err();
        assert!(e.to_string().contains("unknown key 'foo'"), "{e}");
        assert!(TemplateSource::parse("no separator").is_err());
    }

    #[test]
    fn settings_default_on_with_a_two_week_reminder() {
        let s: EmailSettings = serde_json::from_str("{}").unwrap();
        assert!(s.sends(EmailKind::Welcome));
        assert_eq!(s.reminder_at(0), Some(14 * DAY_MS));
        let off = EmailSettings {
            reminder_after_days: 0,
            disabled: vec![EmailKind::Welcome],
            ..s
        };
        assert!(!off.sends(EmailKind::Welcome));
        assert_eq!(off.reminder_at(0), None);
        assert!(EmailSettings {
            reminder_after_days: 400,
            ..Default::default()
        }
        .validate()
        .is_err());
    }
}
