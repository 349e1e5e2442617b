//! Every SQL statement of Gatehouse, in one dialect that SQLite and PostgreSQL
//! both accept. Functions take a connection so callers choose between a plain
//! pooled connection and a transaction (`&mut tx` derefs to the connection).
//!
//! One-time things are consumed by a single conditional `UPDATE … RETURNING`,
//! so two racing requests can never both succeed. Write transactions come
//! from `Db::begin`, which on SQLite takes the write lock up front.

use sqlx::{AnyConnection, Row};

mod admin;
pub use admin::*;

pub type Conn = AnyConnection;
pub type Result<T> = std::result::Result<T, sqlx::Error>;

// ---------------------------------------------------------------- organizations

#[derive(Debug, Clone)]
pub struct Org {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub name: String,
    pub parent_id: Option<i64>,
}

/// The roles every new organization starts with: (name, seniority, permissions).
/// Owners and admins hold the keys to everyone else, so MFA is required for them.
pub const BUILTIN_ROLES: [(&str, i64, &str); 3] = [
    ("owner", 100, ALL_PERMISSIONS),
    ("admin", 80, ALL_PERMISSIONS),
    ("member", 10, ""),
];
const ALL_PERMISSIONS: &str = "users.read users.manage users.mfa_reset roles.manage customers.manage grants.manage audit.read";

/// The columns [`org_from_row`] reads first, for a query on `organizations o`.
const ORG_COLUMNS: &str = "o.id, o.kind, o.slug, o.name, o.parent_id";

fn org_from_row(r: &sqlx::any::AnyRow) -> Org {
    Org {
        id: r.get(0),
        kind: r.get(1),
        slug: r.get(2),
        name: r.get(3),
        parent_id: r.get(4),
    }
}

pub async fn org_by_slug(c: &mut Conn, slug: &str) -> Result<Option<Org>> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.slug = $1");
    let row = sqlx::query(&sql).bind(slug).fetch_optional(&mut *c).await?;
    Ok(row.as_ref().map(org_from_row))
}

/// Creates an organization with its built-in roles and an empty audit chain.
pub async fn insert_org(
    c: &mut Conn,
    kind: &str,
    slug: &str,
    name: &str,
    parent_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO organizations (kind, slug, name, parent_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(kind)
    .bind(slug)
    .bind(name)
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

// ------------------------------------------------------------------------ users

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
    pub org_name: String,
    /// The phone for SMS codes, once verified.
    pub phone: Option<String>,
}

const USER_COLUMNS: &str =
    "u.id, u.org_id, u.email, u.name, u.password_hash, u.disabled_at, u.mfa_locked_until, \
     u.mfa_admin_lock, r.name, r.mfa_required, o.name, \
     CASE WHEN u.phone_verified_at IS NULL THEN NULL ELSE u.phone END \
     FROM users u JOIN roles r ON r.id = u.role_id JOIN organizations o ON o.id = u.org_id";

fn user_from_row(r: sqlx::any::AnyRow) -> User {
    User {
        id: r.get(0),
        org_id: r.get(1),
        email: r.get(2),
        name: r.get(3),
        password_hash: r.get(4),
        disabled: r.get::<Option<i64>, _>(5).is_some(),
        mfa_locked_until: r.get(6),
        mfa_admin_lock: r.get::<i64, _>(7) != 0,
        role: r.get(8),
        role_mfa_required: r.get::<i64, _>(9) != 0,
        org_name: r.get(10),
        phone: r.get(11),
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

// ---------------------------------------------------------------------- factors

#[derive(Debug, Clone)]
pub struct Factor {
    pub id: i64,
    pub kind: String,
    pub label: String,
    pub secret_sealed: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

fn factor_from_row(r: sqlx::any::AnyRow) -> Factor {
    Factor {
        id: r.get(0),
        kind: r.get(1),
        label: r.get(2),
        secret_sealed: r.get(3),
        created_at: r.get(4),
        last_used_at: r.get(5),
    }
}

pub async fn confirmed_factors(c: &mut Conn, user_id: i64) -> Result<Vec<Factor>> {
    Ok(sqlx::query(
        "SELECT id, kind, label, secret_sealed, created_at, last_used_at FROM mfa_factors \
         WHERE user_id = $1 AND confirmed_at IS NOT NULL ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await?
    .into_iter()
    .map(factor_from_row)
    .collect())
}

/// Who an authenticator being set up belongs to: one sign-in attempt, or the
/// signed-in account (My Profile, a bearer token). Two attempts of one user
/// never see each other's secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrollment {
    Attempt(i64),
    Account,
}

impl Enrollment {
    /// The `attempt_id` column's value (0 stands for the account).
    fn attempt_id(self) -> i64 {
        match self {
            Self::Attempt(id) => id,
            Self::Account => 0,
        }
    }
}

pub async fn pending_factor(
    c: &mut Conn,
    user_id: i64,
    enrollment: Enrollment,
) -> Result<Option<Factor>> {
    Ok(sqlx::query(
        "SELECT id, kind, label, secret_sealed, created_at, last_used_at FROM mfa_factors \
         WHERE user_id = $1 AND confirmed_at IS NULL AND COALESCE(attempt_id, 0) = $2 \
         ORDER BY id DESC LIMIT 1",
    )
    .bind(user_id)
    .bind(enrollment.attempt_id())
    .fetch_optional(&mut *c)
    .await?
    .map(factor_from_row))
}

/// Starts an enrollment, replacing an earlier one of the same attempt (or account).
pub async fn insert_pending_factor(
    c: &mut Conn,
    user_id: i64,
    enrollment: Enrollment,
    label: &str,
    secret_sealed: &[u8],
    now: i64,
) -> Result<i64> {
    sqlx::query(
        "DELETE FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NULL AND COALESCE(attempt_id, 0) = $2",
    )
    .bind(user_id)
    .bind(enrollment.attempt_id())
    .execute(&mut *c)
    .await?;
    let attempt_id = match enrollment {
        Enrollment::Attempt(id) => Some(id),
        Enrollment::Account => None,
    };
    sqlx::query_scalar(
        "INSERT INTO mfa_factors (user_id, kind, label, secret_sealed, created_at, attempt_id) VALUES ($1, 'totp', $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(label)
    .bind(secret_sealed)
    .bind(now)
    .bind(attempt_id)
    .fetch_one(&mut *c)
    .await
}

/// Activates a pending factor and records the step that proved it, so the
/// confirming code cannot be replayed at sign-in. Its label, or None if it was
/// not pending.
pub async fn confirm_factor(
    c: &mut Conn,
    factor_id: i64,
    step: i64,
    now: i64,
) -> Result<Option<String>> {
    sqlx::query_scalar(
        "UPDATE mfa_factors SET confirmed_at = $1, last_step = $2, last_used_at = $1 \
         WHERE id = $3 AND confirmed_at IS NULL RETURNING label",
    )
    .bind(now)
    .bind(step)
    .bind(factor_id)
    .fetch_optional(&mut *c)
    .await
}

/// Accepts a TOTP time step once per factor: a step at or before the last one
/// used is refused, atomically.
pub async fn use_totp_step(c: &mut Conn, factor_id: i64, step: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mfa_factors SET last_step = $1, last_used_at = $2 WHERE id = $3 AND last_step < $1",
    )
    .bind(step)
    .bind(now)
    .bind(factor_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_factor(c: &mut Conn, user_id: i64, factor_id: i64) -> Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM mfa_factors WHERE id = $1 AND user_id = $2 RETURNING label")
        .bind(factor_id)
        .bind(user_id)
        .fetch_optional(&mut *c)
        .await
}

pub async fn delete_confirmed_factors(c: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Removes every factor and recovery code of a user and voids their pending sign-ins.
pub async fn delete_all_mfa(c: &mut Conn, user_id: i64) -> Result<()> {
    for sql in [
        "DELETE FROM mfa_factors WHERE user_id = $1",
        "DELETE FROM recovery_codes WHERE user_id = $1",
        "DELETE FROM login_attempts WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user_id).execute(&mut *c).await?;
    }
    Ok(())
}

// --------------------------------------------------------------- recovery codes

pub async fn replace_recovery_codes(
    c: &mut Conn,
    user_id: i64,
    hashes: &[Vec<u8>],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(hash.as_slice())
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// Marks the code used if it is this user's and unused; true exactly once.
pub async fn consume_recovery_code(
    c: &mut Conn,
    user_id: i64,
    hash: &[u8],
    now: i64,
) -> Result<bool> {
    let id: Option<i64> = sqlx::query_scalar(
        "UPDATE recovery_codes SET used_at = $1 WHERE id = \
         (SELECT id FROM recovery_codes WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL LIMIT 1) \
         AND used_at IS NULL RETURNING id",
    )
    .bind(now)
    .bind(user_id)
    .bind(hash)
    .fetch_optional(&mut *c)
    .await?;
    Ok(id.is_some())
}

pub async fn recovery_codes_left(c: &mut Conn, user_id: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(&mut *c)
        .await
}

// ------------------------------------------------------------- login attempts

#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: i64,
    pub user_id: i64,
    pub purpose: String,
    pub reason: String,
    pub expires_at: i64,
    pub failures: i64,
    pub consumed: bool,
}

pub struct NewAttempt<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub purpose: &'a str,
    pub reason: &'a str,
    pub expires_at: i64,
}

pub async fn insert_attempt(c: &mut Conn, a: &NewAttempt<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_attempts (token_hash, user_id, purpose, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.token_hash)
    .bind(a.user_id)
    .bind(a.purpose)
    .bind(a.reason)
    .bind(now)
    .bind(a.expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn attempt_by_token(c: &mut Conn, token_hash: &[u8]) -> Result<Option<Attempt>> {
    let row = sqlx::query(
        "SELECT id, user_id, purpose, reason, expires_at, failures, consumed_at FROM login_attempts WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| Attempt {
        id: r.get(0),
        user_id: r.get(1),
        purpose: r.get(2),
        reason: r.get(3),
        expires_at: r.get(4),
        failures: r.get(5),
        consumed: r.get::<Option<i64>, _>(6).is_some(),
    }))
}

/// Reserves one code check of a live attempt, counted as a wrong code before
/// the code is verified; false once `max_failures` checks were reserved, or
/// the attempt ended. Concurrent checks therefore never exceed the limit.
pub async fn attempt_reserve_check(
    c: &mut Conn,
    attempt_id: i64,
    now: i64,
    max_failures: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE login_attempts SET failures = failures + 1 \
         WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 AND failures < $3",
    )
    .bind(attempt_id)
    .bind(now)
    .bind(max_failures)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Holds the attempt's row until the transaction ends (PostgreSQL; SQLite's
/// write transactions hold everything), so a check on it and the write that
/// follows cannot interleave with another request's.
pub async fn lock_attempt(c: &mut Conn, attempt_id: i64) -> Result<()> {
    sqlx::query("UPDATE login_attempts SET failures = failures WHERE id = $1")
        .bind(attempt_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Uses the attempt up; true for exactly one caller, and only while it is
/// live (a check reserved with [`attempt_reserve_check`] counts as allowed).
pub async fn consume_attempt(
    c: &mut Conn,
    attempt_id: i64,
    now: i64,
    max_failures: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE login_attempts SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL AND expires_at > $1 AND failures <= $3",
    )
    .bind(now)
    .bind(attempt_id)
    .bind(max_failures)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every sign-in attempt of the user still in progress (their mfa_tokens
/// and enrollment tokens stop working) and drops the authenticators those
/// attempts were setting up.
/// An attempt already consumed in this transaction (the one completing) keeps
/// its authenticator.
pub async fn end_sign_in_attempts(c: &mut Conn, user_id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "DELETE FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NULL AND attempt_id IN \
         (SELECT id FROM login_attempts WHERE user_id = $1 AND consumed_at IS NULL)",
    )
    .bind(user_id)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE login_attempts SET consumed_at = $2 WHERE user_id = $1 AND consumed_at IS NULL",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

// -------------------------------------------------------- second-factor lockout

/// The failures counted against a user's second factor, this one included.
#[derive(Debug, Clone, Copy)]
pub struct LockState {
    pub recent_failures: i64,
    pub consecutive: i64,
}

/// Reserves one second-factor check for the user, counted as a failure before
/// the code is verified (a success clears the count): one conditional update
/// of the user's row, which also holds that row until the transaction ends.
/// None while the second factor is locked.
pub async fn mfa_reserve_check(
    c: &mut Conn,
    user_id: i64,
    now: i64,
    window: i64,
) -> Result<Option<LockState>> {
    let consecutive: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET mfa_consecutive_failures = mfa_consecutive_failures + 1 \
         WHERE id = $1 AND mfa_admin_lock = 0 AND mfa_locked_until <= $2 \
         RETURNING mfa_consecutive_failures",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    let Some(consecutive) = consecutive else {
        return Ok(None);
    };
    sqlx::query("INSERT INTO mfa_failures (user_id, at) VALUES ($1, $2)")
        .bind(user_id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM mfa_failures WHERE user_id = $1 AND at <= $2")
        .bind(user_id)
        .bind(now - window)
        .execute(&mut *c)
        .await?;
    let recent_failures: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mfa_failures WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut *c)
            .await?;
    Ok(Some(LockState {
        recent_failures,
        consecutive,
    }))
}

pub async fn lock_mfa(c: &mut Conn, user_id: i64, until: i64, admin_lock: bool) -> Result<()> {
    sqlx::query("UPDATE users SET mfa_locked_until = $1, mfa_admin_lock = $2 WHERE id = $3")
        .bind(until)
        .bind(i64::from(admin_lock))
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// After a right code: the failures reserved so far, and any lock they set, go.
pub async fn clear_mfa_failures(c: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET mfa_consecutive_failures = 0, mfa_locked_until = 0, mfa_admin_lock = 0 WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM mfa_failures WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

// ------------------------------------------------------------ password throttle

#[derive(Debug, Clone, Copy, Default)]
pub struct Throttle {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: i64,
}

pub async fn throttle(c: &mut Conn, key: &str) -> Result<Throttle> {
    let row = sqlx::query(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row
        .map(|r| Throttle {
            failures: r.get(0),
            window_start: r.get(1),
            locked_until: r.get(2),
        })
        .unwrap_or_default())
}

/// Reserves one password check for the key, counted as a failure before the
/// password is verified (a success clears it): one statement that also holds
/// the row until the transaction ends. The new count, or None while a delay runs.
pub async fn throttle_reserve(c: &mut Conn, key: &str, now: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures) VALUES ($1, 1) \
         ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1 \
         WHERE login_throttle.locked_until <= $2 RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
}

pub async fn throttle_lock(c: &mut Conn, key: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE login_throttle SET locked_until = $1 WHERE key = $2")
        .bind(until)
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn throttle_clear(c: &mut Conn, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Adds one hit to a fixed window; returns the count in the current window.
pub async fn count_in_window(c: &mut Conn, key: &str, now: i64, window: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.window_start > $3 THEN login_throttle.failures + 1 ELSE 1 END, \
           window_start = CASE WHEN login_throttle.window_start > $3 THEN login_throttle.window_start ELSE $2 END \
         RETURNING failures, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(now - window)
    .fetch_one(&mut *c)
    .await?;
    Ok((row.get(0), row.get(1)))
}

// --------------------------------------------------------- sessions and tokens

/// Ends the user's sessions (but `keep_session`), API tokens and sign-in attempts in progress.
pub async fn revoke_sessions_and_tokens(
    c: &mut Conn,
    user_id: i64,
    keep_session: Option<&str>,
    now: i64,
) -> Result<()> {
    end_sign_in_attempts(c, user_id, now).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(keep_session.unwrap_or(""))
        .execute(&mut *c)
        .await?;
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn insert_api_token(
    c: &mut Conn,
    token_hash: &[u8],
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO api_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// The user and issue time of a live token.
pub async fn api_token_user(
    c: &mut Conn,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<(i64, i64)>> {
    let row = sqlx::query(
        "SELECT t.user_id, t.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Ends one token; the user it belonged to, if it was live.
pub async fn revoke_api_token(c: &mut Conn, token_hash: &[u8], now: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await
}

/// The data and expiry of a live session.
pub async fn session_load(c: &mut Conn, id_hash: &str, now: i64) -> Result<Option<(String, i64)>> {
    let row =
        sqlx::query("SELECT data, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash)
            .bind(now)
            .fetch_optional(&mut *c)
            .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

pub async fn session_insert(
    c: &mut Conn,
    id_hash: &str,
    user_id: Option<i64>,
    data: &str,
    expires_at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, data, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id_hash) DO NOTHING",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(data)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Updates a session that still exists. A session deleted meanwhile (sign-out
/// elsewhere, MFA reset) stays deleted: saving never resurrects it.
pub async fn session_update(
    c: &mut Conn,
    id_hash: &str,
    user_id: Option<i64>,
    data: &str,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("UPDATE sessions SET user_id = $2, data = $3, expires_at = $4 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(user_id)
        .bind(data)
        .bind(expires_at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn session_delete(c: &mut Conn, id_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn delete_expired(c: &mut Conn, now: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM login_attempts WHERE expires_at <= $1")
        .bind(now - 86_400)
        .execute(&mut *c)
        .await?;
    Ok(())
}

// ------------------------------------------------------------------ audit log

#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub org_id: i64,
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub action: String,
    pub ip: String,
    pub user_agent: String,
    pub details: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Claims the next sequence number of an organization's chain. The update
/// comes first so the transaction holds the tenant's head row (PostgreSQL) or
/// the write lock (SQLite) before it reads the previous hash.
pub async fn audit_claim_seq(c: &mut Conn, org_id: i64) -> Result<(i64, Vec<u8>)> {
    let row = sqlx::query(
        "UPDATE audit_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, head_hash",
    )
    .bind(org_id)
    .fetch_one(&mut *c)
    .await?;
    Ok((row.get(0), row.get(1)))
}

pub async fn audit_insert(c: &mut Conn, e: &AuditRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (org_id, seq, at, actor_id, subject_id, action, ip, user_agent, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(e.org_id)
    .bind(e.seq)
    .bind(e.at)
    .bind(e.actor_id)
    .bind(e.subject_id)
    .bind(&e.action)
    .bind(&e.ip)
    .bind(&e.user_agent)
    .bind(&e.details)
    .bind(e.prev_hash.as_slice())
    .bind(e.hash.as_slice())
    .execute(&mut *c)
    .await?;
    sqlx::query("UPDATE audit_heads SET head_hash = $1 WHERE org_id = $2")
        .bind(e.hash.as_slice())
        .bind(e.org_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn audit_heads(c: &mut Conn) -> Result<Vec<(i64, i64, Vec<u8>)>> {
    Ok(
        sqlx::query("SELECT org_id, seq, head_hash FROM audit_heads ORDER BY org_id")
            .fetch_all(&mut *c)
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect(),
    )
}

pub async fn audit_chain(c: &mut Conn, org_id: i64) -> Result<Vec<AuditRow>> {
    Ok(sqlx::query(
        "SELECT id, org_id, seq, at, actor_id, subject_id, action, ip, user_agent, details, prev_hash, hash \
         FROM audit_log WHERE org_id = $1 ORDER BY seq",
    )
    .bind(org_id)
    .fetch_all(&mut *c)
    .await?
    .into_iter()
    .map(|r| AuditRow {
        id: r.get(0),
        org_id: r.get(1),
        seq: r.get(2),
        at: r.get(3),
        actor_id: r.get(4),
        subject_id: r.get(5),
        action: r.get(6),
        ip: r.get(7),
        user_agent: r.get(8),
        details: r.get(9),
        prev_hash: r.get(10),
        hash: r.get(11),
    })
    .collect())
}

// --------------------------------------------------------------------- outbox

#[derive(Debug, Clone)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_at: i64,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<String>,
}

const OUTBOX_COLUMNS: &str =
    "id, channel, recipient, subject, body_text, body_html, created_at, attempts, sent_at, failed_at, last_error";

fn outbox_from_row(r: sqlx::any::AnyRow) -> OutboxMessage {
    OutboxMessage {
        id: r.get(0),
        channel: r.get(1),
        recipient: r.get(2),
        subject: r.get(3),
        body_text: r.get(4),
        body_html: r.get(5),
        created_at: r.get(6),
        attempts: r.get(7),
        sent_at: r.get(8),
        failed_at: r.get(9),
        last_error: r.get(10),
    }
}

pub struct NewMessage<'a> {
    pub channel: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
}

pub async fn outbox_insert(c: &mut Conn, m: &NewMessage<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (channel, recipient, subject, body_text, body_html, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6)",
    )
    .bind(m.channel)
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.body_text)
    .bind(m.body_html)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Leases the oldest due message to one worker. The outer condition is checked
/// again on the locked row, so of two racing workers only one gets it.
pub async fn outbox_claim(c: &mut Conn, now: i64, lease: i64) -> Result<Option<OutboxMessage>> {
    let sql = format!(
        "UPDATE outbox SET claimed_until = $2, attempts = attempts + 1 WHERE id = \
         (SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
          AND claimed_until <= $1 ORDER BY id LIMIT 1) \
         AND sent_at IS NULL AND claimed_until <= $1 RETURNING {OUTBOX_COLUMNS}"
    );
    Ok(sqlx::query(&sql)
        .bind(now)
        .bind(now + lease)
        .fetch_optional(&mut *c)
        .await?
        .map(outbox_from_row))
}

/// What a message's body becomes once it is sent or given up: its links and
/// codes must not outlive their delivery in a copy of the database.
pub const ERASED_BODY: &str = "(erased after delivery)";

pub async fn outbox_sent(c: &mut Conn, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, claimed_until = 0, last_error = NULL, \
         body_text = $3, body_html = $3 WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .bind(ERASED_BODY)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn outbox_retry_later(
    c: &mut Conn,
    id: i64,
    next_attempt_at: i64,
    error: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1, claimed_until = 0, last_error = $2 WHERE id = $3",
    )
    .bind(next_attempt_at)
    .bind(error)
    .bind(id)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub async fn outbox_failed(c: &mut Conn, id: i64, now: i64, error: &str) -> Result<()> {
    sqlx::query(
        "UPDATE outbox SET failed_at = $1, claimed_until = 0, last_error = $2, \
         body_text = $4, body_html = $4 WHERE id = $3",
    )
    .bind(now)
    .bind(error)
    .bind(id)
    .bind(ERASED_BODY)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Deletes the messages sent or given up before `before`; queued ones stay.
pub async fn outbox_purge(c: &mut Conn, before: i64) -> Result<u64> {
    Ok(
        sqlx::query("DELETE FROM outbox WHERE sent_at < $1 OR failed_at < $1")
            .bind(before)
            .execute(&mut *c)
            .await?
            .rows_affected(),
    )
}

pub async fn outbox_recent(c: &mut Conn, limit: i64) -> Result<Vec<OutboxMessage>> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
    Ok(sqlx::query(&sql)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?
        .into_iter()
        .map(outbox_from_row)
        .collect())
}

// ------------------------------------------------- out-of-band codes and links

/// When the newest code or link of this kind was sent for the attempt.
pub async fn oob_last_sent(c: &mut Conn, attempt_id: i64, kind: &str) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MAX(created_at) FROM oob_challenges WHERE attempt_id = $1 AND kind = $2",
    )
    .bind(attempt_id)
    .bind(kind)
    .fetch_one(&mut *c)
    .await
}

/// Stores a new code or link; an unused earlier one of the same kind stops working.
pub async fn oob_replace(
    c: &mut Conn,
    attempt_id: i64,
    kind: &str,
    secret_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query("UPDATE oob_challenges SET expires_at = $1 WHERE attempt_id = $2 AND kind = $3 AND used_at IS NULL")
        .bind(now)
        .bind(attempt_id)
        .bind(kind)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO oob_challenges (attempt_id, kind, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(attempt_id)
    .bind(kind)
    .bind(secret_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Uses a live code of this attempt; true exactly once.
pub async fn oob_consume(
    c: &mut Conn,
    attempt_id: i64,
    kind: &str,
    secret_hash: &[u8],
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE oob_challenges SET used_at = $1 WHERE attempt_id = $2 AND kind = $3 AND secret_hash = $4 \
         AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(attempt_id)
    .bind(kind)
    .bind(secret_hash)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The attempt a live, unused sign-in link belongs to.
pub async fn oob_link_attempt(c: &mut Conn, secret_hash: &[u8], now: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT attempt_id FROM oob_challenges WHERE secret_hash = $1 AND kind = 'email_link' AND used_at IS NULL AND expires_at > $2",
    )
    .bind(secret_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
}

// ---------------------------------------------------------------- phone numbers

/// Starts (or restarts) verifying a phone number; the previous pending code stops working.
pub async fn phone_verification_start(
    c: &mut Conn,
    user_id: i64,
    phone: &str,
    code_hash: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO phone_verifications (user_id, phone, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET phone = $2, code_hash = $3, created_at = $4, expires_at = $5, failures = 0",
    )
    .bind(user_id)
    .bind(phone)
    .bind(code_hash)
    .bind(now)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Completes a verification with the right code: the number it was for, once.
pub async fn phone_verification_use(
    c: &mut Conn,
    user_id: i64,
    code_hash: &[u8],
    now: i64,
    max_failures: i64,
) -> Result<Option<String>> {
    sqlx::query_scalar(
        "DELETE FROM phone_verifications WHERE user_id = $1 AND code_hash = $2 AND expires_at > $3 AND failures < $4 RETURNING phone",
    )
    .bind(user_id)
    .bind(code_hash)
    .bind(now)
    .bind(max_failures)
    .fetch_optional(&mut *c)
    .await
}

pub async fn phone_verification_failed(c: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query("UPDATE phone_verifications SET failures = failures + 1 WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn pending_phone(c: &mut Conn, user_id: i64, now: i64) -> Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT phone FROM phone_verifications WHERE user_id = $1 AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
}

pub async fn set_verified_phone(
    c: &mut Conn,
    user_id: i64,
    phone: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE users SET phone = $1, phone_verified_at = $2 WHERE id = $3")
        .bind(phone)
        .bind(phone.map(|_| now))
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
