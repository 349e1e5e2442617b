//! Roles of an organization: the built-in ones and custom roles.

use sqlx::Row;

use super::subtree::SUBTREE;
use super::{Conn, Result};
use crate::rules::naming::name_key;

/// The roles every new organization starts with: (name, seniority, permissions).
/// Owners and admins hold the keys to everyone else, so MFA is required for them.
pub const BUILTIN_ROLES: [(&str, i64, &str); 3] = [
    ("owner", 100, ALL_PERMISSIONS),
    ("admin", 80, ALL_PERMISSIONS),
    ("member", 10, ""),
];

pub(crate) const ALL_PERMISSIONS: &str = "users.read users.manage users.mfa_reset roles.manage customers.manage grants.manage audit.read";

pub async fn role_id(c: &mut Conn, org_id: i64, name: &str) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT id FROM roles WHERE org_id = $1 AND name = $2")
        .bind(org_id)
        .bind(name)
        .fetch_optional(&mut *c)
        .await
}

pub async fn set_role_mfa_required(c: &mut Conn, role_id: i64, required: bool) -> Result<()> {
    sqlx::query("UPDATE roles SET mfa_required = $1 WHERE id = $2")
        .bind(i64::from(required))
        .bind(role_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn set_role_passkey_required(c: &mut Conn, role_id: i64, required: bool) -> Result<()> {
    sqlx::query("UPDATE roles SET passkey_required = $1 WHERE id = $2")
        .bind(i64::from(required))
        .bind(role_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct RoleRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub mfa_required: bool,
    /// Members sign in with a passkey (and add one at sign-in if they have none).
    pub passkey_required: bool,
    pub builtin: bool,
    pub permissions: String,
    pub seniority: i64,
    pub members: i64,
}

pub(crate) const ROLE_COLUMNS: &str =
    "r.id, r.org_id, r.name, r.mfa_required, r.passkey_required, r.builtin, r.permissions, r.seniority, \
     (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id) AS members FROM roles r";

pub(crate) fn role_from_row(r: sqlx::any::AnyRow) -> RoleRow {
    RoleRow {
        id: r.get("id"),
        org_id: r.get("org_id"),
        name: r.get("name"),
        mfa_required: r.get::<i64, _>("mfa_required") != 0,
        passkey_required: r.get::<i64, _>("passkey_required") != 0,
        builtin: r.get::<i64, _>("builtin") != 0,
        permissions: r.get("permissions"),
        seniority: r.get("seniority"),
        members: r.get("members"),
    }
}

pub async fn roles_of_org(c: &mut Conn, org_id: i64) -> Result<Vec<RoleRow>> {
    let sql =
        format!("SELECT {ROLE_COLUMNS} WHERE r.org_id = $1 ORDER BY r.seniority DESC, r.name");
    let rows = sqlx::query(&sql).bind(org_id).fetch_all(&mut *c).await?;
    Ok(rows.into_iter().map(role_from_row).collect())
}

/// Every role of a subtree's organizations, by organization then seniority.
pub async fn subtree_roles(c: &mut Conn, root: i64) -> Result<Vec<RoleRow>> {
    let sql = format!(
        "{SUBTREE} SELECT {ROLE_COLUMNS} JOIN sub ON sub.id = r.org_id \
         ORDER BY r.org_id, r.seniority DESC, r.name"
    );
    let rows = sqlx::query(&sql).bind(root).fetch_all(&mut *c).await?;
    Ok(rows.into_iter().map(role_from_row).collect())
}

pub async fn role_by_id(c: &mut Conn, id: i64) -> Result<Option<RoleRow>> {
    let sql = format!("SELECT {ROLE_COLUMNS} WHERE r.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await?;
    Ok(row.map(role_from_row))
}

pub struct NewRole<'a> {
    pub org_id: i64,
    pub name: &'a str,
    pub mfa_required: bool,
    pub builtin: bool,
    pub permissions: &'a str,
    pub seniority: i64,
}

pub async fn rename_role(c: &mut Conn, role_id: i64, name: &str) -> Result<()> {
    sqlx::query("UPDATE roles SET name = $1, name_key = $2 WHERE id = $3 AND builtin = 0")
        .bind(name)
        .bind(name_key(name))
        .bind(role_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Deletes a custom role that nobody holds, in one statement (so a member
/// added meanwhile keeps it); false when it is built in or held.
pub async fn delete_unused_role(c: &mut Conn, role_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM roles WHERE id = $1 AND builtin = 0 \
         AND NOT EXISTS (SELECT 1 FROM users WHERE role_id = $1)",
    )
    .bind(role_id)
    .execute(&mut *c)
    .await;
    // Someone may be given the role while it is being deleted.
    super::changed_one(done)
}

pub async fn insert_role(c: &mut Conn, role: &NewRole<'_>) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO roles (org_id, name, name_key, mfa_required, builtin, permissions, seniority) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(role.org_id)
    .bind(role.name)
    .bind(name_key(role.name))
    .bind(i64::from(role.mfa_required))
    .bind(i64::from(role.builtin))
    .bind(role.permissions)
    .bind(role.seniority)
    .fetch_one(&mut *c)
    .await
}

/// Writes the [`name_key`] of the roles and organizations that have none
/// (made before the key existed). Roles that already look alike keep a
/// key of their own (the key with `#id` after it), so none is lost; they
/// can be renamed apart.
pub async fn fill_name_keys(pool: &sqlx::AnyPool) -> Result<()> {
    for table in ["roles", "organizations"] {
        let rows: Vec<(i64, String)> = sqlx::query_as(&format!(
            "SELECT id, name FROM {table} WHERE name_key IS NULL"
        ))
        .fetch_all(pool)
        .await?;
        for (id, name) in rows {
            let key = name_key(&name);
            let update = format!("UPDATE {table} SET name_key = $1 WHERE id = $2");
            // Each on its own: a clash must not undo the others.
            let first = sqlx::query(&update).bind(&key).bind(id).execute(pool).await;
            if let Err(sqlx::Error::Database(e)) = &first {
                if e.is_unique_violation() {
                    sqlx::query(&update)
                        .bind(format!("{key}#{id}"))
                        .bind(id)
                        .execute(pool)
                        .await?;
                    continue;
                }
            }
            first?;
        }
    }
    Ok(())
}
