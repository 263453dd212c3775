//! The platforms' signature schemes, over the raw body bytes, compared in constant
//! time (`Mac::verify_slice`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::Mac;
use vouch_domain::crypto::hmac_sha256 as mac;
use vouch_domain::Millis;

/// How far a Stripe signature's timestamp may be from now (Stripe's own default).
pub const STRIPE_TOLERANCE_MS: Millis = 300_000;

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Mismatch,
    /// Stripe: the signed timestamp is too old or too far ahead (a replay).
    Stale,
}

/// Shopify (`X-Shopify-Hmac-Sha256`) and WooCommerce (`X-WC-Webhook-Signature`): the
/// base64 HMAC-SHA256 of the body under the secret.
pub fn base64_body(header: Option<&str>, body: &[u8], secrets: &[String]) -> Result<(), Refusal> {
    let given = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .ok_or(Refusal::Missing)?;
    let given = STANDARD.decode(given).map_err(|_| Refusal::Mismatch)?;
    for secret in secrets {
        let mut m = mac(secret.as_bytes());
        m.update(body);
        if m.verify_slice(&given).is_ok() {
            return Ok(());
        }
    }
    Err(Refusal::Mismatch)
}

/// Stripe (`Stripe-Signature: t=…,v1=…[,v1=…]`): hex HMAC-SHA256 of `{t}.{body}` under
/// the `whsec_…` secret taken as text; any `v1` may match; `t` within five minutes.
pub fn stripe(
    header: Option<&str>,
    body: &[u8],
    secrets: &[String],
    now: Millis,
) -> Result<(), Refusal> {
    let header = header.ok_or(Refusal::Missing)?;
    let mut t = None;
    let mut sigs = vec![];
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => sigs.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let (Some(t), false) = (t, sigs.is_empty()) else {
        return Err(Refusal::Missing);
    };
    let signed_at = t.checked_mul(1000).ok_or(Refusal::Stale)?;
    if (now - signed_at).abs() > STRIPE_TOLERANCE_MS {
        return Err(Refusal::Stale);
    }
    for secret in secrets {
        let mut m = mac(secret.as_bytes());
        m.update(t.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        if sigs.iter().any(|sig| m.clone().verify_slice(sig).is_ok()) {
            return Ok(());
        }
    }
    Err(Refusal::Mismatch)
}

/// Signs as Shopify and WooCommerce do (for tests and examples).
pub fn sign_base64(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret.as_bytes());
    m.update(body);
    STANDARD.encode(m.finalize().into_bytes())
}

/// Signs as Stripe does (for tests and examples).
pub fn sign_stripe(secret: &str, t: i64, body: &[u8]) -> String {
    let mut m = mac(secret.as_bytes());
    m.update(format!("{t}.").as_bytes());
    m.update(body);
    format!("t={t},v1={}", hex::encode(m.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_scheme_accepts_either_secret_and_refuses_the_rest() {
        let body = br#"{"id":1}"#;
        let sig = sign_base64("old", body);
        let both = ["new".to_owned(), "old".to_owned()];
        assert_eq!(base64_body(Some(&sig), body, &both), Ok(()));
        assert_eq!(
            base64_body(Some(&sig), body, &["new".to_owned()]),
            Err(Refusal::Mismatch)
        );
        assert_eq!(base64_body(None, body, &both), Err(Refusal::Missing));
        assert_eq!(
            base64_body(Some("%%%"), body, &both),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            base64_body(Some(&sig), br#"{"id":2}"#, &both),
            Err(Refusal::Mismatch)
        );
    }

    #[test]
    fn stripe_scheme_checks_time_and_any_v1() {
        let body = br#"{"id":"evt_1"}"#;
        let secret = "whsec_test".to_owned();
        let secrets = std::slice::from_ref(&secret);
        let now = 1_700_000_000_000;
        let good = sign_stripe(&secret, 1_700_000_000, body);
        assert_eq!(stripe(Some(&good), body, secrets, now), Ok(()));
        let two = format!("t=1700000000,v1=00ff,{}", &good["t=1700000000,".len()..]);
        assert_eq!(stripe(Some(&two), body, secrets, now), Ok(()));
        assert_eq!(
            stripe(Some(&good), body, secrets, now + 301_000),
            Err(Refusal::Stale)
        );
        assert_eq!(
            stripe(Some(&good), body, secrets, now - 301_000),
            Err(Refusal::Stale)
        );
        assert_eq!(
            stripe(Some(&good), body, &["whsec_other".to_owned()], now),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            stripe(Some("t=1700000000"), body, secrets, now),
            Err(Refusal::Missing)
        );
        assert_eq!(stripe(None, body, secrets, now), Err(Refusal::Missing));
    }
}
