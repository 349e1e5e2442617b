//! Organizations: the platform, partners (MSPs) and their customers, as a tree.

use sqlx::Row;

use super::roles::{insert_role, NewRole, BUILTIN_ROLES};
use crate::rules::naming::name_key;
use crate::rules::scope::OrgKind;

use super::subtree::SUBTREE;
use super::{Conn, Result};

#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    pub kind: OrgKind,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<i64>,
}

/// The columns [`org_from_row`] reads first, for a query on `organizations o`.
pub(crate) const ORG_COLUMNS: &str = "o.id, o.kind, o.slug, o.name, o.parent_id";

/// An organization's kind as stored; an unknown word is an error, not a guess.
pub(crate) fn org_kind(text: String) -> Result<OrgKind> {
    OrgKind::parse(&text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown organization kind “{text}”").into()))
}

pub(crate) fn org_from_row(r: &sqlx::any::AnyRow) -> Result<Org> {
    Ok(Org {
        id: r.get("id"),
        kind: org_kind(r.get("kind"))?,
        slug: r.get("slug"),
        name: r.get("name"),
        parent_id: r.get("parent_id"),
    })
}

pub async fn org_by_slug(c: &mut Conn, slug: &str) -> Result<Option<Org>> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.slug = $1");
    let row = sqlx::query(&sql).bind(slug).fetch_optional(&mut *c).await?;
    row.as_ref().map(org_from_row).transpose()
}

/// Creates an organization with its built-in roles and an empty audit chain.
/// Holds the organization's row until the transaction ends (PostgreSQL;
/// SQLite's write transactions hold everything): what is counted or
/// compared under it cannot change meanwhile.
pub async fn lock_org(c: &mut Conn, org_id: i64) -> Result<()> {
    sqlx::query("UPDATE organizations SET parent_id = parent_id WHERE id = $1")
        .bind(org_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Whether `parent` already has an organization of this name, in any case
/// (its [`name_key`]).
pub async fn child_named(c: &mut Conn, parent: i64, name: &str) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM organizations WHERE parent_id = $1 AND name_key = $2 LIMIT 1",
    )
    .bind(parent)
    .bind(name_key(name))
    .fetch_optional(&mut *c)
    .await?;
    Ok(found.is_some())
}

pub async fn insert_org(
    c: &mut Conn,
    kind: OrgKind,
    slug: &str,
    name: &str,
    parent_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (kind, slug, name, name_key, parent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(kind.as_str())
    .bind(slug)
    .bind(name)
    .bind(name_key(name))
    .bind(parent_id)
    .bind(now)
    .fetch_one(&mut *c)
    .await?;
    for (name, seniority, permissions) in BUILTIN_ROLES {
        let role = NewRole {
            org_id: id,
            name,
            mfa_required: name != "member",
            builtin: true,
            permissions,
            seniority,
        };
        insert_role(c, &role).await?;
    }
    sqlx::query("INSERT INTO audit_heads (org_id, seq, head_hash) VALUES ($1, 0, $2)")
        .bind(id)
        .bind(vec![0u8; 32])
        .execute(&mut *c)
        .await?;
    Ok(id)
}

pub async fn org_by_id(c: &mut Conn, id: i64) -> Result<Option<Org>> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(org_from_row).transpose()
}

/// The organization and its ancestors, root first.
pub async fn org_path(c: &mut Conn, org_id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query(
        "WITH RECURSIVE up(id, parent_id, depth) AS ( \
           SELECT id, parent_id, 0 FROM organizations WHERE id = $1 \
           UNION ALL SELECT o.id, o.parent_id, up.depth + 1 FROM organizations o JOIN up ON o.id = up.parent_id) \
         SELECT id FROM up ORDER BY depth DESC",
    )
    .bind(org_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows.into_iter().map(|r| r.get("id")).collect())
}

/// The organizations of a subtree, the root first, then by name.
pub async fn subtree_orgs(c: &mut Conn, root: i64) -> Result<Vec<Org>> {
    let sql = format!(
        "{SUBTREE} SELECT {ORG_COLUMNS} FROM organizations o JOIN sub ON sub.id = o.id \
         ORDER BY CASE WHEN o.id = $1 THEN 0 ELSE 1 END, lower(o.name), o.id"
    );
    let rows = sqlx::query(&sql).bind(root).fetch_all(&mut *c).await?;
    rows.iter().map(org_from_row).collect()
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub org: Org,
    pub users: i64,
    pub mfa_users: i64,
    /// Users with one factor and no recovery code left: losing the phone locks them out.
    pub users_who_cannot_recover_alone: i64,
    /// Active people who may reset others' MFA and have a second factor.
    pub admins_with_mfa: i64,
}

/// The customer companies in a subtree, by name.
pub async fn customers(c: &mut Conn, scope: i64) -> Result<Vec<Customer>> {
    let factors = "(SELECT COUNT(*) FROM mfa_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)";
    let sql = format!(
        "{SUBTREE} SELECT {ORG_COLUMNS}, \
           (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.disabled_at IS NULL) AS users, \
           (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.disabled_at IS NULL AND {factors} > 0) AS mfa_users, \
           (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.disabled_at IS NULL AND {factors} = 1 \
              AND NOT EXISTS (SELECT 1 FROM recovery_codes rc WHERE rc.user_id = u.id AND rc.used_at IS NULL)) \
              AS users_who_cannot_recover_alone, \
           (SELECT COUNT(*) FROM users u JOIN roles r ON r.id = u.role_id WHERE u.org_id = o.id \
              AND u.disabled_at IS NULL AND (' ' || r.permissions || ' ') LIKE '% users.mfa_reset %' \
              AND {factors} > 0) AS admins_with_mfa \
         FROM organizations o JOIN sub ON sub.id = o.id WHERE o.kind = 'company' ORDER BY lower(o.name), o.id"
    );
    let rows = sqlx::query(&sql).bind(scope).fetch_all(&mut *c).await?;
    rows.into_iter()
        .map(|r| {
            Ok(Customer {
                org: org_from_row(&r)?,
                users: r.get("users"),
                mfa_users: r.get("mfa_users"),
                users_who_cannot_recover_alone: r.get("users_who_cannot_recover_alone"),
                admins_with_mfa: r.get("admins_with_mfa"),
            })
        })
        .collect()
}
