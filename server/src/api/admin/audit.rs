//! The audit log: a page of entries as JSON, or every matching entry as CSV
//! (also what the browser downloads, see `browser::export`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::filters::AuditFilter;
use gatehouse_core::service::audit_csv;
use gatehouse_core::store::AuditEntry;
use gatehouse_core::AuthError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::{ApiResult, Bearer, Query};
use crate::state::AppState;

/// Its endpoints, relative to `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(audit))
}

/// The filter and the page, or `format=csv` for every entry.
#[derive(Deserialize, Default)]
pub struct AuditQuery {
    from: Option<String>,
    to: Option<String>,
    #[serde(default)]
    user: String,
    #[serde(default)]
    action: String,
    format: Option<String>,
    page: Option<i64>,
}

impl AuditQuery {
    pub fn filter(&self) -> Result<AuditFilter, AuthError> {
        let text = |t: &Option<String>| t.clone().unwrap_or_default();
        AuditFilter::from_params(&self.user, &self.action, &text(&self.from), &text(&self.to))
    }
}

pub fn entry_json(e: &AuditEntry) -> Value {
    json!({
        "id": e.id,
        "at": e.at,
        "organization": e.org_name,
        "actor": e.actor,
        "subject": e.subject,
        "action": e.action,
        "ip": e.ip,
        "user_agent": e.user_agent,
        "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::String(e.details.clone())),
    })
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
                .audit_page(bearer.user_id, &filter, q.page.unwrap_or(1))
                .await?;
            Ok(Json(json!({
                "entries": page.entries.iter().map(entry_json).collect::<Vec<_>>(),
                "total": page.total,
                "page": page.page,
                "pages": page.pages,
            }))
            .into_response())
        }
        _ => Err(AuthError::Invalid("format must be \"csv\" or \"json\"".into()).into()),
    }
}
