//! Second factors (authenticator apps): pending while being set up, then confirmed.

use sqlx::Row;

use super::{Conn, Result};

#[derive(Debug, Clone)]
pub struct Factor {
    pub id: i64,
    pub kind: String,
    pub label: String,
    pub secret_sealed: Vec<u8>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub(crate) fn factor_from_row(r: sqlx::any::AnyRow) -> Factor {
    Factor {
        id: r.get("id"),
        kind: r.get("kind"),
        label: r.get("label"),
        secret_sealed: r.get("secret_sealed"),
        created_at: r.get("created_at"),
        last_used_at: r.get("last_used_at"),
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
/// signed-in account (My profile, a bearer token). Two attempts of one user
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
/// confirming code cannot be replayed at sign-in (0 for a passkey). Its label
/// and kind, or None if it was not pending.
pub async fn confirm_factor(
    c: &mut Conn,
    factor_id: i64,
    step: i64,
    now: i64,
) -> Result<Option<(String, String)>> {
    sqlx::query_as(
        "UPDATE mfa_factors SET confirmed_at = $1, last_step = $2, last_used_at = $1 \
         WHERE id = $3 AND confirmed_at IS NULL RETURNING label, kind",
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

/// Names one of the user's factors (pending or confirmed); false when the
/// user has no factor of that id.
pub async fn set_factor_label(
    c: &mut Conn,
    user_id: i64,
    factor_id: i64,
    label: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE mfa_factors SET label = $1 WHERE id = $2 AND user_id = $3")
        .bind(label)
        .bind(factor_id)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes one confirmed factor of the user: its label and kind, or None.
pub async fn delete_factor(
    c: &mut Conn,
    user_id: i64,
    factor_id: i64,
) -> Result<Option<(String, String)>> {
    sqlx::query_as(
        "DELETE FROM mfa_factors WHERE id = $1 AND user_id = $2 AND confirmed_at IS NOT NULL \
         RETURNING label, kind",
    )
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
