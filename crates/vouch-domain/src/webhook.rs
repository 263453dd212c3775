//! Outgoing webhooks as Standard Webhooks (standardwebhooks.com) defines them: the
//! secret (`whsec_` + base64 of the key), the signature (`v1,` + base64 HMAC-SHA256
//! over `{id}.{timestamp}.{body}`, several space-separated while a secret rotates), the
//! event types an endpoint may ask for, and when a failed delivery is tried again.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::Mac;
use rand::RngCore;

use crate::crypto::{hmac_sha256, HmacSha256};
use crate::lifecycle::EventType;
use crate::{DomainError, Millis, Result};

const PREFIX: &str = "whsec_";
/// Key bytes of a new secret (the specification asks for 24 to 64).
const KEY_BYTES: usize = 32;

/// A signing key, decoded from its `whsec_…` text.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(…)")
    }
}

impl SigningKey {
    /// A new random secret, as its `whsec_…` text.
    pub fn generate() -> String {
        let mut key = [0u8; KEY_BYTES];
        rand::thread_rng().fill_bytes(&mut key);
        format!("{PREFIX}{}", STANDARD.encode(key))
    }

    /// Reads `whsec_…` (the prefix may be left out, as receivers' libraries allow).
    pub fn parse(secret: &str) -> Result<Self> {
        let raw = secret.trim();
        let raw = raw.strip_prefix(PREFIX).unwrap_or(raw);
        let key = STANDARD
            .decode(raw)
            .map_err(|_| DomainError::invalid("secret", "is not whsec_ followed by base64"))?;
        if !(24..=64).contains(&key.len()) {
            return Err(DomainError::invalid(
                "secret",
                "must hold 24 to 64 bytes of key (base64 after whsec_)",
            ));
        }
        Ok(Self(key))
    }

    /// `v1,<base64>` for one message.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            STANDARD.encode(self.mac(msg_id, timestamp, body).finalize().into_bytes())
        )
    }

    fn mac(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
        let mut mac = hmac_sha256(&self.0);
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// The `webhook-signature` header: one signature per key (the current one first, the
/// previous one too while a rotation's overlap lasts), space-separated.
pub fn signature_header(keys: &[SigningKey], msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| k.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a received message verifies under `key` (what a merchant's receiver does;
/// used by the tests and the documentation's examples).
pub fn verifies(key: &SigningKey, msg_id: &str, timestamp: i64, body: &[u8], header: &str) -> bool {
    let mac = key.mac(msg_id, timestamp, body);
    header
        .split(' ')
        .filter_map(|sig| sig.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|sig| mac.clone().verify_slice(&sig).is_ok())
}

/// The event types an endpoint may subscribe to: every domain event.
pub fn event_type(raw: &str) -> Result<EventType> {
    EventType::parse(raw.trim()).ok_or_else(|| {
        DomainError::invalid(
            "event_types",
            format!(
                "'{raw}' is not an event type; they are: {}",
                EventType::ALL.map(EventType::as_str).join(", ")
            ),
        )
    })
}

/// Delays before each retry of a failed delivery: the usual 5 s … 10 h steps, then two
/// days more, so a receiver down over a weekend still gets its events (about three
/// days in all).
pub const RETRY_DELAYS_MS: [Millis; 9] = [
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    10 * 3_600_000,
    24 * 3_600_000,
    24 * 3_600_000,
];

/// When to try again after `attempts` failed attempts, with up to a fifth of jitter
/// (`jitter` in 0..=1 comes from the caller), or `None` when the schedule is spent.
pub fn next_attempt(attempts: u32, failed_at: Millis, jitter: f64) -> Option<Millis> {
    let delay = *RETRY_DELAYS_MS.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let spread = (delay as f64 * 0.2 * jitter.clamp(0.0, 1.0)) as Millis;
    Some(failed_at + delay + spread)
}

/// An endpoint failing everything this long is disabled.
pub const DISABLE_AFTER_MS: Millis = 5 * crate::DAY_MS;

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's published test vector (also the
    /// reference libraries' `sign` test).
    #[test]
    fn signs_the_specifications_test_vector() {
        let key = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        let sig = key.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(verifies(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            body,
            &sig
        ));
        assert!(!verifies(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_331,
            body,
            &sig
        ));
        assert!(!verifies(&key, "msg_other", 1_614_265_330, body, &sig));
    }

    #[test]
    fn rotation_signs_with_both_keys() {
        let old = SigningKey::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let new = SigningKey::parse(&SigningKey::generate()).unwrap();
        let header = signature_header(&[new.clone(), old.clone()], "msg_1", 5, b"{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(verifies(&old, "msg_1", 5, b"{}", &header));
        assert!(verifies(&new, "msg_1", 5, b"{}", &header));
    }

    #[test]
    fn secrets_are_checked() {
        let made = SigningKey::generate();
        assert!(made.starts_with("whsec_"));
        assert!(SigningKey::parse(&made).is_ok());
        assert!(SigningKey::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(SigningKey::parse("whsec_c2hvcnQ=").is_err(), "too short");
        assert!(SigningKey::parse("whsec_not base64!").is_err());
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        assert_eq!(next_attempt(1, 0, 0.0), Some(5_000));
        assert_eq!(next_attempt(2, 0, 0.0), Some(300_000));
        assert_eq!(next_attempt(7, 0, 0.0), Some(36_000_000));
        assert_eq!(next_attempt(9, 0, 0.0), Some(86_400_000));
        assert_eq!(next_attempt(10, 0, 0.0), None);
        assert_eq!(next_attempt(0, 0, 0.0), None);
        assert_eq!(next_attempt(1, 0, 1.0), Some(6_000));
        let total: Millis = RETRY_DELAYS_MS.iter().sum();
        assert!(
            (2 * crate::DAY_MS..4 * crate::DAY_MS).contains(&total),
            "about three days"
        );
        assert!(event_type("reward.approved").is_ok());
        assert!(event_type("reward.eaten").is_err());
    }
}

/// `reward.requested`: before a reward of the program stands, Vouch asks one of the
/// merchant's webhook endpoints (signed like every message). An answer
/// `{"approve": false}` (with an optional `reason`) within the timeout cancels the
/// reward; any other answer, an error or silence lets it proceed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardCheck {
    /// The endpoint asked (`we_…`).
    pub endpoint_id: String,
    /// How long to wait for its answer, 100 to 10 000 ms (default 3 000).
    #[serde(default = "default_check_timeout")]
    pub timeout_ms: u64,
}

fn default_check_timeout() -> u64 {
    3_000
}

impl RewardCheck {
    pub fn validate(&self) -> Result<()> {
        if crate::ids::WebhookEndpointId::parse(&self.endpoint_id).is_none() {
            return Err(DomainError::invalid(
                "endpoint_id",
                "must be a webhook endpoint id (we_…)",
            ));
        }
        if !(100..=10_000).contains(&self.timeout_ms) {
            return Err(DomainError::invalid(
                "timeout_ms",
                "must be between 100 and 10000",
            ));
        }
        Ok(())
    }
}

/// What a `reward.requested` answer decides: `Some(reason)` to cancel the reward.
/// Only a 2xx answer whose JSON says `"approve": false` vetoes.
pub fn check_vetoes(status: Option<u16>, body: &str) -> Option<String> {
    if !status.is_some_and(|s| (200..300).contains(&s)) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    if v.get("approve") != Some(&serde_json::Value::Bool(false)) {
        return None;
    }
    Some(
        v.get("reason")
            .and_then(|r| r.as_str())
            .map(|r| r.chars().take(200).collect())
            .unwrap_or_else(|| "refused by the merchant".to_owned()),
    )
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn only_an_explicit_refusal_vetoes() {
        assert_eq!(
            check_vetoes(Some(200), r#"{"approve": false, "reason": "employee"}"#),
            Some("employee".into())
        );
        assert!(check_vetoes(Some(200), r#"{"approve": false}"#).is_some());
        assert_eq!(check_vetoes(Some(200), r#"{"approve": true}"#), None);
        assert_eq!(check_vetoes(Some(200), "ok"), None);
        assert_eq!(check_vetoes(Some(500), r#"{"approve": false}"#), None);
        assert_eq!(check_vetoes(None, ""), None);
        assert_eq!(check_vetoes(Some(200), r#"{"approve": "false"}"#), None);
    }

    #[test]
    fn the_check_names_its_problems() {
        let ok = RewardCheck {
            endpoint_id: crate::ids::WebhookEndpointId::new().to_string(),
            timeout_ms: 3000,
        };
        assert!(ok.validate().is_ok());
        let e = RewardCheck {
            timeout_ms: 50,
            ..ok.clone()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("timeout_ms"));
        let e = RewardCheck {
            endpoint_id: "x".into(),
            ..ok
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("endpoint_id"));
    }
}
