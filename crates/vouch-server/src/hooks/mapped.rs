//! What a shop's webhook says, in Vouch's terms: the events it reports, or why it
//! reports none. Each platform's module reads its own payloads into these.

use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use vouch_domain::code::ReferralCode;
use vouch_domain::event::EventKind;
use vouch_domain::ids::ClickId;
use vouch_domain::money::{Currency, Money};
use vouch_domain::Millis;

/// A delivery, read.
#[derive(Debug)]
pub enum Mapped {
    /// One or more events (a WooCommerce order update can report a purchase and its
    /// refunds at once).
    Events(Vec<ShopEvent>),
    /// Nothing for the program: a topic Vouch does not use, an unpaid order.
    Ignored(String),
    /// It should report something but cannot be read: the reason says what is wrong.
    Unmappable(String),
}

/// One event a shop reported.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ShopEvent {
    pub kind: Option<EventKind>,
    pub email: Option<String>,
    /// The shop's customer id.
    pub customer_id: Option<String>,
    pub click_id: Option<String>,
    pub referral_code: Option<String>,
    /// Discount codes used on the order, as typed.
    pub coupon_codes: Vec<String>,
    pub order_id: Option<String>,
    /// The order's total, or the refund's amount (`None`: all of the order).
    pub amount: Option<Money>,
    pub refund_id: Option<String>,
    pub occurred_at: Option<Millis>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl ShopEvent {
    /// Takes a referral from a key/value pair the shop carried (cart attributes,
    /// order meta data, metadata): `ref`, `vouch_ref`, `referral_code` (with or
    /// without a leading underscore, which Shopify hides from the buyer) and
    /// `vouch_click`. A value that is not well formed is left out.
    pub fn take_attribute(&mut self, key: &str, value: &str) {
        let value = value.trim();
        if value.chars().any(char::is_control) {
            return;
        }
        let key = key.trim().trim_start_matches('_').to_ascii_lowercase();
        match key.as_str() {
            "ref" | "vouch_ref" | "referral_code" | "vouch_code"
                if self.referral_code.is_none() && ReferralCode::lookup_key(value).is_some() =>
            {
                self.referral_code = Some(value.to_owned());
            }
            "vouch_click" | "click_id"
                if self.click_id.is_none() && ClickId::parse(value).is_some() =>
            {
                self.click_id = Some(value.to_owned());
            }
            _ => {}
        }
    }

    /// `ref` and `vouch_click` from a landing URL or path with a query.
    pub fn take_landing_url(&mut self, raw: &str) {
        let base = url::Url::parse("https://shop.invalid/").ok();
        let parsed = url::Url::parse(raw)
            .ok()
            .or_else(|| base.and_then(|b| b.join(raw).ok()));
        if let Some(u) = parsed {
            for (k, v) in u.query_pairs() {
                self.take_attribute(&k, &v);
            }
        }
    }

    /// A value that may be a click id or a referral code (Stripe's
    /// `client_reference_id` holds either).
    pub fn take_reference(&mut self, value: &str) {
        if ClickId::parse(value.trim()).is_some() {
            self.take_attribute("vouch_click", value);
        } else {
            self.take_attribute("ref", value);
        }
    }

    /// A discount code: kept as the coupon, and when the friend typed their
    /// advocate's referral code as the discount (as many shops set it up), it also
    /// attributes by that code.
    pub fn take_discount_code(&mut self, code: &str) {
        let code = code.trim();
        if code.is_empty()
            || code.len() > 100
            || code.chars().any(char::is_control)
            || self.coupon_codes.iter().any(|c| c == code)
        {
            return;
        }
        self.coupon_codes.push(code.to_owned());
    }
}

/// A JSON string, or a whole number printed exactly (ids beyond 2^53 included, as
/// serde_json keeps integers up to 2^64 exact). Fractions and empty strings are none.
pub fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() && !s.chars().any(char::is_control) => {
            Some(s.trim().to_owned())
        }
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// A string field, trimmed; none when empty or when it holds control characters
/// (a NUL, say, which no email or id has and PostgreSQL cannot store).
pub fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
        .map(str::to_owned)
}

/// A decimal amount (`"598.94"`, or a JSON number for shops that send one) in a
/// currency, read exactly by the currency's exponent.
pub fn decimal(field: &str, amount: &Value, currency: &Value) -> Result<Money, String> {
    let cur = currency
        .as_str()
        .ok_or_else(|| format!("{field}: no currency"))?;
    let currency = Currency::parse(field, cur).map_err(|e| e.to_string())?;
    let raw = match amount {
        Value::String(s) => s.clone(),
        // Printed as written: serde_json keeps the digits of integers, and a decimal
        // such as 12.5 prints back as 12.5.
        Value::Number(n) => n.to_string(),
        _ => return Err(format!("{field}: no amount")),
    };
    Money::parse_decimal(field, &raw, currency).map_err(|e| e.to_string())
}

/// An RFC 3339 time, or a WooCommerce `*_gmt` time without an offset (UTC).
pub fn time_of(v: &Value) -> Option<Millis> {
    let s = v.as_str()?.trim();
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339))
        .ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_stay_exact_beyond_two_to_the_53() {
        let v: Value = serde_json::from_str(r#"{"id": 820982911946154508}"#).unwrap();
        assert_eq!(id_of(&v["id"]).unwrap(), "820982911946154508");
        let v: Value = serde_json::from_str(r#"{"id": 18446744073709551615}"#).unwrap();
        assert_eq!(id_of(&v["id"]).unwrap(), "18446744073709551615");
        assert_eq!(id_of(&json!(1.5)), None);
        assert_eq!(id_of(&json!("  ")), None);
        assert_eq!(id_of(&json!("pi_1")).unwrap(), "pi_1");
    }

    #[test]
    fn references_are_read_from_attributes_and_urls() {
        let mut e = ShopEvent::default();
        e.take_landing_url("/products/x?ref=ANNA-7K2Q&utm_source=whatsapp");
        assert_eq!(e.referral_code.as_deref(), Some("ANNA-7K2Q"));
        e.take_attribute("_vouch_click", "clk_01JH2X3Y4Z5A6B7C8D9E0F1G2H");
        assert_eq!(
            e.click_id.as_deref(),
            Some("clk_01JH2X3Y4Z5A6B7C8D9E0F1G2H")
        );
        let mut e = ShopEvent::default();
        e.take_attribute("vouch_click", "not a click");
        e.take_attribute("ref", "<script>");
        assert_eq!(e, ShopEvent::default());
        e.take_landing_url("https://shop.example/?vouch_click=clk_01JH2X3Y4Z5A6B7C8D9E0F1G2H");
        assert!(e.click_id.is_some());
        let mut e = ShopEvent::default();
        e.take_reference("ANNA-7K2Q");
        assert_eq!(e.referral_code.as_deref(), Some("ANNA-7K2Q"));
    }

    #[test]
    fn amounts_use_the_currency_exponent() {
        let m = decimal("total", &json!("1500"), &json!("JPY")).unwrap();
        assert_eq!(m.amount, 1500);
        let m = decimal("total", &json!("12.345"), &json!("kwd")).unwrap();
        assert_eq!(m.amount, 12345);
        assert!(decimal("total", &json!("1.5"), &json!("XXX")).is_err());
        assert!(decimal("total", &json!(null), &json!("USD")).is_err());
    }

    #[test]
    fn times_with_and_without_offsets() {
        assert_eq!(time_of(&json!("1970-01-01T00:00:01Z")), Some(1000));
        assert_eq!(time_of(&json!("1970-01-01T00:00:01")), Some(1000));
        assert_eq!(time_of(&json!("1970-01-01T01:00:01+01:00")), Some(1000));
        assert_eq!(time_of(&json!("yesterday")), None);
    }
}
