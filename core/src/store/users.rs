//! Users, and the administration list of them.

use sqlx::Row;

use crate::rules::filters::UserFilter;
use crate::rules::scope::{Actor, Permissions};

use super::clauses::{Arg, Clauses};
use super::listing::{capped_count_sql, Listed, PageAt, Scope, SearchIn, TextSearch};
use super::organizations::org_kind;
use super::{Conn, Result};

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub mfa_locked_until: i64,
    pub mfa_admin_lock: bool,
    pub role: String,
    pub role_mfa_required: bool,
    /// The role requires a passkey (where passkeys work).
    pub role_passkey_required: bool,
    pub org_name: String,
    /// The phone for SMS codes, once verified.
    pub phone: Option<String>,
}

impl User {
    /// How messages name them: their name, or their address when they have none.
    pub fn name_or_email(&self) -> String {
        name_or_email(&self.name, &self.email)
    }
}

/// A person's name, or their address when they have none.
pub(crate) fn name_or_email(name: &str, email: &str) -> String {
    if name.trim().is_empty() { email } else { name }.to_string()
}

pub(crate) const USER_COLUMNS: &str =
    "u.id, u.org_id, u.email, u.name, u.password_hash, u.disabled_at, u.mfa_locked_until, \
     u.mfa_admin_lock, r.name AS role_name, r.mfa_required, r.passkey_required, o.name AS org_name, \
     CASE WHEN u.phone_verified_at IS NULL THEN NULL ELSE u.phone END AS verified_phone \
     FROM users u JOIN roles r ON r.id = u.role_id JOIN organizations o ON o.id = u.org_id";

pub(crate) fn user_from_row(r: sqlx::any::AnyRow) -> User {
    User {
        id: r.get("id"),
        org_id: r.get("org_id"),
        email: r.get("email"),
        name: r.get("name"),
        password_hash: r.get("password_hash"),
        disabled: r.get::<Option<i64>, _>("disabled_at").is_some(),
        mfa_locked_until: r.get("mfa_locked_until"),
        mfa_admin_lock: r.get::<i64, _>("mfa_admin_lock") != 0,
        role: r.get("role_name"),
        role_mfa_required: r.get::<i64, _>("mfa_required") != 0,
        role_passkey_required: r.get::<i64, _>("passkey_required") != 0,
        org_name: r.get("org_name"),
        phone: r.get("verified_phone"),
    }
}

pub async fn user_by_email(c: &mut Conn, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} WHERE u.email = $1");
    Ok(sqlx::query(&sql)
        .bind(email)
        .fetch_optional(&mut *c)
        .await?
        .map(user_from_row))
}

pub async fn user_by_id(c: &mut Conn, id: i64) -> Result<Option<User>> {
    let sql = format!("SELECT {USER_COLUMNS} WHERE u.id = $1");
    Ok(sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *c)
        .await?
        .map(user_from_row))
}

pub async fn insert_user(
    c: &mut Conn,
    org_id: i64,
    role_id: i64,
    email: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO users (org_id, role_id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(org_id)
    .bind(role_id)
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut *c)
    .await
}

/// The id the next new user will probably get (an answer that reveals nothing).
/// An account `u` that waits for its invitation: no password chosen, never
/// signed in, and invited. (A "This wasn't me" report empties a password
/// too; that account signed in before, and is no invitation.)
pub(crate) const INVITED: &str = "(u.password_hash = '' AND u.last_login_at IS NULL \
     AND u.flagged_at IS NULL AND EXISTS (SELECT 1 FROM invitations i WHERE i.user_id = u.id))";

/// Holds the user's row until the transaction ends (PostgreSQL; SQLite's
/// write transaction already holds the database), so two changes to one
/// account are made one after the other.
pub async fn lock_user(c: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET id = id WHERE id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn next_user_id(c: &mut Conn) -> Result<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM users")
        .fetch_one(&mut *c)
        .await
}

pub async fn record_login(c: &mut Conn, user_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET last_login_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// What decides an active user's administrative reach.
pub async fn actor_facts(c: &mut Conn, user_id: i64) -> Result<Option<Actor>> {
    let row = sqlx::query(
        "SELECT u.org_id, o.kind, o.name AS org_name, r.seniority, r.permissions FROM users u \
         JOIN roles r ON r.id = u.role_id JOIN organizations o ON o.id = u.org_id \
         WHERE u.id = $1 AND u.disabled_at IS NULL",
    )
    .bind(user_id)
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok(Actor {
            user_id,
            org_id: r.get("org_id"),
            org_kind: org_kind(r.get("kind"))?,
            org_name: r.get("org_name"),
            seniority: r.get("seniority"),
            permissions: Permissions::parse(&r.get::<String, _>("permissions")),
        })
    })
    .transpose()
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
    /// The role requires MFA (so no factor means it is set up at the next sign-in).
    pub mfa_required: bool,
    pub disabled: bool,
    pub factors: i64,
    pub recovery_codes_left: i64,
    pub last_login_at: Option<i64>,
    pub locked: bool,
    pub has_phone: bool,
    /// Invited and not yet set a password.
    pub invited: bool,
    /// Reported "This wasn't me" after a reset: deactivated until reviewed.
    pub flagged: bool,
}

pub(crate) const CONFIRMED_FACTOR: &str =
    "EXISTS (SELECT 1 FROM mfa_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL)";

/// The conditions of a user list besides its scope (`$1`) and its page, and
/// the table expression that holds its users (`u`).
async fn user_clauses(
    c: &mut Conn,
    scope: i64,
    filter: &UserFilter,
    now: i64,
) -> Result<(Clauses, String)> {
    let mut w = Clauses::new(Arg::Int(scope));
    // A few rows that the list reads first, when a filter picks out few.
    let mut few_first = None;
    let query = filter.query.trim();
    if !query.is_empty() {
        let search = TextSearch::of(c, query, SearchIn::EmailAndName).await?;
        match search.matches_first("u", &mut w) {
            Some(matches) => few_first = Some(matches),
            None => {
                let (clause, args) = search.user("u");
                w.add(&clause, args);
            }
        }
    }
    match filter.mfa_on {
        Some(true) => w.add(CONFIRMED_FACTOR, []),
        Some(false) => w.add(&format!("NOT {CONFIRMED_FACTOR}"), []),
        None => {}
    }
    match filter.locked {
        Some(true) => {
            // Few accounts are locked: unless a search already chose the
            // rows, the list starts from them (the `users_locked` index's
            // own condition, which every locked account meets).
            if few_first.is_none() {
                few_first = Some(
                    "(SELECT id FROM users WHERE mfa_admin_lock = 1 OR mfa_locked_until > 0) held \
                     CROSS JOIN users u"
                        .to_string(),
                );
                w.add("u.id = held.id", []);
            }
            w.add(
                "(u.mfa_admin_lock = 1 OR u.mfa_locked_until > ?)",
                [Arg::Int(now)],
            );
        }
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
    if filter.able_to_sign_in {
        w.add("(u.disabled_at IS NULL AND u.password_hash <> '')", []);
    }
    Ok((w, few_first.unwrap_or_else(|| "users u".to_string())))
}

/// Accounts reported "This wasn't me" wait at the top of every list, then by
/// email: the `users_listing` indexes' expression and column, in this order.
const FLAGGED_LAST_RANK: &str = "CASE WHEN u.flagged_at IS NULL THEN 1 ELSE 0 END";
const ORDER: &str = "CASE WHEN u.flagged_at IS NULL THEN 1 ELSE 0 END, u.email";
const ORDER_REVERSED: &str = "CASE WHEN u.flagged_at IS NULL THEN 1 ELSE 0 END DESC, u.email DESC";

/// Where a page after (or before) a listed user starts: the condition on
/// the rows, and the order that reads them from there.
struct Keyset {
    clause: String,
    email: String,
    order: &'static str,
}

/// The rows after (or before) a listed user, in the list's order. A user who
/// is not in the scope is no place to start from (None): their email must
/// not be learnt from which of one's own users come after it.
async fn user_keyset(
    c: &mut Conn,
    scope: Scope,
    scope_id: i64,
    user_id: i64,
    after: bool,
) -> Result<Option<Keyset>> {
    let sql = format!(
        "{} SELECT {FLAGGED_LAST_RANK} AS flagged_last, u.email FROM users u WHERE u.id = $2 AND {}",
        scope.with(),
        scope.holds("u.org_id")
    );
    let Some(row) = sqlx::query(&sql)
        .bind(scope_id)
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await?
    else {
        return Ok(None);
    };
    let (rank, email): (i64, String) = (row.get("flagged_last"), row.get("email"));
    // Two ranks only. Going on within the cursor's rank (the usual case:
    // few are flagged) is an equality and a range, read straight from the
    // index in email order; only crossing from the flagged to the rest (or
    // back) needs the whole order.
    let (clause, order) = match (after, rank) {
        (true, 1) => (
            format!("{FLAGGED_LAST_RANK} = 1 AND u.email > ?"),
            "u.email",
        ),
        (false, 0) => (
            format!("{FLAGGED_LAST_RANK} = 0 AND u.email < ?"),
            "u.email DESC",
        ),
        (true, _) => (
            format!("(({FLAGGED_LAST_RANK} = 0 AND u.email > ?) OR {FLAGGED_LAST_RANK} = 1)"),
            ORDER,
        ),
        (false, _) => (
            format!("(({FLAGGED_LAST_RANK} = 1 AND u.email < ?) OR {FLAGGED_LAST_RANK} = 0)"),
            ORDER_REVERSED,
        ),
    };
    Ok(Some(Keyset {
        clause,
        email,
        order,
    }))
}

/// One page of the users of a subtree, flagged first then by email, with how
/// many match (counted up to [`COUNT_LIMIT`](super::listing::COUNT_LIMIT)).
/// A page after or before a user who is no longer in the list is found by
/// its number instead.
pub async fn list_users(
    c: &mut Conn,
    scope_id: i64,
    filter: &UserFilter,
    now: i64,
    limit: i64,
    at: PageAt,
) -> Result<Listed<UserSummary>> {
    let scope = Scope::of(c, scope_id).await?;
    let (mut w, users) = user_clauses(c, scope_id, filter, now).await?;
    let from = format!("FROM {users} WHERE {}", scope.holds("u.org_id"));
    let count_sql = capped_count_sql(scope.with(), &format!("SELECT 1 {from}{}", w.and_sql()));
    let counted: i64 = w
        .bind(sqlx::query(&count_sql))
        .fetch_one(&mut *c)
        .await?
        .get("total");

    let (mut offset, mut keyset) = (0, None);
    match at {
        PageAt::First => {}
        PageAt::Offset(rows) => offset = rows.max(0),
        PageAt::After { row, or_skip } | PageAt::Before { row, or_skip } => {
            let after = matches!(at, PageAt::After { .. });
            keyset = user_keyset(c, scope, scope_id, row, after).await?;
            if keyset.is_none() {
                offset = or_skip.max(0);
            }
        }
    }
    let backwards = keyset.is_some() && matches!(at, PageAt::Before { .. });
    let has_keyset = keyset.is_some();
    let order = match keyset {
        Some(Keyset {
            clause,
            email,
            order,
        }) => {
            w.add(&clause, [Arg::Text(email)]);
            order
        }
        None => ORDER,
    };
    let at_now = w.next_param();
    // The page's ids first (one more, to know whether a next page exists),
    // so the per-user counts below run for 50 rows, not for every skipped one.
    let sql = format!(
        "{with} page AS (SELECT u.id {from}{cond} ORDER BY {order} LIMIT {rows} OFFSET {offset}) \
         SELECT u.id, u.email, u.name, u.org_id, o.name AS org_name, u.role_id, r.name AS role_name, \
           r.seniority, r.mfa_required, u.disabled_at, \
           (SELECT COUNT(*) FROM mfa_factors f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL) AS factors, \
           (SELECT COUNT(*) FROM recovery_codes rc WHERE rc.user_id = u.id AND rc.used_at IS NULL) AS recovery_codes_left, \
           u.last_login_at, \
           CASE WHEN u.mfa_admin_lock = 1 OR u.mfa_locked_until > ${at_now} THEN 1 ELSE 0 END AS locked, \
           CASE WHEN u.phone_verified_at IS NULL THEN 0 ELSE 1 END AS has_phone, \
           CASE WHEN {INVITED} THEN 1 ELSE 0 END AS invited, \
           CASE WHEN u.flagged_at IS NULL THEN 0 ELSE 1 END AS flagged \
         FROM page JOIN users u ON u.id = page.id JOIN roles r ON r.id = u.role_id \
         JOIN organizations o ON o.id = u.org_id ORDER BY {order}",
        with = scope.with_more(),
        cond = w.and_sql(),
        // Numbers, not parameters: a planner that knows the page is 51 rows
        // reads them by index; one that must guess plans for thousands.
        rows = limit + 1,
    );
    let rows = w
        .bind(sqlx::query(&sql))
        .bind(now)
        .fetch_all(&mut *c)
        .await?;
    let users: Vec<UserSummary> = rows
        .into_iter()
        .map(|r| UserSummary {
            id: r.get("id"),
            email: r.get("email"),
            name: r.get("name"),
            org_id: r.get("org_id"),
            org_name: r.get("org_name"),
            role_id: r.get("role_id"),
            role: r.get("role_name"),
            seniority: r.get("seniority"),
            mfa_required: r.get::<i64, _>("mfa_required") != 0,
            disabled: r.get::<Option<i64>, _>("disabled_at").is_some(),
            factors: r.get("factors"),
            recovery_codes_left: r.get("recovery_codes_left"),
            last_login_at: r.get("last_login_at"),
            locked: r.get::<i64, _>("locked") != 0,
            has_phone: r.get::<i64, _>("has_phone") != 0,
            invited: r.get::<i64, _>("invited") != 0,
            flagged: r.get::<i64, _>("flagged") != 0,
        })
        .collect();
    Ok(Listed::page(
        users,
        limit,
        backwards,
        has_keyset || offset > 0,
        counted,
    ))
}

/// Gives the user the role, if it still exists (it may be deleted while the
/// change is made): false when it does not.
pub async fn set_user_role(c: &mut Conn, user_id: i64, role_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE users SET role_id = $1 WHERE id = $2 AND EXISTS (SELECT 1 FROM roles WHERE id = $1)",
    )
    .bind(role_id)
    .bind(user_id)
    .execute(&mut *c)
    .await;
    // Deleted between the check and the write (PostgreSQL's foreign key sees it).
    super::changed_one(done)
}

pub async fn set_user_disabled(c: &mut Conn, user_id: i64, at: Option<i64>) -> Result<()> {
    sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
        .bind(at)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Deactivates an account and flags it for review ("This wasn't me").
pub async fn flag_user(c: &mut Conn, user_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE users SET disabled_at = $1, flagged_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// An administrator reviewed a flagged account (and reactivated it).
pub async fn clear_flag(c: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET flagged_at = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The names (or addresses) of the active people of an organization, other
/// than `except`, with a second factor, whose role may reset others' MFA and
/// is at least `min_seniority`: who could help someone of that seniority who
/// lost their phone.
pub async fn administrators_with_mfa(
    c: &mut Conn,
    org_id: i64,
    min_seniority: i64,
    except: i64,
) -> Result<Vec<String>> {
    let sql = format!(
        "SELECT u.name, u.email FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.org_id = $1 AND u.id <> $2 AND r.seniority >= $3 AND u.disabled_at IS NULL \
         AND (' ' || r.permissions || ' ') LIKE '% users.mfa_reset %' AND {CONFIRMED_FACTOR} \
         ORDER BY u.email"
    );
    let rows = sqlx::query(&sql)
        .bind(org_id)
        .bind(except)
        .bind(min_seniority)
        .fetch_all(&mut *c)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| name_or_email(r.get("name"), r.get("email")))
        .collect())
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
    Ok(rows.into_iter().map(|r| r.get("email")).collect())
}

pub async fn set_password_hash(c: &mut Conn, user_id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
