//! What names and addresses say: public networks, disposable and coupon domains,
//! automated browsers.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Whether an address identifies a network on the internet. Loopback, private,
/// link-local and carrier-internal addresses say where a proxy or a test runs, not who
/// the person is: they never count as "the same network".
pub fn is_public_ip(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1])))
        }
        std::net::IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Whether a browser string says it is automated: a headless browser, an HTTP library
/// or a crawler, by the maintained list of the `isbot` crate. The list is compiled
/// once per process.
pub fn automated_browser(user_agent: &str) -> bool {
    static BOTS: OnceLock<isbot::Bots> = OnceLock::new();
    let ua = user_agent.trim();
    !ua.is_empty() && BOTS.get_or_init(isbot::Bots::default).is_bot(ua)
}

/// Forwarding services that give each shop its own address for one persistent,
/// often paid, account (Sign in with Apple hides every iPhone user's address this way).
/// Maintained disposable lists include some of them; they are people, not throwaways.
const PRIVACY_RELAYS: &[&str] = &[
    "privaterelay.appleid.com",
    "mozmail.com",
    "duck.com",
    "simplelogin.com",
    "simplelogin.co",
    "slmail.me",
    "aleeas.com",
    "anonaddy.me",
    "anonaddy.com",
    "addy.io",
    "passmail.net",
    "passinbox.com",
];

/// Words only throwaway providers put in their names: a provider too new for any list
/// still calls itself a temporary mailbox.
const THROWAWAY_WORDS: &[&str] = &[
    "tempmail",
    "temp-mail",
    "tmpmail",
    "tempinbox",
    "tempemail",
    "temporary-mail",
    "trashmail",
    "trash-mail",
    "throwaway",
    "disposable",
    "10minute",
    "minutemail",
    "burnermail",
    "fakemail",
    "fakeinbox",
    "spambox",
    "spamgourmet",
    "guerrillamail",
    "mailinator",
    "yopmail",
];

/// Top-level domains where new throwaway mail domains cluster (cheap, bulk-registered;
/// they lead the public lists of most abused TLDs, such as Spamhaus's). People rarely
/// keep their mailbox there, so an address at one is worth a look, not a rejection.
const THROWAWAY_TLDS: &[&str] = &[
    "top",
    "xyz",
    "icu",
    "cfd",
    "sbs",
    "click",
    "buzz",
    "lol",
    "cyou",
    "rest",
    "fun",
    "space",
    "site",
    "store",
    "online",
    "shop",
    "bond",
    "monster",
    "quest",
    "beauty",
    "hair",
    "skin",
    "makeup",
    "autos",
    "boats",
    "homes",
    "mom",
    "yachts",
    "pics",
    "win",
    "bid",
    "loan",
    "work",
    "date",
    "men",
    "review",
    "stream",
    "download",
    "racing",
    "party",
    "science",
    "trade",
    "webcam",
    "accountant",
    "faith",
    "cricket",
    "gq",
    "tk",
    "ml",
    "cf",
    "ga",
];

/// Whether an email domain is on a top-level domain where throwaway providers cluster.
pub fn throwaway_tld(domain: &str) -> bool {
    let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    d.rsplit_once('.')
        .is_some_and(|(_, tld)| THROWAWAY_TLDS.contains(&tld))
}

/// A set of domains (disposable-address providers, coupon sites): one per line, `#`
/// comments. A domain matches itself and its subdomains.
#[derive(Debug, Clone, Default)]
pub struct DomainList {
    listed: HashSet<String>,
    /// Also consult the maintained list of the `disposable-emails` crate (tens of
    /// thousands of providers).
    maintained: bool,
}

impl DomainList {
    pub fn parse(text: &str) -> Self {
        Self {
            listed: text
                .lines()
                .map(|l| l.split('#').next().unwrap_or_default().trim())
                .filter(|l| !l.is_empty())
                .map(|l| l.trim_start_matches("*.").to_ascii_lowercase())
                .collect(),
            maintained: false,
        }
    }

    /// The disposable-address providers Vouch ships with: the maintained list of the
    /// `disposable-emails` crate and Vouch's own additions.
    pub fn disposable() -> Self {
        Self {
            maintained: true,
            ..Self::parse(include_str!("../../data/disposable_domains.txt"))
        }
    }

    /// The shipped disposable list and an operator's own (`--disposable-domains`).
    pub fn disposable_with(extra: &str) -> Self {
        let mut list = Self::disposable();
        list.listed.extend(Self::parse(extra).listed);
        list
    }

    /// Coupon-aggregator sites whose referrals suggest a leaked code.
    pub fn coupon_sites() -> Self {
        Self::parse(include_str!("../../data/coupon_sites.txt"))
    }

    pub fn len(&self) -> usize {
        self.listed.len()
            + if self.maintained {
                disposable_emails::domain_count()
            } else {
                0
            }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `domain` or one of its parent domains is listed. For the disposable
    /// list, privacy relays never are, and a name made of throwaway words always is.
    pub fn contains(&self, domain: &str) -> bool {
        let d = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if self.maintained {
            // Names reserved for documentation and tests (RFC 2606) receive no mail from
            // anyone: they are a merchant trying Vouch out, not a throwaway provider.
            let reserved = ["example.com", "example.net", "example.org"]
                .iter()
                .any(|r| d == *r || d.ends_with(&format!(".{r}")))
                || [".example", ".test", ".invalid", ".localhost"]
                    .iter()
                    .any(|t| d.ends_with(t));
            if reserved {
                return self.listed.contains(&d);
            }
            if PRIVACY_RELAYS
                .iter()
                .any(|r| d == *r || d.ends_with(&format!(".{r}")))
            {
                return false;
            }
            if THROWAWAY_WORDS.iter().any(|w| d.contains(w)) {
                return true;
            }
        }
        let mut rest = d.as_str();
        loop {
            if self.listed.contains(rest)
                || (self.maintained && disposable_emails::is_disposable_domain(rest))
            {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return false,
            }
        }
    }
}
