//! The signed-in user's own account: who they are and their factors, new
//! recovery codes, resetting their MFA (both with the password again and a
//! recent sign-in), and changing their password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::store::Keep;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::enrollment::RecoveryCodes;
use super::openapi::{ErrorBody, PasswordAgain, Refusals, SignedRefusals};
use super::{require_recent, ApiResult, Bearer, Body, Path};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(recovery_codes))
        .routes(routes!(reset))
        .routes(routes!(change_password))
        .routes(routes!(rename_factor))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct RenameBody {
    /// Up to 40 characters.
    pub(super) name: String,
}

#[derive(Serialize, ToSchema)]
pub(super) struct Renamed {
    pub(super) id: i64,
    /// The name as kept (spaces collapsed, one written form).
    pub(super) label: String,
}

/// Names an authenticator; its secret, sessions and sign-in are unchanged.
#[utoipa::path(patch, path = "/me/factors/{id}", tag = "my account", request_body = RenameBody,
    params(("id" = i64, Path, description = "The factor's id, from `GET /me`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Renamed", body = Renamed),
        (status = 404, description = "`not_found`: not one of yours", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
async fn rename_factor(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<RenameBody>,
) -> ApiResult {
    let label = s
        .gatehouse
        .rename_factor(bearer.user_id, id, &b.name, &origin)
        .await?;
    Ok(Json(Renamed { id, label }).into_response())
}

/// Who is signed in, and their second factors.
#[derive(Serialize, ToSchema)]
struct Me {
    email: String,
    name: String,
    organization: String,
    role: String,
    mfa: MyMfa,
    /// The phone for codes by SMS, masked; `verified` false while its code is awaited.
    phone: Option<MyPhone>,
}

#[derive(Serialize, ToSchema)]
struct MyMfa {
    /// Whether the role requires a second factor.
    required: bool,
    factors: Vec<MyFactor>,
    recovery_codes_left: i64,
}

#[derive(Serialize, ToSchema)]
struct MyFactor {
    id: i64,
    /// `totp` or `passkey`.
    kind: String,
    label: String,
    created_at: i64,
}

#[derive(Serialize, ToSchema)]
struct MyPhone {
    /// Masked: `+44••••••••23`.
    number: String,
    verified: bool,
}

/// The signed-in user.
#[utoipa::path(get, path = "/me", tag = "my account", security(("bearer" = [])),
    responses((status = 200, description = "Who is signed in", body = Me), SignedRefusals, Refusals))]
async fn me(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let p = s.gatehouse.profile(bearer.user_id).await?;
    let factors = p
        .factors
        .into_iter()
        .map(|f| MyFactor {
            id: f.id,
            kind: f.kind,
            label: f.label,
            created_at: f.created_at,
        })
        .collect();
    let phone = match (p.phone, p.pending_phone) {
        (Some(number), _) => Some(MyPhone {
            number,
            verified: true,
        }),
        (None, Some(number)) => Some(MyPhone {
            number,
            verified: false,
        }),
        (None, None) => None,
    };
    Ok(Json(Me {
        email: p.email,
        name: p.name,
        organization: p.organization,
        role: p.role,
        mfa: MyMfa {
            required: p.mfa_required,
            factors,
            recovery_codes_left: p.recovery_codes_left,
        },
        phone,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
struct PasswordBody {
    password: String,
}

/// New recovery codes (the password again, and a recent sign-in); the old set stops working.
#[utoipa::path(post, path = "/mfa/recovery-codes", tag = "my account", request_body = PasswordBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new codes, shown once", body = RecoveryCodes),
        PasswordAgain, SignedRefusals, Refusals,
    ))]

async fn recovery_codes(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<PasswordBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::RegenerateRecoveryCodes)?;
    s.gatehouse
        .check_password(bearer.user_id, &b.password, &origin)
        .await?;
    let codes = s
        .gatehouse
        .regenerate_recovery_codes(bearer.user_id, &origin)
        .await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    })
    .into_response())
}

/// Removes every authenticator and recovery code (the password again, and a
/// recent sign-in); every session and token of the user ends.
#[utoipa::path(post, path = "/mfa/reset", tag = "my account", request_body = PasswordBody,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Reset; sign in again"),
        PasswordAgain, SignedRefusals, Refusals,
    ))]
async fn reset(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<PasswordBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::ResetOwnMfa)?;
    s.gatehouse
        .check_password(bearer.user_id, &b.password, &origin)
        .await?;
    s.gatehouse
        .reset_mfa(bearer.user_id, Some(bearer.user_id), &origin)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
struct ChangePasswordBody {
    current_password: String,
    /// 8 to 128 characters, not a common password, not the current one.
    new_password: String,
}

/// Every other session and token ends; the caller's token stays.
#[utoipa::path(post, path = "/me/password", tag = "my account", request_body = ChangePasswordBody,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed; the account is emailed"),
        PasswordAgain, SignedRefusals, Refusals,
    ))]
async fn change_password(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<ChangePasswordBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::ChangePassword)?;
    let token_hash = gatehouse_core::crypto::token_hash(&bearer.token);
    s.gatehouse
        .change_password(
            bearer.user_id,
            &b.current_password,
            &b.new_password,
            Keep::Token(&token_hash),
            &origin,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
