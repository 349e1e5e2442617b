//! The roles of an organization: what each may do and whether it requires MFA.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::filters::permissions_from_names;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::scope::Permissions;
use gatehouse_core::service::RoleUpdate;
use gatehouse_core::store::RoleRow;
use gatehouse_core::AuthError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrgQuery;
use crate::api::openapi::{Created, NotFound, OrgRef, Refusals, SignedRefusals};
use crate::api::{require_recent, ApiResult, Bearer, Body, Path, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(roles, create_role))
        .routes(routes!(patch_role, delete_role))
}

#[derive(Serialize, ToSchema)]
struct RoleView {
    id: i64,
    name: String,
    /// owner, admin, member (and the platform's): not renamed or deleted.
    builtin: bool,
    mfa_required: bool,
    /// Members sign in with a passkey, adding one at their next sign-in if
    /// they have none. Enforced only where passkeys work (a public URL with
    /// a domain name).
    passkey_required: bool,
    /// `users.read`, `users.manage`, `roles.manage`, `audit.read`, …
    permissions: Vec<String>,
    /// People who hold it.
    members: i64,
}

impl From<&RoleRow> for RoleView {
    fn from(r: &RoleRow) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            builtin: r.builtin,
            mfa_required: r.mfa_required,
            passkey_required: r.passkey_required,
            permissions: Permissions::parse(&r.permissions)
                .names()
                .into_iter()
                .map(String::from)
                .collect(),
            members: r.members,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct RoleList {
    organization: OrgRef,
    roles: Vec<RoleView>,
}

/// The roles of an organization the caller administers (default: their own).
#[utoipa::path(get, path = "/admin/roles", tag = "administration", params(OrgQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The roles", body = RoleList),
        NotFound, SignedRefusals, Refusals,
    ))]
async fn roles(State(s): State<AppState>, bearer: Bearer, Query(q): Query<OrgQuery>) -> ApiResult {
    let (org, roles) = s.gatehouse.admin_roles(bearer.user_id, q.org).await?;
    Ok(Json(RoleList {
        organization: OrgRef {
            id: org.id,
            name: org.name,
        },
        roles: roles.iter().map(RoleView::from).collect(),
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
struct NewRoleBody {
    name: String,
    /// Only permissions the caller holds, and that apply to the organization.
    #[serde(default)]
    permissions: Vec<String>,
    #[serde(default = "yes")]
    mfa_required: bool,
}

fn yes() -> bool {
    true
}

/// A custom role in the caller's organization (recent sign-in).
#[utoipa::path(post, path = "/admin/roles", tag = "administration", request_body = NewRoleBody,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = Created), SignedRefusals, Refusals))]
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
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

#[derive(Deserialize, ToSchema)]
struct RolePatch {
    mfa_required: Option<bool>,
    passkey_required: Option<bool>,
    /// A custom role's new name.
    name: Option<String>,
}

/// Turns "MFA required" or "Passkey required" on or off, renames a custom
/// role, or any of these at once (recent sign-in): all or nothing. The
/// requirements of a role are changed only by someone holding every
/// permission it grants, and of a built-in role by an owner or admin.
#[utoipa::path(patch, path = "/admin/roles/{id}", tag = "administration", request_body = RolePatch,
    params(("id" = i64, Path, description = "The role's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The role", body = RoleView),
        NotFound, SignedRefusals, Refusals,
    ))]
async fn patch_role(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<RolePatch>,
) -> ApiResult {
    let gh = &s.gatehouse;
    let requirement_change = b.mfa_required.is_some() || b.passkey_required.is_some();
    if !requirement_change && b.name.is_none() {
        return Err(AuthError::Invalid(
            "Send \"mfa_required\", \"passkey_required\", \"name\" or several.".into(),
        )
        .into());
    }
    // Every refusal for want of a recent sign-in comes before any change.
    if b.name.is_some() {
        require_recent(gh, &bearer, Operation::EditRole)?;
    }
    if requirement_change {
        require_recent(gh, &bearer, Operation::SetRoleRequirement)?;
    }
    let update = RoleUpdate {
        name: b.name,
        mfa_required: b.mfa_required,
        passkey_required: b.passkey_required,
    };
    let role = gh
        .admin_update_role(bearer.user_id, id, &update, &origin)
        .await?;
    Ok(Json(RoleView::from(&role)).into_response())
}

/// Deletes a custom role nobody holds (recent sign-in).
#[utoipa::path(delete, path = "/admin/roles/{id}", tag = "administration",
    params(("id" = i64, Path, description = "The role's id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        NotFound, SignedRefusals, Refusals,
    ))]
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
