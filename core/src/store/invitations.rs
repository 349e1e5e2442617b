//! Invitations to join an organization.

use super::{Conn, Result};

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
