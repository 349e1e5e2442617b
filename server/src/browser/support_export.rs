//! `GET /admin/support/export.csv` and `.json`: the support desk's requests
//! about the signed-in admin's organization and below (the session cookie,
//! not a token), as `/admin/support` lists them — the same scope as the
//! API's `GET /api/v1/admin/support`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use gatehouse_core::service::reset_requests_csv;
use tower_sessions::Session;

use crate::api::support::requests_json;
use crate::api::ApiResult;
use crate::pages::signed_in_user;
use crate::state::AppState;

fn attachment(name: &str) -> (header::HeaderName, String) {
    (
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{name}\""),
    )
}

/// Every request as CSV; a browser that is not signed in is sent to sign in.
pub async fn support_csv(State(s): State<AppState>, session: Session) -> ApiResult {
    let Some(uid) = signed_in_user(&s.gatehouse, &session).await else {
        return Ok(Redirect::to("/login").into_response());
    };
    let requests = s.gatehouse.org_reset_requests(uid).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            attachment("gatehouse-support-requests.csv"),
        ],
        reset_requests_csv(&requests),
    )
        .into_response())
}

/// Every request as JSON (`{"requests": […]}`, as the API answers).
pub async fn support_json(State(s): State<AppState>, session: Session) -> ApiResult {
    let Some(uid) = signed_in_user(&s.gatehouse, &session).await else {
        return Ok(Redirect::to("/login").into_response());
    };
    let requests = s.gatehouse.org_reset_requests(uid).await?;
    let mut response = requests_json(&requests);
    let (name, value) = attachment("gatehouse-support-requests.json");
    if let Ok(value) = value.parse() {
        response.headers_mut().insert(name, value);
    }
    Ok(response)
}
