//! Passkeys over the API: adding one to the signed-in account (two calls:
//! the options, then the device's answer), listing, renaming and removing
//! them, and the options of the sign-in ceremony (the answer goes to
//! `POST /auth/mfa` with `method` `passkey`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::factors::FactorKind;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::PasskeyOptions;
use gatehouse_core::store::Keep;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{signed_in, SignInAnswer};
use super::openapi::{ErrorBody, NotFound, Refusals, SignedRefusals};
use super::profile::{RenameBody, Renamed};
use super::{require_recent, ApiResult, Bearer, Body, Path};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(registration_options))
        .routes(routes!(register))
        .routes(routes!(list))
        .routes(routes!(rename, remove))
        .routes(routes!(sign_in_options))
        .routes(routes!(enrollment_options))
        .routes(routes!(enroll))
}

/// A ceremony's options: pass `publicKey` to `navigator.credentials.create`
/// (adding) or `.get` (signing in), in the standard JSON form (binary
/// values base64url), and send the answer back with `ceremony_id` within 5
/// minutes. Each ceremony can be answered once.
#[derive(Serialize, ToSchema)]
struct Options {
    ceremony_id: String,
    #[serde(rename = "publicKey")]
    #[schema(value_type = Object)]
    public_key: serde_json::Value,
}

impl From<PasskeyOptions> for Options {
    fn from(o: PasskeyOptions) -> Self {
        Self {
            ceremony_id: o.ceremony_id,
            public_key: o.public_key,
        }
    }
}

/// Starts adding a passkey to the signed-in account (a recent sign-in is needed).
#[utoipa::path(post, path = "/me/passkeys/registration/options", tag = "passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The options for `navigator.credentials.create`", body = Options),
        SignedRefusals, Refusals,
    ))]
async fn registration_options(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::AddFactor)?;
    let options = s
        .gatehouse
        .passkey_registration_options(bearer.user_id)
        .await?;
    Ok(Json(Options::from(options)).into_response())
}

#[derive(Deserialize, ToSchema)]
struct RegisterBody {
    ceremony_id: String,
    /// Up to 40 characters; empty for "Passkey", "Passkey 2"…
    #[serde(default)]
    name: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create`, as JSON
    /// (`credential.toJSON()`).
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
struct Registered {
    id: i64,
    label: String,
    /// When this passkey turned two-step verification on: the recovery codes, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
}

/// Adds the passkey the device made for a ceremony. The person is mailed;
/// other sign-ins in progress end.
#[utoipa::path(post, path = "/me/passkeys/registration", tag = "passkeys",
    request_body = RegisterBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Added", body = Registered),
        (status = 400, description = "`invalid_request`: the ceremony expired or was used, the answer does not match it (origin, challenge, no user verification), or the passkey is registered already", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
async fn register(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<RegisterBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::AddFactor)?;
    let added = s
        .gatehouse
        .register_passkey(
            bearer.user_id,
            &b.ceremony_id,
            &b.name,
            &b.credential,
            &origin,
        )
        .await?;
    let body = Registered {
        id: added.id,
        label: added.label,
        recovery_codes: added.recovery_codes,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[derive(Serialize, ToSchema)]
struct PasskeyView {
    id: i64,
    label: String,
    created_at: i64,
    /// When it last proved it was you (adding it counts).
    last_used_at: Option<i64>,
}

/// The signed-in account's passkeys.
#[utoipa::path(get, path = "/me/passkeys", tag = "passkeys", security(("bearer" = [])),
    responses((status = 200, description = "Oldest first", body = Vec<PasskeyView>), SignedRefusals, Refusals))]
async fn list(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let profile = s.gatehouse.profile(bearer.user_id).await?;
    let passkeys: Vec<PasskeyView> = profile
        .factors
        .into_iter()
        .filter(|f| f.kind == FactorKind::Passkey.as_str())
        .map(|f| PasskeyView {
            id: f.id,
            label: f.label,
            created_at: f.created_at,
            last_used_at: f.last_used_at,
        })
        .collect();
    Ok(Json(passkeys).into_response())
}

/// Renames one of the account's passkeys.
#[utoipa::path(patch, path = "/me/passkeys/{id}", tag = "passkeys", request_body = RenameBody,
    params(("id" = i64, Path, description = "The passkey's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Renamed", body = Renamed),
        NotFound, SignedRefusals, Refusals,
    ))]
async fn rename(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<RenameBody>,
) -> ApiResult {
    let label = s
        .gatehouse
        .rename_passkey(bearer.user_id, id, &b.name, &origin)
        .await?;
    Ok(Json(Renamed { id, label }).into_response())
}

/// Removes one of the account's passkeys (a recent sign-in is needed). Every
/// other token and session of the account ends; the person is mailed. The
/// last factor of a role that requires two-step verification stays.
#[utoipa::path(delete, path = "/me/passkeys/{id}", tag = "passkeys",
    params(("id" = i64, Path, description = "The passkey's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "`last_factor` (also the last passkey where the role requires one), `step_up_required`", body = ErrorBody),
        NotFound, SignedRefusals, Refusals,
    ))]
async fn remove(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::RemoveFactor)?;
    let token_hash = gatehouse_core::crypto::token_hash(&bearer.token);
    s.gatehouse
        .remove_passkey(bearer.user_id, id, Keep::Token(&token_hash), &origin)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
struct SignInOptionsBody {
    /// From `POST /auth/login` (`methods` lists `passkey`).
    mfa_token: String,
}

#[derive(Deserialize, ToSchema)]
struct EnrollmentOptionsBody {
    /// From an `enrollment_required` answer: its `reason` is
    /// `passkey_required`, or the role requires a passkey.
    mfa_token: String,
}

/// Starts adding a passkey at sign-in, where the sign-in waits for a new
/// factor (`enrollment_required`): the only way on when its `reason` is
/// `passkey_required` or the person's role requires a passkey.
#[utoipa::path(post, path = "/mfa/passkey/setup", tag = "passkeys",
    request_body = EnrollmentOptionsBody,
    responses(
        (status = 200, description = "The options for `navigator.credentials.create`", body = Options),
        (status = 401, description = "`mfa_token_invalid`", body = ErrorBody),
        Refusals,
    ))]
async fn enrollment_options(
    State(s): State<AppState>,
    Body(b): Body<EnrollmentOptionsBody>,
) -> ApiResult {
    let options = s.gatehouse.passkey_enrollment_options(&b.mfa_token).await?;
    Ok(Json(Options::from(options)).into_response())
}

#[derive(Deserialize, ToSchema)]
struct EnrollBody {
    mfa_token: String,
    ceremony_id: String,
    /// Up to 40 characters; empty for "Passkey", "Passkey 2"…
    #[serde(default)]
    name: String,
    /// The `PublicKeyCredential` from `navigator.credentials.create`, as JSON.
    #[schema(value_type = Object)]
    credential: serde_json::Value,
}

/// Adds the passkey made for a sign-in's ceremony and finishes the sign-in:
/// a reset (`recovery`, `reset_permission`, `reset_pass`) replaces the old
/// factors and brings new recovery codes; `passkey_required` keeps them.
#[utoipa::path(post, path = "/mfa/passkey/confirm", tag = "passkeys",
    request_body = EnrollBody,
    responses(
        (status = 200, description = "Signed in (`recovery_codes` when they are new)", body = SignInAnswer),
        (status = 400, description = "`invalid_request`: the ceremony expired or was used, or the answer does not match it", body = ErrorBody),
        (status = 401, description = "`mfa_token_invalid`", body = ErrorBody),
        (status = 403, description = "`grant_ended`", body = ErrorBody),
        Refusals,
    ))]
async fn enroll(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<EnrollBody>,
) -> ApiResult {
    let (user_id, codes) = s
        .gatehouse
        .register_passkey_at_sign_in(
            &b.mfa_token,
            &b.ceremony_id,
            &b.name,
            &b.credential,
            &origin,
        )
        .await?;
    let codes = (!codes.is_empty()).then_some(codes);
    let answer = signed_in(&s.gatehouse, user_id, None, codes).await?;
    Ok(Json(answer).into_response())
}

/// The options for signing in with a passkey at the second stage; answer
/// with `POST /auth/mfa` `{mfa_token, method: "passkey", ceremony_id, credential}`.
#[utoipa::path(post, path = "/auth/mfa/passkey/options", tag = "sign-in",
    request_body = SignInOptionsBody,
    responses(
        (status = 200, description = "The options for `navigator.credentials.get`", body = Options),
        (status = 401, description = "`mfa_token_invalid`", body = ErrorBody),
        (status = 429, description = "`rate_limited` + `Retry-After`: the second factor is locked", body = ErrorBody),
        Refusals,
    ))]
async fn sign_in_options(State(s): State<AppState>, Body(b): Body<SignInOptionsBody>) -> ApiResult {
    let options = s.gatehouse.passkey_sign_in_options(&b.mfa_token).await?;
    Ok(Json(Options::from(options)).into_response())
}
