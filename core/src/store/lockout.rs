//! Counters that slow guessing down: per-user second-factor failures, per-key throttles (accounts, IPs).

use sqlx::Row;

use super::{Conn, Result};

/// The failures counted against a user's second factor, this one included.
#[derive(Debug, Clone, Copy)]
pub struct LockState {
    pub recent_failures: i64,
    pub consecutive: i64,
}

/// Reserves one second-factor check for the user, counted as a failure before
/// the code is verified (a success clears the count): one conditional update
/// of the user's row, which also holds that row until the transaction ends.
/// None while the second factor is locked.
pub async fn mfa_reserve_check(
    c: &mut Conn,
    user_id: i64,
    now: i64,
    window: i64,
) -> Result<Option<LockState>> {
    let consecutive: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET mfa_consecutive_failures = mfa_consecutive_failures + 1 \
         WHERE id = $1 AND mfa_admin_lock = 0 AND mfa_locked_until <= $2 \
         RETURNING mfa_consecutive_failures",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    let Some(consecutive) = consecutive else {
        return Ok(None);
    };
    sqlx::query("INSERT INTO mfa_failures (user_id, at) VALUES ($1, $2)")
        .bind(user_id)
        .bind(now)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM mfa_failures WHERE user_id = $1 AND at <= $2")
        .bind(user_id)
        .bind(now - window)
        .execute(&mut *c)
        .await?;
    let recent_failures: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mfa_failures WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut *c)
            .await?;
    Ok(Some(LockState {
        recent_failures,
        consecutive,
    }))
}

/// The user's wrong codes since `since` (the lock window), without counting one.
pub async fn mfa_recent_failures(c: &mut Conn, user_id: i64, since: i64) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM mfa_failures WHERE user_id = $1 AND at > $2")
        .bind(user_id)
        .bind(since)
        .fetch_one(&mut *c)
        .await
}

pub async fn lock_mfa(c: &mut Conn, user_id: i64, until: i64, admin_lock: bool) -> Result<()> {
    sqlx::query("UPDATE users SET mfa_locked_until = $1, mfa_admin_lock = $2 WHERE id = $3")
        .bind(until)
        .bind(i64::from(admin_lock))
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// After a right code: the failures reserved so far, and any lock they set, go.
pub async fn clear_mfa_failures(c: &mut Conn, user_id: i64) -> Result<()> {
    sqlx::query(
        "UPDATE users SET mfa_consecutive_failures = 0, mfa_locked_until = 0, mfa_admin_lock = 0 WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *c)
    .await?;
    sqlx::query("DELETE FROM mfa_failures WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Throttle {
    pub failures: i64,
    pub window_start: i64,
    pub locked_until: i64,
}

pub async fn throttle(c: &mut Conn, key: &str) -> Result<Throttle> {
    let row = sqlx::query(
        "SELECT failures, window_start, locked_until FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row
        .map(|r| Throttle {
            failures: r.get("failures"),
            window_start: r.get("window_start"),
            locked_until: r.get("locked_until"),
        })
        .unwrap_or_default())
}

/// Reserves one password check for the key, counted as a failure before the
/// password is verified (a success clears it): one statement that also holds
/// the row until the transaction ends. The new count, or None while a delay runs.
pub async fn throttle_reserve(c: &mut Conn, key: &str, now: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO login_throttle (key, failures) VALUES ($1, 1) \
         ON CONFLICT (key) DO UPDATE SET failures = login_throttle.failures + 1 \
         WHERE login_throttle.locked_until <= $2 RETURNING failures",
    )
    .bind(key)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
}

pub async fn throttle_lock(c: &mut Conn, key: &str, until: i64) -> Result<()> {
    sqlx::query("UPDATE login_throttle SET locked_until = $1 WHERE key = $2")
        .bind(until)
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn throttle_clear(c: &mut Conn, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(key)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Adds one hit to a fixed window; returns the count in the current window.
pub async fn count_in_window(c: &mut Conn, key: &str, now: i64, window: i64) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "INSERT INTO login_throttle (key, failures, window_start) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.window_start > $3 THEN login_throttle.failures + 1 ELSE 1 END, \
           window_start = CASE WHEN login_throttle.window_start > $3 THEN login_throttle.window_start ELSE $2 END \
         RETURNING failures, window_start",
    )
    .bind(key)
    .bind(now)
    .bind(now - window)
    .fetch_one(&mut *c)
    .await?;
    Ok((row.get("failures"), row.get("window_start")))
}

/// Lifts both second-factor locks (the 5-minute one and the admin lock).
pub async fn unlock_mfa(c: &mut Conn, user_id: i64) -> Result<()> {
    super::clear_mfa_failures(c, user_id).await?;
    sqlx::query("UPDATE users SET mfa_admin_lock = 0 WHERE id = $1")
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}
