//! A partner's customer companies, and the time-limited grants that let the
//! partner reset MFA for a customer's people.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::locked_out::needs_second_administrator;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::scope::GRANT_DEFAULT_MINUTES;
use gatehouse_core::store::Grant;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{require_recent, ApiResult, Bearer, Body, Path};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/msp/customers", get(customers).post(create_customer))
        .route("/msp/customers/{org_id}/grants", post(grant))
        .route("/msp/grants/{id}", delete(revoke))
}

fn grant_json(g: &Grant) -> Value {
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
                "users_who_cannot_recover_alone": c.users_who_cannot_recover_alone,
                "administrators_with_mfa": c.admins_with_mfa,
                "needs_second_administrator": needs_second_administrator(c.admins_with_mfa),
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
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": made.id, "expires_at": made.expires_at })),
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
