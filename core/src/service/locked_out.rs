//! "Locked out?" (`/locked-out`): one form — the account's email and what
//! happened — and one answer for everyone. What the mailbox then gets
//! depends on who can help (`rules::locked_out`): the names of those who can
//! reset the person, or — for the owner or officer nobody inside can reset —
//! a link (60 minutes, once) to a page that asks for the password and files a
//! request with the support desk, "confirmed from the primary email". The
//! desk's rules apply from there: the person is privileged, so a manager
//! decides and the pass waits out the cooling-off.

use serde_json::json;

use crate::audit::Origin;
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::notify;
use crate::rules::account_links::LinkPurpose;
use crate::rules::locked_out::{self, Route, SelfRequest, Standing, MAX_DESCRIPTION_CHARS};
use crate::rules::scope::{OrgKind, OWNER_SENIORITY};
use crate::rules::support::RequestChannel;
use crate::rules::text;
use crate::store::{self, Conn, User};

use super::support_desk::{contacts_of, record_filing, Filing};
use super::{audit_own, Gatehouse};

/// What the confirmation page shows before its button is pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedOutLink {
    pub email: String,
    pub organization: String,
}

/// The request a confirmed locked-out form filed.
pub const CONFIRMED_REFERENCE: &str = "Locked out: confirmed from the primary email and password";

impl Gatehouse {
    /// "Locked out?": checks the form and counts it against the caller's IP
    /// (refusals alike for every address), then answers; the mail goes after
    /// the answer ([`Self::send_locked_out_mail`]), so every address answers
    /// the same, in the same time.
    pub async fn locked_out(&self, email: &str, description: &str, origin: &Origin) -> Result<()> {
        let description = text::without_format_chars(description.trim());
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(AuthError::Invalid(format!(
                "Keep what happened under {MAX_DESCRIPTION_CHARS} characters."
            )));
        }
        self.count_ip(&mut *self.conn().await?, "locked_out", origin, self.now())
            .await?;
        let (email, description, origin) = (email.to_string(), description, origin.clone());
        self.after_answer("locked-out mail", move |gh| async move {
            gh.send_locked_out_mail(&email, &description, &origin).await
        })
        .await;
        Ok(())
    }

    /// The mail a "Locked out?" form leads to: who can help, or the link to
    /// the support desk; nothing for an unknown or deactivated address or an
    /// account over its limit. Each case is audited.
    pub async fn send_locked_out_mail(
        &self,
        email: &str,
        description: &str,
        origin: &Origin,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let not_sent = "locked_out.not_sent";
        let Some(user) = self
            .mailable_account(
                &mut tx,
                email,
                LinkPurpose::LockedOut,
                not_sent,
                origin,
                now,
            )
            .await?
        else {
            tx.commit().await?;
            return Ok(());
        };
        let public_url = &self.settings.public_url;
        let (route, helpers) = who_can_help(&mut tx, &user).await?;
        let mail = match route {
            Route::SupportDesk => {
                let token = crypto::new_token();
                let hash = crypto::token_hash(&token);
                let purpose = LinkPurpose::LockedOut;
                store::insert_account_link(&mut tx, &hash, user.id, purpose, description, now)
                    .await?;
                let link = format!("{public_url}/locked-out/confirm?token={token}");
                notify::locked_out_confirm(
                    &link,
                    &user.org_name,
                    &user.email,
                    origin,
                    now,
                    public_url,
                )
            }
            Route::AskSomeone => notify::locked_out_helpers(
                &helpers,
                &user.org_name,
                &user.email,
                origin,
                now,
                public_url,
            ),
        };
        notify::enqueue_mail(&mut tx, &user.email, &mail, now).await?;
        let route_name = match route {
            Route::SupportDesk => "support_desk",
            Route::AskSomeone => "ask_someone",
        };
        let details = json!({ "route": route_name });
        audit_own(&mut tx, &user, "locked_out.answered", details, origin, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The confirmation page of a locked-out link, while it works.
    pub async fn locked_out_link(&self, token: &str) -> Result<Option<LockedOutLink>> {
        let mut c = self.conn().await?;
        let hash = crypto::token_hash(token);
        let now = self.now();
        let Some((user_id, _)) =
            store::account_link(&mut c, &hash, LinkPurpose::LockedOut, now).await?
        else {
            return Ok(None);
        };
        Ok(store::user_by_id(&mut c, user_id)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| LockedOutLink {
                email: u.email,
                organization: u.org_name,
            }))
    }

    /// The button of the confirmation page: the mailbox (the link) and the
    /// password file a request with the support desk, once. Its id.
    pub async fn confirm_locked_out(
        &self,
        token: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<i64> {
        let hash = crypto::token_hash(token);
        let user_id = {
            let mut c = self.conn().await?;
            store::account_link(&mut c, &hash, LinkPurpose::LockedOut, self.now())
                .await?
                .ok_or(AuthError::LinkInvalid)?
                .0
        };
        // Counted against the account's password limit, like every check.
        self.check_password(user_id, password, origin).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (user, description) = self
            .use_link(&mut tx, token, LinkPurpose::LockedOut, now)
            .await?;
        let filed = store::NewRequest {
            org_id: user.org_id,
            target_id: user.id,
            requester_id: user.id,
            filed_by: user.id,
            channel: RequestChannel::Email,
            reference: CONFIRMED_REFERENCE,
            note: &description,
        };
        let id = store::insert_request(&mut tx, &filed, now)
            .await?
            .ok_or(AuthError::RequestOpen)?;
        let filing = Filing {
            id,
            target: &user,
            requester: &user,
            channel: RequestChannel::Email,
            reference: CONFIRMED_REFERENCE,
        };
        record_filing(&mut tx, &filing, &user, origin, now).await?;
        let kind = SelfRequest::Confirmed;
        self.announce_self_request(&mut tx, &filing, kind, origin, now)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Whether to warn this user — an owner — that one lost phone would lock
    /// their organization out of its own administration.
    pub async fn needs_second_administrator(&self, user_id: i64) -> Result<bool> {
        let mut c = self.conn().await?;
        let Some(actor) = store::actor_facts(&mut c, user_id).await? else {
            return Ok(false);
        };
        if actor.seniority < OWNER_SENIORITY {
            return Ok(false);
        }
        let admins = store::administrators_with_mfa(&mut c, actor.org_id, 0, 0).await?;
        Ok(locked_out::needs_second_administrator(admins.len() as i64))
    }
}

/// Where a locked-out person can turn, and the names the mail gives
/// (their organization's administrators, else their partner).
pub(crate) async fn who_can_help(c: &mut Conn, user: &User) -> Result<(Route, Vec<String>)> {
    let actor = store::actor_facts(c, user.id)
        .await?
        .ok_or(AuthError::NotFound("User"))?;
    let (officer, _, _) = contacts_of(c, user.org_id).await?;
    let admins = store::administrators_with_mfa(c, user.org_id, actor.seniority, user.id).await?;
    let standing = Standing {
        is_owner: actor.seniority >= OWNER_SENIORITY,
        is_officer: officer == Some(user.id),
        others_who_can_reset: admins.len() as i64,
    };
    let mut helpers: Vec<String> = admins;
    if let Some(parent) = partner_of(c, user.org_id).await? {
        helpers.push(format!("{parent} (your IT partner)"));
    }
    Ok((locked_out::route(standing), helpers))
}

/// The partner an organization belongs to, if any.
async fn partner_of(c: &mut Conn, org_id: i64) -> Result<Option<String>> {
    let Some(org) = store::org_by_id(c, org_id).await? else {
        return Ok(None);
    };
    let Some(parent) = org.parent_id else {
        return Ok(None);
    };
    Ok(store::org_by_id(c, parent)
        .await?
        .filter(|p| p.kind == OrgKind::Partner)
        .map(|p| p.name))
}
