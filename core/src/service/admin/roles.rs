//! Roles: the built-in ones and custom roles, and their MFA requirement.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::rules::naming::{display_name, name_key, one_script};
use crate::rules::scope::{self, Permission, Permissions, Refusal};
use crate::store::{self, RoleRow};

use super::refused;
use crate::service::Gatehouse;

/// What a role can require of its members' sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleRequirement {
    /// "MFA required": a second factor.
    Mfa,
    /// "Passkey required": a phishing-resistant second factor.
    Passkey,
}

impl RoleRequirement {
    /// Its name in the API and the audit log.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mfa => "mfa_required",
            Self::Passkey => "passkey_required",
        }
    }

    pub(crate) fn audit_action(self) -> &'static str {
        match self {
            Self::Mfa => "role.mfa_required_changed",
            Self::Passkey => "role.passkey_required_changed",
        }
    }

    pub(crate) fn audit_details(self, role: &str, required: bool) -> serde_json::Value {
        let mut details = json!({ "role": role });
        details[self.name()] = json!(required);
        details
    }

    /// Stores the role's new setting.
    pub(crate) async fn write(
        self,
        c: &mut store::Conn,
        role_id: i64,
        required: bool,
    ) -> Result<()> {
        match self {
            Self::Mfa => store::set_role_mfa_required(c, role_id, required).await?,
            Self::Passkey => store::set_role_passkey_required(c, role_id, required).await?,
        }
        Ok(())
    }
}

/// The changes to a role one request asks for; None leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct RoleUpdate {
    /// A custom role's new name.
    pub name: Option<String>,
    pub mfa_required: Option<bool>,
    pub passkey_required: Option<bool>,
}

/// Custom roles sit between member and admin.
pub const CUSTOM_ROLE_SENIORITY: i64 = 50;

impl Gatehouse {
    /// The roles of an organization in the actor's subtree (their own by default).
    pub async fn admin_roles(
        &self,
        actor_id: i64,
        org_id: Option<i64>,
    ) -> Result<(store::Org, Vec<RoleRow>)> {
        let actor = self.actor(actor_id).await?;
        let org = self
            .target_org(
                &actor,
                org_id.unwrap_or(actor.org_id),
                Permission::UsersRead,
            )
            .await?;
        let roles = store::roles_of_org(&mut *self.conn().await?, org.id).await?;
        Ok((org, roles))
    }

    /// One role of an organization in the actor's subtree.
    pub async fn admin_role(&self, actor_id: i64, role_id: i64) -> Result<RoleRow> {
        let actor = self.actor(actor_id).await?;
        self.target_role(&actor, role_id, Permission::UsersRead)
            .await
    }

    /// A role of an organization in the actor's subtree (their own by
    /// default), by its name: the API lets callers name roles.
    pub async fn admin_role_named(
        &self,
        actor_id: i64,
        org_id: Option<i64>,
        name: &str,
    ) -> Result<i64> {
        let (_, roles) = self.admin_roles(actor_id, org_id).await?;
        roles
            .into_iter()
            .find(|r| name_key(&r.name) == name_key(name.trim()))
            .map(|r| r.id)
            .ok_or_else(|| AuthError::Invalid(format!("There is no role named “{name}” there.")))
    }

    /// Adds a custom role to the actor's organization; it can hold only
    /// permissions the actor has, and sits below admin.
    pub async fn admin_create_role(
        &self,
        actor_id: i64,
        name: &str,
        permissions: &Permissions,
        mfa_required: bool,
        origin: &Origin,
    ) -> Result<i64> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::RolesManage).map_err(|r| refused(r, "Role"))?;
        let name = role_name(name)?;
        if !permissions.is_subset_of(&actor.permissions) {
            return Err(AuthError::Forbidden(Refusal::Outranked.to_string()));
        }
        if let Some(p) = permissions.iter().find(|p| !p.applies_to(actor.org_kind)) {
            return Err(AuthError::Invalid(format!(
                "“{}” is for partners with customers, not for a company's roles.",
                p.describe()
            )));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let role = store::NewRole {
            org_id: actor.org_id,
            name: &name,
            mfa_required,
            builtin: false,
            permissions: &permissions.to_string(),
            seniority: CUSTOM_ROLE_SENIORITY.min(actor.seniority),
        };
        let id = store::insert_role(&mut tx, &role)
            .await
            .map_err(|e| name_taken(e, &name))?;
        audit::append(
            &mut tx,
            Event {
                org_id: actor.org_id,
                actor_id: Some(actor.user_id),
                subject_id: None,
                action: "role.created",
                details: json!({ "role": name, "permissions": permissions.names(), "mfa_required": mfa_required }),
            },
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a role of an organization in the actor's subtree: renames a
    /// custom one (built-in roles keep their names; members keep the role)
    /// and turns its requirements on or off ("MFA required" sends members
    /// without a factor to enrollment at their next sign-in, "Passkey
    /// required" has them sign in with a passkey). Every check comes before
    /// any change, and the changes are made together, each audited.
    pub async fn admin_update_role(
        &self,
        actor_id: i64,
        role_id: i64,
        update: &RoleUpdate,
        origin: &Origin,
    ) -> Result<RoleRow> {
        let actor = self.actor(actor_id).await?;
        let mut role = self
            .target_role(&actor, role_id, Permission::RolesManage)
            .await?;
        let name = match &update.name {
            Some(_) if role.builtin => {
                return Err(AuthError::Forbidden(
                    "Built-in roles keep their names.".into(),
                ))
            }
            Some(name) => Some(role_name(name)?),
            None => None,
        };
        let requirements = [
            (RoleRequirement::Mfa, update.mfa_required),
            (RoleRequirement::Passkey, update.passkey_required),
        ];
        if requirements.iter().any(|(_, to)| to.is_some()) {
            let permissions = Permissions::parse(&role.permissions);
            scope::may_set_requirements(&actor, &permissions, role.builtin)
                .map_err(|r| refused(r, "Role"))?;
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let Some(name) = name {
            store::rename_role(&mut tx, role.id, &name)
                .await
                .map_err(|e| name_taken(e, &name))?;
            let details = json!({ "from": role.name, "to": name });
            let event = role_event(&actor, &role, "role.renamed", details);
            audit::append(&mut tx, event, origin, now).await?;
            role.name = name;
        }
        for (requirement, to) in requirements {
            let Some(required) = to else { continue };
            let current = match requirement {
                RoleRequirement::Mfa => &mut role.mfa_required,
                RoleRequirement::Passkey => &mut role.passkey_required,
            };
            if *current == required {
                continue;
            }
            *current = required;
            requirement.write(&mut tx, role.id, required).await?;
            let details = requirement.audit_details(&role.name, required);
            let event = role_event(&actor, &role, requirement.audit_action(), details);
            audit::append(&mut tx, event, origin, now).await?;
        }
        tx.commit().await?;
        Ok(role)
    }

    /// Deletes a custom role nobody holds (members are moved to another role
    /// first, so nobody is left without one); returns its name.
    pub async fn admin_delete_role(
        &self,
        actor_id: i64,
        role_id: i64,
        origin: &Origin,
    ) -> Result<String> {
        let (actor, role) = self
            .custom_role(actor_id, role_id, "Built-in roles cannot be deleted.")
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !store::delete_unused_role(&mut tx, role.id).await? {
            return Err(AuthError::Invalid(format!(
                "People still have the role “{}”: give them another role first.",
                role.name
            )));
        }
        audit::append(
            &mut tx,
            role_event(&actor, &role, "role.deleted", json!({ "role": role.name })),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(role.name)
    }
}

impl Gatehouse {
    /// A custom role the actor may edit, with the actor; a built-in one is
    /// refused with `builtin_refusal`.
    async fn custom_role(
        &self,
        actor_id: i64,
        role_id: i64,
        builtin_refusal: &str,
    ) -> Result<(scope::Actor, RoleRow)> {
        let actor = self.actor(actor_id).await?;
        let role = self
            .target_role(&actor, role_id, Permission::RolesManage)
            .await?;
        if role.builtin {
            return Err(AuthError::Forbidden(builtin_refusal.into()));
        }
        Ok((actor, role))
    }
}

/// A role's name as typed, in its one written form ([`display_name`]):
/// 2 to 40 characters.
fn role_name(name: &str) -> Result<String> {
    let name = display_name(name, 2, 40)
        .ok_or_else(|| AuthError::Invalid("A role name has 2 to 40 characters.".into()))?;
    one_script(name)
}

/// Another role of the organization has this name, in any case
/// (the unique [`crate::rules::naming::name_key`]).
fn name_taken(e: sqlx::Error, name: &str) -> AuthError {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            AuthError::Invalid(format!("There is already a role named “{name}”."))
        }
        e => AuthError::Storage(e),
    }
}

/// The audit entry of a change to one role, in the role's organization.
fn role_event(
    actor: &scope::Actor,
    role: &RoleRow,
    action: &'static str,
    details: serde_json::Value,
) -> Event<'static> {
    Event {
        org_id: role.org_id,
        actor_id: Some(actor.user_id),
        subject_id: None,
        action,
        details,
    }
}
