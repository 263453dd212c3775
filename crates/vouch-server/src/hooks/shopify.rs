//! Shopify: `orders/paid` (or `orders/create`) is a purchase, `refunds/create` a
//! refund of the money its transactions returned, `customers/create` a signup.

use serde_json::Value;
use vouch_domain::event::EventKind;
use vouch_domain::integration::{IntegrationOptions, ShopifyPurchaseTopic};
use vouch_domain::money::Money;

use super::mapped::{decimal, id_of, text, time_of, Mapped, ShopEvent};

pub fn map(topic: &str, v: &Value, options: &IntegrationOptions) -> Mapped {
    match topic {
        "orders/paid" | "orders/create" => order(topic, v, options),
        "refunds/create" => refund(v),
        "customers/create" => customer(v),
        other => Mapped::Ignored(format!("the topic {other} reports nothing to a program")),
    }
}

fn order(topic: &str, v: &Value, options: &IntegrationOptions) -> Mapped {
    let wanted = match options.purchase_topic {
        ShopifyPurchaseTopic::OrdersPaid => "orders/paid",
        ShopifyPurchaseTopic::OrdersCreate => "orders/create",
    };
    if topic != wanted {
        return Mapped::Ignored(format!(
            "{topic} is not this integration's purchase topic ({wanted})"
        ));
    }
    if topic == "orders/create" {
        let status = v["financial_status"].as_str().unwrap_or("");
        // Authorized is not captured yet, and partially paid is a deposit: both count
        // when orders/paid comes, which this integration does not use.
        if status != "paid" {
            return Mapped::Ignored(format!(
                "the order is not paid yet (financial_status {status:?}); it counts when paid"
            ));
        }
    }
    let Some(order_id) = id_of(&v["id"]) else {
        return Mapped::Unmappable("the order has no id".into());
    };
    // The shop's currency (`total_price`), which refunds' transactions also use; the
    // buyer's own currency is in `presentment_currency`.
    let amount = match decimal("total_price", &v["total_price"], &v["currency"]).or_else(|_| {
        let shop = &v["total_price_set"]["shop_money"];
        decimal("total_price_set", &shop["amount"], &shop["currency_code"])
    }) {
        Ok(m) => m,
        Err(e) => return Mapped::Unmappable(format!("the order's total cannot be read: {e}")),
    };
    let customer = &v["customer"];
    let mut e = ShopEvent {
        kind: Some(EventKind::Purchase),
        email: text(&v["email"])
            .or_else(|| text(&v["contact_email"]))
            .or_else(|| text(&customer["email"])),
        customer_id: id_of(&customer["id"]),
        order_id: Some(order_id),
        amount: Some(amount),
        occurred_at: time_of(&v["processed_at"]).or_else(|| time_of(&v["created_at"])),
        ip_address: text(&v["browser_ip"]).or_else(|| text(&v["client_details"]["browser_ip"])),
        user_agent: text(&v["client_details"]["user_agent"]),
        ..Default::default()
    };
    // Cart attributes (written by the storefront script) first, then the landing URL.
    for a in v["note_attributes"].as_array().into_iter().flatten() {
        if let (Some(k), Some(val)) = (a["name"].as_str(), a["value"].as_str()) {
            e.take_attribute(k, val);
        }
    }
    if let Some(landing) = v["landing_site"].as_str() {
        e.take_landing_url(landing);
    }
    // Shopify's own copy of the landing URL's `ref`.
    if let Some(r) = v["landing_site_ref"].as_str() {
        e.take_attribute("ref", r);
    }
    for d in v["discount_codes"].as_array().into_iter().flatten() {
        if let Some(code) = d["code"].as_str() {
            e.take_discount_code(code);
        }
    }
    Mapped::Events(vec![e])
}

fn refund(v: &Value) -> Mapped {
    let Some(order_id) = id_of(&v["order_id"]) else {
        return Mapped::Unmappable("the refund names no order_id".into());
    };
    // The money returned: successful refund transactions. Restocks and adjustments
    // without one return nothing.
    let mut total: Option<Money> = None;
    for t in v["transactions"].as_array().into_iter().flatten() {
        let kind = t["kind"].as_str().unwrap_or("refund");
        let status = t["status"].as_str().unwrap_or("success");
        if kind != "refund" || status != "success" {
            continue;
        }
        let m = match decimal("transactions.amount", &t["amount"], &t["currency"]) {
            Ok(m) => m,
            Err(e) => return Mapped::Unmappable(format!("a refund transaction: {e}")),
        };
        total = match total {
            None => Some(m),
            Some(t) if t.currency == m.currency => match t.amount.checked_add(m.amount) {
                Some(sum) => Some(Money::new(sum, t.currency)),
                None => return Mapped::Unmappable("the refund's amounts overflow".into()),
            },
            Some(_) => {
                return Mapped::Unmappable("the refund's transactions mix currencies".into())
            }
        };
    }
    let Some(amount) = total.filter(|m| m.amount > 0) else {
        return Mapped::Ignored("the refund returned no money (a restock or an adjustment)".into());
    };
    Mapped::Events(vec![ShopEvent {
        kind: Some(EventKind::Refund),
        order_id: Some(order_id),
        refund_id: id_of(&v["id"]),
        amount: Some(amount),
        occurred_at: time_of(&v["processed_at"]).or_else(|| time_of(&v["created_at"])),
        ..Default::default()
    }])
}

fn customer(v: &Value) -> Mapped {
    let e = ShopEvent {
        kind: Some(EventKind::Signup),
        email: text(&v["email"]),
        customer_id: id_of(&v["id"]),
        occurred_at: time_of(&v["created_at"]),
        ..Default::default()
    };
    if e.email.is_none() && e.customer_id.is_none() {
        return Mapped::Unmappable("the customer has neither an email nor an id".into());
    }
    Mapped::Events(vec![e])
}
