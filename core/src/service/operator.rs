//! What the command line does for an operator: organizations, users, the
//! MFA requirement of a role, passwords, and the cleanup of expired rows.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::rules::contact::{normalize_email, valid_email};
use crate::rules::naming::{display_name, one_script, valid_slug};
use crate::rules::password;
use crate::rules::scope::OrgKind;
use crate::store::{self};

use super::admin::{AdminChange, RoleRequirement};
use super::sign_in::PLATFORM_ORG_ID;
use super::Gatehouse;
use crate::notify::Notice;
use crate::rules::filters::UserFilter;
use crate::store::Conn;

/// What an operator does to one account from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAction {
    Unlock,
    SignOut,
    DisableMfa,
}

impl Gatehouse {
    /// The newest messages of the outbox, for the development mailbox.
    pub async fn recent_messages(&self, limit: i64) -> Result<Vec<store::OutboxMessage>> {
        Ok(store::outbox_recent(&mut *self.conn().await?, limit).await?)
    }

    pub async fn create_org(
        &self,
        kind: OrgKind,
        slug: &str,
        name: &str,
        parent: Option<&str>,
    ) -> Result<i64> {
        if !valid_slug(slug) {
            return Err(AuthError::Invalid(
                "--slug must be 2-40 characters of a-z, 0-9 and -".into(),
            ));
        }
        // The same rule as a partner's new customer: one written form, no
        // control characters (a terminal escape in a name would reach every
        // screen and export that shows it).
        let name = display_name(name, 1, 100).ok_or_else(|| {
            AuthError::Invalid(
                "--name must be 1 to 100 characters, without control characters".into(),
            )
        })?;
        let name = one_script(name)?;
        let mut tx = self.db.begin().await?;
        let parent_slug = parent.unwrap_or("platform");
        let parent = store::org_by_slug(&mut tx, parent_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {parent_slug:?}")))?;
        if !kind.may_sit_under(parent.kind) {
            return Err(AuthError::Invalid(format!(
                "a {} cannot belong to {parent_slug:?}, a {}",
                kind.as_str(),
                parent.kind.as_str()
            )));
        }
        if store::org_by_slug(&mut tx, slug).await?.is_some() {
            return Err(AuthError::Invalid(format!(
                "an organization with slug {slug:?} already exists"
            )));
        }
        let now = self.now();
        let id = store::insert_org(&mut tx, kind, slug, &name, Some(parent.id), now).await?;
        audit::append(
            &mut tx,
            Event {
                org_id: id,
                actor_id: None,
                subject_id: None,
                action: "org.created",
                details: json!({ "kind": kind.as_str(), "slug": slug, "parent": parent_slug }),
            },
            &Origin::command_line(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn create_user(
        &self,
        org_slug: &str,
        email: &str,
        role: &str,
        name: &str,
        password: &str,
    ) -> Result<i64> {
        let email = normalize_email(email);
        if !valid_email(&email) {
            return Err(AuthError::Invalid(format!(
                "{email:?} is not a valid email address"
            )));
        }
        password::check_policy(password)?;
        let mut c = self.conn().await?;
        let org = store::org_by_slug(&mut c, org_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {org_slug:?}")))?;
        let role_id = store::role_id(&mut c, org.id, role).await?.ok_or_else(|| {
            AuthError::Invalid(format!("organization {org_slug:?} has no role {role:?}"))
        })?;
        if store::user_by_email(&mut c, &email).await?.is_some() {
            return Err(AuthError::Invalid(format!(
                "a user with email {email} already exists"
            )));
        }
        drop(c);
        let hash = self.hash_password(password).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_user(&mut tx, org.id, role_id, &email, name, &hash, now)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    AuthError::Invalid(format!("a user with email {email} already exists"))
                }
                e => AuthError::Storage(e),
            })?;
        audit::append(
            &mut tx,
            Event {
                org_id: org.id,
                actor_id: None,
                subject_id: Some(id),
                action: "user.created",
                details: json!({ "role": role }),
            },
            &Origin::command_line(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Turns a role's "MFA required" or "Passkey required" on or off from
    /// the command line (also the way out should nobody who may sign in be
    /// able to).
    pub async fn set_role_requirement(
        &self,
        org_slug: &str,
        role: &str,
        requirement: RoleRequirement,
        required: bool,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let org = store::org_by_slug(&mut tx, org_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {org_slug:?}")))?;
        let role_id = store::role_id(&mut tx, org.id, role)
            .await?
            .ok_or_else(|| {
                AuthError::Invalid(format!("organization {org_slug:?} has no role {role:?}"))
            })?;
        requirement.write(&mut tx, role_id, required).await?;
        audit::append(
            &mut tx,
            Event {
                org_id: org.id,
                actor_id: None,
                subject_id: None,
                action: requirement.audit_action(),
                details: requirement.audit_details(role, required),
            },
            &Origin::command_line(),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<i64>> {
        Ok(
            store::user_by_email(&mut *self.conn().await?, &normalize_email(email))
                .await?
                .map(|u| u.id),
        )
    }

    pub async fn set_password(&self, user_id: i64, password: &str) -> Result<()> {
        password::check_policy(password)?;
        let hash = self.hash_password(password).await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Unlocks, signs out everywhere or disables the MFA of one account,
    /// for an operator without the web interface. Audited with no actor
    /// from the command line (`cli`), and the person is emailed, as when an
    /// administrator does it.
    pub async fn operator_user_action(&self, email: &str, action: OperatorAction) -> Result<()> {
        let origin = Origin::command_line();
        let user_id = self
            .user_id_by_email(email)
            .await?
            .ok_or(AuthError::NotFound("User"))?;
        let filter = UserFilter {
            user_id: Some(user_id),
            ..UserFilter::default()
        };
        let now = self.now();
        let user = store::list_users(
            &mut *self.conn().await?,
            PLATFORM_ORG_ID,
            &filter,
            now,
            1,
            store::PageAt::First,
        )
        .await?
        .rows
        .pop()
        .ok_or(AuthError::NotFound("User"))?;
        let change = match action {
            OperatorAction::DisableMfa => return self.reset_mfa(user.id, None, &origin).await,
            OperatorAction::Unlock => AdminChange {
                action: "user.unlocked",
                details: json!({ "was_locked": user.locked }),
                notice: Notice::SecondFactorUnlocked,
            },
            OperatorAction::SignOut => AdminChange {
                action: "user.signed_out_everywhere",
                details: json!({}),
                notice: Notice::SignedOutEverywhere,
            },
        };
        self.apply_admin_change(None, &user, change, &origin, now, async |c: &mut Conn| {
            match action {
                OperatorAction::Unlock => store::unlock_mfa(c, user.id).await?,
                _ => {
                    store::revoke_sessions_and_tokens(c, user.id, store::Keep::Nothing, now).await?
                }
            }
            Ok(())
        })
        .await
    }

    pub async fn delete_expired(&self) -> Result<()> {
        store::delete_expired(&mut *self.conn().await?, self.now()).await?;
        Ok(())
    }
}
