//! Requests about an email address from someone who is not signed in
//! ("Forgot password?", "Locked out?"): which account, if any, may be mailed.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::rules::account_links::{self, LinkPurpose, SEND_WINDOW};
use crate::rules::contact::{account_key, normalize_email, valid_email};
use crate::store::{self, Conn, User};

use super::sign_in::PLATFORM_ORG_ID;
use super::{audit_own, Gatehouse};

impl Gatehouse {
    /// Uses a live link of `purpose` once, in the caller's transaction: the
    /// active account it is for, and what it is about.
    pub(crate) async fn use_link(
        &self,
        c: &mut Conn,
        token: &str,
        purpose: LinkPurpose,
        now: i64,
    ) -> Result<(User, String)> {
        let (user_id, about) = store::use_account_link(c, &crypto::token_hash(token), purpose, now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        let user = store::user_by_id(c, user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AuthError::LinkInvalid)?;
        Ok((user, about))
    }

    /// The active account of `email`, if it may be mailed for `purpose` now:
    /// within the account's hourly limit, counted in one statement (30
    /// requests at once send at most the limit). An unknown or deactivated
    /// address, or an account over its limit, is audited as `not_sent` and
    /// gets nothing.
    pub(crate) async fn mailable_account(
        &self,
        c: &mut Conn,
        email: &str,
        purpose: LinkPurpose,
        not_sent: &'static str,
        origin: &Origin,
        now: i64,
    ) -> Result<Option<User>> {
        let email = normalize_email(email);
        let user = if valid_email(&email) {
            store::user_by_email(c, &email).await?
        } else {
            None
        };
        let Some(user) = user.filter(|u| !u.disabled) else {
            let event = Event {
                org_id: PLATFORM_ORG_ID,
                actor_id: None,
                subject_id: None,
                action: not_sent,
                details: json!({ "reason": "no_such_account" }),
            };
            audit::append(c, event, origin, now).await?;
            return Ok(None);
        };
        let key = format!("{}:{}", purpose.as_str(), account_key(&user.email));
        let (sent, _) = store::count_in_window(c, &key, now, SEND_WINDOW).await?;
        if !account_links::may_send(purpose, sent) {
            let details = json!({ "reason": "account_limit" });
            audit_own(c, &user, not_sent, details, origin, now).await?;
            return Ok(None);
        }
        Ok(Some(user))
    }
}
