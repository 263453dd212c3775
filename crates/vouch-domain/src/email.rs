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

    /// The mailbox behind the address, as the fraud rules compare people: see
    /// [`identity_key`].
    pub fn identity_key(&self) -> String {
        identity_key(&self.original)
    }
}

/// Domains that deliver to one mailbox: an address at the second is the same person
/// at the first.
const EQUIVALENT_DOMAINS: &[(&str, &str)] = &[
    ("googlemail.com", "gmail.com"),
    ("me.com", "icloud.com"),
    ("mac.com", "icloud.com"),
    ("ya.ru", "yandex.ru"),
    ("yandex.com", "yandex.ru"),
    ("yandex.by", "yandex.ru"),
    ("yandex.kz", "yandex.ru"),
    ("yandex.ua", "yandex.ru"),
    ("protonmail.com", "proton.me"),
    ("protonmail.ch", "proton.me"),
    ("pm.me", "proton.me"),
];

/// The mailbox an address reaches, for comparing people, not for sending: lower
/// case, the `+tag` dropped at any domain (Gmail, Outlook and its country domains,
/// iCloud, Fastmail, Zoho, Proton and Google Workspace domains all deliver
/// `name+tag@` to `name@`; a false match costs a review, a miss a reward), dots
/// dropped where the provider ignores them (Gmail), equivalent domains folded
/// (`me.com` is `icloud.com`), and look-alike letters (Cyrillic, full-width) folded
/// to the UTS #39 skeleton by the `unicode-security` crate. Two addresses with one key
/// are one person as far as the fraud rules can tell.
pub fn identity_key(email: &str) -> String {
    use unicode_security::confusable_detection::skeleton;
    // Lower case on both sides of the skeleton (it maps some capitals apart). The
    // skeleton is not readable (`m` becomes `rn`), so provider rules compare skeletons.
    let skel = |s: &str| {
        skeleton(&s.to_lowercase())
            .collect::<String>()
            .to_lowercase()
    };
    let lower = email.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return skel(&lower);
    };
    let domain = skel(domain.trim_end_matches('.'));
    let domain = EQUIVALENT_DOMAINS
        .iter()
        .find(|(alias, _)| skel(alias) == domain)
        .map_or(domain.clone(), |(_, canonical)| skel(canonical));
    let local = local.split('+').next().unwrap_or(local);
    let local = if domain == skel("gmail.com") {
        local.replace('.', "")
    } else {
        local.to_owned()
    };
    format!("{}@{domain}", skel(&local))
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
    fn identity_keys_fold_aliases_lookalikes_and_equivalent_domains() {
        let key = identity_key;
        assert_eq!(key("Jane.Doe+x@googlemail.com"), key("janedoe@gmail.com"));
        assert_eq!(key("sam+shop@outlook.de"), key("sam@outlook.de"));
        assert_eq!(key("sam+a@zoho.com"), key("sam@zoho.com"));
        assert_eq!(key("anna+r@acme-corp.com"), key("anna@acme-corp.com"));
        assert_eq!(key("ivan@ya.ru"), key("ivan@yandex.com"));
        assert_eq!(key("kim@me.com"), key("kim@icloud.com"));
        assert_eq!(key("kim@mac.com"), key("kim@icloud.com"));
        assert_eq!(key("neo@pm.me"), key("neo@protonmail.com"));
        // Cyrillic а, о, е and full-width letters look like Latin ones.
        assert_eq!(key("m\u{0430}ria@gmail.com"), key("maria@gmail.com"));
        assert_eq!(
            key("j\u{043e}hn@outl\u{043e}ok.com"),
            key("john@outlook.com")
        );
        assert_eq!(key("\u{ff4a}ohn@gmail.com"), key("john@gmail.com"));
        // Different mailboxes stay apart: dots count outside Gmail, and Outlook's
        // country domains are separate accounts.
        assert_ne!(key("jane.doe@outlook.com"), key("janedoe@outlook.com"));
        assert_ne!(key("sam@hotmail.co.uk"), key("sam@outlook.com"));
        assert_ne!(key("maria@gmail.com"), key("mario@gmail.com"));
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
