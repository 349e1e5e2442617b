//! The JSON API under `/api/v1` for the mobile app and scripts. Same services
//! as the browser; bearer tokens instead of cookies. Errors — a malformed
//! body, query string or path included — are `{"error": CODE, "message": TEXT}`,
//! with the code and status core gives the error.

pub mod admin;
pub mod auth;
pub mod enrollment;
mod extract;
pub mod profile;
pub mod support;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_core::AuthError;
use serde_json::json;

pub use extract::{require_recent, Bearer, Body, MaybeBearer, Path, Query};

/// The API's error body, also used by the request layers so that a refusal
/// looks the same wherever it happens.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

/// A service's error as a response: core decides the code, the HTTP status
/// and any `Retry-After`; this only writes them out.
pub struct ApiError(AuthError);

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AuthError::Storage(e) = &self.0 {
            tracing::error!(error = %e, "storage error");
        }
        let code = self.0.code();
        let status =
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({ "error": code.as_str(), "message": self.0.to_string() });
        if let Some(tries_left) = self.0.tries_left() {
            body["tries_left"] = json!(tries_left);
        }
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.0.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// An extractor's refusal as an API error: 413 for a body over the limit,
/// else its own 4xx status, as `invalid_request`.
pub fn rejected(status: StatusCode, text: &str) -> Response {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => error_response(status, "payload_too_large", text),
        s if s.is_client_error() => {
            error_response(StatusCode::BAD_REQUEST, "invalid_request", text)
        }
        s => error_response(s, "internal", text),
    }
}

/// A path under `/api/v1` that names no endpoint.
pub async fn not_found() -> Response {
    error_response(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")
}

/// An endpoint called with a method it does not take.
pub async fn method_not_allowed() -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not take that method.",
    )
}
