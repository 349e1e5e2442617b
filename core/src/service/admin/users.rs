//! An admin's people: the list, one user, and what an admin may do to them.

use serde_json::json;

use crate::audit::Origin;
use crate::error::{AuthError, Result};
use crate::rules::contact::account_key;
use crate::rules::filters::UserFilter;
use crate::rules::scope::{self, Permission, UserAction};
use crate::store::{self, Conn, RoleRow, UserSummary};

use super::{may_hand_out, refused, AdminChange, PagePlace, PageRequest, USERS_PER_PAGE};
use crate::service::{Gatehouse, Notice};

/// A user of an admin's list, with what that admin may do to them.
#[derive(Debug, Clone)]
pub struct ListedUser {
    pub user: UserSummary,
    pub actions: Vec<UserAction>,
}

#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<ListedUser>,
    pub place: PagePlace,
}

/// What `actor` may do to `u`, a user of their list (so in their subtree:
/// the list's own query scopes it, which is all the path needs to say).
fn actions_on(actor: &scope::Actor, u: &UserSummary) -> Vec<UserAction> {
    let org_path = if u.org_id == actor.org_id {
        vec![actor.org_id]
    } else {
        vec![actor.org_id, u.org_id]
    };
    let target = scope::Target {
        user_id: Some(u.id),
        org_path,
        seniority: u.seniority,
    };
    let listed = scope::Listed {
        has_factors: u.factors > 0,
        locked: u.locked,
        active: !u.disabled,
        flagged: u.flagged,
        invited: u.invited,
    };
    scope::user_actions(actor, &target, listed)
}

impl Gatehouse {
    pub async fn admin_users(
        &self,
        actor_id: i64,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<UserPage> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::UsersRead).map_err(|r| refused(r, "User"))?;
        // A filter naming another tenant's organization or role is "not
        // found", like any other id outside the caller's subtree.
        if let Some(org_id) = filter.org_id {
            self.target_org(&actor, org_id, Permission::UsersRead)
                .await?;
        }
        if let Some(role_id) = filter.role_id {
            self.target_role(&actor, role_id, Permission::UsersRead)
                .await?;
        }
        let (number, at) = page.start(USERS_PER_PAGE)?;
        let listed = store::list_users(
            &mut *self.conn().await?,
            actor.org_id,
            filter,
            self.now(),
            USERS_PER_PAGE,
            at,
        )
        .await?;
        let place = PagePlace::of(number, USERS_PER_PAGE, &listed, |u| u.id);
        let users = listed
            .rows
            .into_iter()
            .map(|user| ListedUser {
                actions: actions_on(&actor, &user),
                user,
            })
            .collect();
        Ok(UserPage { users, place })
    }

    /// The organizations the actor administers (their own first, then those
    /// below), each with the roles the actor may hand out there.
    pub async fn admin_role_choices(
        &self,
        actor_id: i64,
    ) -> Result<Vec<(store::Org, Vec<RoleRow>)>> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::UsersRead).map_err(|r| refused(r, "Organization"))?;
        let mut c = self.conn().await?;
        let mut roles = store::subtree_roles(&mut c, actor.org_id).await?;
        // Inside their own organization nobody hands out a role above their own.
        roles.retain(|r| r.org_id != actor.org_id || r.seniority <= actor.seniority);
        Ok(store::subtree_orgs(&mut c, actor.org_id)
            .await?
            .into_iter()
            .map(|org| {
                let of_org = roles
                    .iter()
                    .filter(|r| r.org_id == org.id)
                    .cloned()
                    .collect();
                (org, of_org)
            })
            .collect())
    }

    pub async fn admin_user(&self, actor_id: i64, user_id: i64) -> Result<UserSummary> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::UsersRead).map_err(|r| refused(r, "User"))?;
        self.scoped_user(&actor, user_id).await
    }

    /// Removes a user's factors and recovery codes and ends their sessions; if
    /// their role requires MFA they enroll again at next sign-in.
    pub async fn admin_disable_mfa(
        &self,
        actor_id: i64,
        user_id: i64,
        origin: &Origin,
    ) -> Result<()> {
        let (actor, user) = self
            .actor_and_target_user(actor_id, user_id, Permission::UsersMfaReset)
            .await?;
        self.reset_mfa(user.id, Some(actor.user_id), origin).await
    }

    pub async fn admin_change_role(
        &self,
        actor_id: i64,
        user_id: i64,
        role_id: i64,
        origin: &Origin,
    ) -> Result<()> {
        let (actor, user) = self
            .actor_and_target_user(actor_id, user_id, Permission::UsersManage)
            .await?;
        if user.flagged {
            // A review decides first: a new role would also change who may review it.
            return Err(AuthError::Forbidden(
                "This account was reported “This wasn't me”: review and reactivate it before changing its role."
                    .into(),
            ));
        }
        let role = self
            .target_role(&actor, role_id, Permission::UsersManage)
            .await?;
        may_hand_out(&actor, &role)?;
        if role.org_id != user.org_id {
            return Err(AuthError::Invalid(format!(
                "The role “{}” belongs to another organization than {}.",
                role.name, user.email
            )));
        }
        if role.id == user.role_id {
            return Ok(());
        }
        let now = self.now();
        let change = AdminChange {
            action: "user.role_changed",
            details: json!({ "from": user.role, "to": role.name }),
            notice: Notice::RoleChanged {
                role: role.name.clone(),
            },
        };
        let by = Some(actor.user_id);
        self.apply_admin_change(by, &user, change, origin, now, async |c: &mut Conn| {
            if !store::set_user_role(c, user.id, role.id).await? {
                return Err(AuthError::NotFound("Role"));
            }
            Ok(())
        })
        .await
    }

    /// Lifts the second-factor lock (also the one after 100 failures) and the password delay.
    pub async fn admin_unlock(&self, actor_id: i64, user_id: i64, origin: &Origin) -> Result<()> {
        let (actor, user) = self
            .actor_and_target_user(actor_id, user_id, Permission::UsersManage)
            .await?;
        let now = self.now();
        let change = AdminChange {
            action: "user.unlocked",
            details: json!({ "was_locked": user.locked }),
            notice: Notice::SecondFactorUnlocked,
        };
        let by = Some(actor.user_id);
        self.apply_admin_change(by, &user, change, origin, now, async |c: &mut Conn| {
            store::unlock_mfa(c, user.id).await?;
            store::throttle_clear(c, &account_key(&user.email)).await?;
            Ok(())
        })
        .await
    }

    pub async fn admin_sign_out_everywhere(
        &self,
        actor_id: i64,
        user_id: i64,
        origin: &Origin,
    ) -> Result<()> {
        let (actor, user) = self
            .actor_and_target_user(actor_id, user_id, Permission::UsersManage)
            .await?;
        let now = self.now();
        let change = AdminChange {
            action: "user.signed_out_everywhere",
            details: json!({}),
            notice: Notice::SignedOutEverywhere,
        };
        let by = Some(actor.user_id);
        self.apply_admin_change(by, &user, change, origin, now, async |c: &mut Conn| {
            store::revoke_sessions_and_tokens(c, user.id, store::Keep::Nothing, now).await?;
            Ok(())
        })
        .await
    }

    /// Deactivates (no sign-in, every session and token ended) or reactivates a user.
    pub async fn admin_set_active(
        &self,
        actor_id: i64,
        user_id: i64,
        active: bool,
        origin: &Origin,
    ) -> Result<()> {
        let (actor, user) = self
            .actor_and_target_user(actor_id, user_id, Permission::UsersManage)
            .await?;
        if user.disabled != active {
            return Ok(());
        }
        let reviewed = active && user.flagged;
        if reviewed {
            scope::may_review_flagged(&actor, user.org_id, user.seniority)
                .map_err(|r| refused(r, "User"))?;
        }
        let now = self.now();
        let action = if active {
            "user.reactivated"
        } else {
            "user.deactivated"
        };
        let change = AdminChange {
            action,
            details: json!({ "reviewed_report": reviewed }),
            notice: Notice::AccountDisabled { disabled: !active },
        };
        let by = Some(actor.user_id);
        self.apply_admin_change(by, &user, change, origin, now, async |c: &mut Conn| {
            store::set_user_disabled(c, user.id, (!active).then_some(now)).await?;
            if reviewed {
                store::clear_flag(c, user.id).await?;
            }
            store::revoke_sessions_and_tokens(c, user.id, store::Keep::Nothing, now).await?;
            Ok(())
        })
        .await
    }
}
