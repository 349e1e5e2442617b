//! Setting up an authenticator app: during sign-in (with the `mfa_token`
//! of an enrollment) or later (with a bearer token and a recent sign-in).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::AuthError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{signed_in, SignInAnswer};
use super::openapi::{ErrorBody, Refusals};
use super::{error_response, require_recent, ApiResult, Body, MaybeBearer};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(totp_setup))
        .routes(routes!(totp_confirm))
}

#[derive(Deserialize, Default, ToSchema)]
struct SetupBody {
    /// The `mfa_token` of a sign-in that waits for an authenticator; none with a bearer token.
    mfa_token: Option<String>,
}

/// A new authenticator's secret, to scan or type into the app.
#[derive(Serialize, ToSchema)]
struct Setup {
    /// Base32.
    secret: String,
    otpauth_uri: String,
    /// The `otpauth_uri` as a QR code, an SVG document.
    qr_svg: String,
}

/// Starts setting up an authenticator app: with a bearer token (recent
/// sign-in), or with the `mfa_token` of a sign-in that waits for one.
#[utoipa::path(post, path = "/mfa/totp/setup", tag = "authenticators",
    request_body(content = Option<SetupBody>, description = "Empty with a bearer token"),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The secret; confirm it with a code", body = Setup),
        (status = 401, description = "`unauthorized` (neither a bearer token nor an `mfa_token`), `mfa_token_invalid`", body = ErrorBody),
        (status = 403, description = "`step_up_required`, `grant_ended`, `passkey_required` (only a passkey will do: `/mfa/passkey/setup`)", body = ErrorBody),
        Refusals,
    ))]

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
    Ok(Json(Setup {
        secret: setup.secret,
        otpauth_uri: setup.otpauth_uri,
        qr_svg: setup.qr_svg,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
struct ConfirmBody {
    code: String,
    mfa_token: Option<String>,
    /// What the user calls the authenticator (up to 40 characters); "Authenticator app" when absent.
    #[serde(default)]
    name: String,
}

/// Recovery codes, shown once.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RecoveryCodes {
    /// Empty when an authenticator was added beside another.
    pub recovery_codes: Vec<String>,
}

/// What confirming answers: signed in at sign-in, the codes otherwise.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum Confirmed {
    SignedIn(SignInAnswer),
    Added(RecoveryCodes),
}

/// Confirms the authenticator with a code from it: at sign-in (with the
/// `mfa_token`) this signs in and replaces any older factor; with a bearer
/// token it adds one.
#[utoipa::path(post, path = "/mfa/totp/confirm", tag = "authenticators",
    request_body = ConfirmBody,
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "Signed in with the new recovery codes (at sign-in), or the recovery codes", body = Confirmed),
        (status = 401, description = "`invalid_code`, `mfa_token_invalid`, `unauthorized`", body = ErrorBody),
        (status = 403, description = "`step_up_required`, `grant_ended`, `passkey_required` (only a passkey will do: `/mfa/passkey/setup`)", body = ErrorBody),
        (status = 409, description = "`no_enrollment`: set up first", body = ErrorBody),
        Refusals,
    ))]

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
            let recovery_codes = codes.unwrap_or_default();
            Ok(Json(Confirmed::Added(RecoveryCodes { recovery_codes })).into_response())
        }
        (None, Some(token)) => {
            let (user_id, codes) = s
                .gatehouse
                .totp_confirm_for_attempt(&token, &b.code, &b.name, &origin)
                .await?;
            let answer = signed_in(&s.gatehouse, user_id, None, Some(codes)).await?;
            Ok(Json(Confirmed::SignedIn(answer)).into_response())
        }
        (None, None) => Ok(error_response(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a bearer token or the mfa_token from sign-in.",
        )),
    }
}
