//! Keyed hashes of what identifies a person's network: IPs are never stored in clear.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 under the workspace's key. Keying computes two hash blocks; cloning a
/// keyed state per click skips that.
#[derive(Clone)]
pub struct IpHasher(Option<Hmac<Sha256>>);

impl std::fmt::Debug for IpHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IpHasher")
    }
}

impl IpHasher {
    pub fn new(key: &str) -> Self {
        Self(Hmac::<Sha256>::new_from_slice(key.as_bytes()).ok())
    }

    /// Keyed per workspace, so hashes cannot be joined across merchants or reversed by
    /// hashing the IPv4 space.
    pub fn hash(&self, ip: &str) -> String {
        let Some(mac) = &self.0 else {
            return String::new();
        };
        let mut mac = mac.clone();
        mac.update(ip.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}
