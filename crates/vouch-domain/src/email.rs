//! Email addresses as identities: what "the same person" means for enrolment and
//! self-referral.

use serde::{Deserialize, Serialize};

use crate::{DomainError, Result};

/// A syntactically plausible email address, kept as given and in normalized form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    original: String,
    normalized: String,
}

impl Email {
    /// Accepts `local@domain.tld` of at most 254 characters; deliverability is the
    /// merchant's business, not ours.
    pub fn parse(field: &str, raw: &str) -> Result<Self> {
        let original = raw.trim();
        let bad = |m: &str| DomainError::invalid(field, m);
        if original.is_empty() {
            return Err(bad("must not be empty"));
        }
        if original.len() > 254 {
            return Err(bad("must be at most 254 characters"));
        }
        let (local, domain) = original
            .rsplit_once('@')
            .ok_or_else(|| bad("must be an email address"))?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.contains(char::is_whitespace) || !domain_ok {
            return Err(bad("must be an email address"));
        }
        Ok(Self {
            original: original.to_owned(),
            normalized: normalize(original),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The identity used for enrolment and self-referral checks.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

/// Lowercases the address and, for providers that ignore them, drops dots and `+tags`
/// from the local part: `Jane.Doe+promo@Gmail.com` and `janedoe@gmail.com` are one
/// person, so neither can refer the other.
pub fn normalize(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    let domain = match domain {
        "googlemail.com" => "gmail.com",
        d => d,
    };
    let local = match domain {
        "gmail.com" => {
            let base = local.split('+').next().unwrap_or(local);
            base.replace('.', "")
        }
        "outlook.com" | "hotmail.com" | "live.com" | "icloud.com" | "me.com" | "fastmail.com"
        | "proton.me" | "protonmail.com" | "yahoo.com" => {
            local.split('+').next().unwrap_or(local).to_owned()
        }
        _ => local.to_owned(),
    };
    format!("{local}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_case_dots_and_tags_for_gmail() {
        let a = Email::parse("email", " Jane.Doe+promo@GoogleMail.com ").unwrap();
        assert_eq!(a.normalized(), "janedoe@gmail.com");
        assert_eq!(a.as_str(), "Jane.Doe+promo@GoogleMail.com");
    }

    #[test]
    fn keeps_dots_for_other_domains() {
        let a = Email::parse("email", "Jane.Doe@Example.com").unwrap();
        assert_eq!(a.normalized(), "jane.doe@example.com");
    }

    #[test]
    fn rejects_non_addresses() {
        for bad in [
            "",
            "nope",
            "a@b",
            "@b.com",
            "a b@c.com",
            "a@.com",
            "a@b.com.",
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }
}
