//! The facts an email shows, as the variables its template sees:
//!
//! - `program`: `name`, `slug`, `page_url` (where advocates join), `shop_url`
//! - `participant`: the recipient (for an invitation, the advocate who sent it):
//!   `name`, `first_name`, `email`, `referral_code`, `link`, `qr_url`
//! - `reward` (reward messages): `display` ("10.00 USD"), `kind`, `coupon_code`,
//!   `coupon_expires_at`
//! - `payout` (payout sent): `display`, `reference`
//! - `invitation` (to a friend): `note`
//! - `action_url`: where the message's button leads.

use serde_json::{json, Value};
use vouch_domain::money::{Currency, Money};
use vouch_domain::notification::EmailKind;
use vouch_store::{Participant, Program};

/// The recipient's first name, for greetings ("Sara" of "Sara Ali").
fn first_name(name: Option<&str>) -> Option<String> {
    name.and_then(|n| n.split_whitespace().next())
        .map(str::to_owned)
}

/// The variables of one message.
pub fn build(
    kind: EmailKind,
    program: &Program,
    participant: &Participant,
    data: &Value,
    public_url: &str,
) -> Value {
    let link = format!("{public_url}/r/{}", participant.referral_code);
    let page_url = format!("{public_url}/p/{}", program.slug);
    let action_url = match kind {
        EmailKind::Invitation => link.clone(),
        EmailKind::FriendReward => program.config.destination_url.clone(),
        _ => page_url.clone(),
    };
    let mut ctx = json!({
        "program": {
            "name": program.config.name,
            "slug": program.slug,
            "page_url": page_url,
            "shop_url": program.config.destination_url,
        },
        "participant": {
            "name": participant.name,
            "first_name": first_name(participant.name.as_deref()),
            "email": participant.email,
            "referral_code": participant.referral_code,
            "link": link,
            "qr_url": format!("{link}/qr.svg"),
        },
        "action_url": action_url,
    });
    match kind {
        EmailKind::RewardAvailable | EmailKind::FriendReward | EmailKind::FriendPurchased
            if data.get("display").is_some() =>
        {
            ctx["reward"] = json!({
                "display": data["display"],
                "kind": data["kind"],
                "coupon_code": data["coupon_code"],
                "coupon_expires_at": data["coupon_expires_at"],
            });
        }
        EmailKind::PayoutSent => {
            let display = data["amount"]
                .as_i64()
                .zip(
                    data["currency"]
                        .as_str()
                        .and_then(|c| Currency::parse("currency", c).ok()),
                )
                .map(|(a, c)| Money::new(a, c).to_string());
            ctx["payout"] = json!({ "display": display, "reference": data["reference"] });
        }
        EmailKind::Invitation => ctx["invitation"] = json!({ "note": data["note"] }),
        _ => {}
    }
    ctx
}

/// Made-up facts for previewing a message (`program` when one is named).
pub fn sample(kind: EmailKind, program: Option<&Program>, public_url: &str) -> Value {
    let (name, slug, shop) = match program {
        Some(p) => (
            p.config.name.clone(),
            p.slug.clone(),
            p.config.destination_url.clone(),
        ),
        None => (
            "Acme Coffee".to_owned(),
            "acme-coffee".to_owned(),
            "https://shop.example.com/".to_owned(),
        ),
    };
    let link = format!("{public_url}/r/SARA-7KQ2");
    let page_url = format!("{public_url}/p/{slug}");
    let action_url = match kind {
        EmailKind::Invitation => link.clone(),
        EmailKind::FriendReward => shop.clone(),
        _ => page_url.clone(),
    };
    json!({
        "program": {"name": name, "slug": slug, "page_url": page_url, "shop_url": shop},
        "participant": {
            "name": "Sara Ali",
            "first_name": "Sara",
            "email": "sara@example.com",
            "referral_code": "SARA-7KQ2",
            "link": link,
            "qr_url": format!("{link}/qr.svg"),
        },
        "reward": {
            "display": "10.00 USD",
            "kind": "coupon",
            "coupon_code": "WELCOME-5F3A9C",
            "coupon_expires_at": null,
        },
        "payout": {"display": "25.00 USD", "reference": "PAYPAL-8842"},
        "invitation": {"note": "I love their beans, try them!"},
        "action_url": action_url,
    })
}
