//! Setting up an authenticator app: during sign-in (with the `mfa_token`
//! of an enrollment) or later (with a bearer token and a recent sign-in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::AuthError;
use serde::Deserialize;
use serde_json::json;

use super::auth::authenticated;
use super::{error_response, require_recent, ApiResult, Body, MaybeBearer};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mfa/totp/setup", post(totp_setup))
        .route("/mfa/totp/confirm", post(totp_confirm))
}

#[derive(Deserialize, Default)]
struct SetupBody {
    mfa_token: Option<String>,
}

async fn totp_setup(
    State(s): State<AppState>,
    MaybeBearer(bearer): MaybeBearer,
    raw: axum::body::Bytes,
) -> ApiResult {
    // With a bearer token the body may be empty.
    let body: SetupBody = if raw.iter().all(u8::is_ascii_whitespace) {
        SetupBody::default()
    } else {
        serde_json::from_slice(&raw)
            .map_err(|e| AuthError::Invalid(format!("invalid JSON body: {e}")))?
    };
    let setup = match (bearer, body.mfa_token) {
        (Some(bearer), _) => {
            require_recent(&s.gatehouse, &bearer, Operation::AddFactor)?;
            s.gatehouse.totp_setup(bearer.user_id).await?
        }
        (None, Some(token)) => s.gatehouse.totp_setup_for_attempt(&token).await?.0,
        (None, None) => {
            return Ok(error_response(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Send a bearer token or the mfa_token from sign-in.",
            ))
        }
    };
    Ok(Json(
        json!({ "secret": setup.secret, "otpauth_uri": setup.otpauth_uri, "qr_svg": setup.qr_svg }),
    )
    .into_response())
}

#[derive(Deserialize)]
struct ConfirmBody {
    code: String,
    mfa_token: Option<String>,
    /// What the user calls the authenticator; the default name when absent.
    #[serde(default)]
    name: String,
}

async fn totp_confirm(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    MaybeBearer(bearer): MaybeBearer,
    Body(b): Body<ConfirmBody>,
) -> ApiResult {
    match (bearer, b.mfa_token) {
        (Some(bearer), _) => {
            require_recent(&s.gatehouse, &bearer, Operation::AddFactor)?;
            let codes = s
                .gatehouse
                .totp_confirm_for_user(bearer.user_id, &b.code, &b.name, &origin)
                .await?;
            Ok(Json(json!({ "recovery_codes": codes.unwrap_or_default() })).into_response())
        }
        (None, Some(token)) => {
            let (user_id, codes) = s
                .gatehouse
                .totp_confirm_for_attempt(&token, &b.code, &b.name, &origin)
                .await?;
            authenticated(&s.gatehouse, user_id, json!({ "recovery_codes": codes })).await
        }
        (None, None) => Ok(error_response(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a bearer token or the mfa_token from sign-in.",
        )),
    }
}
