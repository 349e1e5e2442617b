//! Time-boxed permissions a partner grants to reset MFA.

use sqlx::Row;

use super::subtree::SUBTREE;
use super::{Conn, Result};

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub granted_by: String,
    pub whole_org: bool,
    pub reason: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// Chosen users (email, used) — or, for a whole-company grant, those who used it.
    pub users: Vec<(String, bool)>,
}

pub struct NewGrant<'a> {
    pub org_id: i64,
    pub granted_by: i64,
    pub reason: &'a str,
    pub user_ids: &'a [i64],
    pub expires_at: i64,
}

pub async fn insert_grant(c: &mut Conn, g: &NewGrant<'_>, now: i64) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO reset_grants (org_id, granted_by, whole_org, reason, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(g.org_id)
    .bind(g.granted_by)
    .bind(i64::from(g.user_ids.is_empty()))
    .bind(g.reason)
    .bind(now)
    .bind(g.expires_at)
    .fetch_one(&mut *c)
    .await?;
    for user_id in g.user_ids {
        sqlx::query("INSERT INTO reset_grant_users (grant_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*user_id)
            .execute(&mut *c)
            .await?;
    }
    Ok(id)
}

/// Grants in a subtree that are still running, newest first.
pub async fn active_grants(c: &mut Conn, scope: i64, now: i64) -> Result<Vec<Grant>> {
    let sql = format!(
        "{SUBTREE} SELECT g.id, g.org_id, o.name AS org_name, u.email AS granted_by_email, g.whole_org, g.reason, g.created_at, g.expires_at, g.revoked_at \
         FROM reset_grants g JOIN sub ON sub.id = g.org_id JOIN organizations o ON o.id = g.org_id \
         JOIN users u ON u.id = g.granted_by \
         WHERE g.revoked_at IS NULL AND g.expires_at > $2 ORDER BY g.created_at DESC, g.id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(scope)
        .bind(now)
        .fetch_all(&mut *c)
        .await?;
    let mut grants = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.get("id");
        let users = sqlx::query(
            "SELECT u.email, gu.used_at FROM reset_grant_users gu JOIN users u ON u.id = gu.user_id \
             WHERE gu.grant_id = $1 ORDER BY u.email",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await?
        .into_iter()
        .map(|u| {
            (
                u.get::<String, _>("email"),
                u.get::<Option<i64>, _>("used_at").is_some(),
            )
        })
        .collect();
        grants.push(Grant {
            id,
            org_id: r.get("org_id"),
            org_name: r.get("org_name"),
            granted_by: r.get("granted_by_email"),
            whole_org: r.get::<i64, _>("whole_org") != 0,
            reason: r.get("reason"),
            created_at: r.get("created_at"),
            expires_at: r.get("expires_at"),
            revoked_at: r.get("revoked_at"),
            users,
        });
    }
    Ok(grants)
}

/// The grant's organization, if it exists (scope is the caller's check).
pub async fn grant_org(c: &mut Conn, grant_id: i64) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT org_id FROM reset_grants WHERE id = $1")
        .bind(grant_id)
        .fetch_optional(&mut *c)
        .await
}

/// Ends a running grant; false when it had already ended.
pub async fn revoke_grant(c: &mut Conn, grant_id: i64, by: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE reset_grants SET revoked_at = $1, revoked_by = $2 \
         WHERE id = $3 AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(by)
    .bind(grant_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A running grant that covers the user and that they have not used.
#[derive(Debug, Clone)]
pub struct Cover {
    pub grant_id: i64,
    pub whole_org: bool,
    pub expires_at: i64,
    /// The organization that granted it (the customer's partner).
    pub granted_by_org: String,
}

pub async fn covering_grant(c: &mut Conn, user_id: i64, now: i64) -> Result<Option<Cover>> {
    let row = sqlx::query(
        "SELECT g.id, g.whole_org, g.expires_at, go.name AS granted_by_org FROM reset_grants g \
         JOIN users u ON u.org_id = g.org_id \
         JOIN users granter ON granter.id = g.granted_by JOIN organizations go ON go.id = granter.org_id \
         WHERE u.id = $1 AND g.revoked_at IS NULL AND g.expires_at > $2 AND ( \
           (g.whole_org = 1 AND NOT EXISTS (SELECT 1 FROM reset_grant_users gu WHERE gu.grant_id = g.id AND gu.user_id = u.id)) \
           OR (g.whole_org = 0 AND EXISTS (SELECT 1 FROM reset_grant_users gu WHERE gu.grant_id = g.id AND gu.user_id = u.id AND gu.used_at IS NULL))) \
         ORDER BY g.expires_at DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| Cover {
        grant_id: r.get("id"),
        whole_org: r.get::<i64, _>("whole_org") != 0,
        expires_at: r.get("expires_at"),
        granted_by_org: r.get("granted_by_org"),
    }))
}

/// Uses a grant for one user, once: true only for the first use while it runs.
pub async fn use_grant(c: &mut Conn, cover: &Cover, user_id: i64, now: i64) -> Result<bool> {
    let running: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM reset_grants WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(cover.grant_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    if running.is_none() {
        return Ok(false);
    }
    let done = if cover.whole_org {
        sqlx::query(
            "INSERT INTO reset_grant_users (grant_id, user_id, used_at) VALUES ($1, $2, $3) \
             ON CONFLICT (grant_id, user_id) DO NOTHING",
        )
        .bind(cover.grant_id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *c)
        .await?
    } else {
        sqlx::query(
            "UPDATE reset_grant_users SET used_at = $1 WHERE grant_id = $2 AND user_id = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(cover.grant_id)
        .bind(user_id)
        .execute(&mut *c)
        .await?
    };
    Ok(done.rows_affected() == 1)
}
