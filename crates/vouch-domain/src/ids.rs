//! Typed, prefixed identifiers (`prg_01j…`). A ULID after the prefix keeps ids sortable
//! by creation time, which is what cursor pagination orders by.

use std::fmt;

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// ULIDs made in the same millisecond are ordered only if one generator makes them;
/// lists are ordered by id, so this process shares one.
static GENERATOR: Mutex<ulid::Generator> = Mutex::new(ulid::Generator::new());

fn next_ulid() -> String {
    // `Ulid::default()` is the nil id, so the fallback (a poisoned lock, or 2^80 ids in
    // one millisecond) is spelled out: a fresh random ULID.
    let id = match GENERATOR.lock().ok().and_then(|mut g| g.generate().ok()) {
        Some(id) => id,
        None => ulid::Ulid::new(),
    };
    id.to_string().to_ascii_lowercase()
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id.
            pub fn new() -> Self {
                Self(format!("{}{}", $prefix, next_ulid()))
            }

            /// The smallest id made at or after the wall-clock millisecond `at`: ids
            /// are time-ordered, so `id >= floor(t)` finds what was made since `t`.
            pub fn floor(at: i64) -> String {
                let id = ulid::Ulid::from_parts(u64::try_from(at).unwrap_or(0), 0);
                format!("{}{}", $prefix, id.to_string().to_ascii_lowercase())
            }

            /// Accepts a client-supplied id only when it has this type's prefix and shape,
            /// so a malformed id is rejected before any query.
            pub fn parse(s: &str) -> Option<Self> {
                let rest = s.strip_prefix($prefix)?;
                (rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
                    .then(|| Self(s.to_owned()))
            }

            /// Wraps an id read back from the store (trusted).
            pub fn from_trusted(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(/// A merchant (tenant).
    WorkspaceId, "ws_");
id_type!(/// An API key's public identifier.
    ApiKeyId, "key_");
id_type!(/// A referral program.
    ProgramId, "prg_");
id_type!(/// An advocate enrolled in a program.
    ParticipantId, "prt_");
id_type!(/// One visit of a referral link.
    ClickId, "clk_");
id_type!(/// A friend the merchant reported, as known to one program.
    CustomerId, "cus_");
id_type!(/// The relationship advocate → friend.
    ReferralId, "ref_");
id_type!(/// A signup, purchase or refund reported by the merchant.
    EventId, "evt_");
id_type!(/// Value owed to a participant.
    RewardId, "rwd_");
id_type!(/// One balanced ledger transaction.
    LedgerTxId, "ltx_");
id_type!(/// Credit spent by a participant.
    RedemptionId, "rdm_");
id_type!(/// A durable background job.
    JobId, "job_");
id_type!(/// Coupon codes a merchant uploaded for coupon rewards.
    CouponPoolId, "cpl_");
id_type!(/// A batch of cash payouts in one currency.
    PayoutId, "po_");
id_type!(/// One participant's amount in a payout batch.
    PayoutLineId, "pol_");
id_type!(/// One entry of the audit log.
    AuditId, "aud_");
id_type!(/// One domain event: a change of state, as the outbox and the activity feed keep it.
    ActivityId, "act_");
id_type!(/// A shop connection (Shopify, WooCommerce, Stripe) whose webhooks feed a program.
    IntegrationId, "int_");
id_type!(/// One webhook a shop delivered to an integration, with Vouch's verdict.
    DeliveryId, "dlv_");
id_type!(/// An endpoint of the merchant's that receives Vouch's webhooks.
    WebhookEndpointId, "we_");
id_type!(/// One webhook message to one endpoint (its `webhook-id`, stable across retries).
    MessageId, "msg_");
id_type!(/// One email to one person, from the email outbox.
    EmailId, "eml_");
id_type!(/// A contest among a program's advocates, with prizes for the top places.
    ContestId, "con_");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_parse_back() {
        let id = ProgramId::new();
        assert_eq!(ProgramId::parse(id.as_str()), Some(id.clone()));
        assert!(id.as_str().starts_with("prg_"));
    }

    #[test]
    fn ids_made_in_a_row_sort_in_order() {
        let ids: Vec<_> = (0..1000).map(|_| RewardId::new()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn wrong_prefix_or_shape_is_rejected() {
        let id = ProgramId::new();
        assert_eq!(ParticipantId::parse(id.as_str()), None);
        assert_eq!(ProgramId::parse("prg_short"), None);
        assert_eq!(ProgramId::parse("prg_0123456789012345678901234'"), None);
    }
}
