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

    /// The hasher of a workspace: keyed by the server's secret (which never lives in
    /// the database) and the workspace's own key, so that neither a stolen database nor
    /// a stolen secret alone lets anyone hash the IPv4 space or a list of browser
    /// strings to match them. Without a secret, the workspace's key alone (as before).
    pub fn for_workspace(secret: Option<&str>, workspace_key: &str) -> Self {
        match secret {
            Some(secret) => {
                let derived = Self::new(secret).hash(&format!("workspace:{workspace_key}"));
                Self::new(&derived)
            }
            None => Self::new(workspace_key),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_secret_changes_every_hash() {
        let plain = IpHasher::for_workspace(None, "ws-key");
        let keyed = IpHasher::for_workspace(Some("server-secret"), "ws-key");
        let other = IpHasher::for_workspace(Some("another-secret"), "ws-key");
        let ip = "203.0.113.7";
        assert_eq!(plain.hash(ip), IpHasher::new("ws-key").hash(ip));
        assert_ne!(keyed.hash(ip), plain.hash(ip));
        assert_ne!(keyed.hash(ip), other.hash(ip));
        assert_eq!(keyed.hash(ip), keyed.clone().hash(ip));
    }
}
