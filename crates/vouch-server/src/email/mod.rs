//! Emails: rendering (this module) and sending ([`postman`]).
//!
//! A message's words come from one source per message and language
//! (`templates/email/{en,ar}/{kind}.txt`, or the program's own, see
//! [`vouch_domain::notification::TemplateSource`]); the HTML part (`layout.html`: inline
//! styles, a 600-pixel column, `dir="rtl"` for Arabic) and the plain-text part
//! (`layout.txt`) are both laid out from it, so they always say the same thing.

use minijinja::{AutoEscape, Environment, Value as Jinja};
use serde_json::{json, Value};
use vouch_domain::notification::{EmailKind, TemplateSource};

use crate::portal::i18n::Catalog;
use crate::portal::Lang;

pub mod postman;

/// A rendered message.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A template that does not render, with the reason (for the preview API).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

impl From<minijinja::Error> for RenderError {
    fn from(e: minijinja::Error) -> Self {
        Self(e.to_string())
    }
}

/// The default words of a message.
pub fn default_source(kind: EmailKind, lang: Lang) -> &'static str {
    macro_rules! by_lang {
        ($name:literal) => {
            match lang {
                Lang::En => include_str!(concat!("../../templates/email/en/", $name, ".txt")),
                Lang::Ar => include_str!(concat!("../../templates/email/ar/", $name, ".txt")),
            }
        };
    }
    match kind {
        EmailKind::Welcome => by_lang!("welcome"),
        EmailKind::Invitation => by_lang!("invitation"),
        EmailKind::FriendSignedUp => by_lang!("friend_signed_up"),
        EmailKind::FriendPurchased => by_lang!("friend_purchased"),
        EmailKind::RewardAvailable => by_lang!("reward_available"),
        EmailKind::PayoutSent => by_lang!("payout_sent"),
        EmailKind::ShareReminder => by_lang!("share_reminder"),
        EmailKind::FriendReward => by_lang!("friend_reward"),
    }
}

/// Steps a merchant's template may take: plenty for any message, not for a loop that
/// would hold a worker.
const FUEL: u64 = 50_000;

pub struct Renderer {
    layout: Environment<'static>,
    i18n: Catalog,
}

/// Values shown inside sentences. In Arabic each is wrapped in first-strong isolation
/// marks so a Latin name, code or amount keeps its own direction; `none` shows nothing.
fn text_formatter(
    isolate: bool,
) -> impl Fn(
    &mut minijinja::Output<'_>,
    &minijinja::State<'_, '_>,
    &Jinja,
) -> Result<(), minijinja::Error>
       + Send
       + Sync
       + 'static {
    move |out, _state, value| {
        if value.is_none() || value.is_undefined() {
            return Ok(());
        }
        let text = value.to_string();
        let r = if isolate {
            write!(out, "\u{2068}{text}\u{2069}")
        } else {
            out.write_str(&text)
        };
        r.map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write"))
    }
}

impl Renderer {
    pub fn load() -> anyhow::Result<Self> {
        let mut layout = Environment::new();
        layout.set_formatter(crate::portal::html_formatter);
        layout.add_template(
            "layout.html",
            include_str!("../../templates/email/layout.html"),
        )?;
        layout.add_template(
            "layout.txt",
            include_str!("../../templates/email/layout.txt"),
        )?;
        Ok(Self {
            layout,
            i18n: Catalog::load()?,
        })
    }

    /// Renders `kind` in `lang` from `source` (the program's words, else the default).
    pub fn render(
        &self,
        kind: EmailKind,
        lang: Lang,
        source: Option<&str>,
        ctx: &Value,
        unsubscribe_url: &str,
    ) -> Result<Rendered, RenderError> {
        let src = TemplateSource::parse(source.unwrap_or_else(|| default_source(kind, lang)))
            .map_err(|e| RenderError(e.to_string()))?;
        let mut words = Environment::new();
        words.set_auto_escape_callback(|_| AutoEscape::None);
        words.set_formatter(text_formatter(lang == Lang::Ar));
        words.set_fuel(Some(FUEL));
        let one = |field: &str, t: &str| -> Result<String, RenderError> {
            let s = words
                .render_str(t, ctx)
                .map_err(|e| RenderError(format!("{field}: {e}")))?;
            Ok(s.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        let subject = one("subject", &src.subject)?;
        let heading = one("heading", &src.heading)?;
        let action = src
            .action
            .as_deref()
            .map(|a| one("action", a))
            .transpose()?;
        let preheader = src
            .preheader
            .as_deref()
            .map(|a| one("preheader", a))
            .transpose()?;
        let body = words
            .render_str(&src.body, ctx)
            .map_err(|e| RenderError(format!("body: {e}")))?;
        let paragraphs: Vec<String> = body
            .replace("\r\n", "\n")
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect();
        let program = ctx["program"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let footer = if kind == EmailKind::Invitation {
            let name = ctx["participant"]["name"]
                .as_str()
                .or(ctx["participant"]["email"].as_str())
                .unwrap_or_default()
                .to_owned();
            self.i18n.format(
                lang,
                "email-footer-invitation",
                &[("name", name), ("program", program.clone())],
            )
        } else {
            self.i18n
                .format(lang, "email-footer", &[("program", program.clone())])
        };
        let t = self.i18n.messages(lang);
        let label = |k: &str| t.get(k).cloned().unwrap_or_default();
        let mut highlights = vec![];
        match kind {
            EmailKind::Welcome | EmailKind::ShareReminder => {
                highlights.push(
                    json!({"label": label("email_your_link"), "value": ctx["participant"]["link"]}),
                );
                highlights.push(json!({"label": label("email_your_code"), "value": ctx["participant"]["referral_code"]}));
            }
            EmailKind::FriendReward | EmailKind::RewardAvailable => {
                if let Some(code) = ctx["reward"]["coupon_code"].as_str() {
                    highlights.push(json!({"label": label("email_your_coupon"), "value": code}));
                }
            }
            _ => {}
        }
        let note = (kind == EmailKind::Invitation)
            .then(|| ctx["invitation"]["note"].as_str())
            .flatten();
        let layout_ctx = minijinja::context! {
            lang => lang.code(),
            dir => lang.dir(),
            fonts => match lang {
                Lang::Ar => "'Noto Naskh Arabic','Noto Sans Arabic',Tahoma,'Segoe UI',Arial,sans-serif",
                Lang::En => "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif",
            },
            line_height => match lang { Lang::Ar => "1.8", Lang::En => "1.6" },
            subject => &subject,
            preheader => preheader,
            heading => heading,
            paragraphs => paragraphs,
            note => note,
            highlights => highlights,
            action => action.map(|label| json!({"label": label, "url": ctx["action_url"]})),
            footer => footer,
            program_name => program,
            unsubscribe_url => unsubscribe_url,
            t => t,
        };
        let html = self
            .layout
            .get_template("layout.html")?
            .render(&layout_ctx)?;
        let text = self
            .layout
            .get_template("layout.txt")?
            .render(&layout_ctx)?;
        Ok(Rendered {
            subject,
            html,
            text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: EmailKind) -> Value {
        vouch_app::emails::context::sample(kind, None, "https://vouch.example")
    }

    #[test]
    fn every_default_renders_in_both_languages() {
        let r = Renderer::load().unwrap();
        for kind in EmailKind::ALL {
            for lang in [Lang::En, Lang::Ar] {
                let m = r
                    .render(kind, lang, None, &sample(kind), "https://u.example/x")
                    .unwrap_or_else(|e| panic!("{kind:?} {lang:?}: {e}"));
                assert!(
                    !m.subject.is_empty() && !m.subject.contains("none"),
                    "{m:?}"
                );
                assert!(m.html.contains(&format!("dir=\"{}\"", lang.dir())));
                assert!(m.text.contains("https://u.example/x"));
                assert!(m.html.contains("https://u.example/x"));
            }
        }
    }

    #[test]
    fn arabic_values_are_isolated_and_html_is_escaped() {
        let r = Renderer::load().unwrap();
        let mut ctx = sample(EmailKind::Welcome);
        ctx["participant"]["first_name"] = json!("<b>Sara</b>");
        let m = r
            .render(EmailKind::Welcome, Lang::Ar, None, &ctx, "u")
            .unwrap();
        assert!(m.text.contains("\u{2068}<b>Sara</b>\u{2069}"), "{}", m.text);
        assert!(m.html.contains("&lt;b&gt;Sara"), "{}", m.html);
        assert!(!m.html.contains("<b>Sara"));
    }

    #[test]
    fn a_merchants_template_with_a_runaway_loop_stops() {
        let r = Renderer::load().unwrap();
        let src = "subject: x\nheading: y\n---\n{% for i in range(100000) %}{% for j in range(100000) %}.{% endfor %}{% endfor %}";
        let e = r
            .render(
                EmailKind::Welcome,
                Lang::En,
                Some(src),
                &sample(EmailKind::Welcome),
                "u",
            )
            .unwrap_err();
        assert!(e.0.contains("body"), "{e}");
    }
}
