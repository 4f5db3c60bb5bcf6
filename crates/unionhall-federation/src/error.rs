//! The one error type of the federation crate. Each variant says what the web
//! layer should answer; the mapping to status codes lives there, in one place.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request is malformed or breaks the protocol (400).
    #[error("{0}")]
    BadRequest(String),
    /// Missing or invalid signature or digest (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Well-formed and signed, but not allowed: acting for someone else, changing
    /// what the actor does not own (403).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Not yet: the sender should try again later (425), as a union body
    /// whose relay overtook its Accept.
    #[error("{0}")]
    TooEarly(String),
    /// A local name is taken (409).
    #[error("{0}")]
    Conflict(String),
    /// Too many requests from one client or server (429 with Retry-After).
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_seconds: u64,
    },
    /// Every slot of the work is taken (503 with Retry-After).
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_seconds: u64,
    },
    /// A remote server could not be reached or answered nonsense (502).
    #[error("{0}")]
    Remote(String),
    #[error("federation settings: {0}")]
    Config(String),
    #[error(transparent)]
    Store(unionhall_store::Error),
    #[error(transparent)]
    Domain(#[from] unionhall_domain::DomainError),
    #[error("internal federation error: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<unionhall_store::Error> for Error {
    fn from(err: unionhall_store::Error) -> Self {
        match err {
            unionhall_store::Error::Conflict(message) => Self::Conflict(message),
            other => Self::Store(other),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(err: serde_json::Error) -> Self {
        Self::BadRequest(format!("invalid JSON: {err}"))
    }
}

impl From<url::ParseError> for Error {
    fn from(err: url::ParseError) -> Self {
        Self::BadRequest(format!("invalid URL: {err}"))
    }
}

use crate::outbound_guard::Refused;

/// The library's errors, sorted by whose fault they are.
impl From<activitypub_federation::error::Error> for Error {
    fn from(err: activitypub_federation::error::Error) -> Self {
        use activitypub_federation::error::Error as Lib;
        match err {
            Lib::ActivitySignatureInvalid => {
                Self::Unauthorized("HTTP signature missing or invalid".into())
            }
            Lib::ActivityBodyDigestInvalid => {
                Self::Unauthorized("Digest header missing or does not match the body".into())
            }
            Lib::ParseReceivedActivity { err, .. } => {
                Self::BadRequest(format!("cannot read activity: {err}"))
            }
            Lib::UrlVerificationError(reason) => Self::BadRequest(format!("bad URL: {reason}")),
            Lib::NotFound => Self::NotFound("not found".into()),
            Lib::ObjectDeleted(url) => Self::NotFound(format!("{url} was deleted")),
            Lib::WebfingerResolveFailed(err) => {
                Self::Remote(format!("WebFinger lookup failed: {err}"))
            }
            Lib::ParseFetchedObject(err, url, _) => {
                Self::Remote(format!("{url} answered with something unreadable: {err}"))
            }
            Lib::FetchInvalidContentType(url) => {
                Self::Remote(format!("{url} did not answer with ActivityPub JSON"))
            }
            Lib::FetchWrongId(url) => Self::Remote(format!("{url} answered with another id")),
            Lib::RequestLimit | Lib::ResponseBodyLimit => {
                Self::Remote("remote response too large or too many fetches".into())
            }
            Lib::Reqwest(err) => match Refused::find_in(&err) {
                Some(refused) => Self::Forbidden(refused.to_string()),
                None => Self::Remote(format!("fetching failed: {err}")),
            },
            // Our signed-fetch middleware's own refusal says what happened.
            Lib::ReqwestMiddleware(reqwest_middleware::Error::Middleware(err)) => {
                Self::Remote(err.to_string())
            }
            Lib::ReqwestMiddleware(err) => match Refused::find_in(&err) {
                Some(refused) => Self::Forbidden(refused.to_string()),
                None => Self::Remote(format!("fetching failed: {err}")),
            },
            Lib::DomainResolveError(domain) => {
                Self::Forbidden(format!("{domain} resolves to a private address"))
            }
            Lib::ResolveInternalIpError(host, _) => {
                Self::Forbidden(format!("{host} resolves to a private address"))
            }
            other => Self::Internal(other.to_string()),
        }
    }
}
