//! A partner's customer companies, and the time-limited grants that let the
//! partner reset MFA for a customer's people.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::locked_out::needs_second_administrator;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::scope::GRANT_DEFAULT_MINUTES;
use gatehouse_core::store::Grant;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::openapi::{ErrorBody, NotFound, OrgRef, Refusals, SignedRefusals};
use crate::api::{require_recent, ApiResult, Bearer, Body, Path};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(customers, create_customer))
        .routes(routes!(grant))
        .routes(routes!(revoke))
}

/// A reset permission a partner holds over a customer.
#[derive(Serialize, ToSchema)]
struct GrantView {
    id: i64,
    organization: OrgRef,
    /// Who granted it (email).
    granted_by: String,
    reason: String,
    created_at: i64,
    expires_at: i64,
    /// `company` (everyone) or `users` (those named).
    scope: String,
    users: Vec<GrantedUser>,
}

#[derive(Serialize, ToSchema)]
struct GrantedUser {
    email: String,
    /// Their reset was done with it.
    used: bool,
}

impl From<&Grant> for GrantView {
    fn from(g: &Grant) -> Self {
        Self {
            id: g.id,
            organization: OrgRef {
                id: g.org_id,
                name: g.org_name.clone(),
            },
            granted_by: g.granted_by.clone(),
            reason: g.reason.clone(),
            created_at: g.created_at,
            expires_at: g.expires_at,
            scope: if g.whole_org { "company" } else { "users" }.into(),
            users: g
                .users
                .iter()
                .map(|(email, used)| GrantedUser {
                    email: email.clone(),
                    used: *used,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct CustomerView {
    id: i64,
    name: String,
    slug: String,
    users: i64,
    users_with_mfa: i64,
    /// People with no second way back in (recovery codes or a phone).
    users_who_cannot_recover_alone: i64,
    administrators_with_mfa: i64,
    /// Fewer than two administrators with MFA: nobody could reset the other's.
    needs_second_administrator: bool,
    active_grants: Vec<GrantView>,
}

#[derive(Serialize, ToSchema)]
struct CustomerList {
    customers: Vec<CustomerView>,
}

/// The partner's customer companies and the grants over them.
#[utoipa::path(get, path = "/msp/customers", tag = "partners", security(("bearer" = [])),
    responses((status = 200, description = "The customers", body = CustomerList), SignedRefusals, Refusals))]
async fn customers(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let (customers, grants) = s.gatehouse.msp_customers(bearer.user_id).await?;
    let customers = customers
        .iter()
        .map(|c| CustomerView {
            id: c.org.id,
            name: c.org.name.clone(),
            slug: c.org.slug.clone(),
            users: c.users,
            users_with_mfa: c.mfa_users,
            users_who_cannot_recover_alone: c.users_who_cannot_recover_alone,
            administrators_with_mfa: c.admins_with_mfa,
            needs_second_administrator: needs_second_administrator(c.admins_with_mfa),
            active_grants: grants
                .iter()
                .filter(|g| g.org_id == c.org.id)
                .map(GrantView::from)
                .collect(),
        })
        .collect();
    Ok(Json(CustomerList { customers }).into_response())
}

#[derive(Deserialize, ToSchema)]
struct CustomerBody {
    name: String,
    admin_email: String,
    #[serde(default)]
    admin_name: String,
}

#[derive(Serialize, ToSchema)]
struct NewCustomer {
    id: i64,
    admin_user_id: i64,
}

/// A new customer company with its first owner, who is invited (recent sign-in).
#[utoipa::path(post, path = "/msp/customers", tag = "partners", request_body = CustomerBody,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = NewCustomer), SignedRefusals, Refusals))]
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
    let created = NewCustomer {
        id: org_id,
        admin_user_id: user_id,
    };
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

#[derive(Deserialize, ToSchema)]
struct GrantBody {
    /// 60 to 10080; 240 when absent.
    duration_minutes: Option<i64>,
    reason: String,
    /// Only these people; the whole company when absent.
    user_ids: Option<Vec<i64>>,
}

#[derive(Serialize, ToSchema)]
struct Granted {
    id: i64,
    expires_at: i64,
}

/// Lets the partner reset MFA for a customer's people for a while (recent sign-in).
#[utoipa::path(post, path = "/msp/customers/{org_id}/grants", tag = "partners", request_body = GrantBody,
    params(("org_id" = i64, Path, description = "The customer's id")), security(("bearer" = [])),
    responses(
        (status = 201, description = "Granted", body = Granted),
        (status = 404, description = "`not_found`: not one of the partner's customers", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]

async fn grant(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(org_id): Path<i64>,
    Body(b): Body<GrantBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::GrantResetPermission)?;
    let made = s
        .gatehouse
        .msp_grant(
            bearer.user_id,
            org_id,
            b.duration_minutes.unwrap_or(GRANT_DEFAULT_MINUTES),
            &b.reason,
            b.user_ids.as_deref().unwrap_or_default(),
            &origin,
        )
        .await?;
    let granted = Granted {
        id: made.id,
        expires_at: made.expires_at,
    };
    Ok((StatusCode::CREATED, Json(granted)).into_response())
}

/// Ends a grant before it expires (recent sign-in).
#[utoipa::path(delete, path = "/msp/grants/{id}", tag = "partners",
    params(("id" = i64, Path, description = "The grant's id")), security(("bearer" = [])),
    responses(
        (status = 204, description = "Revoked"),
        NotFound, SignedRefusals, Refusals,
    ))]
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
