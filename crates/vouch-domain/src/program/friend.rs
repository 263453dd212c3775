//! The friend page's settings: whether links lead to it and how its button carries the
//! friend's coupon on to the shop.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Result};

/// How the friend page's button carries the friend's coupon on to the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CouponLink {
    /// `https://shop/discount/{code}?redirect=/path?ref=…`: Shopify applies the code.
    Shopify,
    /// `?coupon={code}` (or `coupon_param`) added to the shop URL (the default).
    #[default]
    Query,
    /// The code is only shown; the button carries `ref` and `vouch_click`.
    None,
}

/// The friend page: where the advocate's link leads instead of straight to the shop. It
/// shows the advocate's first name and the offer; when the friend's reward is given on
/// arrival (`referee_reward.on: arrival`), the friend enters their email and gets the
/// code at once, with a copy button and a button on to the shop.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FriendPage {
    /// Off by default: links redirect straight to the shop.
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub coupon_link: CouponLink,
    /// The query parameter for `coupon_link: query` (default `coupon`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_param: Option<String>,
    /// An https image shown on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
}

impl FriendPage {
    pub(super) fn validate(&self) -> Result<()> {
        if let Some(p) = &self.coupon_param {
            let ok = (1..=40).contains(&p.len())
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
            if !ok {
                return Err(DomainError::invalid(
                    "coupon_param",
                    "must be 1 to 40 letters, digits, '_' or '-'",
                ));
            }
        }
        if let Some(u) = &self.image_url {
            let ok = url::Url::parse(u).is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
            if !ok || u.len() > 2000 {
                return Err(DomainError::invalid(
                    "image_url",
                    "must be an absolute https URL",
                ));
            }
        }
        Ok(())
    }
}
