//! Passkeys: their rows in `mfa_factors` (kind `passkey`) and the state kept
//! between the two requests of a ceremony.

use super::{Conn, Result};

/// What a ceremony is for: adding a passkey to a signed-in account or at
/// the enrollment of a sign-in attempt, proving one at the second stage of a
/// sign-in attempt, or a signed-in user confirming it is them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    Register,
    Enroll { attempt_id: i64 },
    SignIn { attempt_id: i64 },
    StepUp,
}

impl CeremonyPurpose {
    fn name(self) -> &'static str {
        match self {
            Self::Register | Self::Enroll { .. } => "register",
            Self::SignIn { .. } => "sign_in",
            Self::StepUp => "step_up",
        }
    }

    /// The `attempt_id` column's value (0 stands for none).
    fn attempt_id(self) -> i64 {
        match self {
            Self::Enroll { attempt_id } | Self::SignIn { attempt_id } => attempt_id,
            Self::Register | Self::StepUp => 0,
        }
    }
}

pub struct NewCeremony<'a> {
    pub id_hash: &'a str,
    pub user_id: i64,
    pub purpose: CeremonyPurpose,
    pub state: &'a str,
    pub expires_at: i64,
}

pub async fn insert_ceremony(c: &mut Conn, ceremony: &NewCeremony<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO passkey_ceremonies (id_hash, user_id, purpose, attempt_id, state, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ceremony.id_hash)
    .bind(ceremony.user_id)
    .bind(ceremony.purpose.name())
    .bind(Some(ceremony.purpose.attempt_id()).filter(|id| *id != 0))
    .bind(ceremony.state)
    .bind(ceremony.expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Takes a ceremony of this user and purpose out of the table in one
/// statement — whatever then happens, it cannot be used again — and returns
/// its state and when it expires. None when there is no such ceremony.
pub async fn take_ceremony(
    c: &mut Conn,
    id_hash: &str,
    user_id: i64,
    purpose: CeremonyPurpose,
) -> Result<Option<(String, i64)>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "DELETE FROM passkey_ceremonies WHERE id_hash = $1 AND user_id = $2 AND purpose = $3 \
         AND COALESCE(attempt_id, 0) = $4 RETURNING state, expires_at",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(purpose.name())
    .bind(purpose.attempt_id())
    .fetch_optional(&mut *c)
    .await?;
    Ok(row)
}

/// Ends the unfinished ceremonies of this user and purpose (and attempt)
/// past the `keep` newest: a client asking for options again and again keeps
/// a bounded number of rows, and the one it was just given stays.
pub async fn trim_ceremonies(
    c: &mut Conn,
    user_id: i64,
    purpose: CeremonyPurpose,
    keep: i64,
) -> Result<()> {
    sqlx::query(
        "DELETE FROM passkey_ceremonies WHERE user_id = $1 AND purpose = $2 \
         AND COALESCE(attempt_id, 0) = $3 AND id NOT IN (SELECT id FROM passkey_ceremonies \
         WHERE user_id = $1 AND purpose = $2 AND COALESCE(attempt_id, 0) = $3 ORDER BY id DESC LIMIT $4)",
    )
    .bind(user_id)
    .bind(purpose.name())
    .bind(purpose.attempt_id())
    .bind(keep)
    .execute(&mut *c)
    .await?;
    Ok(())
}

pub struct NewPasskey<'a> {
    pub user_id: i64,
    pub label: &'a str,
    pub credential_id: &'a str,
    pub sealed: &'a [u8],
    pub now: i64,
}

/// Adds a passkey, not yet confirmed (`activate_factor` confirms it in the
/// same transaction). None when its credential id is registered already, to
/// this account or any other.
pub async fn insert_passkey(c: &mut Conn, passkey: &NewPasskey<'_>) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO mfa_factors (user_id, kind, label, secret_sealed, created_at, credential_id) \
         VALUES ($1, 'passkey', $2, $3, $4, $5) ON CONFLICT (credential_id) DO NOTHING RETURNING id",
    )
    .bind(passkey.user_id)
    .bind(passkey.label)
    .bind(passkey.sealed)
    .bind(passkey.now)
    .bind(passkey.credential_id)
    .fetch_optional(&mut *c)
    .await
}

/// Records a use of a passkey: its new state and counter, only if the
/// counter moved forward from the one stored (or both are 0: synced passkeys
/// keep no counter). False when another use got there first, or the counter
/// went backwards — a sign of a cloned authenticator.
pub async fn use_passkey(
    c: &mut Conn,
    factor_id: i64,
    sign_count: i64,
    sealed: &[u8],
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE mfa_factors SET sign_count = $1, secret_sealed = $2, last_used_at = $3 \
         WHERE id = $4 AND kind = 'passkey' AND confirmed_at IS NOT NULL \
         AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0))",
    )
    .bind(sign_count)
    .bind(sealed)
    .bind(now)
    .bind(factor_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}
