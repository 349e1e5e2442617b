//! `/api/v1/admin`, `/api/v1/msp` and `/api/v1/audit`: administration for
//! scripts, and the audit export the browser downloads. Every handler passes
//! the caller to a service that checks scope; refusals are 403 `forbidden`,
//! or 404 `not_found` where existence must not leak.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::filters::{permissions_from_names, AuditFilter, UserFilter};
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::{audit_csv, UserPage};
use gatehouse_core::store::{AuditEntry, UserSummary};
use gatehouse_core::{AuthError, Gatehouse};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_sessions::Session;

use crate::api::{require_recent, ApiResult, Bearer, Body, Path, Query};
use crate::web::AppState;

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
        .route("/admin/roles", get(roles).post(create_role))
        .route("/admin/roles/{id}", patch(patch_role))
        .route("/msp/customers", get(customers).post(create_customer))
        .route("/msp/customers/{org_id}/grants", post(grant))
        .route("/msp/grants/{id}", delete(revoke))
        .route("/audit", get(audit))
}

#[derive(Deserialize, Default)]
pub struct UserQuery {
    #[serde(default)]
    pub q: String,
    pub page: Option<i64>,
    /// `on` or `off`.
    pub mfa: Option<String>,
    /// `true` or `false`.
    pub locked: Option<String>,
    pub role: Option<i64>,
    pub org: Option<i64>,
}

impl UserQuery {
    pub fn filter(&self) -> UserFilter {
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
        "mfa": { "enabled": u.factors > 0, "factors": u.factors, "recovery_codes_left": u.recovery_codes_left, "phone": u.has_phone },
        "locked": u.locked,
        "active": !u.disabled,
        "invited": u.invited,
        "last_sign_in_at": u.last_login_at,
    })
}

fn page_json(p: &UserPage) -> Value {
    json!({
        "users": p.users.iter().map(user_json).collect::<Vec<_>>(),
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

/// The user actions that take no body: unlock, sign out everywhere, deactivate, reactivate.
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

#[derive(Deserialize)]
struct OrgQuery {
    org: Option<i64>,
}

fn role_json(r: &gatehouse_core::store::RoleRow) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "builtin": r.builtin,
        "mfa_required": r.mfa_required,
        "permissions": gatehouse_core::rules::scope::Permissions::parse(&r.permissions).names(),
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
    mfa_required: bool,
}

async fn patch_role(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<RolePatch>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::SetRoleMfaRequired)?;
    let role = s
        .gatehouse
        .admin_set_mfa_required(bearer.user_id, id, b.mfa_required, &origin)
        .await?;
    Ok(Json(role_json(&role)).into_response())
}

fn grant_json(g: &gatehouse_core::store::Grant) -> Value {
    json!({
        "id": g.id,
        "organization": { "id": g.org_id, "name": g.org_name },
        "granted_by": g.granted_by,
        "reason": g.reason,
        "created_at": g.created_at,
        "expires_at": g.expires_at,
        "scope": if g.whole_org { "company" } else { "users" },
        "users": g.users.iter().map(|(email, used)| json!({ "email": email, "used": used })).collect::<Vec<_>>(),
    })
}

async fn customers(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let (customers, grants) = s.gatehouse.msp_customers(bearer.user_id).await?;
    let list: Vec<Value> = customers
        .iter()
        .map(|c| {
            json!({
                "id": c.org.id,
                "name": c.org.name,
                "slug": c.org.slug,
                "users": c.users,
                "users_with_mfa": c.mfa_users,
                "users_who_cannot_recover_alone": c.stranded_users,
                "active_grants": grants.iter().filter(|g| g.org_id == c.org.id).map(grant_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "customers": list })).into_response())
}

#[derive(Deserialize)]
struct CustomerBody {
    name: String,
    admin_email: String,
    #[serde(default)]
    admin_name: String,
}

async fn create_customer(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<CustomerBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::CreateCustomer)?;
    let (org_id, user_id) = s
        .gatehouse
        .msp_create_customer(
            bearer.user_id,
            &b.name,
            &b.admin_email,
            &b.admin_name,
            &origin,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": org_id, "admin_user_id": user_id })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct GrantBody {
    duration_minutes: Option<i64>,
    reason: String,
    user_ids: Option<Vec<i64>>,
}

async fn grant(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(org_id): Path<i64>,
    Body(b): Body<GrantBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::GrantResetPermission)?;
    let (id, expires_at) = s
        .gatehouse
        .msp_grant(
            bearer.user_id,
            org_id,
            b.duration_minutes
                .unwrap_or(gatehouse_core::rules::scope::GRANT_DEFAULT_MINUTES),
            &b.reason,
            b.user_ids.as_deref().unwrap_or_default(),
            &origin,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id, "expires_at": expires_at })),
    )
        .into_response())
}

async fn revoke(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::RevokeResetPermission)?;
    s.gatehouse.msp_revoke(bearer.user_id, id, &origin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub action: String,
    pub format: Option<String>,
    pub page: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> Result<AuditFilter, AuthError> {
        let text = |t: &Option<String>| t.clone().unwrap_or_default();
        AuditFilter::from_params(&self.user, &self.action, &text(&self.from), &text(&self.to))
    }
}

fn entry_json(e: &AuditEntry) -> Value {
    json!({
        "id": e.id,
        "at": e.at,
        "organization": e.org_name,
        "actor": e.actor,
        "subject": e.subject,
        "action": e.action,
        "ip": e.ip,
        "user_agent": e.user_agent,
        "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::String(e.details.clone())),
    })
}

/// The CSV download: every matching entry, newest first.
pub fn csv_response(entries: &[AuditEntry], filter: &AuditQuery) -> Response {
    let name = format!(
        "gatehouse-audit-{}-{}.csv",
        filter.from.as_deref().unwrap_or("start"),
        filter.to.as_deref().unwrap_or("now")
    )
    .replace(
        |c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'),
        "_",
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        audit_csv(entries),
    )
        .into_response()
}

async fn audit(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let filter = q.filter()?;
    let gh = &s.gatehouse;
    match q.format.as_deref().unwrap_or("json") {
        "csv" => Ok(csv_response(
            &gh.audit_export(bearer.user_id, &filter, &origin).await?,
            &q,
        )),
        "json" => {
            let page = gh
                .audit_page(bearer.user_id, &filter, q.page.unwrap_or(1))
                .await?;
            Ok(Json(json!({
                "entries": page.entries.iter().map(entry_json).collect::<Vec<_>>(),
                "total": page.total,
                "page": page.page,
                "pages": page.pages,
            }))
            .into_response())
        }
        _ => Err(AuthError::Invalid("format must be \"csv\" or \"json\"".into()).into()),
    }
}

/// `GET /audit/export.csv` for the signed-in browser (the session cookie, not a token).
pub async fn browser_export(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let Ok(Some(uid)) = app::current_user(&session).await else {
        return Ok(axum::response::Redirect::to("/login").into_response());
    };
    let filter = q.filter()?;
    Ok(csv_response(
        &s.gatehouse.audit_export(uid, &filter, &origin).await?,
        &q,
    ))
}
