//! Support codes: one per user, replaced on demand, used once.

use sqlx::Row;

use super::{Conn, Result};

/// A stored support code: its sealed copy and when it ends.
#[derive(Debug, Clone)]
pub struct SupportCodeRow {
    pub code_sealed: Vec<u8>,
    pub expires_at: i64,
}

/// The user's code while it is unused and unexpired.
pub async fn live_support_code(
    c: &mut Conn,
    user_id: i64,
    now: i64,
) -> Result<Option<SupportCodeRow>> {
    let row = sqlx::query(
        "SELECT code_sealed, expires_at FROM support_codes \
         WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| SupportCodeRow {
        code_sealed: r.get("code_sealed"),
        expires_at: r.get("expires_at"),
    }))
}

/// A new code for the user. With `keep_live`, a live code stays and nothing
/// is written (two pages opened at once show the same code); without, the
/// old code stops working. True when this code was stored.
pub async fn store_support_code(
    c: &mut Conn,
    user_id: i64,
    code: NewSupportCode<'_>,
    keep_live: bool,
) -> Result<bool> {
    let only_if_dead = if keep_live {
        " WHERE support_codes.used_at IS NOT NULL OR support_codes.expires_at <= $4"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO support_codes (user_id, code_hash, code_sealed, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET code_hash = $2, code_sealed = $3, \
         created_at = $4, expires_at = $5, used_at = NULL{only_if_dead} RETURNING user_id"
    );
    let stored = sqlx::query(&sql)
        .bind(user_id)
        .bind(code.hash)
        .bind(code.sealed)
        .bind(code.created_at)
        .bind(code.expires_at)
        .fetch_optional(&mut *c)
        .await?;
    Ok(stored.is_some())
}

/// A support code as stored: a keyed hash to check it, a sealed copy to show it.
pub struct NewSupportCode<'a> {
    pub hash: &'a [u8],
    pub sealed: &'a [u8],
    pub created_at: i64,
    pub expires_at: i64,
}
