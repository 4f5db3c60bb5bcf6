//! Content negotiation between ActivityPub JSON (for servers) and HTML (for
//! people), and the JSON response type servers expect.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// The content type we answer ActivityPub requests with; the one other servers
/// (Mastodon, Lemmy, the `activitypub_federation` crate) all accept.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// True when the client asks for ActivityPub JSON (`application/activity+json`
/// or `application/ld+json`, any profile) rather than a page.
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let media = part
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            media == "application/activity+json" || media == "application/ld+json"
        })
}

/// True when a browser asks (it accepts `text/html`, not ActivityPub JSON):
/// anything else, including a client that names no type, gets JSON.
pub fn is_browser(headers: &HeaderMap) -> bool {
    !wants_activity_json(headers)
        && headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.to_ascii_lowercase().contains("text/html"))
}

/// A JSON body served as `application/activity+json`.
pub struct ActivityJson(pub serde_json::Value);

impl ActivityJson {
    /// One of our objects as a document of its own: with the JSON-LD context.
    pub fn with_context(object: &impl serde::Serialize) -> Result<Self, crate::AppError> {
        let mut value = serde_json::to_value(object)
            .map_err(|err| crate::AppError::Internal(err.to_string()))?;
        if let Some(fields) = value.as_object_mut() {
            fields.insert("@context".into(), unionhall_federation::protocol::context());
        }
        Ok(Self(value))
    }
}

impl IntoResponse for ActivityJson {
    fn into_response(self) -> Response {
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(ACTIVITY_JSON),
                ),
                (header::VARY, HeaderValue::from_static("Accept")),
            ],
            self.0.to_string(),
        )
            .into_response()
    }
}

/// Already-serialised ActivityPub JSON (an activity as it was sent).
pub struct RawActivityJson(pub String);

impl IntoResponse for RawActivityJson {
    fn into_response(self) -> Response {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(ACTIVITY_JSON),
            )],
            self.0,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn servers_get_json_and_browsers_get_pages() {
        assert!(wants_activity_json(&accept("application/activity+json")));
        assert!(wants_activity_json(&accept(
            "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""
        )));
        assert!(wants_activity_json(&accept(
            "text/html, application/activity+json;q=0.9"
        )));
        assert!(!wants_activity_json(&accept(
            "text/html,application/xhtml+xml,*/*;q=0.8"
        )));
        assert!(!wants_activity_json(&HeaderMap::new()));
    }
}
