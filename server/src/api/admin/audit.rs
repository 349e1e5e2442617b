//! The audit log: a page of entries as JSON, or every matching entry as CSV
//! (also what the browser downloads, see `browser::export`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::filters::AuditFilter;
use gatehouse_core::service::audit_csv;
use gatehouse_core::store::AuditEntry;
use gatehouse_core::AuthError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{page_request, Paging};
use crate::api::openapi::{Refusals, SignedRefusals};
use crate::api::{ApiResult, Bearer, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit))
}

/// The filter and the page, or `format=csv` for every entry.
#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// First day, `YYYY-MM-DD` (UTC) or Unix seconds.
    from: Option<String>,
    /// Last day, inclusive.
    to: Option<String>,
    /// Part of the actor's or subject's email.
    #[serde(default)]
    user: String,
    /// An action, such as `login.succeeded`, or its prefix (`mfa.`).
    #[serde(default)]
    action: String,
    /// `json` (default) or `csv` (every match).
    format: Option<String>,
    /// From 1; 100 entries a page.
    page: Option<i64>,
    /// A page's `next_after`: this page starts after (is older than) that entry.
    after: Option<i64>,
    /// A page's `previous_before`: this page ends before (is newer than) that entry.
    before: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> Result<AuditFilter, AuthError> {
        let text = |t: &Option<String>| t.clone().unwrap_or_default();
        AuditFilter::from_params(&self.user, &self.action, &text(&self.from), &text(&self.to))
    }
}

/// One audit entry (also what `gatehouse audit export --format json` prints).
#[derive(Serialize, ToSchema)]
pub struct EntryView {
    id: i64,
    at: i64,
    organization: String,
    /// Who did it (email); none for the system or the command line.
    actor: Option<String>,
    /// Whom it concerned (email).
    subject: Option<String>,
    action: String,
    /// The client's address, or `cli`.
    ip: String,
    user_agent: String,
    /// What the action records, an object.
    details: Value,
}

impl From<&AuditEntry> for EntryView {
    fn from(e: &AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            organization: e.org_name.clone(),
            actor: e.actor.clone(),
            subject: e.subject.clone(),
            action: e.action.clone(),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            details: serde_json::from_str(&e.details)
                .unwrap_or_else(|_| Value::String(e.details.clone())),
        }
    }
}

#[derive(Serialize, ToSchema)]
struct AuditPage {
    entries: Vec<EntryView>,
    #[serde(flatten)]
    paging: Paging,
}

/// The CSV download: every matching entry, newest first.
pub fn csv_response(entries: &[AuditEntry], filter: &AuditQuery) -> Response {
    let name = format!(
        "gatehouse-audit-{}-{}.csv",
        filter
            .from
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or("start"),
        filter
            .to
            .as_deref()
            .filter(|d| !d.is_empty())
            .unwrap_or("now")
    )
    .replace(
        |c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'),
        "_",
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        audit_csv(entries),
    )
        .into_response()
}

/// Audit entries of the caller's organization and those below it, newest
/// first: a page as JSON, or every match as CSV (the export is audited).
#[utoipa::path(get, path = "/audit", tag = "administration", params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of entries, or the CSV file",
            content((AuditPage = "application/json"), (String = "text/csv"))),
        SignedRefusals, Refusals,
    ))]
async fn audit(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    let filter = q.filter()?;
    let gh = &s.gatehouse;
    match q.format.as_deref().unwrap_or("json") {
        "csv" => Ok(csv_response(
            &gh.audit_export(bearer.user_id, &filter, &origin).await?,
            &q,
        )),
        "json" => {
            let page = gh
                .audit_page(
                    bearer.user_id,
                    &filter,
                    page_request(q.page, q.after, q.before),
                )
                .await?;
            Ok(Json(AuditPage {
                entries: page.entries.iter().map(EntryView::from).collect(),
                paging: Paging::from(&page.place),
            })
            .into_response())
        }
        _ => Err(AuthError::Invalid("format must be \"csv\" or \"json\"".into()).into()),
    }
}
