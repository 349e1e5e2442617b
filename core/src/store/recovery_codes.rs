//! Recovery codes, stored as keyed hashes; each is consumed by one update.

use super::{Conn, Result};

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

/// Whether this is one of the user's recovery codes that was already used.
pub async fn recovery_code_was_used(c: &mut Conn, user_id: i64, hash: &[u8]) -> Result<bool> {
    let used: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM recovery_codes WHERE user_id = $1 AND code_hash = $2 AND used_at IS NOT NULL LIMIT 1",
    )
    .bind(user_id)
    .bind(hash)
    .fetch_optional(&mut *c)
    .await?;
    Ok(used.is_some())
}

pub async fn recovery_codes_left(c: &mut Conn, user_id: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(&mut *c)
        .await
}
