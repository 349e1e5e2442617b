//! The audit log as the administration screens and the export read it.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::rules::filters::AuditFilter;
use crate::rules::scope::{self, Permission};
use crate::store::{self, AuditEntry, PageAt};

use super::{refused, PagePlace, PageRequest};
use crate::service::Gatehouse;

pub const AUDIT_PER_PAGE: i64 = 100;

/// A CSV export holds at most this many entries; narrow the dates for more.
pub const AUDIT_EXPORT_LIMIT: i64 = 100_000;

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub place: PagePlace,
}

/// A CSV cell that a spreadsheet will not run as a formula.
pub(crate) fn csv_cell(text: &str) -> String {
    const FORMULA: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
    // Spreadsheets in many locales split on ";": a formula may start after one too.
    let after_separator = text
        .split([';', ','])
        .skip(1)
        .any(|part| part.trim_start().starts_with(FORMULA));
    if text.starts_with(FORMULA) || after_separator {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The audit entries as CSV, newest first.
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "time_utc",
        "unix_time",
        "organization",
        "actor",
        "subject",
        "action",
        "ip",
        "browser",
        "details",
    ];
    let _ = out.write_record(header);
    for e in entries {
        let at = crate::format_time(e.at);
        let unix = e.at.to_string();
        let record = [
            at.as_str(),
            unix.as_str(),
            e.org_name.as_str(),
            e.actor.as_deref().unwrap_or(""),
            e.subject.as_deref().unwrap_or(""),
            e.action.as_str(),
            e.ip.as_str(),
            e.user_agent.as_str(),
            e.details.as_str(),
        ];
        let _ = out.write_record(record.iter().map(|cell| csv_cell(cell)));
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

impl Gatehouse {
    pub async fn audit_page(
        &self,
        actor_id: i64,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<AuditPage> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::AuditRead).map_err(|r| refused(r, "Audit log"))?;
        let (number, at) = page.start(AUDIT_PER_PAGE)?;
        let listed = store::audit_entries(
            &mut *self.conn().await?,
            actor.org_id,
            filter,
            AUDIT_PER_PAGE,
            at,
        )
        .await?;
        Ok(AuditPage {
            place: PagePlace::of(number, AUDIT_PER_PAGE, &listed, |e| e.id),
            entries: listed.rows,
        })
    }

    /// Every matching entry (up to [`AUDIT_EXPORT_LIMIT`]), newest first, for export.
    /// Each export is itself audited: who took which part of the log.
    pub async fn audit_export(
        &self,
        actor_id: i64,
        filter: &AuditFilter,
        origin: &Origin,
    ) -> Result<Vec<AuditEntry>> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::AuditRead).map_err(|r| refused(r, "Audit log"))?;
        self.export_audit(actor.org_id, Some(actor.user_id), filter, origin)
            .await
    }

    /// Every matching entry of the organization `org_slug` and those below
    /// it, for an operator at the command line (audited as such).
    pub async fn operator_audit_export(
        &self,
        org_slug: &str,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntry>> {
        let org = store::org_by_slug(&mut *self.conn().await?, org_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {org_slug:?}")))?;
        self.export_audit(org.id, None, filter, &Origin::command_line())
            .await
    }

    /// The entries of `org_id`'s subtree that `filter` selects (at most
    /// [`AUDIT_EXPORT_LIMIT`]), the export itself recorded in its log.
    async fn export_audit(
        &self,
        org_id: i64,
        actor_id: Option<i64>,
        filter: &AuditFilter,
        origin: &Origin,
    ) -> Result<Vec<AuditEntry>> {
        let entries = store::audit_entries(
            &mut *self.conn().await?,
            org_id,
            filter,
            AUDIT_EXPORT_LIMIT,
            PageAt::First,
        )
        .await?
        .rows;
        let mut tx = self.db.begin().await?;
        let event = Event {
            org_id,
            actor_id,
            subject_id: None,
            action: "audit.exported",
            details: json!({
                "user": filter.user,
                "action": filter.action,
                "from": filter.from,
                "to": filter.to,
                "entries": entries.len(),
            }),
        };
        audit::append(&mut tx, event, origin, self.now()).await?;
        tx.commit().await?;
        Ok(entries)
    }

    pub async fn audit_actions(&self, actor_id: i64) -> Result<Vec<String>> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::AuditRead).map_err(|r| refused(r, "Audit log"))?;
        Ok(store::audit_actions(&mut *self.conn().await?, actor.org_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas_and_commas_are_quoted() {
        let entry = AuditEntry {
            id: 1,
            at: 0,
            org_name: "Acme, Inc.".into(),
            actor: Some("=HYPERLINK(\"x\")".into()),
            subject: None,
            action: "mfa.reset".into(),
            ip: "203.0.113.7".into(),
            user_agent: "-cmd".into(),
            details: "{\"by\":\"admin\"}".into(),
        };
        let text = audit_csv(&[entry]);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("time_utc,unix_time,organization,actor,subject,action,ip,browser,details")
        );
        let row = lines.next().unwrap();
        assert!(row.contains("\"Acme, Inc.\""), "{row}");
        assert!(row.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{row}");
        assert!(row.contains(",'-cmd,"), "{row}");
        // A ";" a spreadsheet splits on starts no formula either.
        assert_eq!(csv_cell("Evil;=2+5"), "'Evil;=2+5");
        assert_eq!(csv_cell("Acme; Inc."), "Acme; Inc.");
    }
}
