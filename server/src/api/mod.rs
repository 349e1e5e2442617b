//! The JSON API under `/api/v1` for the mobile app and scripts. Same services
//! as the browser; bearer tokens instead of cookies. Errors — a malformed
//! body, query string or path included — are `{"error": CODE, "message": TEXT}`,
//! with the code and status core gives the error.

pub mod admin;
pub mod auth;
pub mod enrollment;
mod extract;
pub mod openapi;
pub mod passkeys;
pub mod profile;
pub mod support;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use gatehouse_core::AuthError;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use extract::{require_recent, Bearer, Body, MaybeBearer, Path, Query};
use openapi::ErrorBody;

use crate::state::AppState;

/// Every endpoint of `/api/v1` (paths relative to it) and the OpenAPI
/// document describing them, from the same lists of handlers.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(auth::routes())
        .merge(enrollment::routes())
        .merge(profile::routes())
        .merge(passkeys::routes())
        .merge(support::routes())
        .merge(admin::users::routes())
        .merge(admin::roles::routes())
        .merge(admin::customers::routes())
        .merge(admin::audit::routes())
        .merge(admin::contacts::routes())
        .split_for_parts()
}

/// The API's error body, also used by the request layers so that a refusal
/// looks the same wherever it happens.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = ErrorBody {
        error: code.into(),
        message: message.into(),
        tries_left: None,
    };
    (status, Json(body)).into_response()
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
        let body = ErrorBody {
            error: code.as_str().into(),
            message: self.0.to_string(),
            tries_left: self.0.tries_left(),
        };
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
