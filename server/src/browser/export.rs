//! `GET /audit/export.csv`: the audit log's CSV for the signed-in browser (the
//! session cookie, not a token), with the same filter and scope as the API's.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::Extension;
use gatehouse_core::audit::Origin;
use tower_sessions::Session;

use crate::api::admin::audit::{csv_response, AuditQuery};
use crate::api::{ApiResult, Query};
use crate::pages::signed_in_user;
use crate::state::AppState;

/// Every matching entry as a download; a browser that is not signed in is
/// sent to the sign-in page.
pub async fn audit_csv(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let Some(uid) = signed_in_user(&s.gatehouse, &session).await else {
        return Ok(Redirect::to("/login").into_response());
    };
    let filter = q.filter()?;
    Ok(csv_response(
        &s.gatehouse.audit_export(uid, &filter, &origin).await?,
        &q,
    ))
}
