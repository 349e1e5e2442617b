//! The extractors of the JSON API: a body, query string or path whose
//! refusal is an API error rather than plain text, and the bearer token.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::text;
use gatehouse_core::Gatehouse;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{error_response, rejected, ApiError};
use crate::state::AppState;

/// Whether any string of a JSON body, or any field name, holds a character
/// no request may carry ([`text::has_forbidden_char`]); a string in an array
/// counts as a value of the field that holds the array.
fn has_forbidden_char(field: &str, value: &Value) -> bool {
    match value {
        Value::String(s) => text::has_forbidden_char(field, s, true),
        Value::Array(items) => items.iter().any(|v| has_forbidden_char(field, v)),
        Value::Object(fields) => fields.iter().any(|(name, v)| {
            text::has_forbidden_char(name, "", true) || has_forbidden_char(name, v)
        }),
        _ => false,
    }
}

/// `Json` whose rejection is an API error body rather than plain text, and
/// which refuses control characters in any string before a service sees them.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<Value>::from_request(req, state)
            .await
            .map_err(|r| rejected(r.status(), &r.body_text()))?;
        if has_forbidden_char("", &value) {
            return Err(error_response(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The body contains a control character.",
            ));
        }
        serde_json::from_value(value).map(Self).map_err(|e| {
            error_response(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Failed to deserialize the JSON body into the target type: {e}"),
            )
        })
    }
}

/// `Query` whose rejection is an API error body rather than plain text.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|r| rejected(r.status(), &r.body_text()))
    }
}

/// `Path` whose rejection is an API error body rather than plain text.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|r| rejected(r.status(), &r.body_text()))
    }
}

/// The user behind `Authorization: Bearer …`, and when the token was issued.
pub struct Bearer {
    pub user_id: i64,
    pub issued_at: i64,
    pub token: String,
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            error_response(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "A valid bearer token is required.",
            )
        };
        let token = bearer_token(parts).ok_or_else(unauthorized)?;
        match state.gatehouse.api_token_user(&token).await {
            Ok(Some((user_id, issued_at))) => {
                crate::logging::record_user(user_id);
                Ok(Self {
                    user_id,
                    issued_at,
                    token,
                })
            }
            Ok(None) => Err(unauthorized()),
            Err(e) => Err(ApiError::from(e).into_response()),
        }
    }
}

/// The optional bearer of calls that also accept an `mfa_token`.
pub struct MaybeBearer(pub Option<Bearer>);

impl FromRequestParts<AppState> for MaybeBearer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if bearer_token(parts).is_none() {
            return Ok(Self(None));
        }
        Bearer::from_request_parts(parts, state)
            .await
            .map(|b| Self(Some(b)))
    }
}

/// Asks core whether the operation needs a more recent sign-in than the
/// token's (tokens are issued by a completed sign-in).
pub fn require_recent(
    gh: &Gatehouse,
    bearer: &Bearer,
    operation: Operation,
) -> Result<(), ApiError> {
    Ok(gh.require_recent_sign_in(operation, bearer.issued_at)?)
}
