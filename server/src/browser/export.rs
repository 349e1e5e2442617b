//! `GET /audit/export.csv`: the audit log's CSV for the signed-in browser (the
//! session cookie, not a token), with the same filter and scope as the API's.

use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect};
use axum::Extension;
use gatehouse_core::audit::Origin;
use tower_sessions::Session;

use crate::api::admin::audit::{csv_response, AuditQuery};
use crate::api::{ApiResult, Query};
use crate::pages::signed_in_user;
use crate::state::AppState;

/// Every matching entry as a download; a browser that is not signed in is
/// sent to the sign-in page, and a filter that is not one (a date that is
/// not a date, a range that ends before it starts) back to the audit page
/// with the same form, which says what is wrong.
pub async fn audit_csv(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    session: Session,
    RawQuery(raw): RawQuery,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let Some(uid) = signed_in_user(&s.gatehouse, &session).await else {
        return Ok(Redirect::to("/login").into_response());
    };
    let Ok(filter) = q.filter() else {
        let back = format!("/audit?{}", raw.unwrap_or_default());
        return Ok(Redirect::to(&back).into_response());
    };
    Ok(csv_response(
        &s.gatehouse.audit_export(uid, &filter, &origin).await?,
        &q,
    ))
}
