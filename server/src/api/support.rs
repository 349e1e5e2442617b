//! The caller's support code: `GET` shows the live one (making one when none
//! is live), `POST` replaces it.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::service::SupportCode;
use serde_json::json;

use super::{ApiResult, Bearer};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/support/code", get(show).post(renew))
}

fn code_json(code: SupportCode) -> ApiResult {
    Ok(Json(json!({ "code": code.code, "expires_at": code.expires_at })).into_response())
}

async fn show(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    code_json(s.gatehouse.support_code(bearer.user_id, &origin).await?)
}

async fn renew(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    code_json(
        s.gatehouse
            .new_support_code(bearer.user_id, &origin)
            .await?,
    )
}
