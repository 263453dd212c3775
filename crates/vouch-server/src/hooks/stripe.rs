//! Stripe: a paid Checkout Session is a purchase (a subscription's session is the
//! friend signing up: its payments come as invoices), `invoice.paid` a subscription
//! payment, `charge.refunded` a refund of the amount newly refunded.

use serde_json::Value;
use vouch_domain::event::EventKind;
use vouch_domain::money::{Currency, Money};
use vouch_domain::Millis;

use super::mapped::{id_of, text, Mapped, ShopEvent};

pub fn map(v: &Value) -> Mapped {
    let kind = v["type"].as_str().unwrap_or("");
    let object = &v["data"]["object"];
    let created = v["created"].as_i64().and_then(|s| s.checked_mul(1000));
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            session(kind, object, created)
        }
        "invoice.paid" => invoice(object, created),
        "charge.refunded" => refund(object, &v["data"]["previous_attributes"], created),
        other => Mapped::Ignored(format!(
            "the event type {other} reports nothing to a program"
        )),
    }
}

/// Stripe's amounts are already in minor units; its currency codes are lower case.
fn money(amount: &Value, currency: &Value) -> Result<Money, String> {
    let amount = amount.as_i64().ok_or("no amount")?;
    if amount < 0 {
        return Err("a negative amount".into());
    }
    let c = currency.as_str().ok_or("no currency")?;
    Ok(Money::new(
        amount,
        Currency::parse("currency", c).map_err(|e| e.to_string())?,
    ))
}

/// An id field that may be expanded into its object.
fn ref_id(v: &Value) -> Option<String> {
    id_of(v).or_else(|| id_of(&v["id"]))
}

fn session(kind: &str, s: &Value, created: Option<Millis>) -> Mapped {
    let mode = s["mode"].as_str().unwrap_or("payment");
    let paid = matches!(
        s["payment_status"].as_str(),
        Some("paid" | "no_payment_required")
    );
    let mut e = ShopEvent {
        email: text(&s["customer_details"]["email"]).or_else(|| text(&s["customer_email"])),
        customer_id: ref_id(&s["customer"]),
        occurred_at: created,
        ..Default::default()
    };
    if let Some(r) = s["client_reference_id"].as_str() {
        e.take_reference(r);
    }
    if let Some(meta) = s["metadata"].as_object() {
        for (k, val) in meta {
            if let Some(val) = val.as_str() {
                e.take_attribute(k, val);
            }
        }
    }
    // Promotion codes carry their text only when expanded.
    let discounts = s["discounts"].as_array().into_iter().flatten().chain(
        s["total_details"]["breakdown"]["discounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|d| &d["discount"]),
    );
    for d in discounts {
        if let Some(code) = d["promotion_code"]["code"].as_str() {
            e.take_discount_code(code);
        }
    }
    match mode {
        "subscription" if kind == "checkout.session.completed" => {
            if e.customer_id.is_none() && e.email.is_none() {
                return Mapped::Unmappable("the session has neither a customer nor an email".into());
            }
            e.kind = Some(EventKind::Signup);
            Mapped::Events(vec![e])
        }
        "payment" if paid => {
            let amount = match money(&s["amount_total"], &s["currency"]) {
                Ok(m) => m,
                Err(why) => return Mapped::Unmappable(format!("the session's total: {why}")),
            };
            // The payment intent names the order: refunds (charge.refunded) carry it.
            let Some(order) = ref_id(&s["payment_intent"]).or_else(|| id_of(&s["id"])) else {
                return Mapped::Unmappable("the session has no id".into());
            };
            if e.customer_id.is_none() && e.email.is_none() {
                return Mapped::Unmappable("the session has neither a customer nor an email".into());
            }
            e.kind = Some(EventKind::Purchase);
            e.order_id = Some(order);
            e.amount = Some(amount);
            Mapped::Events(vec![e])
        }
        "payment" => Mapped::Ignored(
            "the payment has not succeeded yet; it counts at checkout.session.async_payment_succeeded"
                .into(),
        ),
        other => Mapped::Ignored(format!("a session in {other} mode reports nothing")),
    }
}

fn invoice(i: &Value, created: Option<Millis>) -> Mapped {
    let amount = match money(&i["amount_paid"], &i["currency"]) {
        Ok(m) => m,
        Err(why) => return Mapped::Unmappable(format!("the invoice's amount: {why}")),
    };
    if amount.amount == 0 {
        return Mapped::Ignored("nothing was paid (a trial or a free invoice)".into());
    }
    let subscription = ref_id(&i["subscription"])
        .or_else(|| ref_id(&i["parent"]["subscription_details"]["subscription"]));
    let Some(order) = ref_id(&i["payment_intent"]).or_else(|| id_of(&i["id"])) else {
        return Mapped::Unmappable("the invoice has no id".into());
    };
    let mut e = ShopEvent {
        kind: Some(if subscription.is_some() {
            EventKind::SubscriptionPayment
        } else {
            EventKind::Purchase
        }),
        email: text(&i["customer_email"]),
        // The customer, whose subscription it is: the same identity as the session
        // that signed them up, so the payment finds their referral.
        customer_id: ref_id(&i["customer"]).or(subscription),
        order_id: Some(order),
        amount: Some(amount),
        occurred_at: i["status_transitions"]["paid_at"]
            .as_i64()
            .and_then(|s| s.checked_mul(1000))
            .or(created),
        ..Default::default()
    };
    if e.customer_id.is_none() && e.email.is_none() {
        return Mapped::Unmappable("the invoice has neither a customer nor an email".into());
    }
    // A referral the merchant put on the subscription or the invoice.
    for meta in [
        &i["metadata"],
        &i["subscription_details"]["metadata"],
        &i["parent"]["subscription_details"]["metadata"],
    ] {
        for (k, val) in meta.as_object().into_iter().flatten() {
            if let Some(val) = val.as_str() {
                e.take_attribute(k, val);
            }
        }
    }
    Mapped::Events(vec![e])
}

fn refund(c: &Value, previous: &Value, created: Option<Millis>) -> Mapped {
    let total = match money(&c["amount_refunded"], &c["currency"]) {
        Ok(m) => m,
        Err(why) => return Mapped::Unmappable(format!("the charge's refunded amount: {why}")),
    };
    let latest = c["refunds"]["data"].as_array().and_then(|r| r.first());
    // What this event refunded: the total now less the total before.
    let before = previous["amount_refunded"].as_i64().or_else(|| {
        latest
            .and_then(|r| r["amount"].as_i64())
            .map(|a| total.amount.saturating_sub(a))
    });
    let newly = total.amount.saturating_sub(before.unwrap_or(0));
    if newly <= 0 {
        return Mapped::Ignored("the charge's refunded amount did not grow".into());
    }
    let Some(charge) = id_of(&c["id"]) else {
        return Mapped::Unmappable("the charge has no id".into());
    };
    let order = ref_id(&c["payment_intent"])
        .or_else(|| ref_id(&c["invoice"]))
        .unwrap_or_else(|| charge.clone());
    let refund_id = latest
        .filter(|r| r["amount"].as_i64() == Some(newly))
        .and_then(|r| id_of(&r["id"]))
        // The running total only grows: it names this refund across retries.
        .unwrap_or_else(|| format!("{charge}:{}", total.amount));
    Mapped::Events(vec![ShopEvent {
        kind: Some(EventKind::Refund),
        order_id: Some(order),
        refund_id: Some(refund_id),
        amount: Some(Money::new(newly, total.currency)),
        occurred_at: created,
        ..Default::default()
    }])
}
