//! Sending: each email rendered, built with lettre (HTML and plain-text parts,
//! `List-Unsubscribe` with one-click `List-Unsubscribe-Post` per RFC 8058, a
//! `Message-ID` stable across retries) and handed to an SMTP server, or, when none is
//! configured, written as an `.eml` file (the dry run `vouch serve` starts in).

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use vouch_app::emails::{Outgoing, Posted, Postman};

use super::Renderer;
use crate::portal::Lang;

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

pub struct MailPostman {
    renderer: Arc<Renderer>,
    transport: Transport,
    /// The sender's address; each program puts its own name in front of it.
    from: lettre::Address,
}

impl MailPostman {
    /// Sends through the SMTP server at `url` (`smtp://user:pass@host:587?tls=required`
    /// for STARTTLS, `smtps://…:465` for TLS, `smtp://host:25` for a local relay).
    /// `ca`: a PEM file of a private certificate authority to trust besides the public
    /// ones; with it, an `smtp://` URL requires STARTTLS.
    pub fn smtp(
        renderer: Arc<Renderer>,
        url: &str,
        from: &str,
        ca: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)));
        if let Some(ca) = ca {
            builder = builder.tls(private_ca_tls(url, ca)?);
        }
        let transport = builder.build();
        Ok(Self {
            renderer,
            transport: Transport::Smtp(transport),
            from: parse_from(from)?,
        })
    }

    /// Writes each email as `{dir}/{id}.eml` instead of sending it.
    pub fn files(renderer: Arc<Renderer>, dir: PathBuf, from: &str) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        Ok(Self {
            renderer,
            transport: Transport::Files(AsyncFileTransport::new(&dir), dir),
            from: parse_from(from)?,
        })
    }

    /// Where the dry run writes, if this is one.
    pub fn dry_run_dir(&self) -> Option<&std::path::Path> {
        match &self.transport {
            Transport::Files(_, dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    fn build(&self, o: &Outgoing) -> Result<(Message, String), String> {
        let lang = Lang::parse(o.lang).unwrap_or(Lang::En);
        let r = self
            .renderer
            .render(
                o.kind,
                lang,
                o.source.as_deref(),
                &o.context,
                &o.unsubscribe_url,
            )
            .map_err(|e| format!("the template does not render: {e}"))?;
        let to: lettre::Address =
            o.to.parse()
                .map_err(|e| format!("the address cannot be used: {e}"))?;
        let mut b = Message::builder()
            .from(Mailbox::new(Some(o.from_name.clone()), self.from.clone()))
            .to(Mailbox::new(o.to_name.clone(), to))
            .subject(r.subject.clone())
            .message_id(Some(format!("<{}@{}>", o.email_id, self.from.domain())))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{}>", o.unsubscribe_url),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                lang.code().to_owned(),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Vouch-Email-Id"),
                o.email_id.to_string(),
            ));
        if let Some(reply) = o.reply_to.as_deref().and_then(|r| r.parse().ok()) {
            b = b.reply_to(Mailbox::new(None, reply));
        }
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(r.text),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(r.html),
            );
        let m = b
            .multipart(body)
            .map_err(|e| format!("the message cannot be built: {e}"))?;
        Ok((m, r.subject))
    }
}

/// TLS that trusts `ca` too: implicit for `smtps://`, STARTTLS required otherwise.
fn private_ca_tls(url: &str, ca: &std::path::Path) -> anyhow::Result<Tls> {
    let pem =
        std::fs::read(ca).map_err(|e| anyhow::anyhow!("--smtp-ca-file {}: {e}", ca.display()))?;
    let cert = Certificate::from_pem(&pem)
        .map_err(|e| anyhow::anyhow!("--smtp-ca-file {}: {e}", ca.display()))?;
    let parsed = url::Url::parse(url).map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| anyhow::anyhow!("--smtp-url has no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let params = TlsParameters::builder(host)
        .add_root_certificate(cert)
        .build_rustls()
        .map_err(|e| anyhow::anyhow!("--smtp-ca-file: {e}"))?;
    Ok(if parsed.scheme() == "smtps" {
        Tls::Wrapper(params)
    } else {
        Tls::Required(params)
    })
}

fn parse_from(from: &str) -> anyhow::Result<lettre::Address> {
    from.parse()
        .map_err(|e| anyhow::anyhow!("--email-from {from:?} is not an address: {e}"))
}

#[async_trait]
impl Postman for MailPostman {
    async fn post(&self, o: &Outgoing) -> Posted {
        let (message, subject) = match self.build(o) {
            Ok(m) => m,
            Err(error) => {
                return Posted::Failed {
                    error,
                    permanent: true,
                    address_refused: false,
                }
            }
        };
        let message_id = format!("<{}@{}>", o.email_id, self.from.domain());
        match &self.transport {
            Transport::Smtp(t) => match t.send(message).await {
                Ok(_) => Posted::Sent {
                    subject,
                    message_id,
                },
                Err(e) => {
                    let code = e.status().map(|c| c.to_string());
                    // 550/551/553: the mailbox does not exist or is not accepted.
                    let refused =
                        e.is_permanent() && matches!(code.as_deref(), Some("550" | "551" | "553"));
                    Posted::Failed {
                        error: format!("SMTP: {e}"),
                        permanent: e.is_permanent(),
                        address_refused: refused,
                    }
                }
            },
            Transport::Files(t, _) => match t.send(message).await {
                Ok(_) => Posted::Sent {
                    subject,
                    message_id,
                },
                Err(e) => Posted::Failed {
                    error: format!("writing the .eml file: {e}"),
                    permanent: false,
                    address_refused: false,
                },
            },
        }
    }
}
