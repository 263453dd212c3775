//! Referral codes: generated in an alphabet without look-alike characters, or chosen by
//! the advocate (vanity). Codes are case-insensitive and stored upper-case.

use rand::Rng;

use crate::{DomainError, Result};

/// No 0/O, 1/I/L: codes are read aloud, typed from printed cards and scanned by eye.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 31^8 ≈ 8.5e11 codes: collisions are rare, and the store's unique key catches them.
pub const GENERATED_LEN: usize = 8;

/// A referral code: shown as the advocate chose it (`Sara-10`), matched by its
/// canonical upper-case form (`SARA-10`), so two codes cannot differ only by case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferralCode {
    canonical: String,
    display: String,
}

impl ReferralCode {
    /// A fresh random code.
    pub fn generate() -> Self {
        let mut rng = rand::thread_rng();
        let s: String = (0..GENERATED_LEN)
            .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
            .collect();
        Self::from_trusted(s)
    }

    /// A vanity code chosen by a person: 3–32 letters, digits, `-` or `_`.
    pub fn parse_vanity(field: &str, raw: &str) -> Result<Self> {
        let s = raw.trim();
        if !(3..=32).contains(&s.len()) {
            return Err(DomainError::invalid(field, "must be 3 to 32 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(DomainError::invalid(
                field,
                "may contain only letters, digits, '-' and '_'",
            ));
        }
        Ok(Self {
            canonical: s.to_ascii_uppercase(),
            display: s.to_owned(),
        })
    }

    /// Canonical form of a code arriving in a link or an event, for lookup. `None` when
    /// it cannot be any code (so no query is made).
    pub fn lookup_key(raw: &str) -> Option<String> {
        let s = raw.trim();
        ((1..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| s.to_ascii_uppercase())
    }

    pub fn from_trusted(s: String) -> Self {
        Self {
            canonical: s.to_ascii_uppercase(),
            display: s,
        }
    }

    /// The canonical form: what lookups and uniqueness use.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// As the advocate chose it: what links and pages show.
    pub fn display(&self) -> &str {
        &self.display
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn generated_codes_use_only_the_unambiguous_alphabet() {
        for _ in 0..1000 {
            let c = ReferralCode::generate();
            assert_eq!(c.as_str().len(), GENERATED_LEN);
            assert!(c.as_str().bytes().all(|b| ALPHABET.contains(&b)));
            assert!(!c.as_str().contains(['0', 'O', '1', 'I', 'L']));
        }
    }

    #[test]
    fn vanity_codes_are_validated_and_uppercased() {
        let code = ReferralCode::parse_vanity("c", " Sara-10 ").unwrap();
        assert_eq!((code.as_str(), code.display()), ("SARA-10", "Sara-10"));
        assert!(ReferralCode::parse_vanity("c", "ab").is_err());
        assert!(ReferralCode::parse_vanity("c", "has space").is_err());
        assert!(ReferralCode::parse_vanity("c", "سارة").is_err());
    }

    proptest! {
        #[test]
        fn lookup_key_never_panics_and_is_uppercase(s in ".{0,40}") {
            if let Some(k) = ReferralCode::lookup_key(&s) {
                prop_assert_eq!(k.clone(), k.to_ascii_uppercase());
            }
        }
    }
}
