//! Administration: company admins manage their people and roles, partners
//! (MSPs) their customers and reset grants, and whoever may reads the audit
//! log of their subtree. Every operation starts from the caller ([`Actor`])
//! and asks [`scope`] before it reads or changes anything; a target in
//! another tenant is "not found". One file per subject; the scoped lookups
//! they share are here.

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::notify;
use crate::rules::filters::UserFilter;
use crate::rules::scope::{self, Actor, Permission, Permissions, Refusal, Target};
use crate::store::{self, Conn, PageAt, RoleRow, UserSummary};

use crate::service::{Gatehouse, Notice};

mod audit_log;
mod contacts;
mod customers;
mod invitations;
mod paging;
mod roles;
mod users;
pub use audit_log::{audit_csv, AuditPage, AUDIT_EXPORT_LIMIT, AUDIT_PER_PAGE};
pub use contacts::{AuthorizedContacts, Contact};
pub use customers::ResetPermission;
pub use invitations::INVITATION_TTL;
pub use paging::{PagePlace, PageRequest};
pub use roles::{RoleRequirement, RoleUpdate, CUSTOM_ROLE_SENIORITY};
pub use users::{ListedUser, UserPage};

pub const USERS_PER_PAGE: i64 = 50;

/// What an administrator (or an operator) did to a user: recorded and announced together.
pub(crate) struct AdminChange<'a> {
    pub(crate) action: &'a str,
    pub(crate) details: serde_json::Value,
    pub(crate) notice: Notice,
}

pub(crate) fn refused(refusal: Refusal, what: &'static str) -> AuthError {
    match refusal {
        Refusal::OutOfScope => AuthError::NotFound(what),
        other => AuthError::Forbidden(other.to_string()),
    }
}

/// Handing out a role needs every permission of it (besides scope and seniority).
pub(crate) fn may_hand_out(actor: &Actor, role: &RoleRow) -> Result<()> {
    scope::may_hand_out(actor, &Permissions::parse(&role.permissions))
        .map_err(|r| refused(r, "Role"))
}

impl Gatehouse {
    /// The caller of an administrative operation (a deactivated user is nobody).
    pub async fn actor(&self, user_id: i64) -> Result<Actor> {
        store::actor_facts(&mut *self.conn().await?, user_id)
            .await?
            .ok_or_else(|| AuthError::Forbidden("Your account cannot do this.".into()))
    }

    /// The caller, and a user they may act on with `permission` — or why not.
    pub(crate) async fn actor_and_target_user(
        &self,
        actor_id: i64,
        user_id: i64,
        permission: Permission,
    ) -> Result<(Actor, UserSummary)> {
        let actor = self.actor(actor_id).await?;
        let user = self.scoped_user(&actor, user_id).await?;
        let mut c = self.conn().await?;
        let target = Target {
            user_id: Some(user.id),
            org_path: store::org_path(&mut c, user.org_id).await?,
            seniority: user.seniority,
        };
        scope::may_act_on(&actor, permission, &target).map_err(|r| refused(r, "User"))?;
        Ok((actor, user))
    }

    /// A user in the actor's subtree (the same answer for another tenant's and for nobody).
    pub(crate) async fn scoped_user(&self, actor: &Actor, user_id: i64) -> Result<UserSummary> {
        let filter = UserFilter {
            user_id: Some(user_id),
            ..UserFilter::default()
        };
        let mut c = self.conn().await?;
        let found =
            store::list_users(&mut c, actor.org_id, &filter, self.now(), 1, PageAt::First).await?;
        found
            .rows
            .into_iter()
            .next()
            .ok_or(AuthError::NotFound("User"))
    }

    /// An organization in the actor's subtree that they may use `permission` in.
    pub(crate) async fn target_org(
        &self,
        actor: &Actor,
        org_id: i64,
        permission: Permission,
    ) -> Result<store::Org> {
        let mut c = self.conn().await?;
        let org = store::org_by_id(&mut c, org_id)
            .await?
            .ok_or(AuthError::NotFound("Organization"))?;
        let target = Target {
            user_id: None,
            org_path: store::org_path(&mut c, org_id).await?,
            seniority: 0,
        };
        scope::may_act_on(actor, permission, &target).map_err(|r| refused(r, "Organization"))?;
        Ok(org)
    }

    /// A role the actor may change or hand out: in their subtree, not above their own.
    pub(crate) async fn target_role(
        &self,
        actor: &Actor,
        role_id: i64,
        permission: Permission,
    ) -> Result<RoleRow> {
        let mut c = self.conn().await?;
        let role = store::role_by_id(&mut c, role_id)
            .await?
            .ok_or(AuthError::NotFound("Role"))?;
        let target = Target {
            user_id: None,
            org_path: store::org_path(&mut c, role.org_id).await?,
            seniority: role.seniority,
        };
        scope::may_act_on(actor, permission, &target).map_err(|r| refused(r, "Role"))?;
        Ok(role)
    }

    /// One admin change to one user: `apply` writes it, and its audit entry
    /// and the email telling the user go in the same transaction.
    pub(crate) async fn apply_admin_change(
        &self,
        actor_id: Option<i64>,
        subject: &UserSummary,
        change: AdminChange<'_>,
        origin: &Origin,
        now: i64,
        apply: impl AsyncFnOnce(&mut Conn) -> Result<()>,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        apply(&mut tx).await?;
        let event = Event {
            org_id: subject.org_id,
            actor_id,
            subject_id: Some(subject.id),
            action: change.action,
            details: change.details,
        };
        audit::append(&mut tx, event, origin, now).await?;
        self.notify_email(&mut tx, &subject.email, &change.notice, origin, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn notify_email(
        &self,
        c: &mut Conn,
        email: &str,
        notice: &Notice,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        Ok(notify::enqueue(c, email, notice, origin, now, &self.settings.public_url).await?)
    }
}
