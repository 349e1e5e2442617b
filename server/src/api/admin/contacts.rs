//! An organization's authorized contacts: who may ask the support desk for
//! an MFA reset. Everyone with `users.read` sees them; owners change them.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::{AuthorizedContacts, Contact};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::OrgQuery;
use crate::api::openapi::{NotFound, OrgRef, Refusals, SignedRefusals};
use crate::api::{require_recent, ApiResult, Bearer, Body, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(show, replace))
}

#[derive(Serialize, ToSchema)]
struct ContactView {
    id: i64,
    email: String,
    name: String,
}

/// Who may ask the support desk to reset MFA for the organization's people.
#[derive(Serialize, ToSchema)]
struct ContactsView {
    organization: OrgRef,
    /// The security officer (the first owner unless someone was named).
    officer: Option<ContactView>,
    officer_is_default: bool,
    /// Up to 3 technical contacts.
    technical: Vec<ContactView>,
    /// Whether the caller may change them.
    may_change: bool,
}

impl From<&Contact> for ContactView {
    fn from(c: &Contact) -> Self {
        Self {
            id: c.user_id,
            email: c.email.clone(),
            name: c.name.clone(),
        }
    }
}

fn contacts_json(c: &AuthorizedContacts) -> ApiResult {
    Ok(Json(ContactsView {
        organization: OrgRef {
            id: c.org_id,
            name: c.org_name.clone(),
        },
        officer: c.officer.as_ref().map(ContactView::from),
        officer_is_default: c.officer_is_default,
        technical: c.technical.iter().map(ContactView::from).collect(),
        may_change: c.may_change,
    })
    .into_response())
}

/// The organization's authorized contacts.
#[utoipa::path(get, path = "/admin/contacts", tag = "administration", params(OrgQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The contacts", body = ContactsView),
        NotFound, SignedRefusals, Refusals,
    ))]
async fn show(State(s): State<AppState>, bearer: Bearer, Query(q): Query<OrgQuery>) -> ApiResult {
    contacts_json(
        &s.gatehouse
            .authorized_contacts(bearer.user_id, q.org)
            .await?,
    )
}

#[derive(Deserialize, ToSchema)]
struct ContactsBody {
    officer_email: String,
    #[serde(default)]
    technical_emails: Vec<String>,
}

/// Names the organization's authorized contacts (owners; recent sign-in).
#[utoipa::path(put, path = "/admin/contacts", tag = "administration", params(OrgQuery),
    request_body = ContactsBody, security(("bearer" = [])),
    responses(
        (status = 200, description = "The contacts as kept", body = ContactsView),
        NotFound, SignedRefusals, Refusals,
    ))]
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
