use std::time::Duration;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain, then STARTTLS, required (port 587).
    StartTls,
    /// No TLS at all: only for a mail server on this machine or a private
    /// network the operator trusts, and only when `[email] security` says so.
    None,
}

impl Security {
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "tls" => Some(Self::Tls),
            "starttls" => Some(Self::StartTls),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// The `[email]` section, checked.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub server: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// Secret.
    pub password: String,
    /// `Name <address>` or an address: who mail comes from.
    pub from: String,
    /// PEM certificates of a private authority the mail server's certificate
    /// is issued by, trusted besides the system's; None: the system's alone.
    pub ca_pem: Option<Vec<u8>>,
    /// The first wait after a temporary failure; each next one doubles.
    pub retry_base: Duration,
    /// Given up after this long without success.
    pub expiry: Duration,
    /// How often the queue is looked at.
    pub poll: Duration,
    /// How often what is due (reminders, changes, pledge notices, news) is
    /// looked for.
    pub scan: Duration,
}
