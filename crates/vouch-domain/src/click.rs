//! What a request for a referral link is: a person's click, a chat app building a
//! preview, a crawler, or a browser prefetching; and where a click came from (a QR scan,
//! a share button, `utm_source`).
//!
//! Only people's clicks are clicks: they get a click id and a cookie and enter the
//! funnel. Previews, bots and prefetches are counted apart, so a merchant sees them
//! without their inflating every conversion rate.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What fetched a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visitor {
    /// A person: the click counts.
    Person,
    /// A chat or social app building a link preview (named: `whatsapp`, `slack`, …).
    Preview(PreviewApp),
    /// A crawler, scanner or HTTP library.
    Bot,
    /// A browser fetching ahead (`Sec-Purpose: prefetch`) or a `HEAD` request.
    Prefetch,
}

impl Visitor {
    /// The kind as counted apart (`preview`, `bot`, `prefetch`); `None` for people.
    pub fn uncounted_kind(self) -> Option<&'static str> {
        match self {
            Self::Person => None,
            Self::Preview(_) => Some("preview"),
            Self::Bot => Some("bot"),
            Self::Prefetch => Some("prefetch"),
        }
    }
}

/// The apps whose link previews are recognised, each by what its fetcher's browser
/// string contains (lower case). Apple's Messages sends a Safari string ending in
/// `facebookexternalhit/1.1 Facebot Twitterbot/1.0`; it is told apart by the Safari
/// part, so it is checked before Facebook and X.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreviewApp {
    Whatsapp,
    Telegram,
    Slack,
    Imessage,
    Facebook,
    X,
    Linkedin,
    Discord,
    Skype,
    Pinterest,
    Reddit,
    Viber,
    Snapchat,
    Mastodon,
    Line,
    Kakaotalk,
    Microsoft,
    Google,
    Other,
}

/// Marker → app, checked in order (the first match wins).
const PREVIEWS: &[(&str, PreviewApp)] = &[
    ("whatsapp/", PreviewApp::Whatsapp),
    ("telegrambot", PreviewApp::Telegram),
    ("slackbot", PreviewApp::Slack),
    ("slack-imgproxy", PreviewApp::Slack),
    ("line-poker", PreviewApp::Line),
    ("kakaotalk-scrap", PreviewApp::Kakaotalk),
    ("discordbot", PreviewApp::Discord),
    ("skypeuripreview", PreviewApp::Skype),
    ("linkedinbot", PreviewApp::Linkedin),
    ("pinterestbot", PreviewApp::Pinterest),
    ("pinterest/0.", PreviewApp::Pinterest),
    ("redditbot", PreviewApp::Reddit),
    ("viberurldownloader", PreviewApp::Viber),
    ("snap url preview", PreviewApp::Snapchat),
    ("s~snapchat-proxy", PreviewApp::Snapchat),
    ("mastodon/", PreviewApp::Mastodon),
    ("microsoftpreview", PreviewApp::Microsoft),
    ("meta-externalfetcher", PreviewApp::Facebook),
    ("google-pagerenderer", PreviewApp::Google),
    ("googleimageproxy", PreviewApp::Google),
    ("embedly", PreviewApp::Other),
    ("iframely", PreviewApp::Other),
    ("vkshare", PreviewApp::Other),
    ("bitlybot", PreviewApp::Other),
    ("facebookexternalhit", PreviewApp::Facebook),
    ("facebot", PreviewApp::Facebook),
    ("twitterbot", PreviewApp::X),
];

impl PreviewApp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Whatsapp => "whatsapp",
            Self::Telegram => "telegram",
            Self::Slack => "slack",
            Self::Imessage => "imessage",
            Self::Facebook => "facebook",
            Self::X => "x",
            Self::Linkedin => "linkedin",
            Self::Discord => "discord",
            Self::Skype => "skype",
            Self::Pinterest => "pinterest",
            Self::Reddit => "reddit",
            Self::Viber => "viber",
            Self::Snapchat => "snapchat",
            Self::Mastodon => "mastodon",
            Self::Line => "line",
            Self::Kakaotalk => "kakaotalk",
            Self::Microsoft => "microsoft",
            Self::Google => "google",
            Self::Other => "other",
        }
    }

    /// The app a preview fetcher's browser string names, if it is one.
    pub fn of(user_agent: &str) -> Option<Self> {
        Self::of_lower(&user_agent.to_ascii_lowercase())
    }

    /// [`Self::of`] for a browser string already in lower case.
    fn of_lower(ua: &str) -> Option<Self> {
        // In-app browsers of Facebook and Instagram carry `FBAN`/`Instagram`: people.
        if ua.contains("fban/") || ua.contains("fbav/") || ua.contains("instagram ") {
            return None;
        }
        if ua.contains("facebookexternalhit") && ua.contains("safari/") && ua.contains("twitterbot")
        {
            return Some(Self::Imessage);
        }
        PREVIEWS
            .iter()
            .find(|(marker, _)| ua.contains(marker))
            .map(|(_, app)| *app)
    }
}

/// Mail and security scanners that follow every link in a message before a person
/// does, by what their browser strings contain (lower case), beyond the `isbot` list.
const SCANNERS: &[&str] = &[
    "barracuda",
    "cfr link resolver",
    "linkcheck",
    "checklink",
    "proofpoint",
    "mimecast",
];

/// What the request was, from its method, its browser string and its purpose headers.
pub fn classify(
    head: bool,
    user_agent: Option<&str>,
    purpose: Option<&str>,
    sec_purpose: Option<&str>,
) -> Visitor {
    let prefetch = |v: Option<&str>| {
        v.is_some_and(|v| {
            v.split([';', ','])
                .any(|p| matches!(p.trim(), "prefetch" | "prerender"))
        })
    };
    let by_browser = by_browser(user_agent.map(str::trim).unwrap_or_default());
    if matches!(by_browser, Visitor::Preview(_)) {
        return by_browser;
    }
    if head || prefetch(purpose) || prefetch(sec_purpose) {
        return Visitor::Prefetch;
    }
    by_browser
}

/// What a browser string alone says: a preview app, a bot, or a person. Remembered:
/// strings repeat (every phone of one model and version sends the same one), so the
/// lists run about once per string rather than once per click. Forgotten wholesale
/// when it grows past a few thousand strings.
fn by_browser(ua: &str) -> Visitor {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    const KEEP: usize = 4096;
    static SEEN: OnceLock<Mutex<HashMap<Box<str>, Visitor>>> = OnceLock::new();
    let seen = SEEN.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(known) = seen.lock().ok().and_then(|m| m.get(ua).copied()) {
        return known;
    }
    let verdict = judge_browser(ua);
    if let Ok(mut m) = seen.lock() {
        if m.len() >= KEEP {
            m.clear();
        }
        m.insert(ua.into(), verdict);
    }
    verdict
}

fn judge_browser(ua: &str) -> Visitor {
    let lower = ua.to_ascii_lowercase();
    if let Some(app) = PreviewApp::of_lower(&lower) {
        return Visitor::Preview(app);
    }
    // A request without a browser string is a script, never a person's browser.
    if ua.is_empty()
        || SCANNERS.iter().any(|s| lower.contains(s))
        || crate::fraud::automated_browser(ua)
    {
        return Visitor::Bot;
    }
    Visitor::Person
}

/// The sources a link can carry (`?s=qr`): the QR code and the share buttons.
pub const SOURCES: &[&str] = &[
    "qr", "whatsapp", "telegram", "x", "facebook", "linkedin", "email", "sms", "copy",
];

/// Where a click came from: the link's `s` marker (the QR code and the share buttons
/// add theirs), else its `utm_source`; lower case, at most 40 of `a-z 0-9 _ - .`, else
/// nothing.
pub fn source_of(query: Option<&str>) -> Option<String> {
    let q = query?;
    let mut marker = None;
    let mut utm = None;
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        match k.as_ref() {
            "s" if marker.is_none() => marker = Some(v.into_owned()),
            "utm_source" if utm.is_none() => utm = Some(v.into_owned()),
            _ => {}
        }
    }
    let clean = |v: String| {
        let v = v.trim().to_ascii_lowercase();
        let ok = (1..=40).contains(&v.len())
            && v.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
            });
        ok.then_some(v)
    };
    marker.and_then(clean).or_else(|| utm.and_then(clean))
}

/// A visitor's earlier click on the same link counts again as unique only after this
/// long.
pub const DEFAULT_UNIQUE_WINDOW_HOURS: i64 = 24;

/// Whether a click is unique: the visitor brought no earlier click of this advocate's
/// link, or it is older than the window.
pub fn is_unique(earlier: Option<crate::Millis>, now: crate::Millis, window_hours: i64) -> bool {
    earlier.is_none_or(|at| now.saturating_sub(at) >= window_hours.saturating_mul(3_600_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    #[test]
    fn people_previews_bots_and_prefetches_are_told_apart() {
        assert_eq!(
            classify(false, Some(CHROME_ANDROID), None, None),
            Visitor::Person
        );
        assert_eq!(
            classify(false, Some("WhatsApp/2.23.20.0 A"), None, None),
            Visitor::Preview(PreviewApp::Whatsapp)
        );
        assert_eq!(
            classify(
                false,
                Some(CHROME_ANDROID),
                None,
                Some("prefetch;anonymous-client-ip")
            ),
            Visitor::Prefetch
        );
        assert_eq!(
            classify(true, Some(CHROME_ANDROID), None, None),
            Visitor::Prefetch
        );
        assert_eq!(
            classify(false, Some("curl/8.5.0"), None, None),
            Visitor::Bot
        );
        assert_eq!(classify(false, None, None, None), Visitor::Bot);
        let imessage = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0";
        assert_eq!(
            classify(false, Some(imessage), None, None),
            Visitor::Preview(PreviewApp::Imessage)
        );
    }

    #[test]
    fn sources_come_from_the_marker_then_utm() {
        assert_eq!(source_of(Some("s=qr")).as_deref(), Some("qr"));
        assert_eq!(
            source_of(Some("utm_source=Newsletter&s=WhatsApp")).as_deref(),
            Some("whatsapp")
        );
        assert_eq!(
            source_of(Some("utm_source=newsletter")).as_deref(),
            Some("newsletter")
        );
        assert_eq!(source_of(Some("s=<script>")), None);
        assert_eq!(source_of(None), None);
    }

    #[test]
    fn a_repeat_inside_the_window_is_not_unique() {
        let h = 3_600_000;
        assert!(is_unique(None, 10 * h, 24));
        assert!(!is_unique(Some(h), 10 * h, 24));
        assert!(is_unique(Some(h), 25 * h, 24));
    }
}
