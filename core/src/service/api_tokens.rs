//! Bearer tokens of the JSON API: issued at sign-in, stored as a hash,
//! valid for 12 hours, revoked at logout and when the user's MFA changes.

use serde_json::json;

use crate::audit::Origin;
use crate::crypto;
use crate::error::Result;
use crate::store::{self};

use super::{audit_own, Gatehouse};

pub const API_TOKEN_TTL: i64 = 12 * 3600;

impl Gatehouse {
    pub async fn issue_api_token(&self, user_id: i64) -> Result<(String, i64)> {
        let now = self.now();
        let token = crypto::new_token();
        store::insert_api_token(
            &mut *self.conn().await?,
            &crypto::token_hash(&token),
            user_id,
            now,
            now + API_TOKEN_TTL,
        )
        .await?;
        Ok((token, API_TOKEN_TTL))
    }

    /// The user behind a live bearer token and when the token was issued.
    pub async fn api_token_user(&self, token: &str) -> Result<Option<(i64, i64)>> {
        Ok(store::api_token_user(
            &mut *self.conn().await?,
            &crypto::token_hash(token),
            self.now(),
        )
        .await?)
    }

    /// Signs an API client out: its token ends, and the sign-out is audited.
    pub async fn revoke_api_token(&self, token: &str, origin: &Origin) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let Some(user_id) =
            store::revoke_api_token(&mut tx, &crypto::token_hash(token), now).await?
        {
            if let Some(user) = store::user_by_id(&mut tx, user_id).await? {
                let details = json!({ "via": "api" });
                audit_own(&mut tx, &user, "logout", details, origin, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
