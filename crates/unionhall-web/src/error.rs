//! The one place where failures become HTTP responses.
//!
//! Every error leaves as the same JSON shape, `{"error": {"status", "code",
//! "message"}}`: `code` is stable for programs, `message` is for people. Details of
//! server-side failures are logged (once, by the `log_errors` middleware) and never
//! shown to the client.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// A form or JSON field that breaks its rule; `field` tells a form where to
    /// show the message.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    /// Not yet: try again later (another server's relay that overtook its Accept).
    #[error("{0}")]
    TooEarly(String),
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_seconds: u64,
    },
    /// Another server failed us.
    #[error("{0}")]
    BadGateway(String),
    #[error("not ready: {0}")]
    Unavailable(String),
    /// Too busy now; the client should come back after `retry_after_seconds`.
    #[error("{message}")]
    Busy {
        message: String,
        retry_after_seconds: u64,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// The field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Carried in the response extensions so that middleware can log what the client
/// is not told.
#[derive(Debug, Clone)]
pub(crate) struct LoggedDetail(pub String);

impl AppError {
    /// The status this error answers with, for a page that shows it in a
    /// form rather than on an error page.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::Invalid { .. } => (StatusCode::BAD_REQUEST, "invalid"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::Gone(_) => (StatusCode::GONE, "gone"),
            Self::TooEarly(_) => (StatusCode::TOO_EARLY, "too_early"),
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Self::BadGateway(_) => (StatusCode::BAD_GATEWAY, "remote_failed"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "not_ready"),
            Self::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Internal(_) => {
                "something went wrong on this server; the admin can find the details in its log"
                    .to_owned()
            }
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                status: status.as_u16(),
                code: code.to_owned(),
                message,
                field: match &self {
                    Self::Invalid { field, .. } => Some(field.clone()),
                    _ => None,
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManyRequests {
            retry_after_seconds,
            ..
        }
        | Self::Busy {
            retry_after_seconds,
            ..
        } = &self
        {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*retry_after_seconds),
            );
        }
        response
            .extensions_mut()
            .insert(LoggedDetail(self.to_string()));
        response
    }
}

impl From<unionhall_store::Error> for AppError {
    fn from(err: unionhall_store::Error) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<unionhall_federation::Error> for AppError {
    fn from(err: unionhall_federation::Error) -> Self {
        use unionhall_federation::Error as Fed;
        match err {
            Fed::BadRequest(message) => Self::BadRequest {
                code: "bad_request",
                message,
            },
            Fed::Domain(err) => Self::from(err),
            Fed::Unauthorized(message) => Self::Unauthorized(message),
            Fed::Forbidden(message) => Self::Forbidden(message),
            Fed::NotFound(message) => Self::NotFound(message),
            Fed::Conflict(message) => Self::Conflict(message),
            Fed::TooEarly(message) => Self::TooEarly(message),
            Fed::Remote(message) => Self::BadGateway(message),
            Fed::TooManyRequests {
                message,
                retry_after_seconds,
            } => Self::TooManyRequests {
                message,
                retry_after_seconds,
            },
            Fed::Busy {
                message,
                retry_after_seconds,
            } => Self::Busy {
                message,
                retry_after_seconds,
            },
            other @ (Fed::Config(_) | Fed::Store(_) | Fed::Internal(_)) => {
                Self::Internal(other.to_string())
            }
        }
    }
}

impl From<unionhall_domain::DomainError> for AppError {
    fn from(err: unionhall_domain::DomainError) -> Self {
        match err {
            unionhall_domain::DomainError::Invalid { field, reason } => Self::Invalid {
                field: field.to_owned(),
                message: format!("{}: {reason}", field_words(field)),
            },
            other => Self::BadRequest {
                code: "invalid",
                message: other.to_string(),
            },
        }
    }
}

impl From<unionhall_members::Error> for AppError {
    fn from(err: unionhall_members::Error) -> Self {
        use unionhall_members::Error as M;
        match err {
            M::Invalid { field, .. } => Self::Invalid {
                field: field.to_owned(),
                message: err.to_string(),
            },
            M::Domain(err) => err.into(),
            M::Unauthenticated(message) => Self::Unauthorized(message),
            M::Forbidden(message) => Self::Forbidden(message),
            M::NotFound(message) => Self::NotFound(message),
            M::Conflict(message) => Self::Conflict(message),
            M::Gone(message) => Self::Gone(message),
            err @ (M::TooManyAttempts {
                retry_after_seconds,
            }
            | M::TooOften {
                retry_after_seconds,
                ..
            }) => Self::TooManyRequests {
                message: err.to_string(),
                retry_after_seconds,
            },
            err @ M::Busy {
                retry_after_seconds,
            } => Self::Busy {
                message: err.to_string(),
                retry_after_seconds,
            },
            err @ M::Csv { .. } => Self::BadRequest {
                code: "bad_csv",
                message: err.to_string(),
            },
            other @ (M::Crypto(_) | M::Config(_) | M::Store(_) | M::Internal(_)) => {
                Self::Internal(other.to_string())
            }
        }
    }
}

/// A field as people call it in messages ("Picket lines: ...", not
/// "picket_lines ..."); one this list does not know, with its underscores
/// made spaces.
fn field_words(field: &str) -> String {
    let words = match field {
        "assignee" => "Committee member",
        "by" => "Who",
        "decision_deadline" => "Decision deadline",
        "dues_standing" => "Dues",
        "ends_at" => "Ends",
        "fund_url" => "Fund page",
        "goal" => "Goal",
        "next_step_due" => "Next step due",
        "picket_lines" => "Picket lines",
        "place" => "Where",
        "starts_at" => "Starts",
        other => {
            let spaced = other.replace('_', " ");
            let mut chars = spaced.chars();
            return match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => spaced,
            };
        }
    };
    words.to_owned()
}

#[cfg(test)]
mod field_words_tests {
    use super::*;

    #[test]
    fn a_broken_rule_names_its_field_in_words() {
        let err = AppError::from(unionhall_domain::DomainError::invalid(
            "picket_lines",
            "a shift ends after it starts",
        ));
        assert_eq!(
            err.to_string(),
            "Picket lines: a shift ends after it starts"
        );
        assert_eq!(field_words("next_step_due"), "Next step due");
        assert_eq!(field_words("employer"), "Employer");
    }
}
