//! Probes for a load balancer or an orchestrator: `GET /healthz` (the
//! process answers; no database call) and `GET /readyz` (the database
//! answers and has every migration of this build; 503 with the reason
//! otherwise). They sit outside the session and guard layers, so a probe
//! never loads a session or counts against a rate limit, and they say
//! nothing about the deployment beyond "ok".

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::AppState;

/// `GET /healthz`: 200 while the process serves requests.
pub async fn live() -> Response {
    probe(StatusCode::OK, json!({ "status": "ok" }))
}

/// `GET /readyz`: 200 when requests can be served, else 503 and why
/// ("database unreachable", "migrations pending").
pub async fn ready(State(s): State<AppState>) -> Response {
    match s.gatehouse.db.not_ready().await {
        None => probe(StatusCode::OK, json!({ "status": "ready" })),
        Some(reason) => probe(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "reason": reason }),
        ),
    }
}

/// A probe's answer is never cached: it is about this moment.
fn probe(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}
