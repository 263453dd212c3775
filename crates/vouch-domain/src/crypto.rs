//! The one keyed hash every signature and derived key uses: HMAC-SHA256.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed with `key`, of any length (HMAC hashes long keys and pads
/// short ones; the crate's length error exists only for fixed-size MACs).
pub fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_any_length_work() {
        for len in [0, 1, 32, 64, 65, 1000] {
            let mut m = hmac_sha256(&vec![7u8; len]);
            m.update(b"x");
            assert_eq!(m.finalize().into_bytes().len(), 32);
        }
    }
}
