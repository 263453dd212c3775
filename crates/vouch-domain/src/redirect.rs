//! The referral link's redirect target: the program destination plus `ref` and
//! `vouch_click`, and never a host outside the program's allowed domains.

use url::Url;

use crate::{DomainError, Result};

/// Lower-cases a host name pattern (`Shop.Example.com`, `*.example.com`) and checks its
/// shape; `None` when it is not a host name.
pub fn normalize_domain(raw: &str) -> Option<String> {
    let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let bare = d.strip_prefix("*.").unwrap_or(&d);
    let ok = !bare.is_empty()
        && bare.len() <= 253
        && bare.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    ok.then_some(d)
}

/// Whether `host` matches one of the patterns: `example.com` allows example.com and
/// its subdomains (a merchant owns both), `*.example.com` only the subdomains.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.to_ascii_lowercase();
    let subdomain_of = |parent: &str| {
        host.strip_suffix(parent)
            .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1)
    };
    allowed
        .iter()
        .any(|pattern| match pattern.strip_prefix("*.") {
            Some(parent) => subdomain_of(parent),
            None => host == *pattern || subdomain_of(pattern),
        })
}

/// A link's redirect URL, prepared once per link so that each click only appends its
/// click id: `{before}{click_id}{after}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectTemplate {
    before: String,
    after: String,
}

impl RedirectTemplate {
    /// Checks the destination against the allowed domains and prepares the URL.
    pub fn new(destination: &str, allowed: &[String], code: &str) -> Result<Self> {
        // A marker that URL encoding leaves alone and no real click id contains.
        const MARK: &str = "VOUCHCLICKMARK";
        let full = redirect_target(destination, allowed, code, MARK)?;
        let (before, after) = full
            .split_once(MARK)
            .ok_or_else(|| DomainError::invalid("destination_url", "cannot hold a click id"))?;
        Ok(Self {
            before: before.to_owned(),
            after: after.to_owned(),
        })
    }

    /// The URL for one click. Click ids are URL-safe (`clk_` and base32).
    pub fn with_click(&self, click_id: &str) -> String {
        let mut s = String::with_capacity(self.before.len() + click_id.len() + self.after.len());
        s.push_str(&self.before);
        s.push_str(click_id);
        s.push_str(&self.after);
        s
    }
}

/// The URL a click is sent to. Fails (and the link answers an error page, never a
/// redirect) when the destination's host is not allowed.
pub fn redirect_target(
    destination: &str,
    allowed: &[String],
    code: &str,
    click_id: &str,
) -> Result<String> {
    let mut url = Url::parse(destination)
        .map_err(|_| DomainError::invalid("destination_url", "is not a valid URL"))?;
    let host_ok = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some_and(|h| host_allowed(h, allowed));
    if !host_ok {
        return Err(DomainError::invalid(
            "destination_url",
            "host is not one of allowed_domains",
        ));
    }
    // Drop stale values so a destination that already carries `ref` cannot shadow ours.
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "ref" && k != "vouch_click")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear();
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair("ref", code);
        q.append_pair("vouch_click", click_id);
    }
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn allowed(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keeps_the_destination_query_and_adds_ours() {
        let u = redirect_target(
            "https://shop.example.com/p?utm_source=x&ref=old",
            &allowed(&["shop.example.com"]),
            "ABC",
            "clk_1",
        )
        .unwrap();
        assert_eq!(
            u,
            "https://shop.example.com/p?utm_source=x&ref=ABC&vouch_click=clk_1"
        );
    }

    #[test]
    fn refuses_hosts_outside_the_list() {
        assert!(redirect_target(
            "https://evil.com/",
            &allowed(&["shop.example.com"]),
            "A",
            "c"
        )
        .is_err());
        assert!(redirect_target(
            "https://shop.example.com.evil.com/",
            &allowed(&["shop.example.com"]),
            "A",
            "c"
        )
        .is_err());
        assert!(redirect_target(
            "ftp://shop.example.com/",
            &allowed(&["shop.example.com"]),
            "A",
            "c"
        )
        .is_err());
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let list = allowed(&["*.example.com"]);
        assert!(host_allowed("a.example.com", &list));
        assert!(host_allowed("a.b.example.com", &list));
        assert!(!host_allowed("example.com", &list));
        assert!(!host_allowed("badexample.com", &list));
    }

    #[test]
    fn a_plain_domain_covers_itself_and_its_subdomains() {
        let list = allowed(&["example.com"]);
        assert!(host_allowed("example.com", &list));
        assert!(host_allowed("WWW.example.com", &list));
        assert!(!host_allowed("badexample.com", &list));
        assert!(!host_allowed("example.com.evil.net", &list));
    }

    #[test]
    fn template_matches_the_full_computation() {
        let list = allowed(&["shop.example.com"]);
        for dest in [
            "https://shop.example.com/p?a=1#top",
            "https://shop.example.com",
            "http://shop.example.com/x?ref=old&b=%20",
        ] {
            let t = RedirectTemplate::new(dest, &list, "CODE").unwrap();
            assert_eq!(
                t.with_click("clk_01abc"),
                redirect_target(dest, &list, "CODE", "clk_01abc").unwrap()
            );
        }
        assert!(RedirectTemplate::new("https://evil.com/", &list, "CODE").is_err());
    }

    proptest! {
        /// Whatever the code, the target's host is always the destination's, allowed host.
        #[test]
        fn target_host_is_always_allowed(code in ".{0,40}", click in "[a-z0-9_]{0,30}") {
            let list = allowed(&["shop.example.com"]);
            let u = redirect_target("https://shop.example.com/x", &list, &code, &click).unwrap();
            let parsed = Url::parse(&u).unwrap();
            prop_assert_eq!(parsed.host_str(), Some("shop.example.com"));
            let got: Vec<_> = parsed.query_pairs().filter(|(k, _)| k == "ref").map(|(_, v)| v.into_owned()).collect();
            prop_assert_eq!(got, vec![code]);
        }
    }
}
