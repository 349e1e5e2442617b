//! The support code on a user's Support page: what they read out to the
//! support desk so the desk can tell it is them calling. Rules of the desk:
//! [`crate::rules::support`].

use rand::Rng;
use serde_json::json;

use crate::audit::Origin;
use crate::error::{AuthError, Result};
use crate::rules::support::{SUPPORT_CODE_RENEWALS, SUPPORT_CODE_RENEWAL_WINDOW, SUPPORT_CODE_TTL};
use crate::store::{self, Conn, NewSupportCode};

use super::{audit_own, Gatehouse};

/// A support code as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportCode {
    /// 8 digits.
    pub code: String,
    pub expires_at: i64,
}

fn sealing_context(user_id: i64) -> Vec<u8> {
    format!("support-code:user:{user_id}").into_bytes()
}

impl Gatehouse {
    /// The user's live support code, or a new one when none is live.
    pub async fn support_code(&self, user_id: i64, origin: &Origin) -> Result<SupportCode> {
        self.write_support_code(user_id, true, origin).await
    }

    /// A new support code on demand; the previous one stops working.
    pub async fn new_support_code(&self, user_id: i64, origin: &Origin) -> Result<SupportCode> {
        self.write_support_code(user_id, false, origin).await
    }

    /// The keyed hash a desk check compares a typed code with.
    pub(crate) fn support_code_hash(&self, user_id: i64, code: &str) -> Vec<u8> {
        self.keys
            .mac(format!("support:{user_id}:{code}").as_bytes())
    }

    async fn write_support_code(
        &self,
        user_id: i64,
        keep_live: bool,
        origin: &Origin,
    ) -> Result<SupportCode> {
        let user = self.user(user_id).await?;
        let now = self.now();
        let code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000));
        let hash = self.support_code_hash(user_id, &code);
        let sealed = self.keys.seal(code.as_bytes(), &sealing_context(user_id));
        let new = NewSupportCode {
            hash: &hash,
            sealed: &sealed,
            created_at: now,
            expires_at: now + SUPPORT_CODE_TTL,
        };
        let mut tx = self.db.begin().await?;
        if !keep_live {
            let key = format!("support-code:{user_id}");
            let (renewals, since) =
                store::count_in_window(&mut tx, &key, now, SUPPORT_CODE_RENEWAL_WINDOW).await?;
            if renewals > SUPPORT_CODE_RENEWALS {
                return Err(AuthError::RateLimited {
                    retry_after: (since + SUPPORT_CODE_RENEWAL_WINDOW - now).max(1),
                });
            }
        }
        if store::store_support_code(&mut tx, user_id, new, keep_live).await? {
            let details = json!({ "expires_at": now + SUPPORT_CODE_TTL });
            audit_own(&mut tx, &user, "support.code_created", details, origin, now).await?;
        }
        let shown = self.live_support_code(&mut tx, user_id, now).await?;
        tx.commit().await?;
        Ok(shown)
    }

    /// The code that is live now, opened for its owner.
    async fn live_support_code(&self, c: &mut Conn, user_id: i64, now: i64) -> Result<SupportCode> {
        let row = store::live_support_code(c, user_id, now)
            .await?
            .ok_or(AuthError::NotFound("Support code"))?;
        let code = self
            .keys
            .open(&row.code_sealed, &sealing_context(user_id))
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or(AuthError::NotFound("Support code"))?;
        Ok(SupportCode {
            code,
            expires_at: row.expires_at,
        })
    }
}
