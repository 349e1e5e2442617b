//! Passwords after the first: "Forgot password?" (a link to the account's
//! email) and "Change password" on My profile. Neither touches the second
//! factor — a new password never signs anyone in by itself.

use serde_json::json;

use crate::audit::Origin;
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::notify::{self, Notice};
use crate::rules::account_links::LinkPurpose;
use crate::rules::contact::account_key;
use crate::rules::password;
use crate::store::{self, Keep};

use super::second_factor::{Answer, CodeUse};
use super::{audit_own, Gatehouse};

/// What a password link's page shows before its button is pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordLink {
    pub user_id: i64,
    pub email: String,
    /// The account has an authenticator: the page asks for a code too.
    pub needs_code: bool,
}

impl Gatehouse {
    /// "Forgot password?": counts the request against the caller's IP (the
    /// one refusal, alike for every address), then answers; the link is sent
    /// after the answer ([`Self::send_password_link`]), so every address
    /// answers the same, in the same time.
    pub async fn forgot_password(&self, email: &str, origin: &Origin) -> Result<()> {
        self.count_ip(&mut *self.conn().await?, "forgot", origin, self.now())
            .await?;
        let (email, origin) = (email.to_string(), origin.clone());
        self.after_answer("password link", move |gh| async move {
            gh.send_password_link(&email, &origin).await
        })
        .await;
        Ok(())
    }

    /// Emails a link to choose a new password when the address has an active
    /// account — also one without a password yet (an invitee, or a reviewed
    /// "This wasn't me": the link proves the same mailbox). Unknown and
    /// deactivated addresses, and an account over its limit, get nothing; each
    /// case is audited.
    pub async fn send_password_link(&self, email: &str, origin: &Origin) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let purpose = LinkPurpose::PasswordReset;
        let not_sent = "password.reset_not_sent";
        let Some(user) = self
            .mailable_account(&mut tx, email, purpose, not_sent, origin, now)
            .await?
        else {
            tx.commit().await?;
            return Ok(());
        };
        let token = crypto::new_token();
        store::insert_account_link(
            &mut tx,
            &crypto::token_hash(&token),
            user.id,
            purpose,
            "",
            now,
        )
        .await?;
        let public_url = &self.settings.public_url;
        let link = format!("{public_url}/password/reset?token={token}");
        let mail = notify::password_reset_link(&link, &user.email, origin, now, public_url);
        notify::enqueue_mail(&mut tx, &user.email, &mail, now).await?;
        audit_own(
            &mut tx,
            &user,
            "password.reset_link_sent",
            json!({}),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who a password link is for, while it can be used (shown on its page
    /// before the button is pressed).
    pub async fn password_link(&self, token: &str) -> Result<Option<PasswordLink>> {
        let mut c = self.conn().await?;
        let hash = crypto::token_hash(token);
        let Some((user_id, _)) =
            store::account_link(&mut c, &hash, LinkPurpose::PasswordReset, self.now()).await?
        else {
            return Ok(None);
        };
        let Some(user) = store::user_by_id(&mut c, user_id)
            .await?
            .filter(|u| !u.disabled)
        else {
            return Ok(None);
        };
        let needs_code = !store::confirmed_factors(&mut c, user.id).await?.is_empty();
        Ok(Some(PasswordLink {
            user_id: user.id,
            email: user.email,
            needs_code,
        }))
    }

    /// Sets a new password from an emailed link, once. The mailbox alone
    /// must not open an account that has a second factor — with a new
    /// password, the emailed sign-in code would then replace the factor too —
    /// so such an account also gives a code from its authenticator or a
    /// recovery code (`code`; counted like every code). Every session, token
    /// and sign-in in progress ends; the second factor stays, so the next
    /// sign-in still asks for it.
    pub async fn reset_password_with_link(
        &self,
        token: &str,
        new_password: &str,
        code: &str,
        origin: &Origin,
    ) -> Result<()> {
        password::check_policy(new_password)?;
        let now = self.now();
        let mut c = self.conn().await?;
        self.count_ip(&mut c, "password_link", origin, now).await?;
        drop(c);
        // A made-up link costs no hashing.
        let link = self
            .password_link(token)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        if link.needs_code {
            let user = self.user(link.user_id).await?;
            let answer = Answer::typed(code);
            self.prove_with_code(&user, CodeUse::NewPassword, answer, origin, now)
                .await?;
        }
        let hash = self.hash_password(new_password).await?;
        let mut tx = self.db.begin().await?;
        let purpose = LinkPurpose::PasswordReset;
        let (user, _) = self.use_link(&mut tx, token, purpose, now).await?;
        store::set_password_hash(&mut tx, user.id, &hash).await?;
        store::expire_account_links(&mut tx, user.id, purpose, now).await?;
        store::revoke_sessions_and_tokens(&mut tx, user.id, Keep::Nothing, now).await?;
        // The delay earned by someone else's wrong guesses ends with the old password.
        store::throttle_clear(&mut tx, &account_key(&user.email)).await?;
        let notice = Notice::PasswordChanged { by_link: true };
        self.notify(&mut tx, &user, &notice, origin, now).await?;
        let details = json!({ "by": "email_link" });
        audit_own(&mut tx, &user, "password.changed", details, origin, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// "Change password" (My profile, `POST /api/v1/me/password`): the
    /// current password again, then every other session and token ends. The
    /// caller has already shown a recent sign-in.
    pub async fn change_password(
        &self,
        user_id: i64,
        current_password: &str,
        new_password: &str,
        keep: Keep<'_>,
        origin: &Origin,
    ) -> Result<()> {
        password::check_policy(new_password)?;
        if current_password == new_password {
            return Err(AuthError::Invalid(
                "The new password is the same as the current one: choose another.".into(),
            ));
        }
        self.check_password(user_id, current_password, origin)
            .await?;
        let hash = self.hash_password(new_password).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let user = store::user_by_id(&mut tx, user_id)
            .await?
            .ok_or(AuthError::NotFound("User"))?;
        store::set_password_hash(&mut tx, user.id, &hash).await?;
        store::expire_account_links(&mut tx, user.id, LinkPurpose::PasswordReset, now).await?;
        store::revoke_sessions_and_tokens(&mut tx, user.id, keep, now).await?;
        let notice = Notice::PasswordChanged { by_link: false };
        self.notify(&mut tx, &user, &notice, origin, now).await?;
        let details = json!({ "by": "self" });
        audit_own(&mut tx, &user, "password.changed", details, origin, now).await?;
        tx.commit().await?;
        Ok(())
    }
}
