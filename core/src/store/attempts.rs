//! Sign-in attempts: the `mfa_token` between the password and the second factor or enrollment.

use sqlx::Row;

use super::{unknown, Conn, Result};

persisted_enum! {
    /// What a sign-in attempt leads to.
    AttemptPurpose {
        /// The second stage: a code from an authenticator, a recovery code, email or SMS.
        SecondFactor = "mfa",
        /// Setting up an authenticator before the sign-in completes.
        Enrollment = "enroll",
    }
}

persisted_enum! {
    /// How an attempt began, which decides what its enrollment may do.
    AttemptReason {
        /// A right password (the second stage follows).
        Password = "password",
        /// The user's role requires MFA and they have no factor yet.
        MfaRequired = "mfa_required",
        /// A partner's reset permission covers the user: old factors are replaced.
        ResetPermission = "reset_permission",
        /// The support desk's reset pass for this person: old factors are replaced.
        ResetPass = "reset_pass",
        /// A code or link by email: the lost authenticator is replaced.
        Recovery = "recovery",
        /// The user's role requires a passkey and the sign-in used another
        /// factor: a passkey is added before it finishes.
        PasskeyRequired = "passkey_required",
    }
}

#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: i64,
    pub user_id: i64,
    pub purpose: AttemptPurpose,
    pub reason: AttemptReason,
    pub expires_at: i64,
    pub failures: i64,
    pub consumed: bool,
}

pub struct NewAttempt<'a> {
    pub token_hash: &'a [u8],
    pub user_id: i64,
    pub purpose: AttemptPurpose,
    pub reason: AttemptReason,
    pub expires_at: i64,
}

pub async fn insert_attempt(c: &mut Conn, a: &NewAttempt<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO login_attempts (token_hash, user_id, purpose, reason, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.token_hash)
    .bind(a.user_id)
    .bind(a.purpose.as_str())
    .bind(a.reason.as_str())
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
    let Some(r) = row else { return Ok(None) };
    let purpose: String = r.get("purpose");
    let reason: String = r.get("reason");
    Ok(Some(Attempt {
        id: r.get("id"),
        user_id: r.get("user_id"),
        purpose: AttemptPurpose::parse(&purpose).ok_or_else(|| unknown("purpose", &purpose))?,
        reason: AttemptReason::parse(&reason).ok_or_else(|| unknown("reason", &reason))?,
        expires_at: r.get("expires_at"),
        failures: r.get("failures"),
        consumed: r.get::<Option<i64>, _>("consumed_at").is_some(),
    }))
}

/// Reserves one code check of a live attempt, counted as a wrong code before
/// the code is verified: the checks counted with this one, or None once
/// `max_failures` checks were reserved or the attempt ended. Concurrent
/// checks therefore never exceed the limit.
pub async fn attempt_reserve_check(
    c: &mut Conn,
    attempt_id: i64,
    now: i64,
    max_failures: i64,
) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "UPDATE login_attempts SET failures = failures + 1 \
         WHERE id = $1 AND consumed_at IS NULL AND expires_at > $2 AND failures < $3 \
         RETURNING failures",
    )
    .bind(attempt_id)
    .bind(now)
    .bind(max_failures)
    .fetch_optional(&mut *c)
    .await
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
    user_id: i64,
    now: i64,
    max_failures: i64,
) -> Result<bool> {
    // The user's row first: every transaction that holds both rows takes
    // them in that order (`mfa_reserve_check`, then `attempt_reserve_check`),
    // so a right answer and a concurrent copy of it being counted queue
    // instead of deadlocking (PostgreSQL failed one of them with a 503).
    super::lock_user(c, user_id).await?;
    let done = sqlx::query(
        "UPDATE login_attempts SET consumed_at = $1 WHERE id = $2 AND user_id = $3 \
         AND consumed_at IS NULL AND expires_at > $1 AND failures <= $4",
    )
    .bind(now)
    .bind(attempt_id)
    .bind(user_id)
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
    // The user's row before the attempts and factors (see `consume_attempt`).
    super::lock_user(c, user_id).await?;
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
