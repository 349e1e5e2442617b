//! An organization's authorized contacts: who may ask the support desk for
//! an MFA reset. Everyone with `users.read` sees them; owners change them.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::{AuthorizedContacts, Contact};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{require_recent, ApiResult, Bearer, Body, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/contacts", get(show).put(replace))
}

fn contact_json(c: &Contact) -> Value {
    json!({ "id": c.user_id, "email": c.email, "name": c.name })
}

fn contacts_json(c: &AuthorizedContacts) -> ApiResult {
    Ok(Json(json!({
        "organization": { "id": c.org_id, "name": c.org_name },
        "officer": c.officer.as_ref().map(contact_json),
        "officer_is_default": c.officer_is_default,
        "technical": c.technical.iter().map(contact_json).collect::<Vec<_>>(),
        "may_change": c.may_change,
    }))
    .into_response())
}

#[derive(Deserialize, Default)]
struct OrgQuery {
    org: Option<i64>,
}

async fn show(State(s): State<AppState>, bearer: Bearer, Query(q): Query<OrgQuery>) -> ApiResult {
    contacts_json(
        &s.gatehouse
            .authorized_contacts(bearer.user_id, q.org)
            .await?,
    )
}

#[derive(Deserialize)]
struct ContactsBody {
    officer_email: String,
    #[serde(default)]
    technical_emails: Vec<String>,
}

async fn replace(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Query(q): Query<OrgQuery>,
    Body(b): Body<ContactsBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::ChangeAuthorizedContacts)?;
    contacts_json(
        &s.gatehouse
            .set_authorized_contacts(
                bearer.user_id,
                q.org,
                &b.officer_email,
                &b.technical_emails,
                &origin,
            )
            .await?,
    )
}
