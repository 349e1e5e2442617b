//! Invitations: an admin invites an address into a role; the invitee picks a
//! password from the emailed link within 7 days.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::rules::contact::{normalize_email, valid_email};
use crate::rules::password;
use crate::rules::scope::{Actor, Permission};
use crate::store::{self, Conn, RoleRow, UserSummary};
use crate::{crypto, notify};

use super::may_hand_out;
use crate::service::sign_in::PLATFORM_ORG_ID;
use crate::service::{audit_own, Gatehouse};

pub const INVITATION_TTL: i64 = 7 * 24 * 3600;
/// One address may be sent this many invitations a day (the first one
/// included, and across withdrawals): enough for a lost email, too few to
/// flood a mailbox.
pub const INVITATIONS_PER_DAY: i64 = 5;
const DAY: i64 = 24 * 3600;

/// The answer to an invitation: the user's id, and whether it was created
/// (false: the address had an account; nothing was changed).
pub(crate) struct Invited {
    pub(crate) user_id: i64,
    pub(crate) new: bool,
}

impl Gatehouse {
    /// Creates a user without a password and emails them a link to choose one.
    pub async fn admin_invite(
        &self,
        actor_id: i64,
        role_id: i64,
        email: &str,
        name: &str,
        origin: &Origin,
    ) -> Result<i64> {
        let actor = self.actor(actor_id).await?;
        let role = self
            .target_role(&actor, role_id, Permission::UsersManage)
            .await?;
        may_hand_out(&actor, &role)?;
        let org = self
            .target_org(&actor, role.org_id, Permission::UsersManage)
            .await?;
        let mut tx = self.db.begin().await?;
        let now = self.now();
        let invited = self
            .invite(&mut tx, &actor, &org, &role, email, name, origin, now)
            .await?;
        if invited.new {
            let event = Event {
                org_id: org.id,
                actor_id: Some(actor.user_id),
                subject_id: Some(invited.user_id),
                action: "user.invited",
                details: json!({ "role": role.name }),
            };
            audit::append(&mut tx, event, origin, now).await?;
        }
        tx.commit().await?;
        Ok(invited.user_id)
    }

    /// Creates an invited user, or — when the address already has an account,
    /// here or in another tenant — changes nothing and answers the same way
    /// (with an id no one in the inviter's scope has), so an invitation never
    /// tells who has an account elsewhere. That attempt is audited in the
    /// platform's log, which the inviter's organization does not read.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn invite(
        &self,
        c: &mut Conn,
        actor: &Actor,
        org: &store::Org,
        role: &RoleRow,
        email: &str,
        name: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<Invited> {
        let email = normalize_email(email);
        if !valid_email(&email) {
            return Err(AuthError::Invalid(format!(
                "“{email}” is not a valid email address."
            )));
        }
        let name = name.trim();
        if name.chars().count() > 100 {
            return Err(AuthError::Invalid(
                "Keep the name under 100 characters.".into(),
            ));
        }
        if let Some(existing) = store::user_by_email(c, &email).await? {
            let event = Event {
                org_id: PLATFORM_ORG_ID,
                actor_id: Some(actor.user_id),
                subject_id: Some(existing.id),
                action: "user.invitation_not_sent",
                details: json!({ "reason": "address_in_use", "inviting_org_id": org.id }),
            };
            audit::append(c, event, origin, now).await?;
            return Ok(Invited {
                user_id: store::next_user_id(c).await?,
                new: false,
            });
        }
        // An empty password hash never verifies: the account waits for its invitation.
        let id = store::insert_user(c, org.id, role.id, &email, name, "", now).await?;
        self.send_invitation(c, id, &email, &org.name, origin, now)
            .await?;
        Ok(Invited {
            user_id: id,
            new: true,
        })
    }

    /// A new invitation link for the user, by email; refused past
    /// [`INVITATIONS_PER_DAY`] to the address. Counted in the caller's
    /// transaction, so an invitation that is not sent is not counted.
    async fn send_invitation(
        &self,
        c: &mut Conn,
        user_id: i64,
        email: &str,
        org_name: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        let key = format!("invitation:{}", normalize_email(email));
        let (sent, window_start) = store::count_in_window(c, &key, now, DAY).await?;
        if sent > INVITATIONS_PER_DAY {
            return Err(AuthError::RateLimited {
                retry_after: (window_start + DAY - now).max(1),
            });
        }
        let token = crypto::new_token();
        store::insert_invitation(
            c,
            user_id,
            &crypto::token_hash(&token),
            now,
            now + INVITATION_TTL,
        )
        .await?;
        let link = format!("{}/invite?token={token}", self.settings.public_url);
        let mail = notify::invitation(
            &link,
            org_name,
            email,
            origin,
            now,
            &self.settings.public_url,
        );
        notify::enqueue_mail(c, email, &mail, now).await?;
        Ok(())
    }

    /// The person an admin acts on about their invitation, while they still
    /// wait for it.
    async fn invited_target(&self, actor_id: i64, user_id: i64) -> Result<(Actor, UserSummary)> {
        let (actor, user) = self
            .actor_and_target_user(actor_id, user_id, Permission::UsersManage)
            .await?;
        if !user.invited || user.disabled {
            return Err(already_accepted(&user.email));
        }
        Ok((actor, user))
    }

    /// Sends an invitation nobody accepted again, with a new link (the old
    /// ones stop working); at most [`INVITATIONS_PER_DAY`] a day per address.
    /// Returns the address it went to.
    pub async fn admin_resend_invitation(
        &self,
        actor_id: i64,
        user_id: i64,
        origin: &Origin,
    ) -> Result<String> {
        let (actor, user) = self.invited_target(actor_id, user_id).await?;
        let org = self
            .target_org(&actor, user.org_id, Permission::UsersManage)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // Under the row lock: thirty clicks at once count as thirty sends.
        store::lock_user(&mut tx, user.id).await?;
        if !store::still_invited(&mut tx, user.id).await? {
            return Err(already_accepted(&user.email));
        }
        store::end_invitations(&mut tx, user.id, now).await?;
        self.send_invitation(&mut tx, user.id, &user.email, &org.name, origin, now)
            .await?;
        let event = Event {
            org_id: user.org_id,
            actor_id: Some(actor.user_id),
            subject_id: Some(user.id),
            action: "user.invitation_resent",
            details: json!({}),
        };
        audit::append(&mut tx, event, origin, now).await?;
        tx.commit().await?;
        Ok(user.email)
    }

    /// Takes back an invitation nobody accepted: the account that waited
    /// for it is deleted (its address may be invited again). Returns the
    /// address.
    pub async fn admin_withdraw_invitation(
        &self,
        actor_id: i64,
        user_id: i64,
        origin: &Origin,
    ) -> Result<String> {
        let (actor, user) = self.invited_target(actor_id, user_id).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // One statement: an invitation accepted meanwhile is not withdrawn.
        if !store::delete_invited_user(&mut tx, user.id).await? {
            return Err(already_accepted(&user.email));
        }
        let event = Event {
            org_id: user.org_id,
            actor_id: Some(actor.user_id),
            subject_id: None,
            action: "user.invitation_withdrawn",
            details: json!({ "email": user.email, "role": user.role }),
        };
        audit::append(&mut tx, event, origin, now).await?;
        tx.commit().await?;
        Ok(user.email)
    }

    /// The email an invitation is for, while it can be used.
    pub async fn invitation_email(&self, token: &str) -> Result<Option<String>> {
        Ok(store::invitation_email(
            &mut *self.conn().await?,
            &crypto::token_hash(token),
            self.now(),
        )
        .await?)
    }

    /// Sets the invited user's password; the link works once.
    pub async fn accept_invitation(
        &self,
        token: &str,
        new_password: &str,
        origin: &Origin,
    ) -> Result<()> {
        password::check_policy(new_password)?;
        let now = self.now();
        // Rate-limited per IP, and the link checked before any hashing: a
        // made-up token costs nothing.
        let mut c = self.conn().await?;
        self.count_ip(&mut c, "invite", origin, now).await?;
        drop(c);
        if self.invitation_email(token).await?.is_none() {
            return Err(AuthError::LinkInvalid);
        }
        let hash = self.hash_password(new_password).await?;
        let mut tx = self.db.begin().await?;
        let user_id = store::use_invitation(&mut tx, &crypto::token_hash(token), now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        store::set_password_hash(&mut tx, user_id, &hash).await?;
        let user = store::user_by_id(&mut tx, user_id)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        audit_own(
            &mut tx,
            &user,
            "user.invitation_accepted",
            json!({}),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The answer when an invitation is no longer waiting.
fn already_accepted(email: &str) -> AuthError {
    AuthError::Invalid(format!(
        "{email} is no longer waiting for an invitation: they accepted it, or it was withdrawn."
    ))
}
