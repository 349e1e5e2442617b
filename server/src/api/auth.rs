//! Signing in through the API: the password, the second factor (or a code
//! sent by email or SMS), and signing out. A completed sign-in answers with a
//! bearer token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::service::{CodeOutcome, OobKind, PasswordOutcome};
use gatehouse_core::store::AttemptReason;
use gatehouse_core::{AuthError, Gatehouse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{ApiResult, Bearer, Body};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/mfa", post(mfa))
        .route("/auth/mfa/send", post(send))
        .route("/auth/logout", post(logout))
        .route("/auth/password/forgot", post(forgot_password))
        .route("/auth/locked-out", post(locked_out))
}

/// A new bearer token for the user, with `extra` fields beside it.
pub(super) async fn authenticated(gh: &Gatehouse, user_id: i64, extra: Value) -> ApiResult {
    let (access_token, expires_in) = gh.issue_api_token(user_id).await?;
    let mut body = json!({
        "status": "authenticated",
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

async fn login(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<LoginBody>,
) -> ApiResult {
    match s
        .gatehouse
        .login_password(&b.email, &b.password, &origin)
        .await?
    {
        PasswordOutcome::Authenticated { user_id } => {
            authenticated(&s.gatehouse, user_id, Value::Null).await
        }
        PasswordOutcome::MfaRequired { mfa_token, methods } => {
            // Only what an API client can finish: not a link that opens in a browser.
            let methods: Vec<&str> = methods
                .into_iter()
                .filter(|m| !OobKind::parse(m).is_some_and(OobKind::browser_only))
                .collect();
            Ok(Json(
                json!({ "status": "mfa_required", "mfa_token": mfa_token, "methods": methods }),
            )
            .into_response())
        }
        PasswordOutcome::EnrollmentRequired { mfa_token, reason } => Ok(Json(
            json!({ "status": "enrollment_required", "mfa_token": mfa_token, "reason": reason.as_str() }),
        )
        .into_response()),
    }
}

#[derive(Deserialize)]
struct MfaBody {
    mfa_token: String,
    method: String,
    code: String,
}

async fn mfa(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<MfaBody>,
) -> ApiResult {
    let gh = &s.gatehouse;
    match gh
        .verify_second_factor(&b.mfa_token, &b.method, &b.code, &origin)
        .await?
    {
        // Email is a recovery channel: it leads to setting up a new authenticator.
        CodeOutcome::Recovery(mfa_token) => Ok(Json(
            json!({ "status": "enrollment_required", "mfa_token": mfa_token, "reason": AttemptReason::Recovery.as_str() }),
        )
        .into_response()),
        CodeOutcome::SignedIn(signed_in) => {
            let extra = match signed_in.recovery_codes_left {
                Some(left) => json!({ "recovery_codes_left": left }),
                None => Value::Null,
            };
            authenticated(gh, signed_in.user_id, extra).await
        }
    }
}

#[derive(Deserialize)]
struct SendBody {
    mfa_token: String,
    method: String,
}

async fn send(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<SendBody>,
) -> ApiResult {
    let kind = OobKind::parse(&b.method)
        .filter(|k| !k.browser_only())
        .ok_or_else(|| {
            AuthError::Invalid(
                "method must be \"email_otp\" or \"sms_otp\" (a sign-in link is for browsers)"
                    .into(),
            )
        })?;
    let retry_after = s
        .gatehouse
        .send_challenge(&b.mfa_token, kind, &origin)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "retry_after": retry_after })),
    )
        .into_response())
}

async fn logout(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    s.gatehouse.revoke_api_token(&bearer.token, &origin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct ForgotBody {
    email: String,
}

/// "Forgot password?": 202 whether or not the address has an account.
async fn forgot_password(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<ForgotBody>,
) -> ApiResult {
    s.gatehouse.forgot_password(&b.email, &origin).await?;
    let message = "If this address belongs to an account, we have emailed it a link to choose a new password.";
    Ok((StatusCode::ACCEPTED, Json(json!({ "message": message }))).into_response())
}

#[derive(Deserialize)]
struct LockedOutBody {
    email: String,
    #[serde(default)]
    description: String,
}

/// "Locked out?": 202 whatever the address.
async fn locked_out(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<LockedOutBody>,
) -> ApiResult {
    s.gatehouse
        .locked_out(&b.email, &b.description, &origin)
        .await?;
    let message = "If this address belongs to an account, we have emailed it.";
    Ok((StatusCode::ACCEPTED, Json(json!({ "message": message }))).into_response())
}
