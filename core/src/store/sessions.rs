//! Browser sessions and API tokens, stored as hashes of their secrets.

use sqlx::Row;

use super::attempts::end_sign_in_attempts;
use super::{Conn, Result};

/// The one sign-in that survives when every other one of a user ends: the
/// browser session or the API token that made the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep<'a> {
    Nothing,
    /// A session's id hash.
    Session(&'a str),
    /// A bearer token's hash.
    Token(&'a [u8]),
}

/// Ends the user's sessions and API tokens (but the one to `keep`) and their sign-in attempts in progress.
pub async fn revoke_sessions_and_tokens(
    c: &mut Conn,
    user_id: i64,
    keep: Keep<'_>,
    now: i64,
) -> Result<()> {
    end_sign_in_attempts(c, user_id, now).await?;
    let (session, token): (&str, &[u8]) = match keep {
        Keep::Nothing => ("", b""),
        Keep::Session(id_hash) => (id_hash, b""),
        Keep::Token(token_hash) => ("", token_hash),
    };
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user_id)
        .bind(session)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND token_hash <> $3",
    )
    .bind(now)
    .bind(user_id)
    .bind(token)
    .execute(&mut *c)
    .await?;
    // A support code read through a session that ends now must end with it.
    sqlx::query("DELETE FROM support_codes WHERE user_id = $1")
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
    Ok(row.map(|r| (r.get("user_id"), r.get("created_at"))))
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
    Ok(row.map(|r| (r.get("data"), r.get("expires_at"))))
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
    sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *c)
        .await?;
    // A day after it stopped working, a mailed link (and what a locked-out
    // person wrote with it) goes.
    sqlx::query("DELETE FROM account_links WHERE expires_at <= $1")
        .bind(now - 86_400)
        .execute(&mut *c)
        .await?;
    Ok(())
}
