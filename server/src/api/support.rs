//! The support desk over the API: the caller's support code, reset requests
//! (filed by the desk for a caller, or by an authorized contact for
//! themselves), the checks and decisions on them, and what admins of a
//! customer see of them. Every rule is core's; this only translates.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::support::{RequestChannel, RequestState};
use gatehouse_core::service::{AbuseAlert, Check, NewResetRequest, ResetRequest, SupportCode};
use gatehouse_core::AuthError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{require_recent, ApiResult, Bearer, Body, Path, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/support/code", get(show_code).post(renew_code))
        .route("/support/requests", get(list).post(file))
        .route("/support/requests/{id}", get(one))
        .route("/support/requests/{id}/checks", post(check))
        .route("/support/requests/{id}/issue", post(issue))
        .route("/support/requests/{id}/escalate", post(escalate))
        .route("/support/requests/{id}/decision", post(decide))
        .route("/support/requests/{id}/cancel", post(cancel))
        .route("/support/not-me", post(not_me))
        .route("/support/alerts", get(alerts))
        .route("/admin/support", get(org_requests))
}

fn code_json(code: SupportCode) -> ApiResult {
    Ok(Json(json!({ "code": code.code, "expires_at": code.expires_at })).into_response())
}

async fn show_code(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::RevealSupportCode)?;
    code_json(s.gatehouse.support_code(bearer.user_id, &origin).await?)
}

async fn renew_code(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::RevealSupportCode)?;
    code_json(
        s.gatehouse
            .new_support_code(bearer.user_id, &origin)
            .await?,
    )
}

/// A request as JSON: what the API documents, also the browser's JSON download.
pub fn request_json(r: &ResetRequest) -> Value {
    let person = |p: &gatehouse_core::store::Person| json!({ "id": p.id, "email": p.email, "name": p.name, "organization": p.org_name });
    let mut user = person(&r.user);
    user["last_factor_sign_in_at"] = json!(r.user_last_factor_sign_in);
    json!({
        "id": r.id,
        "state": r.state.as_str(),
        "organization": { "id": r.org_id, "name": r.org_name },
        "requester": person(&r.requester),
        "user": user,
        "channel": r.channel.as_str(),
        "reference": r.reference,
        "note": r.note,
        "created_at": r.created_at,
        "flags": r.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "checks": r.checks.iter().map(|c| json!({
            "method": c.method.as_str(),
            "passed": c.passed,
            "at": c.at,
            "by": c.agent_email,
            "note": c.note,
        })).collect::<Vec<_>>(),
        "checks_left": r.checks_left,
        "timeline": r.timeline.iter().map(|e| json!({
            "at": e.at,
            "actor": e.actor_email,
            "event": e.event,
            "details": e.details,
        })).collect::<Vec<_>>(),
        "pass": r.pass.map(|p| json!({ "active_at": p.active_at, "expires_at": p.expires_at })),
        "reported": r.reported,
        "needs_manager": r.needs_manager,
        "actions": {
            "check": r.actions.check,
            "issue": r.actions.issue,
            "escalate": r.actions.escalate,
            "decide": r.actions.decide,
            "cancel": r.actions.cancel,
        },
    })
}

/// A list of requests as `{"requests": […]}`.
pub fn requests_json(requests: &[ResetRequest]) -> Response {
    let list: Vec<Value> = requests.iter().map(request_json).collect();
    Json(json!({ "requests": list })).into_response()
}

fn one_json(r: &ResetRequest) -> ApiResult {
    Ok(Json(request_json(r)).into_response())
}

#[derive(Deserialize, Default)]
struct ListQuery {
    state: Option<String>,
    org: Option<i64>,
}

async fn list(State(s): State<AppState>, bearer: Bearer, Query(q): Query<ListQuery>) -> ApiResult {
    let state = match q.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(RequestState::parse(text).ok_or_else(|| {
            AuthError::Invalid(
                "state must be one of open, escalated, denied, cooling_off, active, used, cancelled, expired."
                    .into(),
            )
        })?),
    };
    let requests = s
        .gatehouse
        .reset_requests(bearer.user_id, state, q.org)
        .await?;
    Ok(requests_json(&requests))
}

#[derive(Deserialize)]
struct FileBody {
    requester_email: Option<String>,
    user_email: String,
    channel: Option<String>,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    note: String,
}

async fn file(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<FileBody>,
) -> ApiResult {
    if b.requester_email.is_none() {
        // A contact asking for themselves: their session is the proof, so it must be fresh.
        require_recent(&s.gatehouse, &bearer, Operation::RequestSupportReset)?;
    }
    let channel = match b.channel.as_deref() {
        None => None,
        Some(text) => Some(RequestChannel::parse(text).ok_or_else(|| {
            AuthError::Invalid("channel must be phone, email, ticket or in_app.".into())
        })?),
    };
    let new = NewResetRequest {
        requester_email: b.requester_email.as_deref(),
        user_email: &b.user_email,
        channel,
        reference: &b.reference,
        note: &b.note,
    };
    let request = s
        .gatehouse
        .file_reset_request(bearer.user_id, new, &origin)
        .await?;
    Ok((StatusCode::CREATED, Json(request_json(&request))).into_response())
}

async fn one(State(s): State<AppState>, bearer: Bearer, Path(id): Path<i64>) -> ApiResult {
    one_json(&s.gatehouse.reset_request(bearer.user_id, id).await?)
}

#[derive(Deserialize)]
struct CheckBody {
    method: String,
    code: Option<String>,
    last4: Option<String>,
    expiry: Option<String>,
    passed: Option<bool>,
    note: Option<String>,
}

async fn check(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<CheckBody>,
) -> ApiResult {
    let missing = |field: &str| AuthError::Invalid(format!("{field} is required for this method."));
    let check = match b.method.as_str() {
        "support_code" => Check::SupportCode(b.code.as_deref().ok_or_else(|| missing("code"))?),
        "card" => Check::Card {
            last4: b.last4.as_deref().ok_or_else(|| missing("last4"))?,
            expiry: b.expiry.as_deref().ok_or_else(|| missing("expiry"))?,
        },
        "last_resort" => Check::LastResort {
            passed: b.passed.ok_or_else(|| missing("passed"))?,
            note: b.note.as_deref().ok_or_else(|| missing("note"))?,
        },
        _ => {
            return Err(AuthError::Invalid(
                "method must be support_code, card or last_resort.".into(),
            )
            .into())
        }
    };
    let outcome = s
        .gatehouse
        .check_requester(bearer.user_id, id, check, &origin)
        .await?;
    Ok(
        Json(json!({ "passed": outcome.passed, "checks_left": outcome.checks_left }))
            .into_response(),
    )
}

async fn issue(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::IssueResetPass)?;
    one_json(&s.gatehouse.issue_reset(bearer.user_id, id, &origin).await?)
}

#[derive(Deserialize)]
struct ReasonBody {
    reason: String,
}

async fn escalate(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<ReasonBody>,
) -> ApiResult {
    one_json(
        &s.gatehouse
            .escalate_reset(bearer.user_id, id, &b.reason, &origin)
            .await?,
    )
}

#[derive(Deserialize)]
struct DecisionBody {
    approve: bool,
    reason: String,
}

async fn decide(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<DecisionBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::IssueResetPass)?;
    one_json(
        &s.gatehouse
            .decide_reset(bearer.user_id, id, b.approve, &b.reason, &origin)
            .await?,
    )
}

async fn cancel(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
    Body(b): Body<ReasonBody>,
) -> ApiResult {
    one_json(
        &s.gatehouse
            .cancel_reset(bearer.user_id, id, &b.reason, &origin)
            .await?,
    )
}

/// What the support desk did to the people of the caller's organization and below.
async fn org_requests(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    Ok(requests_json(
        &s.gatehouse.org_reset_requests(bearer.user_id).await?,
    ))
}

#[derive(Deserialize)]
struct NotMeBody {
    token: String,
}

/// "This wasn't me" from an emailed link, without signing in: the link's
/// token is the only credential, and pressing it twice changes nothing more.
async fn not_me(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<NotMeBody>,
) -> ApiResult {
    let info = s.gatehouse.report_not_me(&b.token, &origin).await?;
    Ok(Json(json!({
        "request_id": info.request_id,
        "state": info.state.as_str(),
        "reported": info.reported,
    }))
    .into_response())
}

/// An abuse alert as JSON (README, "Abuse signals").
fn alert_json(a: &AbuseAlert) -> Value {
    json!({
        "id": a.id,
        "scope": a.scope.as_str(),
        "organization": a.org_id.map(|id| json!({ "id": id, "name": a.org_name })),
        "resets": a.resets,
        "kinds": a.kinds.iter().map(|(kind, n)| (kind.as_str().to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "organizations": a.organizations,
        "threshold": a.threshold,
        "window_seconds": a.window_seconds,
        "since": a.since,
        "raised_at": a.at,
        "resets_so_far": a.resets_so_far,
    })
}

/// The abuse alerts still inside their window that the caller may see: all
/// of them for the support desk, their customers' for a partner's owners
/// and admins, an empty list for anyone else.
async fn alerts(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let alerts = s.gatehouse.abuse_alerts_for(bearer.user_id).await?;
    let list: Vec<Value> = alerts.iter().map(alert_json).collect();
    Ok(Json(json!({ "alerts": list })).into_response())
}
