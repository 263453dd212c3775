//! Translations with Fluent: `locales/{en,ar}.ftl`, embedded in the binary.

use std::collections::BTreeMap;

use axum::http::{header, HeaderMap};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use unic_langid::LanguageIdentifier;

/// The languages every advocate- and friend-facing page exists in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ar,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Self::En => "ltr",
            Self::Ar => "rtl",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Ar,
            Self::Ar => Self::En,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s == "ar" || s.starts_with("ar-") {
            Some(Self::Ar)
        } else if s == "en" || s.starts_with("en-") {
            Some(Self::En)
        } else {
            None
        }
    }

    /// `?lang=` first, then the best `Accept-Language` match, else English.
    pub fn from_headers(query: Option<&str>, headers: &HeaderMap) -> Self {
        if let Some(l) = query.and_then(Self::parse) {
            return l;
        }
        let Some(accept) = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Self::En;
        };
        let mut best: Option<(f32, Self)> = None;
        for part in accept.split(',') {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or_default();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Self::parse(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Self::En)
    }
}

pub struct Catalog {
    en: FluentBundle<FluentResource>,
    ar: FluentBundle<FluentResource>,
    en_messages: BTreeMap<String, String>,
    ar_messages: BTreeMap<String, String>,
}

fn bundle(lang: &str, source: &str) -> anyhow::Result<FluentBundle<FluentResource>> {
    let id: LanguageIdentifier = lang.parse()?;
    let resource = FluentResource::try_new(source.to_owned())
        .map_err(|(_, errors)| anyhow::anyhow!("{lang}.ftl: {errors:?}"))?;
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks keep Latin amounts and names intact inside Arabic sentences.
    bundle.set_use_isolating(lang == "ar");
    bundle
        .add_resource(resource)
        .map_err(|errors| anyhow::anyhow!("{lang}.ftl: {errors:?}"))?;
    Ok(bundle)
}

/// Every message without arguments, keyed with `_` for templates (`t.join_title`).
fn plain_messages(bundle: &FluentBundle<FluentResource>, source: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in source.lines() {
        let Some((key, _)) = line.split_once(" = ") else {
            continue;
        };
        let key = key.trim();
        if let Some(msg) = bundle.get_message(key).and_then(|m| m.value()) {
            let mut errors = vec![];
            let text = bundle.format_pattern(msg, None, &mut errors);
            if errors.is_empty() {
                out.insert(key.replace('-', "_"), text.into_owned());
            }
        }
    }
    out
}

const EN: &str = include_str!("../../locales/en.ftl");
const AR: &str = include_str!("../../locales/ar.ftl");

impl Catalog {
    pub fn load() -> anyhow::Result<Self> {
        let en = bundle("en", EN)?;
        let ar = bundle("ar", AR)?;
        Ok(Self {
            en_messages: plain_messages(&en, EN),
            ar_messages: plain_messages(&ar, AR),
            en,
            ar,
        })
    }

    pub fn messages(&self, lang: Lang) -> &BTreeMap<String, String> {
        match lang {
            Lang::En => &self.en_messages,
            Lang::Ar => &self.ar_messages,
        }
    }

    /// A message with arguments; the key itself if it is missing (never a panic).
    pub fn format(&self, lang: Lang, key: &str, args: &[(&str, String)]) -> String {
        let bundle = match lang {
            Lang::En => &self.en,
            Lang::Ar => &self.ar,
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = vec![];
        bundle
            .format_pattern(pattern, Some(&fargs), &mut errors)
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn both_languages_have_the_same_messages() {
        let c = Catalog::load().unwrap();
        let en: Vec<_> = EN
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, _)| k)
            .collect();
        let ar: Vec<_> = AR
            .lines()
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(en, ar);
        assert!(c
            .format(Lang::Ar, "hero-title", &[("program", "X".into())])
            .contains("شارك"));
    }

    #[test]
    fn query_beats_header_and_q_values_are_respected() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr;q=1, en;q=0.5, ar-SA;q=0.8"),
        );
        assert_eq!(Lang::from_headers(None, &h), Lang::Ar);
        assert_eq!(Lang::from_headers(Some("en"), &h), Lang::En);
        assert_eq!(Lang::from_headers(None, &HeaderMap::new()), Lang::En);
    }
}
