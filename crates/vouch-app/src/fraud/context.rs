//! What a request tells about a person's network, browser, device and card, hashed
//! as it arrives, and the identities (device, card, mailbox) the identity graph keeps.

use vouch_domain::ids::WorkspaceId;
use vouch_store::IdentityMark;

use crate::error::{AppError, Result};
use crate::hashing::IpHasher;

/// What a request may tell about the person's network and device.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct ContextIn {
    /// The person's IP address as your server saw it. Stored only as a keyed hash.
    pub ip_address: Option<String>,
    /// Their browser's user agent. Stored only as a hash.
    pub user_agent: Option<String>,
    /// Your device fingerprint or id for them.
    pub device_id: Option<String>,
    /// A fingerprint of the card or payment account (never the number itself).
    pub payment_fingerprint: Option<String>,
}

/// A request's context as the engine keeps it.
#[derive(Debug, Clone, Default)]
pub struct Sighting {
    pub fingerprint: vouch_store::Fingerprint,
    /// The keyed hash of the network range (/24, /48).
    pub ip_range_hash: Option<String>,
    /// The workspace's keyed hasher, for the identities of the person.
    pub hasher: Option<IpHasher>,
}

/// The workspace's own hashing key, cached (it never changes).
pub async fn workspace_key(
    store: &dyn vouch_store::Store,
    data: &FraudData,
    ws: &WorkspaceId,
) -> Result<String> {
    Ok(data
        .hash_keys
        .get_or_load(ws, async {
            Ok::<_, vouch_store::StoreError>(
                store
                    .get_workspace(ws)
                    .await?
                    .map(|w| w.hash_key)
                    .unwrap_or_default(),
            )
        })
        .await?)
}

/// The keyed network hashes, browser hash and ids of a request context. The IP is
/// hashed under the workspace's key, once alone and once as its /24 (IPv4) or /48
/// (IPv6) range; it is never stored in clear.
pub async fn fingerprint(
    store: &dyn vouch_store::Store,
    data: &FraudData,
    ws: &WorkspaceId,
    ctx: &ContextIn,
) -> Result<Sighting> {
    let clip = |v: &Option<String>, field: &str| -> Result<Option<String>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) if v.chars().count() > 512 => {
                Err(AppError::invalid(field, "must be at most 512 characters"))
            }
            v => Ok(v.map(str::to_owned)),
        }
    };
    let ip = match clip(&ctx.ip_address, "ip_address")? {
        Some(raw) => Some(
            raw.parse::<std::net::IpAddr>()
                .map_err(|_| AppError::invalid("ip_address", "is not an IPv4 or IPv6 address"))?,
        ),
        None => None,
    };
    let key = workspace_key(store, data, ws).await?;
    let hasher = IpHasher::for_workspace(data.secret.as_deref(), &key);
    let (ip_hash, range_hash) = match ip.filter(|ip| vouch_domain::fraud::is_public_ip(*ip)) {
        Some(ip) => {
            let range = match ip {
                std::net::IpAddr::V4(v4) => {
                    let o = v4.octets();
                    format!("range:{}.{}.{}.0/24", o[0], o[1], o[2])
                }
                std::net::IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("range:{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
                }
            };
            (
                Some(hasher.hash(&ip.to_string())),
                Some(hasher.hash(&range)),
            )
        }
        None => (None, None),
    };
    let ua = clip(&ctx.user_agent, "user_agent")?;
    let ua_hash = ua.as_deref().map(|ua| self::ua_hash(&hasher, ua));
    Ok(Sighting {
        fingerprint: vouch_store::Fingerprint {
            ip_hash,
            automated: ua
                .as_deref()
                .is_some_and(vouch_domain::fraud::automated_browser),
            ua_hash,
            device_id: clip(&ctx.device_id, "device_id")?,
            payment_fingerprint: clip(&ctx.payment_fingerprint, "payment_fingerprint")?,
        },
        ip_range_hash: range_hash,
        hasher: Some(hasher),
    })
}

/// A user agent as stored for comparison: a keyed hash (a plain one could be matched
/// against a list of common browser strings), never the string itself.
pub fn ua_hash(hasher: &IpHasher, ua: &str) -> String {
    hasher.hash(&format!("ua:{}", ua.trim()))
}

/// The person behind an email, as the identity graph knows them: the keyed hash of
/// their mailbox (so aliases are one person), or `fallback` (an id) without an email.
pub fn person_key(hasher: &IpHasher, email: Option<&str>, fallback: &str) -> String {
    match email {
        Some(e) => hasher.hash(&format!("mailbox:{}", vouch_domain::email::identity_key(e))),
        None => fallback.to_owned(),
    }
}

/// The identities a person showed: their device, their card and their mailbox (with
/// the exact address, so another spelling of the mailbox shows), as keyed hashes.
pub fn identity_marks(
    hasher: &IpHasher,
    fp: &vouch_store::Fingerprint,
    email: Option<&str>,
) -> Vec<IdentityMark> {
    let mut marks = vec![];
    if let Some(d) = &fp.device_id {
        marks.push(IdentityMark {
            kind: "device",
            value: hasher.hash(&format!("device:{d}")),
            address: None,
        });
    }
    if let Some(p) = &fp.payment_fingerprint {
        marks.push(IdentityMark {
            kind: "payment",
            value: hasher.hash(&format!("payment:{p}")),
            address: None,
        });
    }
    if let Some(e) = email {
        marks.push(IdentityMark {
            kind: "email",
            value: person_key(hasher, Some(e), ""),
            address: Some(hasher.hash(&format!("address:{}", vouch_domain::email::normalize(e)))),
        });
    }
    marks
}

/// Lists the fraud rules look names up in.
pub struct FraudData {
    pub disposable: vouch_domain::fraud::DomainList,
    pub coupon_sites: vouch_domain::fraud::DomainList,
    /// Workspaces' IP-hashing keys (they never change), so an event that brings an IP
    /// does not read its workspace again.
    pub hash_keys: crate::cache::TtlCache<WorkspaceId, String>,
    /// The server's hashing secret (`VOUCH_HASH_SECRET` or a key file), kept out of
    /// the database.
    pub secret: Option<String>,
}

fn hash_keys() -> crate::cache::TtlCache<WorkspaceId, String> {
    crate::cache::TtlCache::new(std::time::Duration::from_secs(3600), 10_000)
}

impl FraudData {
    /// The lists Vouch ships with.
    pub fn shipped() -> Self {
        Self {
            disposable: vouch_domain::fraud::DomainList::disposable(),
            coupon_sites: vouch_domain::fraud::DomainList::coupon_sites(),
            hash_keys: hash_keys(),
            secret: None,
        }
    }

    /// The shipped lists, with the operator's file of disposable domains added (a newer
    /// copy of a maintained list, or their own finds).
    pub fn load(
        disposable_domains: Option<&std::path::Path>,
        secret: Option<String>,
    ) -> anyhow::Result<Self> {
        let disposable = match disposable_domains {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("reading disposable domains {}: {e}", path.display())
                })?;
                vouch_domain::fraud::DomainList::disposable_with(&text)
            }
            None => vouch_domain::fraud::DomainList::disposable(),
        };
        Ok(Self {
            disposable,
            coupon_sites: vouch_domain::fraud::DomainList::coupon_sites(),
            hash_keys: hash_keys(),
            secret,
        })
    }
}
