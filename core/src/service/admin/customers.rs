//! A partner's (MSP's) customers, and the time-boxed permission it grants a
//! customer's people to reset their own MFA.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::rules::naming::{display_name, one_script, slug_from_name, valid_slug};
use crate::rules::scope::{self, Actor, OrgKind, Permission};
use crate::store::{self, AttemptPurpose, AttemptReason, Conn, Customer, Grant};

use super::{may_hand_out, refused};
use crate::service::enrollment::ENROLL_TOKEN_TTL;
use crate::service::{Gatehouse, Notice};

/// What My Account shows about a running reset grant or support pass.
#[derive(Debug, Clone)]
pub struct ResetPermission {
    /// Who allowed it: the partner, or the support desk.
    pub partner: String,
    pub expires_at: i64,
    /// The sign-in attempt it starts.
    pub reason: AttemptReason,
}

/// Who a support pass is from, as My Account and its emails name it.
const SUPPORT_DESK: &str = "The support desk";

/// A grant just made: its id, when it ends, and the company it covers.
#[derive(Debug, Clone)]
pub struct GrantMade {
    pub id: i64,
    pub expires_at: i64,
    pub organization: String,
}

impl Gatehouse {
    pub(crate) fn require_partner(actor: &Actor, permission: Permission) -> Result<()> {
        scope::require(actor, permission).map_err(|r| refused(r, "Organization"))?;
        if !actor.is_partner() {
            return Err(AuthError::Forbidden(
                "Only a partner (MSP) has customer companies.".into(),
            ));
        }
        Ok(())
    }

    /// The partner's customer companies and the reset grants running for them.
    pub async fn msp_customers(&self, actor_id: i64) -> Result<(Vec<Customer>, Vec<Grant>)> {
        let actor = self.actor(actor_id).await?;
        Self::require_partner(&actor, Permission::CustomersManage)?;
        let mut c = self.conn().await?;
        let customers = store::customers(&mut c, actor.org_id).await?;
        let grants = store::active_grants(&mut c, actor.org_id, self.now()).await?;
        Ok((customers, grants))
    }

    /// Reset grants visible to the actor: their partner's grants for their
    /// own company, or the ones they gave. Needs only `users.read`.
    pub async fn visible_grants(&self, actor_id: i64) -> Result<Vec<Grant>> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::UsersRead).map_err(|r| refused(r, "Grant"))?;
        Ok(store::active_grants(&mut *self.conn().await?, actor.org_id, self.now()).await?)
    }

    /// Creates a customer company under the partner, with its first owner invited by email.
    pub async fn msp_create_customer(
        &self,
        actor_id: i64,
        name: &str,
        admin_email: &str,
        admin_name: &str,
        origin: &Origin,
    ) -> Result<(i64, i64)> {
        let actor = self.actor(actor_id).await?;
        Self::require_partner(&actor, Permission::CustomersManage)?;
        let name = display_name(name, 1, 100)
            .ok_or_else(|| AuthError::Invalid("A company name has 1 to 100 characters.".into()))?;
        let name = one_script(name)?;
        let name = name.as_str();
        let base = slug_from_name(name);
        if !valid_slug(&base) {
            return Err(AuthError::Invalid(
                "Use letters or digits in the company name.".into(),
            ));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // The partner's row is held while its customers' names are compared,
        // so two requests racing with one name cannot both add it.
        store::lock_org(&mut tx, actor.org_id).await?;
        if store::child_named(&mut tx, actor.org_id, name).await? {
            return Err(AuthError::Invalid(format!(
                "You already have a customer named “{name}”. Choose another name, or manage that one."
            )));
        }
        let mut slug = base.clone();
        let mut n = 2;
        while store::org_by_slug(&mut tx, &slug).await?.is_some() {
            slug = format!("{}-{n}", &base[..base.len().min(36)]);
            n += 1;
        }
        let org_id = store::insert_org(
            &mut tx,
            OrgKind::Company,
            &slug,
            name,
            Some(actor.org_id),
            now,
        )
        .await?;
        let org = store::org_by_id(&mut tx, org_id)
            .await?
            .ok_or(AuthError::NotFound("Organization"))?;
        let owner = store::roles_of_org(&mut tx, org_id)
            .await?
            .into_iter()
            .find(|r| r.name == "owner")
            .ok_or(AuthError::NotFound("Role"))?;
        may_hand_out(&actor, &owner)?;
        let invited = self
            .invite(
                &mut tx,
                &actor,
                &org,
                &owner,
                admin_email,
                admin_name,
                origin,
                now,
            )
            .await?;
        let created = (
            None,
            "org.created",
            json!({ "kind": "company", "slug": slug, "parent_id": actor.org_id }),
        );
        let owner_invited = (
            Some(invited.user_id),
            "user.invited",
            json!({ "role": "owner" }),
        );
        let events = std::iter::once(created).chain(invited.new.then_some(owner_invited));
        for (subject, action, details) in events {
            let event = Event {
                org_id,
                actor_id: Some(actor.user_id),
                subject_id: subject,
                action,
                details,
            };
            audit::append(&mut tx, event, origin, now).await?;
        }
        let user_id = invited.user_id;
        tx.commit().await?;
        Ok((org_id, user_id))
    }

    /// Grants one customer company — all of it, or the listed users — the
    /// permission to reset MFA themselves for `duration_minutes`.
    pub async fn msp_grant(
        &self,
        actor_id: i64,
        org_id: i64,
        duration_minutes: i64,
        reason: &str,
        user_ids: &[i64],
        origin: &Origin,
    ) -> Result<GrantMade> {
        let actor = self.actor(actor_id).await?;
        Self::require_partner(&actor, Permission::GrantsManage)?;
        let org = self
            .target_org(&actor, org_id, Permission::GrantsManage)
            .await?;
        if org.kind != OrgKind::Company || org.id == actor.org_id {
            return Err(AuthError::NotFound("Customer"));
        }
        scope::check_grant(duration_minutes, reason).map_err(AuthError::Invalid)?;
        let reason = reason.trim();
        let mut ids = user_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut c = self.conn().await?;
        let mut covered = Vec::with_capacity(ids.len());
        for id in &ids {
            match store::user_by_id(&mut c, *id).await? {
                Some(u) if u.org_id == org.id => covered.push(u),
                _ => return Err(AuthError::NotFound("User")),
            }
        }
        drop(c);
        let now = self.now();
        let expires_at = now + duration_minutes * 60;
        let mut tx = self.db.begin().await?;
        let grant = store::NewGrant {
            org_id: org.id,
            granted_by: actor.user_id,
            reason,
            user_ids: &ids,
            expires_at,
        };
        let id = store::insert_grant(&mut tx, &grant, now).await?;
        let partner = actor.org_name.clone();
        let notice = Notice::ResetPermissionGranted {
            partner,
            until: expires_at,
            whole_company: ids.is_empty(),
        };
        for email in self.grant_recipients(&mut tx, org.id, &covered).await? {
            self.notify_email(&mut tx, &email, &notice, origin, now)
                .await?;
        }
        let users: Vec<&str> = covered.iter().map(|u| u.email.as_str()).collect();
        let event = Event {
            org_id: org.id,
            actor_id: Some(actor.user_id),
            subject_id: None,
            action: "grant.created",
            details: json!({ "grant_id": id, "expires_at": expires_at, "reason": reason, "users": if users.is_empty() { json!("all") } else { json!(users) } }),
        };
        audit::append(&mut tx, event, origin, now).await?;
        tx.commit().await?;
        Ok(GrantMade {
            id,
            expires_at,
            organization: org.name,
        })
    }

    /// Who hears about a grant: the chosen users, or the company's admins.
    pub(crate) async fn grant_recipients(
        &self,
        c: &mut Conn,
        org_id: i64,
        covered: &[store::User],
    ) -> Result<Vec<String>> {
        if covered.is_empty() {
            Ok(store::org_admin_emails(c, org_id).await?)
        } else {
            Ok(covered.iter().map(|u| u.email.clone()).collect())
        }
    }

    /// Ends a running grant early; returns the name of the company it covered.
    pub async fn msp_revoke(
        &self,
        actor_id: i64,
        grant_id: i64,
        origin: &Origin,
    ) -> Result<String> {
        let actor = self.actor(actor_id).await?;
        Self::require_partner(&actor, Permission::GrantsManage)?;
        let org_id = store::grant_org(&mut *self.conn().await?, grant_id)
            .await?
            .ok_or(AuthError::NotFound("Grant"))?;
        let org = self
            .target_org(&actor, org_id, Permission::GrantsManage)
            .await
            .map_err(|e| match e {
                AuthError::NotFound(_) => AuthError::NotFound("Grant"),
                e => e,
            })?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let running = store::active_grants(&mut tx, org_id, now)
            .await?
            .into_iter()
            .find(|g| g.id == grant_id);
        if !store::revoke_grant(&mut tx, grant_id, actor.user_id, now).await? {
            return Err(AuthError::Invalid(
                "That permission has already ended.".into(),
            ));
        }
        let notice = Notice::ResetPermissionRevoked {
            partner: actor.org_name.clone(),
        };
        let recipients = match running {
            Some(g) if !g.whole_org => g
                .users
                .into_iter()
                .filter(|(_, used)| !used)
                .map(|(email, _)| email)
                .collect(),
            _ => store::org_admin_emails(&mut tx, org_id).await?,
        };
        for email in recipients {
            self.notify_email(&mut tx, &email, &notice, origin, now)
                .await?;
        }
        let event = Event {
            org_id,
            actor_id: Some(actor.user_id),
            subject_id: None,
            action: "grant.revoked",
            details: json!({ "grant_id": grant_id }),
        };
        audit::append(&mut tx, event, origin, now).await?;
        tx.commit().await?;
        Ok(org.name)
    }

    /// The running grant that lets this signed-in user reset MFA from My
    /// Account, if any. A support pass is not offered here: it works only
    /// right after the password is typed at sign-in, so a stolen session
    /// cannot use it.
    pub async fn reset_permission(&self, user_id: i64) -> Result<Option<ResetPermission>> {
        let mut c = self.conn().await?;
        let permission = Self::reset_permission_at(&mut c, user_id, self.now()).await?;
        Ok(permission.filter(|p| p.reason == AttemptReason::ResetPermission))
    }

    /// The running grant or active support pass that lets the password
    /// through at sign-in, on the caller's connection, at `now`.
    pub(crate) async fn reset_permission_at(
        c: &mut Conn,
        user_id: i64,
        now: i64,
    ) -> Result<Option<ResetPermission>> {
        if let Some(cover) = store::covering_grant(c, user_id, now).await? {
            return Ok(Some(ResetPermission {
                partner: cover.granted_by_org,
                expires_at: cover.expires_at,
                reason: AttemptReason::ResetPermission,
            }));
        }
        Ok(store::active_pass(c, user_id, now)
            .await?
            .map(|(_, expires_at)| ResetPermission {
                partner: SUPPORT_DESK.into(),
                expires_at,
                reason: AttemptReason::ResetPass,
            }))
    }

    /// The user of a sign-in in progress that a grant let through, and the grant.
    pub async fn reset_permission_for_attempt(
        &self,
        mfa_token: &str,
    ) -> Result<(i64, Option<ResetPermission>)> {
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::Enrollment, self.now())
            .await?;
        if !matches!(
            attempt.reason,
            AttemptReason::ResetPermission | AttemptReason::ResetPass
        ) {
            return Err(AuthError::MfaTokenInvalid);
        }
        let mut c = self.conn().await?;
        let permission = Self::reset_permission_at(&mut c, user.id, self.now()).await?;
        Ok((user.id, permission))
    }

    /// A signed-in user covered by a grant starts the reset: an enrollment
    /// attempt whose confirmation replaces every old factor.
    pub async fn start_reset_with_permission(&self, user_id: i64) -> Result<String> {
        let permission = self
            .reset_permission(user_id)
            .await?
            .ok_or(AuthError::GrantEnded)?;
        let mut c = self.conn().await?;
        Self::new_attempt(
            &mut c,
            user_id,
            AttemptPurpose::Enrollment,
            permission.reason,
            ENROLL_TOKEN_TTL,
            self.now(),
        )
        .await
    }
}
