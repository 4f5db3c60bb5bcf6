//! A JSON request body whose failures use the API's error shape (axum's own
//! rejections are plain text).

use crate::{AppError, AppState};
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let is_json = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(AppError::BadRequest {
                code: "unsupported_media_type",
                message: "send JSON with Content-Type: application/json".into(),
            });
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|_| AppError::PayloadTooLarge {
                limit: state.config.body_limit_bytes,
            })?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|err| AppError::BadRequest {
                code: "bad_json",
                message: format!("the JSON body does not fit: {err}"),
            })
    }
}
