//! The support desk over the API: the caller's support code, reset requests
//! (filed by the desk for a caller, or by an authorized contact for
//! themselves), the checks and decisions on them, and what admins of a
//! customer see of them. Every rule is core's; this only translates.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::support::{RequestChannel, RequestState};
use gatehouse_core::service::{AbuseAlert, Check, NewResetRequest, ResetRequest, SupportCode};
use gatehouse_core::AuthError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::openapi::{ErrorBody, NotFound, OrgRef, Refusals, SignedRefusals};
use super::{require_recent, ApiResult, Bearer, Body, Path, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_code, renew_code))
        .routes(routes!(list, file))
        .routes(routes!(one))
        .routes(routes!(check))
        .routes(routes!(issue))
        .routes(routes!(escalate))
        .routes(routes!(decide))
        .routes(routes!(cancel))
        .routes(routes!(not_me))
        .routes(routes!(alerts))
        .routes(routes!(org_requests))
}

/// The caller's support code, to read to the support desk.
#[derive(Serialize, ToSchema)]
struct Code {
    /// Eight digits.
    code: String,
    expires_at: i64,
}

fn code_json(code: SupportCode) -> ApiResult {
    Ok(Json(Code {
        code: code.code,
        expires_at: code.expires_at,
    })
    .into_response())
}

/// The live support code (one is made when none is live); recent sign-in.
#[utoipa::path(get, path = "/support/code", tag = "support desk", security(("bearer" = [])),
    responses((status = 200, description = "The live code", body = Code), SignedRefusals, Refusals))]
async fn show_code(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::RevealSupportCode)?;
    code_json(s.gatehouse.support_code(bearer.user_id, &origin).await?)
}

/// A new support code; the old one stops working. Recent sign-in.
#[utoipa::path(post, path = "/support/code", tag = "support desk", security(("bearer" = [])),
    responses(
        (status = 200, description = "The new code", body = Code),
        (status = 429, description = "`rate_limited` + `Retry-After`: more than 5 in 10 minutes", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
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

/// A reset request, as the API answers it and the browser downloads it.
#[derive(Serialize, ToSchema)]
pub struct RequestView {
    id: i64,
    /// `open`, `escalated`, `denied`, `cooling_off`, `active`, `used`, `cancelled`, `expired`.
    state: String,
    organization: OrgRef,
    requester: PersonView,
    user: RequestedFor,
    /// `phone`, `email`, `ticket`, `in_app`.
    channel: String,
    reference: String,
    note: String,
    created_at: i64,
    /// What makes this request riskier than most.
    flags: Vec<String>,
    checks: Vec<CheckView>,
    checks_left: usize,
    timeline: Vec<EventView>,
    pass: Option<PassView>,
    /// The person said "This wasn't me".
    reported: bool,
    needs_manager: bool,
    /// What the caller may do to it now.
    actions: ActionsView,
}

#[derive(Serialize, ToSchema)]
struct PersonView {
    id: i64,
    email: String,
    name: String,
    organization: String,
}

#[derive(Serialize, ToSchema)]
struct RequestedFor {
    #[serde(flatten)]
    person: PersonView,
    last_factor_sign_in_at: Option<i64>,
}

#[derive(Serialize, ToSchema)]
struct CheckView {
    /// `support_code`, `card`, `last_resort`.
    method: String,
    passed: bool,
    at: i64,
    /// The agent's email.
    by: String,
    note: String,
}

#[derive(Serialize, ToSchema)]
struct EventView {
    at: i64,
    actor: Option<String>,
    event: String,
    details: Value,
}

#[derive(Serialize, ToSchema)]
struct PassView {
    active_at: i64,
    expires_at: i64,
}

#[derive(Serialize, ToSchema)]
struct ActionsView {
    check: bool,
    issue: bool,
    escalate: bool,
    decide: bool,
    cancel: bool,
}

impl From<&gatehouse_core::store::Person> for PersonView {
    fn from(p: &gatehouse_core::store::Person) -> Self {
        Self {
            id: p.id,
            email: p.email.clone(),
            name: p.name.clone(),
            organization: p.org_name.clone(),
        }
    }
}

impl From<&ResetRequest> for RequestView {
    fn from(r: &ResetRequest) -> Self {
        Self {
            id: r.id,
            state: r.state.as_str().into(),
            organization: OrgRef {
                id: r.org_id,
                name: r.org_name.clone(),
            },
            requester: PersonView::from(&r.requester),
            user: RequestedFor {
                person: PersonView::from(&r.user),
                last_factor_sign_in_at: r.user_last_factor_sign_in,
            },
            channel: r.channel.as_str().into(),
            reference: r.reference.clone(),
            note: r.note.clone(),
            created_at: r.created_at,
            flags: r.flags.iter().map(|f| f.as_str().into()).collect(),
            checks: r
                .checks
                .iter()
                .map(|c| CheckView {
                    method: c.method.as_str().into(),
                    passed: c.passed,
                    at: c.at,
                    by: c.agent_email.clone(),
                    note: c.note.clone(),
                })
                .collect(),
            checks_left: r.checks_left,
            timeline: r
                .timeline
                .iter()
                .map(|e| EventView {
                    at: e.at,
                    actor: e.actor_email.clone(),
                    event: e.event.clone(),
                    details: e.details.clone(),
                })
                .collect(),
            pass: r.pass.map(|p| PassView {
                active_at: p.active_at,
                expires_at: p.expires_at,
            }),
            reported: r.reported,
            needs_manager: r.needs_manager,
            actions: ActionsView {
                check: r.actions.check,
                issue: r.actions.issue,
                escalate: r.actions.escalate,
                decide: r.actions.decide,
                cancel: r.actions.cancel,
            },
        }
    }
}

/// A list of requests, newest first.
#[derive(Serialize, ToSchema)]
pub struct RequestList {
    requests: Vec<RequestView>,
}

/// A list of requests as `{"requests": […]}` (also the browser's JSON download).
pub fn requests_json(requests: &[ResetRequest]) -> Response {
    let requests = requests.iter().map(RequestView::from).collect();
    Json(RequestList { requests }).into_response()
}

fn one_json(r: &ResetRequest) -> ApiResult {
    Ok(Json(RequestView::from(r)).into_response())
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only requests in this state.
    state: Option<String>,
    /// Only requests about this organization (the desk).
    org: Option<i64>,
}

/// Requests, newest first (200 at most): every one for the desk, your own otherwise.
#[utoipa::path(get, path = "/support/requests", tag = "support desk", params(ListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests", body = RequestList),
        (status = 404, description = "`not_found`: an organization outside the caller's", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
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

#[derive(Deserialize, ToSchema)]
struct FileBody {
    /// The caller (the desk files for someone); none when an authorized contact asks for themselves.
    requester_email: Option<String>,
    /// Whose MFA is to be reset.
    user_email: String,
    /// `phone`, `email`, `ticket` (the desk).
    channel: Option<String>,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    note: String,
}

/// Files a reset request: the desk for a caller, or an authorized contact
/// for themselves (recent sign-in).
#[utoipa::path(post, path = "/support/requests", tag = "support desk", request_body = FileBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The request", body = RequestView),
        (status = 403, description = "`not_a_contact`, `forbidden`, `step_up_required`", body = ErrorBody),
        (status = 404, description = "`not_found`: a contact naming someone outside their organization", body = ErrorBody),
        (status = 409, description = "`request_open`: that person has an open request", body = ErrorBody),
        SignedRefusals, Refusals,
    ))]
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
    Ok((StatusCode::CREATED, Json(RequestView::from(&request))).into_response())
}

/// One request, with its checks and timeline.
#[utoipa::path(get, path = "/support/requests/{id}", tag = "support desk",
    params(("id" = i64, Path, description = "The request's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The request", body = RequestView),
        NotFound, SignedRefusals, Refusals,
    ))]
async fn one(State(s): State<AppState>, bearer: Bearer, Path(id): Path<i64>) -> ApiResult {
    one_json(&s.gatehouse.reset_request(bearer.user_id, id).await?)
}

#[derive(Deserialize, ToSchema)]
struct CheckBody {
    /// `support_code` (with `code`), `card` (with `last4` and `expiry`) or `last_resort` (with `passed` and `note`).
    method: String,
    code: Option<String>,
    last4: Option<String>,
    /// `MM/YY`.
    expiry: Option<String>,
    passed: Option<bool>,
    note: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct CheckOutcome {
    passed: bool,
    checks_left: usize,
}

/// Records one check of the caller's identity.
#[utoipa::path(post, path = "/support/requests/{id}/checks", tag = "support desk", request_body = CheckBody,
    params(("id" = i64, Path, description = "The request's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "Whether it passed, and how many checks are left", body = CheckOutcome),
        (status = 403, description = "`checks_exhausted`, `forbidden`", body = ErrorBody),
        NotFound, SignedRefusals, Refusals,
    ))]
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
    Ok(Json(CheckOutcome {
        passed: outcome.passed,
        checks_left: outcome.checks_left,
    })
    .into_response())
}

/// Issues the reset pass (recent sign-in): `active`, or `cooling_off` for an owner or admin.
#[utoipa::path(post, path = "/support/requests/{id}/issue", tag = "support desk",
    params(("id" = i64, Path, description = "The request's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The request", body = RequestView),
        (status = 403, description = "`approval_required`, `forbidden`, `step_up_required`", body = ErrorBody),
        NotFound, SignedRefusals, Refusals,
    ))]
async fn issue(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Path(id): Path<i64>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::IssueResetPass)?;
    one_json(&s.gatehouse.issue_reset(bearer.user_id, id, &origin).await?)
}

#[derive(Deserialize, ToSchema)]
struct ReasonBody {
    /// Line breaks allowed.
    reason: String,
}

/// Hands the request to a manager.
#[utoipa::path(post, path = "/support/requests/{id}/escalate", tag = "support desk", request_body = ReasonBody,
    params(("id" = i64, Path, description = "The request's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The request, `escalated`", body = RequestView),
        NotFound, SignedRefusals, Refusals,
    ))]
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

#[derive(Deserialize, ToSchema)]
struct DecisionBody {
    approve: bool,
    reason: String,
}

/// A manager approves or denies an escalated request (recent sign-in).
#[utoipa::path(post, path = "/support/requests/{id}/decision", tag = "support desk", request_body = DecisionBody,
    params(("id" = i64, Path, description = "The request's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The request, `cooling_off` or `denied`", body = RequestView),
        NotFound, SignedRefusals, Refusals,
    ))]
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

/// Cancels the request; a pass it issued stops working.
#[utoipa::path(post, path = "/support/requests/{id}/cancel", tag = "support desk", request_body = ReasonBody,
    params(("id" = i64, Path, description = "The request's id")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The request, `cancelled`", body = RequestView),
        NotFound, SignedRefusals, Refusals,
    ))]
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

/// What the support desk did to the people of the caller's organization and
/// below, read-only (the audit permission).
#[utoipa::path(get, path = "/admin/support", tag = "administration", security(("bearer" = [])),
    responses((status = 200, description = "The requests", body = RequestList), SignedRefusals, Refusals))]
async fn org_requests(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    Ok(requests_json(
        &s.gatehouse.org_reset_requests(bearer.user_id).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
struct NotMeBody {
    /// The token of the emailed "This wasn't me" link.
    token: String,
}

#[derive(Serialize, ToSchema)]
struct Reported {
    request_id: i64,
    state: String,
    reported: bool,
}

/// "This wasn't me" from an emailed link, without signing in: the link's
/// token is the only credential, and pressing it twice changes nothing more.
#[utoipa::path(post, path = "/support/not-me", tag = "support desk", request_body = NotMeBody,
    responses(
        (status = 200, description = "Reported; the request is cancelled and flagged", body = Reported),
        (status = 401, description = "`link_invalid`", body = ErrorBody),
        Refusals,
    ))]
async fn not_me(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<NotMeBody>,
) -> ApiResult {
    let info = s.gatehouse.report_not_me(&b.token, &origin).await?;
    Ok(Json(Reported {
        request_id: info.request_id,
        state: info.state.as_str().into(),
        reported: info.reported,
    })
    .into_response())
}

/// An abuse alert (README, "Abuse signals").
#[derive(Serialize, ToSchema)]
struct AlertView {
    id: i64,
    /// `company` or `platform`.
    scope: String,
    /// The company, for a company's alert.
    organization: Option<OrgRef>,
    resets: i64,
    /// Resets by kind: `self_reset`, `admin_disable`, `email_recovery`, `grant`, `support_pass`.
    kinds: std::collections::BTreeMap<String, i64>,
    organizations: i64,
    threshold: i64,
    window_seconds: i64,
    since: i64,
    raised_at: i64,
    resets_so_far: i64,
}

impl From<&AbuseAlert> for AlertView {
    fn from(a: &AbuseAlert) -> Self {
        Self {
            id: a.id,
            scope: a.scope.as_str().into(),
            organization: a.org_id.map(|id| OrgRef {
                id,
                name: a.org_name.clone().unwrap_or_default(),
            }),
            resets: a.resets,
            kinds: a
                .kinds
                .iter()
                .map(|(kind, n)| (kind.as_str().to_string(), *n))
                .collect(),
            organizations: a.organizations,
            threshold: a.threshold,
            window_seconds: a.window_seconds,
            since: a.since,
            raised_at: a.at,
            resets_so_far: a.resets_so_far,
        }
    }
}

#[derive(Serialize, ToSchema)]
struct AlertList {
    alerts: Vec<AlertView>,
}

/// The abuse alerts still inside their window that the caller may see: all
/// of them for the support desk, their customers' for a partner's owners
/// and admins, an empty list for anyone else.
#[utoipa::path(get, path = "/support/alerts", tag = "support desk", security(("bearer" = [])),
    responses((status = 200, description = "The alerts, newest first", body = AlertList), SignedRefusals, Refusals))]
async fn alerts(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let alerts = s.gatehouse.abuse_alerts_for(bearer.user_id).await?;
    let alerts = alerts.iter().map(AlertView::from).collect();
    Ok(Json(AlertList { alerts }).into_response())
}
