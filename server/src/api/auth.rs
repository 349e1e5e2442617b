//! Signing in through the API: the password, the second factor (or a code
//! sent by email or SMS), and signing out. A completed sign-in answers with a
//! bearer token.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::service::{CodeOutcome, MfaMethod, OobKind, PasswordOutcome};
use gatehouse_core::store::AttemptReason;
use gatehouse_core::{AuthError, Gatehouse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{ErrorBody, Message, Refusals, SignedRefusals};
use super::{ApiError, ApiResult, Bearer, Body};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(mfa))
        .routes(routes!(send))
        .routes(routes!(logout))
        .routes(routes!(forgot_password))
        .routes(routes!(locked_out))
}

/// Where a sign-in stands: signed in (with a bearer token), or the step it
/// waits for.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignInAnswer {
    /// Signed in: the bearer token for every other call.
    Authenticated {
        access_token: String,
        /// Always `Bearer`.
        token_type: String,
        /// Seconds the token lasts.
        expires_in: i64,
        /// After a recovery code: how many are left.
        #[serde(skip_serializing_if = "Option::is_none")]
        recovery_codes_left: Option<i64>,
        /// After setting up the first authenticator: the new recovery codes, shown once.
        #[serde(skip_serializing_if = "Option::is_none")]
        recovery_codes: Option<Vec<String>>,
    },
    /// The password was right: send a code with this `mfa_token` to `/auth/mfa`.
    MfaRequired {
        mfa_token: String,
        /// What this account can use, the strongest first: `passkey`, `totp`,
        /// `recovery_code`, `email_otp`, `sms_otp`.
        methods: Vec<String>,
    },
    /// Set up a new factor with this `mfa_token`: an authenticator
    /// (`/mfa/totp/setup`, `/mfa/totp/confirm`) or a passkey
    /// (`/mfa/passkey/setup`, `/mfa/passkey/confirm`) — only a passkey when
    /// `reason` is `passkey_required` or the person's role requires one.
    EnrollmentRequired {
        mfa_token: String,
        /// `mfa_required`, `reset_permission`, `reset_pass`, `recovery` or
        /// `passkey_required` (the role requires a passkey and the sign-in
        /// used another factor).
        reason: String,
    },
}

/// A new bearer token for the user: signed in.
pub(super) async fn signed_in(
    gh: &Gatehouse,
    user_id: i64,
    recovery_codes_left: Option<i64>,
    recovery_codes: Option<Vec<String>>,
) -> Result<SignInAnswer, ApiError> {
    let (access_token, expires_in) = gh.issue_api_token(user_id).await?;
    Ok(SignInAnswer::Authenticated {
        access_token,
        token_type: "Bearer".into(),
        expires_in,
        recovery_codes_left,
        recovery_codes,
    })
}

async fn authenticated(
    gh: &Gatehouse,
    user_id: i64,
    recovery_codes_left: Option<i64>,
) -> ApiResult {
    let answer = signed_in(gh, user_id, recovery_codes_left, None).await?;
    Ok(Json(answer).into_response())
}

fn enrollment(mfa_token: String, reason: AttemptReason) -> ApiResult {
    Ok(Json(SignInAnswer::EnrollmentRequired {
        mfa_token,
        reason: reason.as_str().into(),
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    email: String,
    password: String,
}

/// The password stage of a sign-in.
#[utoipa::path(post, path = "/auth/login", tag = "sign-in", request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in, or the step the sign-in waits for", body = SignInAnswer),
        (status = 401, description = "`invalid_credentials`: the same for an unknown address", body = ErrorBody),
        (status = 429, description = "`rate_limited` + `Retry-After`: too many attempts from this address, or a password delay", body = ErrorBody),
        Refusals,
    ))]
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
            authenticated(&s.gatehouse, user_id, None).await
        }
        PasswordOutcome::MfaRequired { mfa_token, methods } => {
            // Only what an API client can finish: not a link that opens in a browser.
            let methods = methods
                .into_iter()
                .filter(|m| !OobKind::parse(m).is_some_and(OobKind::browser_only))
                .map(String::from)
                .collect();
            Ok(Json(SignInAnswer::MfaRequired { mfa_token, methods }).into_response())
        }
        PasswordOutcome::EnrollmentRequired { mfa_token, reason } => enrollment(mfa_token, reason),
    }
}

#[derive(Deserialize, ToSchema)]
struct MfaBody {
    mfa_token: String,
    /// `passkey`, `totp`, `recovery_code`, `email_otp` or `sms_otp`.
    method: String,
    /// The code, for every method but `passkey`.
    #[serde(default)]
    code: String,
    /// With `passkey`: from `POST /auth/mfa/passkey/options`.
    ceremony_id: Option<String>,
    /// With `passkey`: the `PublicKeyCredential` from
    /// `navigator.credentials.get`, as JSON (`credential.toJSON()`).
    #[schema(value_type = Option<Object>)]
    credential: Option<serde_json::Value>,
}

/// The second stage: a passkey's answer, a code from the authenticator, a
/// recovery code, or a code sent by email (which leads to setting up a new
/// authenticator) or SMS.
#[utoipa::path(post, path = "/auth/mfa", tag = "sign-in", request_body = MfaBody,
    responses(
        (status = 200, description = "Signed in; or `enrollment_required`: with `reason` `recovery` after an emailed code, `passkey_required` where the role requires a passkey and another factor was used", body = SignInAnswer),
        (status = 401, description = "`invalid_code`, `code_used` or `passkey_rejected` (with `tries_left`), `mfa_token_invalid`", body = ErrorBody),
        (status = 403, description = "`passkey_required`: the role requires signing in with the account's passkey, so a code is refused before it is checked", body = ErrorBody),
        (status = 429, description = "`rate_limited` + `Retry-After`: the second factor is locked", body = ErrorBody),
        Refusals,
    ))]
async fn mfa(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<MfaBody>,
) -> ApiResult {
    let gh = &s.gatehouse;
    let outcome = if b.method == MfaMethod::Passkey.name() {
        let ceremony_id = b.ceremony_id.unwrap_or_default();
        let credential = b.credential.unwrap_or_default();
        gh.verify_passkey(&b.mfa_token, &ceremony_id, &credential, &origin)
            .await?
    } else {
        gh.verify_second_factor(&b.mfa_token, &b.method, &b.code, &origin)
            .await?
    };
    match outcome {
        // Email is a recovery channel, and a role may require a passkey:
        // either way a new factor comes before the sign-in finishes.
        CodeOutcome::Enroll { mfa_token, reason } => enrollment(mfa_token, reason),
        CodeOutcome::SignedIn(signed_in) => {
            authenticated(gh, signed_in.user_id, signed_in.recovery_codes_left).await
        }
    }
}

#[derive(Deserialize, ToSchema)]
struct SendBody {
    mfa_token: String,
    /// `email_otp` or `sms_otp`.
    method: String,
}

#[derive(Serialize, ToSchema)]
struct Sent {
    /// Seconds before another code may be sent.
    retry_after: i64,
}

/// Sends a code by email or SMS for the second stage; the answer is the
/// same whether or not anything could be sent.
#[utoipa::path(post, path = "/auth/mfa/send", tag = "sign-in", request_body = SendBody,
    responses(
        (status = 202, description = "Sent, if the account has that channel", body = Sent),
        (status = 401, description = "`mfa_token_invalid`", body = ErrorBody),
        (status = 429, description = "`rate_limited` + `Retry-After`: asked again too soon", body = ErrorBody),
        Refusals,
    ))]
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
    Ok((StatusCode::ACCEPTED, Json(Sent { retry_after })).into_response())
}

/// Ends this bearer token.
#[utoipa::path(post, path = "/auth/logout", tag = "sign-in", security(("bearer" = [])),
    responses((status = 204, description = "The token no longer works"), SignedRefusals, Refusals))]
async fn logout(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    s.gatehouse.revoke_api_token(&bearer.token, &origin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
struct ForgotBody {
    email: String,
}

/// "Forgot password?": 202 whether or not the address has an account.
#[utoipa::path(post, path = "/auth/password/forgot", tag = "sign-in", request_body = ForgotBody,
    responses(
        (status = 202, description = "An active account is emailed a link (30 minutes, once)", body = Message),
        (status = 429, description = "`rate_limited` + `Retry-After`: too many from this address", body = ErrorBody),
        Refusals,
    ))]
async fn forgot_password(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<ForgotBody>,
) -> ApiResult {
    s.gatehouse.forgot_password(&b.email, &origin).await?;
    let message = "If this address belongs to an account, we have emailed it a link to choose a new password.";
    Ok((StatusCode::ACCEPTED, Json(Message::new(message))).into_response())
}

#[derive(Deserialize, ToSchema)]
struct LockedOutBody {
    email: String,
    /// What happened, up to 1,000 characters; line breaks allowed.
    #[serde(default)]
    description: String,
}

/// "Locked out?": 202 whatever the address.
#[utoipa::path(post, path = "/auth/locked-out", tag = "sign-in", request_body = LockedOutBody,
    responses(
        (status = 202, description = "The address, if it has an account, is told who can help", body = Message),
        (status = 429, description = "`rate_limited` + `Retry-After`: too many from this address", body = ErrorBody),
        Refusals,
    ))]
async fn locked_out(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<LockedOutBody>,
) -> ApiResult {
    s.gatehouse
        .locked_out(&b.email, &b.description, &origin)
        .await?;
    let message = "If this address belongs to an account, we have emailed it.";
    Ok((StatusCode::ACCEPTED, Json(Message::new(message))).into_response())
}
