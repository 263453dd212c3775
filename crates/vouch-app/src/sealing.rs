//! Sealing secrets Vouch must read back (a shop's webhook signing secret cannot be
//! hashed: verifying a signature needs it). ChaCha20-Poly1305 under a key derived from
//! the server's secret, which never lives in the database, and the workspace's own
//! key; the integration's id is bound as associated data, so a sealed value copied to
//! another row does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::Mac;
use rand::RngCore;
use vouch_domain::crypto::hmac_sha256;

use crate::error::{AppError, Result};

const VERSION: &str = "v1:";

#[derive(Clone)]
pub struct Sealer(ChaCha20Poly1305);

impl Sealer {
    /// The sealer of a workspace. Without a server secret the key comes from the
    /// workspace's key alone (in the database): the server warns about that at start.
    pub fn for_workspace(server_secret: Option<&str>, workspace_key: &str) -> Self {
        let mut mac = hmac_sha256(server_secret.unwrap_or("").as_bytes());
        mac.update(b"vouch sealing key\0");
        mac.update(workspace_key.as_bytes());
        let key = mac.finalize().into_bytes();
        Self(ChaCha20Poly1305::new(Key::from_slice(&key)))
    }

    pub fn seal(&self, plain: &str, bound_to: &str) -> Result<String> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: bound_to.as_bytes(),
                },
            )
            .map_err(|_| AppError::Internal(anyhow::anyhow!("sealing failed")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{VERSION}{}",
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        ))
    }

    /// The plain text, or an error when the value was sealed under another key (the
    /// server secret changed) or for another row.
    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<String> {
        let broken = || {
            AppError::Internal(anyhow::anyhow!(
                "a sealed secret does not open: was the server's secret (VOUCH_HASH_SECRET) changed?"
            ))
        };
        let raw = sealed
            .strip_prefix(VERSION)
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(b)
                    .ok()
            })
            .filter(|r| r.len() > 12)
            .ok_or_else(broken)?;
        let (nonce, body) = raw.split_at(12);
        let plain = self
            .0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: bound_to.as_bytes(),
                },
            )
            .map_err(|_| broken())?;
        String::from_utf8(plain).map_err(|_| broken())
    }
}

/// A secret that rotates: the current one, and the previous one until its overlap
/// ends, both sealed for the same row.
pub struct Rotating<'a> {
    pub current: &'a str,
    pub previous: Option<&'a str>,
    pub previous_until: Option<vouch_domain::Millis>,
    pub bound_to: &'a str,
}

impl Sealer {
    /// The secrets in force at `now`, the current one first.
    pub fn open_rotating(
        &self,
        r: &Rotating<'_>,
        now: vouch_domain::Millis,
    ) -> Result<Vec<String>> {
        let mut out = vec![self.open(r.current, r.bound_to)?];
        if let (Some(prev), Some(until)) = (r.previous, r.previous_until) {
            if now < until {
                out.push(self.open(prev, r.bound_to)?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_keys_and_row() {
        let a = Sealer::for_workspace(Some("server"), "ws-key");
        let sealed = a.seal("shpss_secret", "int_1").unwrap();
        assert!(!sealed.contains("shpss_secret"));
        assert_eq!(a.open(&sealed, "int_1").unwrap(), "shpss_secret");
        assert!(a.open(&sealed, "int_2").is_err(), "bound to its row");
        let other_server = Sealer::for_workspace(Some("other"), "ws-key");
        assert!(other_server.open(&sealed, "int_1").is_err());
        let other_ws = Sealer::for_workspace(Some("server"), "ws-key-2");
        assert!(other_ws.open(&sealed, "int_1").is_err());
        assert_ne!(
            sealed,
            a.seal("shpss_secret", "int_1").unwrap(),
            "fresh nonce"
        );
        assert!(a.open("v1:", "int_1").is_err());
        assert!(a.open("garbage", "int_1").is_err());
    }
}
