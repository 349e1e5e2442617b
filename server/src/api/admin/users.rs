//! People in the organizations the caller administers: the list and one
//! person, invitations, and what an administrator does to an account.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::filters::UserFilter;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::UserPage;
use gatehouse_core::store::UserSummary;
use gatehouse_core::{AuthError, Gatehouse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{page_request, Paging};
use crate::api::openapi::{Created, ErrorBody, NotFound, OrgRef, Refusals, SignedRefusals};
use crate::api::{require_recent, ApiResult, Bearer, Body, Path, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users, invite))
        .routes(routes!(user))
        .routes(routes!(disable_mfa))
        .routes(routes!(change_role))
        .routes(routes!(unlock))
        .routes(routes!(sign_out))
        .routes(routes!(deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(resend_invitation, withdraw_invitation))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
struct UserQuery {
    /// Part of an email or a name.
    #[serde(default)]
    q: String,
    /// From 1; 50 users a page.
    page: Option<i64>,
    /// A page's `next_after`: this page starts after that user.
    after: Option<i64>,
    /// A page's `previous_before`: this page ends before that user.
    before: Option<i64>,
    /// `on` or `off`.
    mfa: Option<String>,
    /// `true` or `false`.
    locked: Option<String>,
    /// A role's id.
    role: Option<i64>,
    /// An organization's id (one the caller administers).
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

/// A person as an administrator sees them.
#[derive(Serialize, ToSchema)]
struct UserView {
    id: i64,
    email: String,
    name: String,
    organization: OrgRef,
    role: RoleName,
    mfa: UserMfa,
    /// Too many wrong codes or passwords.
    locked: bool,
    active: bool,
    /// Never signed in; an invitation waits.
    invited: bool,
    reported_not_me: bool,
    last_sign_in_at: Option<i64>,
    /// In lists: what the caller may do to this user now (`disable_mfa`,
    /// `unlock`, `change_role`, `sign_out`, `deactivate`, `reactivate`,
    /// `resend_invitation`, `withdraw_invitation`).
    #[serde(skip_serializing_if = "Option::is_none")]
    actions: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
struct RoleName {
    id: i64,
    name: String,
}

#[derive(Serialize, ToSchema)]
struct UserMfa {
    enabled: bool,
    required: bool,
    /// Authenticators.
    factors: i64,
    recovery_codes_left: i64,
    /// A phone for codes by SMS.
    phone: bool,
}

impl From<&UserSummary> for UserView {
    fn from(u: &UserSummary) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            organization: OrgRef {
                id: u.org_id,
                name: u.org_name.clone(),
            },
            role: RoleName {
                id: u.role_id,
                name: u.role.clone(),
            },
            mfa: UserMfa {
                enabled: u.factors > 0,
                required: u.mfa_required,
                factors: u.factors,
                recovery_codes_left: u.recovery_codes_left,
                phone: u.has_phone,
            },
            locked: u.locked,
            active: !u.disabled,
            invited: u.invited,
            reported_not_me: u.flagged,
            last_sign_in_at: u.last_login_at,
            actions: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct UserList {
    users: Vec<UserView>,
    #[serde(flatten)]
    paging: Paging,
}

fn user_list(p: &UserPage) -> UserList {
    UserList {
        users: p
            .users
            .iter()
            .map(|listed| UserView {
                actions: Some(listed.actions.iter().map(|a| a.name().into()).collect()),
                ..UserView::from(&listed.user)
            })
            .collect(),
        paging: Paging::from(&p.place),
    }
}

/// The people of the organizations the caller administers, 50 a page.
#[utoipa::path(get, path = "/admin/users", tag = "administration", params(UserQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 404, description = "`not_found`: an organization or role outside the caller's", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
async fn users(State(s): State<AppState>, bearer: Bearer, Query(q): Query<UserQuery>) -> ApiResult {
    let page = s
        .gatehouse
        .admin_users(
            bearer.user_id,
            &q.filter(),
            page_request(q.page, q.after, q.before),
        )
        .await?;
    Ok(Json(user_list(&page)).into_response())
}

/// One person.
#[utoipa::path(get, path = "/admin/users/{id}", tag = "administration",
    params(("id" = i64, Path, description = "The user's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "`not_found`: not in an organization the caller administers", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
async fn user(State(s): State<AppState>, bearer: Bearer, Path(id): Path<i64>) -> ApiResult {
    let u = s.gatehouse.admin_user(bearer.user_id, id).await?;
    Ok(Json(UserView::from(&u)).into_response())
}

#[derive(Deserialize, ToSchema)]
struct InviteBody {
    email: String,
    #[serde(default)]
    name: String,
    role: RoleRef,
    /// The organization (default: the caller's).
    org_id: Option<i64>,
}

/// A role by id, or by name within the organization in question.
#[derive(Deserialize, ToSchema)]
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

/// Invites a person (recent sign-in); the invitation is emailed. An address
/// that has an account answers the same and changes nothing.
#[utoipa::path(post, path = "/admin/users", tag = "administration", request_body = InviteBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Invited", body = Created),
        (status = 404, description = "`not_found`: a role or organization outside the caller's", body = ErrorBody),
        (status = 429, description = "`rate_limited` + `Retry-After`: 5 invitations to the address in a day", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
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
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// Removes the user's authenticators and recovery codes and ends their
/// sessions (recent sign-in).
#[utoipa::path(post, path = "/admin/users/{id}/mfa/disable", tag = "administration",
    params(("id" = i64, Path, description = "The user's id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Done; the user is emailed"),
        NotFound, SignedRefusals, Refusals,
    ))]
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

#[derive(Deserialize, ToSchema)]
struct RoleBody {
    role: RoleRef,
}

/// Gives the user another role of their organization (recent sign-in).
#[utoipa::path(post, path = "/admin/users/{id}/role", tag = "administration", request_body = RoleBody,
    params(("id" = i64, Path, description = "The user's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = UserView),
        NotFound, SignedRefusals, Refusals,
    ))]
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
    Ok(Json(UserView::from(&updated)).into_response())
}

/// The user actions that take no body and answer 204: unlock, sign out
/// everywhere, deactivate, reactivate, resend and withdraw an invitation.
macro_rules! user_action {
    ($method:ident $path:literal, $what:literal, $name:ident, |$gh:ident, $actor:ident, $id:ident, $origin:ident| $call:expr) => {
        #[doc = $what]
        #[utoipa::path($method, path = $path, tag = "administration",
            params(("id" = i64, Path, description = "The user's id")), security(("bearer" = [])),
            responses(
                (status = 204, description = "Done"),
                NotFound,         (status = 429, description = "`rate_limited` + `Retry-After`: 5 invitations to the address in a day", body = ErrorBody),
                SignedRefusals, Refusals,
            ))]
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

user_action!(post "/admin/users/{id}/unlock", "Lifts the lock after too many wrong codes or passwords.",
    unlock, |gh, actor, id, origin| gh.admin_unlock(actor, id, &origin));
user_action!(post "/admin/users/{id}/sign-out", "Ends every session and token of the user.",
    sign_out, |gh, actor, id, origin| gh.admin_sign_out_everywhere(actor, id, &origin));
user_action!(post "/admin/users/{id}/deactivate", "The user can no longer sign in; their sessions end.",
    deactivate, |gh, actor, id, origin| gh.admin_set_active(actor, id, false, &origin));
user_action!(post "/admin/users/{id}/reactivate", "The user can sign in again.",
    reactivate, |gh, actor, id, origin| gh.admin_set_active(actor, id, true, &origin));
user_action!(post "/admin/users/{id}/invitation", "Emails a new invitation link; the earlier ones stop working (400 once accepted).",
    resend_invitation, |gh, actor, id, origin| gh.admin_resend_invitation(actor, id, &origin));
user_action!(delete "/admin/users/{id}/invitation", "Withdraws the invitation: the link stops working and the waiting account is deleted (400 once accepted).",
    withdraw_invitation, |gh, actor, id, origin| gh.admin_withdraw_invitation(actor, id, &origin));
