//! Queries of the administration screens: users, roles, customers, reset
//! grants, invitations and the audit log, always within an organization's
//! subtree. Every list starts from [`SUBTREE`], so a query cannot forget the
//! caller's scope.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Row};

use super::{org_from_row, Conn, Org, Result, ORG_COLUMNS};
use crate::rules::filters::{AuditFilter, UserFilter};
use crate::rules::scope::{Actor, Permissions};

/// The organizations at and below `$1`. (PostgreSQL needs the cast to type `$1`.)
const SUBTREE: &str = "WITH RECURSIVE sub(id) AS (SELECT CAST($1 AS BIGINT) \
     UNION ALL SELECT o.id FROM organizations o JOIN sub ON o.parent_id = sub.id)";

/// A value bound to a numbered parameter of a query built at run time.
#[derive(Debug, Clone)]
enum Arg {
    Int(i64),
    Text(String),
}

/// Builds `WHERE` clauses with `$n` parameters numbered in order.
struct Clauses {
    parts: Vec<String>,
    args: Vec<Arg>,
}

impl Clauses {
    fn new(first: Arg) -> Self {
        Self {
            parts: Vec::new(),
            args: vec![first],
        }
    }

    /// Adds a clause; each `?` in it becomes the next parameter, bound to `args` in order.
    fn add(&mut self, clause: &str, args: impl IntoIterator<Item = Arg>) {
        let mut text = String::new();
        let mut args = args.into_iter();
        for (i, piece) in clause.split('?').enumerate() {
            if i > 0 {
                self.args
                    .push(args.next().expect("one argument per placeholder"));
                text.push_str(&format!("${}", self.args.len()));
            }
            text.push_str(piece);
        }
        self.parts.push(text);
    }

    fn where_sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.parts.join(" AND "))
        }
    }

    fn next_param(&self) -> usize {
        self.args.len() + 1
    }

    fn bind<'q>(
        &'q self,
        mut q: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for arg in &self.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// `%text%` for `LIKE … ESCAPE '\'`, matching the text literally.
fn contains_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

// ------------------------------------------------------------- organizations

pub async fn org_by_id(c: &mut Conn, id: i64) -> Result<Option<Org>> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await?;
    Ok(row.as_ref().map(org_from_row))
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
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

/// The organizations of a subtree, the root first, then by name.
pub async fn subtree_orgs(c: &mut Conn, root: i64) -> Result<Vec<Org>> {
    let sql = format!(
        "{SUBTREE} SELECT {ORG_COLUMNS} FROM organizations o JOIN sub ON sub.id = o.id \
         ORDER BY CASE WHEN o.id = $1 THEN 0 ELSE 1 END, lower(o.name), o.id"
    );
    let rows = sqlx::query(&sql).bind(root).fetch_all(&mut *c).await?;
    Ok(rows.iter().map(org_from_row).collect())
}

// --------------------------------------------------------------------- users

/// What decides an active user's administrative reach.
pub async fn actor_facts(c: &mut Conn, user_id: i64) -> Result<Option<Actor>> {
    let row = sqlx::query(
        "SELECT u.org_id, o.kind, o.name, r.seniority, r.permissions FROM users u \
         JOIN roles r ON r.id = u.role_id JOIN organizations o ON o.id = u.org_id \
         WHERE u.id = $1 AND u.disabled_at IS NULL",
    )
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| Actor {
        user_id,
        org_id: r.get(0),
        org_kind: r.get(1),
        org_name: r.get(2),
        seniority: r.get(3),
        permissions: Permissions::parse(&r.get::<String, _>(4)),
    }))
}

/// A user as the administration screens show them.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
    pub role_id: i64,
    pub role: String,
    pub seniority: i64,
    pub disabled: bool,
    pub factors: i64,
    pub recovery_codes_left: i64,
    pub last_login_at: Option<i64>,
    pub locked: bool,
    pub has_phone: bool,
    /// Invited and not yet set a password.
    pub invited: bool,
}

const CONFIRMED_FACTOR: &str =
    "EXISTS (SELECT 1 FROM mfa_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)";

fn user_clauses(scope: i64, filter: &UserFilter, now: i64) -> Clauses {
    let mut w = Clauses::new(Arg::Int(scope));
    let query = filter.query.trim();
    if !query.is_empty() {
        let pattern = contains_pattern(query);
        w.add(
            "(u.email LIKE ? ESCAPE '\\' OR lower(u.name) LIKE ? ESCAPE '\\')",
            [Arg::Text(pattern.clone()), Arg::Text(pattern)],
        );
    }
    match filter.mfa_on {
        Some(true) => w.add(CONFIRMED_FACTOR, []),
        Some(false) => w.add(&format!("NOT {CONFIRMED_FACTOR}"), []),
        None => {}
    }
    match filter.locked {
        Some(true) => w.add(
            "(u.mfa_admin_lock = 1 OR u.mfa_locked_until > ?)",
            [Arg::Int(now)],
        ),
        Some(false) => w.add(
            "(u.mfa_admin_lock = 0 AND u.mfa_locked_until <= ?)",
            [Arg::Int(now)],
        ),
        None => {}
    }
    if let Some(role) = filter.role_id {
        w.add("u.role_id = ?", [Arg::Int(role)]);
    }
    if let Some(org) = filter.org_id {
        w.add("u.org_id = ?", [Arg::Int(org)]);
    }
    if let Some(id) = filter.user_id {
        w.add("u.id = ?", [Arg::Int(id)]);
    }
    w
}

/// One page of the users of a subtree, by email, and how many match in all.
pub async fn list_users(
    c: &mut Conn,
    scope: i64,
    filter: &UserFilter,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<UserSummary>, i64)> {
    let w = user_clauses(scope, filter, now);
    let from = "FROM users u JOIN sub ON sub.id = u.org_id";
    let count_sql = format!("{SUBTREE} SELECT COUNT(*) {from}{}", w.where_sql());
    let total: i64 = w
        .bind(sqlx::query(&count_sql))
        .fetch_one(&mut *c)
        .await?
        .get(0);
    let (lim, off, at) = (w.next_param(), w.next_param() + 1, w.next_param() + 2);
    // The page's ids first, so the per-user counts below run for 50 rows, not
    // for every skipped one.
    let sql = format!(
        "{SUBTREE}, page AS (SELECT u.id {from}{} ORDER BY u.email LIMIT ${lim} OFFSET ${off}) \
         SELECT u.id, u.email, u.name, u.org_id, o.name, u.role_id, r.name, r.seniority, u.disabled_at, \
           (SELECT COUNT(*) FROM mfa_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL), \
           (SELECT COUNT(*) FROM recovery_codes rc WHERE rc.user_id = u.id AND rc.used_at IS NULL), \
           u.last_login_at, CASE WHEN u.mfa_admin_lock = 1 OR u.mfa_locked_until > ${at} THEN 1 ELSE 0 END, \
           CASE WHEN u.phone_verified_at IS NULL THEN 0 ELSE 1 END, \
           CASE WHEN u.password_hash = '' THEN 1 ELSE 0 END \
         FROM page JOIN users u ON u.id = page.id JOIN roles r ON r.id = u.role_id \
         JOIN organizations o ON o.id = u.org_id ORDER BY u.email",
        w.where_sql()
    );
    let rows = w
        .bind(sqlx::query(&sql))
        .bind(limit)
        .bind(offset)
        .bind(now)
        .fetch_all(&mut *c)
        .await?;
    let users = rows
        .into_iter()
        .map(|r| UserSummary {
            id: r.get(0),
            email: r.get(1),
            name: r.get(2),
            org_id: r.get(3),
            org_name: r.get(4),
            role_id: r.get(5),
            role: r.get(6),
            seniority: r.get(7),
            disabled: r.get::<Option<i64>, _>(8).is_some(),
            factors: r.get(9),
            recovery_codes_left: r.get(10),
            last_login_at: r.get(11),
            locked: r.get::<i64, _>(12) != 0,
            has_phone: r.get::<i64, _>(13) != 0,
            invited: r.get::<i64, _>(14) != 0,
        })
        .collect();
    Ok((users, total))
}

pub async fn set_user_role(c: &mut Conn, user_id: i64, role_id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET role_id = $1 WHERE id = $2")
        .bind(role_id)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn set_user_disabled(c: &mut Conn, user_id: i64, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Lifts both second-factor locks (the 5-minute one and the admin lock).
pub async fn unlock_mfa(c: &mut Conn, user_id: i64) -> Result<()> {
    super::clear_mfa_failures(c, user_id).await?;
    sqlx::query("UPDATE users SET mfa_admin_lock = 0 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The active owners and admins of an organization, who hear about grants.
pub async fn org_admin_emails(c: &mut Conn, org_id: i64) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT u.email FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.org_id = $1 AND u.disabled_at IS NULL AND r.name IN ('owner', 'admin') ORDER BY u.email",
    )
    .bind(org_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

// --------------------------------------------------------------------- roles

#[derive(Debug, Clone)]
pub struct RoleRow {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub mfa_required: bool,
    pub builtin: bool,
    pub permissions: String,
    pub seniority: i64,
    pub members: i64,
}

const ROLE_COLUMNS: &str =
    "r.id, r.org_id, r.name, r.mfa_required, r.builtin, r.permissions, r.seniority, \
     (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id) FROM roles r";

fn role_from_row(r: sqlx::any::AnyRow) -> RoleRow {
    RoleRow {
        id: r.get(0),
        org_id: r.get(1),
        name: r.get(2),
        mfa_required: r.get::<i64, _>(3) != 0,
        builtin: r.get::<i64, _>(4) != 0,
        permissions: r.get(5),
        seniority: r.get(6),
        members: r.get(7),
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

pub async fn insert_role(c: &mut Conn, role: &NewRole<'_>) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO roles (org_id, name, mfa_required, builtin, permissions, seniority) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(role.org_id)
    .bind(role.name)
    .bind(i64::from(role.mfa_required))
    .bind(i64::from(role.builtin))
    .bind(role.permissions)
    .bind(role.seniority)
    .fetch_one(&mut *c)
    .await
}

// ----------------------------------------------------------------- customers

#[derive(Debug, Clone)]
pub struct Customer {
    pub org: Org,
    pub users: i64,
    pub mfa_users: i64,
    /// Users with one factor and no recovery code left: losing the phone locks them out.
    pub stranded_users: i64,
}

/// The customer companies in a subtree, by name.
pub async fn customers(c: &mut Conn, scope: i64) -> Result<Vec<Customer>> {
    let factors = "(SELECT COUNT(*) FROM mfa_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)";
    let sql = format!(
        "{SUBTREE} SELECT {ORG_COLUMNS}, \
           (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.disabled_at IS NULL), \
           (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.disabled_at IS NULL AND {factors} > 0), \
           (SELECT COUNT(*) FROM users u WHERE u.org_id = o.id AND u.disabled_at IS NULL AND {factors} = 1 \
              AND NOT EXISTS (SELECT 1 FROM recovery_codes rc WHERE rc.user_id = u.id AND rc.used_at IS NULL)) \
         FROM organizations o JOIN sub ON sub.id = o.id WHERE o.kind = 'company' ORDER BY lower(o.name), o.id"
    );
    let rows = sqlx::query(&sql).bind(scope).fetch_all(&mut *c).await?;
    Ok(rows
        .into_iter()
        .map(|r| Customer {
            org: org_from_row(&r),
            users: r.get(5),
            mfa_users: r.get(6),
            stranded_users: r.get(7),
        })
        .collect())
}

// -------------------------------------------------------------- reset grants

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
        "{SUBTREE} SELECT g.id, g.org_id, o.name, u.email, g.whole_org, g.reason, g.created_at, g.expires_at, g.revoked_at \
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
        let id: i64 = r.get(0);
        let users = sqlx::query(
            "SELECT u.email, gu.used_at FROM reset_grant_users gu JOIN users u ON u.id = gu.user_id \
             WHERE gu.grant_id = $1 ORDER BY u.email",
        )
        .bind(id)
        .fetch_all(&mut *c)
        .await?
        .into_iter()
        .map(|u| (u.get::<String, _>(0), u.get::<Option<i64>, _>(1).is_some()))
        .collect();
        grants.push(Grant {
            id,
            org_id: r.get(1),
            org_name: r.get(2),
            granted_by: r.get(3),
            whole_org: r.get::<i64, _>(4) != 0,
            reason: r.get(5),
            created_at: r.get(6),
            expires_at: r.get(7),
            revoked_at: r.get(8),
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
        "SELECT g.id, g.whole_org, g.expires_at, go.name FROM reset_grants g \
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
        grant_id: r.get(0),
        whole_org: r.get::<i64, _>(1) != 0,
        expires_at: r.get(2),
        granted_by_org: r.get(3),
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

// --------------------------------------------------------------- invitations

pub async fn insert_invitation(
    c: &mut Conn,
    user_id: i64,
    token_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO invitations (user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The invited user's email while the invitation can still be used.
pub async fn invitation_email(c: &mut Conn, token_hash: &[u8], now: i64) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT u.email FROM invitations i JOIN users u ON u.id = i.user_id \
         WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
}

/// Uses an invitation once; returns its user.
pub async fn use_invitation(c: &mut Conn, token_hash: &[u8], now: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await
}

pub async fn set_password_hash(c: &mut Conn, user_id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

// ----------------------------------------------------------------- audit log

#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub org_name: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub action: String,
    pub ip: String,
    pub user_agent: String,
    pub details: String,
}

/// Entries of a subtree's chains, newest first, and how many match in all.
pub async fn audit_entries(
    c: &mut Conn,
    scope: i64,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64)> {
    let mut w = Clauses::new(Arg::Int(scope));
    let user = filter.user.trim();
    if !user.is_empty() {
        let pattern = contains_pattern(user);
        w.add(
            "(actor.email LIKE ? ESCAPE '\\' OR subject.email LIKE ? ESCAPE '\\')",
            [Arg::Text(pattern.clone()), Arg::Text(pattern)],
        );
    }
    if !filter.action.is_empty() {
        w.add("a.action = ?", [Arg::Text(filter.action.clone())]);
    }
    if let Some(from) = filter.from {
        w.add("a.at >= ?", [Arg::Int(from)]);
    }
    if let Some(to) = filter.to {
        w.add("a.at < ?", [Arg::Int(to)]);
    }
    let from = "FROM audit_log a JOIN sub ON sub.id = a.org_id JOIN organizations o ON o.id = a.org_id \
                LEFT JOIN users actor ON actor.id = a.actor_id LEFT JOIN users subject ON subject.id = a.subject_id";
    let count_sql = format!("{SUBTREE} SELECT COUNT(*) {from}{}", w.where_sql());
    let total: i64 = w
        .bind(sqlx::query(&count_sql))
        .fetch_one(&mut *c)
        .await?
        .get(0);
    let (lim, off) = (w.next_param(), w.next_param() + 1);
    let sql = format!(
        "{SUBTREE} SELECT a.id, a.at, o.name, actor.email, subject.email, a.action, a.ip, a.user_agent, a.details \
         {from}{} ORDER BY a.at DESC, a.id DESC LIMIT ${lim} OFFSET ${off}",
        w.where_sql()
    );
    let rows = w
        .bind(sqlx::query(&sql))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *c)
        .await?;
    let entries = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.get(0),
            at: r.get(1),
            org_name: r.get(2),
            actor: r.get(3),
            subject: r.get(4),
            action: r.get(5),
            ip: r.get(6),
            user_agent: r.get(7),
            details: r.get(8),
        })
        .collect();
    Ok((entries, total))
}

/// The actions that occur in a subtree's log, for the filter.
pub async fn audit_actions(c: &mut Conn, scope: i64) -> Result<Vec<String>> {
    let sql = format!(
        "{SUBTREE} SELECT DISTINCT a.action FROM audit_log a JOIN sub ON sub.id = a.org_id ORDER BY a.action"
    );
    let rows = sqlx::query(&sql).bind(scope).fetch_all(&mut *c).await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_matches_literally() {
        assert_eq!(contains_pattern("Ada"), "%ada%");
        assert_eq!(contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }

    #[test]
    fn clauses_number_their_parameters_in_order() {
        let mut w = Clauses::new(Arg::Int(7));
        w.add("a = ?", [Arg::Int(1)]);
        w.add(
            "(b = ? OR c = ?)",
            [Arg::Text("x".into()), Arg::Text("y".into())],
        );
        assert_eq!(w.where_sql(), " WHERE a = $2 AND (b = $3 OR c = $4)");
        assert_eq!(w.next_param(), 5);
    }
}
