//! Sending mail: SMTP through lettre, or, when no SMTP server is configured, an outbox directory of
//! `.eml` files the administrator can read. Mail is never silently dropped.

use std::path::PathBuf;

use async_trait::async_trait;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::ContactEmail;

/// A message to one person: plain text and HTML, optional attachments.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: ContactEmail,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `https://…` link that stops these mails in one click (RFC 2369 / RFC 8058).
    pub unsubscribe_url: Option<String>,
    pub attachments: Vec<MailAttachment>,
}

/// A file attached to a mail (an `.ics` invitation, say).
#[derive(Debug, Clone)]
pub struct MailAttachment {
    pub filename: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Mail could not be sent or stored.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid sender address {0:?}: set a full address such as campagne@example.org")]
    Sender(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("the SMTP server refused or could not be reached: {0}. Check the SMTP settings.")]
    Smtp(String),
    #[error("cannot write to the outbox directory {dir}: {source}")]
    Outbox { dir: String, source: std::io::Error },
}

/// Something that delivers mail.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError>;

    /// Plain words for the admin: where mail goes.
    fn describe(&self) -> String;
}

/// How to reach the SMTP server.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` (implicit), or `none` (only for a server on this machine).
    pub security: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: String,
}

/// Sends through an SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
}

impl SmtpMailer {
    pub fn new(s: &SmtpSettings) -> Result<SmtpMailer, MailError> {
        let from: Mailbox = s.from.parse().map_err(|_| MailError::Sender(s.from.clone()))?;
        let builder = match s.security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host),
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host),
            _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host)),
        }
        .map_err(|e| MailError::Smtp(e.to_string()))?;
        let mut builder = builder.port(s.port).timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(user), Some(pass)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(SmtpMailer { transport: builder.build(), from, host: format!("{}:{}", s.host, s.port) })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(&self.from, mail)?;
        self.transport.send(message).await.map_err(|e| MailError::Smtp(e.to_string()))?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.host)
    }
}

/// Writes each mail as an `.eml` file in a directory, for instances without SMTP.
pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, from: &str) -> Result<OutboxMailer, MailError> {
        let from: Mailbox = from.parse().map_err(|_| MailError::Sender(from.to_owned()))?;
        Ok(OutboxMailer { dir, from })
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = build_message(&self.from, mail)?;
        let err = |source| MailError::Outbox { dir: self.dir.display().to_string(), source };
        tokio::fs::create_dir_all(&self.dir).await.map_err(err)?;
        let token = crate::Token::generate().map_err(|e| MailError::Build(e.to_string()))?;
        let name = format!("{}-{}.eml", chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"), &token.expose()[..8]);
        tokio::fs::write(self.dir.join(name), message.formatted()).await.map_err(err)?;
        Ok(())
    }

    fn describe(&self) -> String {
        format!("outbox directory {}", self.dir.display())
    }
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// The one place a mail is put together, whatever carries it.
pub fn build_message(from: &Mailbox, mail: &OutgoingMail) -> Result<Message, MailError> {
    let to: Mailbox = mail
        .to
        .as_str()
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Build(e.to_string()))?;
    let mut builder = Message::builder().from(from.clone()).to(to).subject(mail.subject.clone());
    if let Some(url) = &mail.unsubscribe_url {
        builder = builder.header(ListUnsubscribe(format!("<{url}>"))).header(ListUnsubscribePost);
    }
    let body = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(mail.text.clone()))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(mail.html.clone()));
    let message = if mail.attachments.is_empty() {
        builder.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for a in &mail.attachments {
            let ct = ContentType::parse(&a.content_type).map_err(|e| MailError::Build(e.to_string()))?;
            mixed = mixed.singlepart(Attachment::new(a.filename.clone()).body(a.body.clone(), ct));
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| MailError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Result<OutgoingMail, crate::EmailError> {
        Ok(OutgoingMail {
            to: ContactEmail::parse("jeanne@exemple.fr")?,
            subject: "Confirmez votre demande".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            unsubscribe_url: Some("https://demail.example/mes-donnees/abc".into()),
            attachments: vec![MailAttachment {
                filename: "atelier.ics".into(),
                content_type: "text/calendar; charset=utf-8".into(),
                body: b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".to_vec(),
            }],
        })
    }

    #[tokio::test]
    async fn outbox_writes_one_complete_message_per_mail() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let outbox = OutboxMailer::new(dir.path().join("outbox"), "Démailnagement <campagne@example.org>")?;
        outbox.send(&mail()?).await?;
        outbox.send(&mail()?).await?;
        let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))?.collect::<Result<_, _>>()?;
        assert_eq!(files.len(), 2);
        let text = std::fs::read_to_string(files[0].path())?;
        assert!(text.contains("List-Unsubscribe: <https://demail.example/mes-donnees/abc>"), "{text}");
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(text.contains("To: jeanne@exemple.fr"));
        assert!(text.contains("multipart/alternative") && text.contains("text/html"));
        assert!(text.contains("filename=\"atelier.ics\""));
        Ok(())
    }

    #[test]
    fn a_bad_sender_is_refused_at_start_up() {
        assert!(matches!(
            OutboxMailer::new(PathBuf::from("/tmp"), "not an address"),
            Err(MailError::Sender(_))
        ));
    }
}
