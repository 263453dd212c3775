//! WooCommerce: an order (`order.created`, `order.updated`) in a status that counts
//! (`processing` or `completed` by default) is a purchase; each entry of its `refunds`
//! is a refund (partial refunds leave the status as it was), and a `refunded` order
//! without entries is refunded in full. `customer.created` is a signup.

use serde_json::Value;
use vouch_domain::event::EventKind;
use vouch_domain::integration::IntegrationOptions;
use vouch_domain::money::Money;

use super::mapped::{decimal, id_of, text, time_of, Mapped, ShopEvent};

pub fn map(topic: &str, v: &Value, options: &IntegrationOptions) -> Mapped {
    match topic {
        "order.created" | "order.updated" | "order.restored" => order(v, options),
        "customer.created" => customer(v),
        other => Mapped::Ignored(format!("the topic {other} reports nothing to a program")),
    }
}

fn order(v: &Value, options: &IntegrationOptions) -> Mapped {
    let Some(order_id) = id_of(&v["id"]) else {
        return Mapped::Unmappable("the order has no id".into());
    };
    let status = v["status"].as_str().unwrap_or("").trim();
    let counts = options.woo_counts(status);
    let refunded = status == "refunded";
    if !counts && !refunded {
        return Mapped::Ignored(format!(
            "an order in status {status:?} does not count (counting: {})",
            options.purchase_statuses.join(", ")
        ));
    }
    let mut events = vec![];
    if counts {
        let amount = match decimal("total", &v["total"], &v["currency"]) {
            Ok(m) => m,
            Err(e) => return Mapped::Unmappable(format!("the order's total cannot be read: {e}")),
        };
        let billing = &v["billing"];
        // Guests have customer_id 0.
        let customer_id = id_of(&v["customer_id"]).filter(|c| c != "0");
        let mut e = ShopEvent {
            kind: Some(EventKind::Purchase),
            email: text(&billing["email"]),
            customer_id,
            order_id: Some(order_id.clone()),
            amount: Some(amount),
            occurred_at: time_of(&v["date_paid_gmt"])
                .or_else(|| time_of(&v["date_created_gmt"]))
                .or_else(|| time_of(&v["date_created"])),
            ip_address: text(&v["customer_ip_address"]),
            user_agent: text(&v["customer_user_agent"]),
            ..Default::default()
        };
        for m in v["meta_data"].as_array().into_iter().flatten() {
            if let (Some(k), Some(val)) = (m["key"].as_str(), m["value"].as_str()) {
                e.take_attribute(k, val);
                // WooCommerce's own order attribution (8.5+) keeps the landing URL,
                // with the link's `ref` and `vouch_click`, without any plugin.
                if k == "_wc_order_attribution_session_entry" {
                    e.take_landing_url(val);
                }
            }
        }
        for c in v["coupon_lines"].as_array().into_iter().flatten() {
            // WooCommerce keeps coupon codes in lower case; Vouch's are upper case.
            if let Some(code) = c["code"].as_str() {
                e.take_discount_code(&code.to_uppercase());
            }
        }
        events.push(e);
    }
    let mut listed = 0;
    for r in v["refunds"].as_array().into_iter().flatten() {
        // Listed with negative totals ("-10.00").
        let m = match decimal("refunds.total", &r["total"], &v["currency"]) {
            Ok(m) => m,
            Err(e) => return Mapped::Unmappable(format!("a refund cannot be read: {e}")),
        };
        listed += 1;
        let amount = m.amount.checked_abs().unwrap_or(0);
        if amount == 0 {
            continue;
        }
        events.push(ShopEvent {
            kind: Some(EventKind::Refund),
            order_id: Some(order_id.clone()),
            refund_id: id_of(&r["id"]),
            amount: Some(Money::new(amount, m.currency)),
            ..Default::default()
        });
    }
    if refunded && listed == 0 {
        events.push(ShopEvent {
            kind: Some(EventKind::Refund),
            order_id: Some(order_id),
            refund_id: Some("refunded".into()),
            ..Default::default()
        });
    }
    Mapped::Events(events)
}

fn customer(v: &Value) -> Mapped {
    let e = ShopEvent {
        kind: Some(EventKind::Signup),
        email: text(&v["email"]),
        customer_id: id_of(&v["id"]).filter(|c| c != "0"),
        occurred_at: time_of(&v["date_created_gmt"]),
        ..Default::default()
    };
    if e.email.is_none() && e.customer_id.is_none() {
        return Mapped::Unmappable("the customer has neither an email nor an id".into());
    }
    Mapped::Events(vec![e])
}
