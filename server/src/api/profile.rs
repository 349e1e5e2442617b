//! The signed-in user's own account: who they are and their factors, new
//! recovery codes, resetting their MFA (both with the password again and a
//! recent sign-in), and changing their password.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::store::Keep;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{require_recent, ApiResult, Bearer, Body, Path};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/mfa/recovery-codes", post(recovery_codes))
        .route("/mfa/reset", post(reset))
        .route("/me/password", post(change_password))
        .route("/me/factors/{id}", patch(rename_factor))
}

#[derive(Deserialize)]
struct RenameBody {
    name: String,
}

/// Names an authenticator; its secret, sessions and sign-in are unchanged.
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
    Ok(Json(json!({ "id": id, "label": label })).into_response())
}

async fn me(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let p = s.gatehouse.profile(bearer.user_id).await?;
    let factors: Vec<Value> = p
        .factors
        .iter()
        .map(
            |f| json!({ "id": f.id, "kind": f.kind, "label": f.label, "created_at": f.created_at }),
        )
        .collect();
    Ok(Json(json!({
        "email": p.email,
        "name": p.name,
        "organization": p.organization,
        "role": p.role,
        "mfa": { "required": p.mfa_required, "factors": factors, "recovery_codes_left": p.recovery_codes_left },
        "phone": match (&p.phone, &p.pending_phone) {
            (Some(number), _) => json!({ "number": number, "verified": true }),
            (None, Some(number)) => json!({ "number": number, "verified": false }),
            (None, None) => Value::Null,
        },
    }))
    .into_response())
}

#[derive(Deserialize)]
struct PasswordBody {
    password: String,
}

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
    Ok(Json(json!({ "recovery_codes": codes })).into_response())
}

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

#[derive(Deserialize)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
}

/// Every other session and token ends; the caller's token stays.
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
