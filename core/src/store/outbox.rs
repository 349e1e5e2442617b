//! The outbox: emails and texts written in the change's transaction, sent by a worker.

use sqlx::Row;

use super::{Conn, Result};

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

pub(crate) const OUTBOX_COLUMNS: &str =
    "id, channel, recipient, subject, body_text, body_html, created_at, attempts, sent_at, failed_at, last_error";

pub(crate) fn outbox_from_row(r: sqlx::any::AnyRow) -> OutboxMessage {
    OutboxMessage {
        id: r.get("id"),
        channel: r.get("channel"),
        recipient: r.get("recipient"),
        subject: r.get("subject"),
        body_text: r.get("body_text"),
        body_html: r.get("body_html"),
        created_at: r.get("created_at"),
        attempts: r.get("attempts"),
        sent_at: r.get("sent_at"),
        failed_at: r.get("failed_at"),
        last_error: r.get("last_error"),
    }
}

persisted_enum! {
    /// How a message travels.
    Channel {
        Email = "email",
        Sms = "sms",
    }
}

pub struct NewMessage<'a> {
    pub channel: Channel,
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
    .bind(m.channel.as_str())
    .bind(m.recipient)
    .bind(m.subject)
    .bind(m.body_text)
    .bind(m.body_html)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Messages waiting to be sent (due or not), and when the oldest was written.
pub async fn outbox_backlog(c: &mut Conn) -> Result<(i64, Option<i64>)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS queued, MIN(created_at) AS oldest FROM outbox \
         WHERE sent_at IS NULL AND failed_at IS NULL",
    )
    .fetch_one(&mut *c)
    .await?;
    Ok((row.get("queued"), row.get("oldest")))
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
