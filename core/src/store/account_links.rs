//! Single-use links emailed to an account's own address.

use sqlx::Row;

use super::{Conn, Result};
use crate::rules::account_links::LinkPurpose;

pub async fn insert_account_link(
    c: &mut Conn,
    token_hash: &[u8],
    user_id: i64,
    purpose: LinkPurpose,
    about: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_links (token_hash, user_id, purpose, about, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(about)
    .bind(now)
    .bind(now + purpose.lifetime())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The user and `about` of a live, unused link of this purpose (reads only).
pub async fn account_link(
    c: &mut Conn,
    token_hash: &[u8],
    purpose: LinkPurpose,
    now: i64,
) -> Result<Option<(i64, String)>> {
    let row = sqlx::query(
        "SELECT user_id, about FROM account_links \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| (r.get("user_id"), r.get("about"))))
}

/// An unexpired link of this purpose, used or not (its page then says what
/// using it did).
pub struct LinkRow {
    pub user_id: i64,
    pub about: String,
    pub sent_at: i64,
    pub used: bool,
}

pub async fn account_link_any(
    c: &mut Conn,
    token_hash: &[u8],
    purpose: LinkPurpose,
    now: i64,
) -> Result<Option<LinkRow>> {
    let row = sqlx::query(
        "SELECT user_id, about, created_at, used_at FROM account_links \
         WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| LinkRow {
        user_id: r.get("user_id"),
        about: r.get("about"),
        sent_at: r.get("created_at"),
        used: r.get::<Option<i64>, _>("used_at").is_some(),
    }))
}

/// Uses a live link once: its user and `about`, or None (unknown, used, expired).
pub async fn use_account_link(
    c: &mut Conn,
    token_hash: &[u8],
    purpose: LinkPurpose,
    now: i64,
) -> Result<Option<(i64, String)>> {
    let row = sqlx::query(
        "UPDATE account_links SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id, about",
    )
    .bind(now)
    .bind(token_hash)
    .bind(purpose.as_str())
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| (r.get("user_id"), r.get("about"))))
}

/// Ends every unused link of this purpose the user was sent (a new password
/// makes the other password links pointless).
pub async fn expire_account_links(
    c: &mut Conn,
    user_id: i64,
    purpose: LinkPurpose,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE account_links SET expires_at = $1 \
         WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user_id)
    .bind(purpose.as_str())
    .execute(&mut *c)
    .await?;
    Ok(())
}
