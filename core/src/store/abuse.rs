//! Abuse signals: the resets that took effect, counted in sliding windows,
//! and the alerts raised about them.
//!
//! The counts and the alert are decided under a row lock on the
//! organization (and the platform's row) held by the reset's transaction
//! ([`lock_org`]), so thirty resets at once are counted one after another
//! and raise one alert.

use sqlx::Row;

use crate::rules::abuse::{AlertScope, ResetKind};

use super::subtree::SUBTREE;
use super::{unknown, Conn, Result};

pub async fn insert_reset_event(
    c: &mut Conn,
    org_id: i64,
    user_id: i64,
    kind: ResetKind,
    now: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO reset_events (org_id, user_id, kind, at) VALUES ($1, $2, $3, $4)")
        .bind(org_id)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

fn reset_kind(text: String) -> Result<ResetKind> {
    ResetKind::parse(&text).ok_or_else(|| unknown("reset kind", &text))
}

/// The resets recorded at or after `from` (also those stamped after the
/// caller's own clock reading: see [`crate::rules::abuse::within`]), of one
/// organization or of all: (organization, kind, how many, the earliest),
/// for [`crate::rules::abuse::tally`].
pub async fn reset_counts(
    c: &mut Conn,
    org_id: Option<i64>,
    from: i64,
) -> Result<Vec<(i64, ResetKind, i64, i64)>> {
    let select = "SELECT org_id, kind, COUNT(*) AS n, MIN(at) AS first FROM reset_events";
    let group = "GROUP BY org_id, kind";
    let rows = match org_id {
        Some(org_id) => {
            let sql = format!("{select} WHERE org_id = $1 AND at >= $2 {group}");
            sqlx::query(&sql)
                .bind(org_id)
                .bind(from)
                .fetch_all(&mut *c)
                .await?
        }
        None => {
            let sql = format!("{select} WHERE at >= $1 {group}");
            sqlx::query(&sql).bind(from).fetch_all(&mut *c).await?
        }
    };
    rows.into_iter()
        .map(|r| {
            Ok((
                r.get("org_id"),
                reset_kind(r.get("kind"))?,
                r.get("n"),
                r.get("first"),
            ))
        })
        .collect()
}

/// When the newest alert of a scope (and organization) was raised.
pub async fn last_alert_at(
    c: &mut Conn,
    scope: AlertScope,
    org_id: Option<i64>,
) -> Result<Option<i64>> {
    match org_id {
        Some(org_id) => {
            sqlx::query_scalar("SELECT MAX(at) FROM abuse_alerts WHERE scope = $1 AND org_id = $2")
                .bind(scope.as_str())
                .bind(org_id)
                .fetch_one(&mut *c)
                .await
        }
        None => {
            sqlx::query_scalar(
                "SELECT MAX(at) FROM abuse_alerts WHERE scope = $1 AND org_id IS NULL",
            )
            .bind(scope.as_str())
            .fetch_one(&mut *c)
            .await
        }
    }
}

/// An alert as stored.
#[derive(Debug, Clone)]
pub struct AlertRow {
    pub id: i64,
    pub scope: AlertScope,
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    pub resets: i64,
    pub threshold: i64,
    pub window_seconds: i64,
    pub organizations: i64,
    /// A JSON object of counts per reset kind.
    pub kinds: String,
    pub since: i64,
    pub at: i64,
}

pub async fn insert_alert(c: &mut Conn, a: &AlertRow) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO abuse_alerts (scope, org_id, resets, threshold, window_seconds, organizations, kinds, since, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(a.scope.as_str())
    .bind(a.org_id)
    .bind(a.resets)
    .bind(a.threshold)
    .bind(a.window_seconds)
    .bind(a.organizations)
    .bind(&a.kinds)
    .bind(a.since)
    .bind(a.at)
    .fetch_one(&mut *c)
    .await
}

const ALERT_COLUMNS: &str = "a.id, a.scope, a.org_id, o.name AS org_name, a.resets, a.threshold, \
     a.window_seconds, a.organizations, a.kinds, a.since, a.at \
     FROM abuse_alerts a LEFT JOIN organizations o ON o.id = a.org_id";

fn alert_from_row(r: sqlx::any::AnyRow) -> Result<AlertRow> {
    let scope: String = r.get("scope");
    Ok(AlertRow {
        id: r.get("id"),
        scope: AlertScope::parse(&scope).ok_or_else(|| unknown("alert scope", &scope))?,
        org_id: r.get("org_id"),
        org_name: r.get("org_name"),
        resets: r.get("resets"),
        threshold: r.get("threshold"),
        window_seconds: r.get("window_seconds"),
        organizations: r.get("organizations"),
        kinds: r.get("kinds"),
        since: r.get("since"),
        at: r.get("at"),
    })
}

/// Alerts raised after `after`, newest first: every one, or (`subtree_of`)
/// only those about organizations at and below one (never the platform's).
pub async fn alerts_after(
    c: &mut Conn,
    after: i64,
    subtree_of: Option<i64>,
) -> Result<Vec<AlertRow>> {
    let rows = match subtree_of {
        None => {
            let sql =
                format!("SELECT {ALERT_COLUMNS} WHERE a.at > $1 ORDER BY a.at DESC, a.id DESC");
            sqlx::query(&sql).bind(after).fetch_all(&mut *c).await?
        }
        Some(root) => {
            let sql = format!(
                "{SUBTREE} SELECT {ALERT_COLUMNS} WHERE a.at > $2 AND a.scope = 'company' \
                 AND a.org_id IN (SELECT id FROM sub) ORDER BY a.at DESC, a.id DESC"
            );
            sqlx::query(&sql)
                .bind(root)
                .bind(after)
                .fetch_all(&mut *c)
                .await?
        }
    };
    rows.into_iter().map(alert_from_row).collect()
}

/// The active platform users whose built-in role is `manager`.
pub async fn platform_manager_emails(c: &mut Conn, platform_id: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT u.email FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.org_id = $1 AND u.disabled_at IS NULL AND r.name = 'manager' AND r.builtin = 1 \
         ORDER BY u.email",
    )
    .bind(platform_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows.into_iter().map(|r| r.get("email")).collect())
}
