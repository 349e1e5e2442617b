//! One-time codes and links sent by email or SMS, and phone verification.

use super::{Conn, Result};

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
