//! People in the organizations the caller administers: the list and one
//! person, invitations, and what an administrator does to an account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::filters::UserFilter;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::UserPage;
use gatehouse_core::store::UserSummary;
use gatehouse_core::{AuthError, Gatehouse};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{require_recent, ApiResult, Bearer, Body, Path, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users).post(invite))
        .route("/admin/users/{id}", get(user))
        .route("/admin/users/{id}/mfa/disable", post(disable_mfa))
        .route("/admin/users/{id}/role", post(change_role))
        .route("/admin/users/{id}/unlock", post(unlock))
        .route("/admin/users/{id}/sign-out", post(sign_out))
        .route("/admin/users/{id}/deactivate", post(deactivate))
        .route("/admin/users/{id}/reactivate", post(reactivate))
        .route(
            "/admin/users/{id}/invitation",
            post(resend_invitation).delete(withdraw_invitation),
        )
}

#[derive(Deserialize, Default)]
struct UserQuery {
    #[serde(default)]
    q: String,
    page: Option<i64>,
    /// `on` or `off`.
    mfa: Option<String>,
    /// `true` or `false`.
    locked: Option<String>,
    role: Option<i64>,
    org: Option<i64>,
}

impl UserQuery {
    fn filter(&self) -> UserFilter {
        UserFilter::from_params(
            &self.q,
            self.mfa.as_deref().unwrap_or_default(),
            self.locked.as_deref().unwrap_or_default(),
            self.role,
            self.org,
        )
    }
}

fn user_json(u: &UserSummary) -> Value {
    json!({
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "organization": { "id": u.org_id, "name": u.org_name },
        "role": { "id": u.role_id, "name": u.role },
        "mfa": { "enabled": u.factors > 0, "required": u.mfa_required, "factors": u.factors, "recovery_codes_left": u.recovery_codes_left, "phone": u.has_phone },
        "locked": u.locked,
        "active": !u.disabled,
        "invited": u.invited,
        "reported_not_me": u.flagged,
        "last_sign_in_at": u.last_login_at,
    })
}

fn page_json(p: &UserPage) -> Value {
    json!({
        "users": p.users.iter().map(|listed| {
            let mut user = user_json(&listed.user);
            user["actions"] = json!(listed.actions.iter().map(|a| a.name()).collect::<Vec<_>>());
            user
        }).collect::<Vec<_>>(),
        "total": p.total,
        "page": p.page,
        "pages": p.pages,
    })
}

async fn users(State(s): State<AppState>, bearer: Bearer, Query(q): Query<UserQuery>) -> ApiResult {
    let page = s
        .gatehouse
        .admin_users(bearer.user_id, &q.filter(), q.page.unwrap_or(1))
        .await?;
    Ok(Json(page_json(&page)).into_response())
}

async fn user(State(s): State<AppState>, bearer: Bearer, Path(id): Path<i64>) -> ApiResult {
    let u = s.gatehouse.admin_user(bearer.user_id, id).await?;
    Ok(Json(user_json(&u)).into_response())
}

#[derive(Deserialize)]
struct InviteBody {
    email: String,
    #[serde(default)]
    name: String,
    role: RoleRef,
    org_id: Option<i64>,
}

/// A role by id, or by name within the organization in question.
#[derive(Deserialize)]
#[serde(untagged)]
enum RoleRef {
    Id(i64),
    Name(String),
}

async fn role_id(
    gh: &Gatehouse,
    actor: i64,
    org_id: Option<i64>,
    role: &RoleRef,
) -> Result<i64, AuthError> {
    match role {
        RoleRef::Id(id) => Ok(*id),
        RoleRef::Name(name) => gh.admin_role_named(actor, org_id, name).await,
    }
}

async fn invite(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<InviteBody>,
) -> ApiResult {
    let gh = &s.gatehouse;
    require_recent(gh, &bearer, Operation::InviteUser)?;
    let role = role_id(gh, bearer.user_id, b.org_id, &b.role).await?;
    let id = gh
        .admin_invite(bearer.user_id, role, &b.email, &b.name, &origin)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn disable_mfa(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::DisableUserMfa)?;
    s.gatehouse
        .admin_disable_mfa(bearer.user_id, id, &origin)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct RoleBody {
    role: RoleRef,
}

async fn change_role(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<RoleBody>,
) -> ApiResult {
    let gh = &s.gatehouse;
    require_recent(gh, &bearer, Operation::ChangeUserRole)?;
    let target = gh.admin_user(bearer.user_id, id).await?;
    let role = role_id(gh, bearer.user_id, Some(target.org_id), &b.role).await?;
    gh.admin_change_role(bearer.user_id, id, role, &origin)
        .await?;
    let updated = gh.admin_user(bearer.user_id, id).await?;
    Ok(Json(user_json(&updated)).into_response())
}

/// The user actions that take no body: unlock, sign out everywhere,
/// deactivate, reactivate, resend and withdraw an invitation.
macro_rules! user_action {
    ($name:ident, |$gh:ident, $actor:ident, $id:ident, $origin:ident| $call:expr) => {
        async fn $name(
            State(s): State<AppState>,
            Extension($origin): Extension<Origin>,
            bearer: Bearer,
            Path($id): Path<i64>,
        ) -> ApiResult {
            let $gh = &s.gatehouse;
            let $actor = bearer.user_id;
            $call.await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    };
}

user_action!(unlock, |gh, actor, id, origin| gh
    .admin_unlock(actor, id, &origin));
user_action!(sign_out, |gh, actor, id, origin| gh
    .admin_sign_out_everywhere(actor, id, &origin));
user_action!(deactivate, |gh, actor, id, origin| gh
    .admin_set_active(actor, id, false, &origin));
user_action!(reactivate, |gh, actor, id, origin| gh
    .admin_set_active(actor, id, true, &origin));
user_action!(resend_invitation, |gh, actor, id, origin| gh
    .admin_resend_invitation(actor, id, &origin));
user_action!(withdraw_invitation, |gh, actor, id, origin| gh
    .admin_withdraw_invitation(actor, id, &origin));
