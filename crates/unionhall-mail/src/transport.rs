//! One connection setting to the mail server, and the sending of one message:
//! plain text and HTML, its Message-ID the queue's id (the same on every
//! attempt), nothing added (no tracking, no rewritten links).

use crate::{Error, MailSettings, Result, Security};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use unionhall_members::email::Mail;

/// How long one conversation with the mail server may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Why a message was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Try again later: the server is down, busy, or said 4xx.
    Temporary(String),
    /// Never: the server said 5xx. `address` when it refused the recipient.
    Permanent { reason: String, address: bool },
}

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Self> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|err| Error::Config(format!("from {:?}: {err}", settings.from)))?;
        let server = settings.server.as_str();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server)
            .port(settings.port)
            .timeout(Some(SEND_TIMEOUT));
        match settings.security {
            // Never falls back to plain text: a server that offers no
            // STARTTLS, or a certificate that does not check, is a
            // temporary failure and the mail waits.
            Security::Tls => builder = builder.tls(Tls::Wrapper(tls_parameters(settings)?)),
            Security::StartTls => builder = builder.tls(Tls::Required(tls_parameters(settings)?)),
            Security::None => {}
        }
        if !settings.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.username.clone(),
                settings.password.clone(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends `mail` as message `id`.
    pub async fn send(&self, id: &str, mail: &Mail) -> std::result::Result<(), Refusal> {
        let message = self.message(id, mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(err) if err.is_permanent() => {
                let code = err.status().map(|c| c.to_string()).unwrap_or_default();
                Err(Refusal::Permanent {
                    // 550 to 553: no such mailbox, not accepted, bad address.
                    address: ["550", "551", "553"].contains(&code.as_str()),
                    reason: err.to_string(),
                })
            }
            Err(err) => Err(Refusal::Temporary(err.to_string())),
        }
    }

    fn message(&self, id: &str, mail: &Mail) -> std::result::Result<Message, Refusal> {
        let to: Mailbox = mail.to.parse().map_err(|err| Refusal::Permanent {
            reason: format!("the address cannot be mailed to: {err}"),
            address: true,
        })?;
        let domain = self.from.email.domain().to_owned();
        let mut builder = Message::builder()
            .message_id(Some(format!("<{id}@{domain}>")))
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(AutoSubmitted);
        if let Some(link) = &mail.unsubscribe {
            builder = builder
                .header(ListUnsubscribe(format!("<{link}>")))
                .header(ListUnsubscribePost);
        }
        let words = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.clone()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(mail.html.clone()),
            );
        let body = match &mail.calendar {
            Some(calendar) => {
                let kind = ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                    .map_err(|err| Refusal::Permanent {
                        reason: format!("the calendar type: {err}"),
                        address: false,
                    })?;
                MultiPart::mixed()
                    .multipart(words)
                    .singlepart(Attachment::new("event.ics".into()).body(calendar.clone(), kind))
            }
            None => words,
        };
        builder.multipart(body).map_err(|err| Refusal::Permanent {
            reason: format!("the message cannot be built: {err}"),
            address: false,
        })
    }
}

/// TLS to `server`, its certificate checked against the system's
/// authorities and, when given, the operator's own.
fn tls_parameters(settings: &MailSettings) -> Result<TlsParameters> {
    let mut builder = TlsParameters::builder(settings.server.clone());
    if let Some(pem) = &settings.ca_pem {
        let certificate = Certificate::from_pem(pem)
            .map_err(|err| Error::Config(format!("ca_file: not PEM certificates: {err}")))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder
        .build()
        .map_err(|err| Error::Config(format!("server {:?}: {err}", settings.server)))
}

/// `List-Unsubscribe: <link>` (RFC 2369): the mail program's own button.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(value: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(value.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): the
/// button works with one POST, no page to fill in.
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation replies to us.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".into())
    }
}
