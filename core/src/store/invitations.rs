//! Invitations to join an organization.

use super::users::INVITED;
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
    // The person's row before the invitation's, the order an admin resending
    // it takes them in (ARCHITECTURE.md): the two at once would deadlock.
    let invited: Option<i64> =
        sqlx::query_scalar("SELECT user_id FROM invitations WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *c)
            .await?;
    if let Some(user_id) = invited {
        super::lock_user(c, user_id).await?;
    }
    sqlx::query_scalar(
        "UPDATE invitations SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *c)
    .await
}

/// Ends the user's unused invitations: their links stop working.
pub async fn end_invitations(c: &mut Conn, user_id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE invitations SET expires_at = $2 WHERE user_id = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Whether the (active) account still waits for its invitation.
pub async fn still_invited(c: &mut Conn, user_id: i64) -> Result<bool> {
    let found: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM users u WHERE u.id = $1 AND u.disabled_at IS NULL AND {INVITED}"
    ))
    .bind(user_id)
    .fetch_one(&mut *c)
    .await?;
    Ok(found == 1)
}

/// Deletes an account that still waits for its invitation (no password
/// chosen, never reported), with its invitations; false when it has
/// accepted meanwhile, or when something else refers to it (a support
/// request about it), which a deletion would leave dangling.
pub async fn delete_invited_user(c: &mut Conn, user_id: i64) -> Result<bool> {
    let done = sqlx::query(&format!(
        "DELETE FROM users AS u WHERE u.id = $1 AND u.disabled_at IS NULL AND {INVITED}"
    ))
    .bind(user_id)
    .execute(&mut *c)
    .await;
    super::changed_one(done)
}
