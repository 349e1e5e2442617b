//! The roles of an organization: what each may do and whether it requires MFA.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::filters::permissions_from_names;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::scope::Permissions;
use gatehouse_core::store::RoleRow;
use gatehouse_core::AuthError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{require_recent, ApiResult, Bearer, Body, Path, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/roles", get(roles).post(create_role))
        .route("/admin/roles/{id}", patch(patch_role).delete(delete_role))
}

#[derive(Deserialize)]
struct OrgQuery {
    org: Option<i64>,
}

fn role_json(r: &RoleRow) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "builtin": r.builtin,
        "mfa_required": r.mfa_required,
        "permissions": Permissions::parse(&r.permissions).names(),
        "members": r.members,
    })
}

async fn roles(State(s): State<AppState>, bearer: Bearer, Query(q): Query<OrgQuery>) -> ApiResult {
    let (org, roles) = s.gatehouse.admin_roles(bearer.user_id, q.org).await?;
    Ok(Json(json!({
        "organization": { "id": org.id, "name": org.name },
        "roles": roles.iter().map(role_json).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Deserialize)]
struct NewRoleBody {
    name: String,
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default = "yes")]
    mfa_required: bool,
}

fn yes() -> bool {
    true
}

async fn create_role(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<NewRoleBody>,
) -> ApiResult {
    let chosen = permissions_from_names(&b.permissions)?;
    require_recent(&s.gatehouse, &bearer, Operation::CreateRole)?;
    let id = s
        .gatehouse
        .admin_create_role(bearer.user_id, &b.name, &chosen, b.mfa_required, &origin)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

#[derive(Deserialize)]
struct RolePatch {
    mfa_required: Option<bool>,
    /// A custom role's new name.
    name: Option<String>,
}

async fn patch_role(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<RolePatch>,
) -> ApiResult {
    let gh = &s.gatehouse;
    if b.mfa_required.is_none() && b.name.is_none() {
        return Err(AuthError::Invalid("Send \"mfa_required\", \"name\" or both.".into()).into());
    }
    // Both refusals for want of a recent sign-in come before either change.
    if b.name.is_some() {
        require_recent(gh, &bearer, Operation::EditRole)?;
    }
    if b.mfa_required.is_some() {
        require_recent(gh, &bearer, Operation::SetRoleMfaRequired)?;
    }
    if let Some(name) = &b.name {
        gh.admin_rename_role(bearer.user_id, id, name, &origin)
            .await?;
    }
    let role = match b.mfa_required {
        Some(required) => {
            gh.admin_set_mfa_required(bearer.user_id, id, required, &origin)
                .await?
        }
        None => gh.admin_role(bearer.user_id, id).await?,
    };
    Ok(Json(role_json(&role)).into_response())
}

/// Deletes a custom role nobody holds: 204.
async fn delete_role(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::EditRole)?;
    s.gatehouse
        .admin_delete_role(bearer.user_id, id, &origin)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
