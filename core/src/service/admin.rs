//! Administration: company admins manage their people and roles, partners
//! (MSPs) their customers and reset grants, and whoever may reads the audit
//! log of their subtree. Every operation starts from the caller ([`Actor`])
//! and asks [`scope`] before it reads or changes anything; a target in
//! another tenant is "not found".

use serde_json::json;

use super::enrollment::ENROLL_TOKEN_TTL;
use super::sign_in::PLATFORM_ORG_ID;
use super::{audit_own, Gatehouse, Notice};
use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::rules::contact::{account_key, normalize_email, valid_email};
use crate::rules::filters::{AuditFilter, UserFilter};
use crate::rules::password;
use crate::rules::scope::{self, Actor, Permission, Permissions, Refusal, Target};
use crate::store::{self, AuditEntry, Conn, Customer, Grant, RoleRow, UserSummary};
use crate::{crypto, notify};

pub const USERS_PER_PAGE: i64 = 50;
pub const AUDIT_PER_PAGE: i64 = 100;
/// A CSV export holds at most this many entries; narrow the dates for more.
pub const AUDIT_EXPORT_LIMIT: i64 = 100_000;
pub const INVITATION_TTL: i64 = 7 * 24 * 3600;
/// Custom roles sit between member and admin.
pub const CUSTOM_ROLE_SENIORITY: i64 = 50;

/// What an administrator did to a user: recorded and announced together.
struct AdminChange<'a> {
    action: &'a str,
    details: serde_json::Value,
    notice: Notice,
}

#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    pub total: i64,
    /// 1-based.
    pub page: i64,
    pub pages: i64,
}

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// The answer to an invitation: the user's id, and whether it was created
/// (false: the address had an account; nothing was changed).
struct Invited {
    user_id: i64,
    new: bool,
}

/// What My Account shows about a running reset grant.
#[derive(Debug, Clone)]
pub struct ResetPermission {
    pub partner: String,
    pub expires_at: i64,
}

fn refused(refusal: Refusal, what: &'static str) -> AuthError {
    match refusal {
        Refusal::OutOfScope => AuthError::NotFound(what),
        other => AuthError::Forbidden(other.to_string()),
    }
}

/// Handing out a role needs every permission of it (besides scope and seniority).
fn may_hand_out(actor: &Actor, role: &RoleRow) -> Result<()> {
    scope::may_hand_out(actor, &Permissions::parse(&role.permissions))
        .map_err(|r| refused(r, "Role"))
}

fn pages(total: i64, per_page: i64) -> i64 {
    ((total + per_page - 1) / per_page).max(1)
}

/// The highest page a list serves: far beyond any real list, and low enough
/// that its offset cannot overflow (PostgreSQL refuses a negative one).
const MAX_PAGE: i64 = 1_000_000;

/// A requested page number: below 1 means the first, above [`MAX_PAGE`] is refused.
fn page_number(page: i64) -> Result<i64> {
    if page > MAX_PAGE {
        return Err(AuthError::Invalid(format!(
            "page must be between 1 and {MAX_PAGE}."
        )));
    }
    Ok(page.max(1))
}

/// A CSV cell that a spreadsheet will not run as a formula.
fn csv_cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// The audit entries as CSV, newest first.
pub fn audit_csv(entries: &[AuditEntry]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "time_utc",
        "unix_time",
        "organization",
        "actor",
        "subject",
        "action",
        "ip",
        "browser",
        "details",
    ];
    let _ = out.write_record(header);
    for e in entries {
        let at = crate::format_time(e.at);
        let unix = e.at.to_string();
        let record = [
            at.as_str(),
            unix.as_str(),
            e.org_name.as_str(),
            e.actor.as_deref().unwrap_or(""),
            e.subject.as_deref().unwrap_or(""),
            e.action.as_str(),
            e.ip.as_str(),
            e.user_agent.as_str(),
            e.details.as_str(),
        ];
        let _ = out.write_record(record.iter().map(|cell| csv_cell(cell)));
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn valid_slug(slug: &str) -> bool {
    (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A slug from a company name: "Acme Widgets Ltd." → "acme-widgets-ltd".
pub fn slug_from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(40).collect()
}

impl Gatehouse {
    /// The caller of an administrative operation (a deactivated user is nobody).
    pub async fn actor(&self, user_id: i64) -> Result<Actor> {
        store::actor_facts(&mut *self.conn().await?, user_id)
            .await?
            .ok_or_else(|| AuthError::Forbidden("Your account cannot do this.".into()))
    }

    /// A user the actor may act on with `permission`, or why not.
    async fn target_user(
        &self,
        actor: &Actor,
        user_id: i64,
        permission: Permission,
    ) -> Result<UserSummary> {
        let user = self.scoped_user(actor, user_id).await?;
        let mut c = self.conn().await?;
        let target = Target {
            user_id: Some(user.id),
            org_path: store::org_path(&mut c, user.org_id).await?,
            seniority: user.seniority,
        };
        scope::may_act_on(actor, permission, &target).map_err(|r| refused(r, "User"))?;
        Ok(user)
    }

    /// A user in the actor's subtree (the same answer for another tenant's and for nobody).
    async fn scoped_user(&self, actor: &Actor, user_id: i64) -> Result<UserSummary> {
        let filter = UserFilter {
            user_id: Some(user_id),
            ..UserFilter::default()
        };
        let mut c = self.conn().await?;
        let (mut found, _) =
            store::list_users(&mut c, actor.org_id, &filter, self.now(), 1, 0).await?;
        found.pop().ok_or(AuthError::NotFound("User"))
    }

    /// An organization in the actor's subtree that they may use `permission` in.
    async fn target_org(
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
    async fn target_role(
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

    /// Audits an administrator's change to a user, in the user's organization,
    /// and tells the user by email, in the change's transaction.
    async fn record_admin_change(
        &self,
        c: &mut Conn,
        actor: &Actor,
        subject: &UserSummary,
        change: AdminChange<'_>,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        let event = Event {
            org_id: subject.org_id,
            actor_id: Some(actor.user_id),
            subject_id: Some(subject.id),
            action: change.action,
            details: change.details,
        };
        audit::append(c, event, origin, now).await?;
        self.notify_email(c, &subject.email, &change.notice, origin, now)
            .await
    }

    async fn notify_email(
        &self,
        c: &mut Conn,
        email: &str,
        notice: &Notice,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        Ok(notify::enqueue(c, email, notice, origin, now, &self.settings.public_url).await?)
    }

    // ------------------------------------------------------------------ users

    pub async fn admin_users(
        &self,
        actor_id: i64,
        filter: &UserFilter,
        page: i64,
    ) -> Result<UserPage> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::UsersRead).map_err(|r| refused(r, "User"))?;
        let page = page_number(page)?;
        let (users, total) = store::list_users(
            &mut *self.conn().await?,
            actor.org_id,
            filter,
            self.now(),
            USERS_PER_PAGE,
            (page - 1) * USERS_PER_PAGE,
        )
        .await?;
        Ok(UserPage {
            users,
            total,
            page,
            pages: pages(total, USERS_PER_PAGE),
        })
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
        let actor = self.actor(actor_id).await?;
        let user = self
            .target_user(&actor, user_id, Permission::UsersMfaReset)
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
        let actor = self.actor(actor_id).await?;
        let user = self
            .target_user(&actor, user_id, Permission::UsersManage)
            .await?;
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
        let mut tx = self.db.begin().await?;
        store::set_user_role(&mut tx, user.id, role.id).await?;
        let change = AdminChange {
            action: "user.role_changed",
            details: json!({ "from": user.role, "to": role.name }),
            notice: Notice::RoleChanged {
                role: role.name.clone(),
            },
        };
        self.record_admin_change(&mut tx, &actor, &user, change, origin, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lifts the second-factor lock (also the one after 100 failures) and the password delay.
    pub async fn admin_unlock(&self, actor_id: i64, user_id: i64, origin: &Origin) -> Result<()> {
        let actor = self.actor(actor_id).await?;
        let user = self
            .target_user(&actor, user_id, Permission::UsersManage)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::unlock_mfa(&mut tx, user.id).await?;
        store::throttle_clear(&mut tx, &account_key(&user.email)).await?;
        let change = AdminChange {
            action: "user.unlocked",
            details: json!({ "was_locked": user.locked }),
            notice: Notice::SecondFactorUnlocked,
        };
        self.record_admin_change(&mut tx, &actor, &user, change, origin, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn admin_sign_out_everywhere(
        &self,
        actor_id: i64,
        user_id: i64,
        origin: &Origin,
    ) -> Result<()> {
        let actor = self.actor(actor_id).await?;
        let user = self
            .target_user(&actor, user_id, Permission::UsersManage)
            .await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::revoke_sessions_and_tokens(&mut tx, user.id, None, now).await?;
        let change = AdminChange {
            action: "user.signed_out_everywhere",
            details: json!({}),
            notice: Notice::SignedOutEverywhere,
        };
        self.record_admin_change(&mut tx, &actor, &user, change, origin, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deactivates (no sign-in, every session and token ended) or reactivates a user.
    pub async fn admin_set_active(
        &self,
        actor_id: i64,
        user_id: i64,
        active: bool,
        origin: &Origin,
    ) -> Result<()> {
        let actor = self.actor(actor_id).await?;
        let user = self
            .target_user(&actor, user_id, Permission::UsersManage)
            .await?;
        if user.disabled != active {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        store::set_user_disabled(&mut tx, user.id, (!active).then_some(now)).await?;
        store::revoke_sessions_and_tokens(&mut tx, user.id, None, now).await?;
        let action = if active {
            "user.reactivated"
        } else {
            "user.deactivated"
        };
        let change = AdminChange {
            action,
            details: json!({}),
            notice: Notice::AccountDisabled { disabled: !active },
        };
        self.record_admin_change(&mut tx, &actor, &user, change, origin, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

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
    async fn invite(
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
        let token = crypto::new_token();
        store::insert_invitation(
            c,
            id,
            &crypto::token_hash(&token),
            now,
            now + INVITATION_TTL,
        )
        .await?;
        let link = format!("{}/invite?token={token}", self.settings.public_url);
        let mail = notify::invitation(
            &link,
            &org.name,
            &email,
            origin,
            now,
            &self.settings.public_url,
        );
        notify::enqueue_mail(c, &email, &mail, now).await?;
        Ok(Invited {
            user_id: id,
            new: true,
        })
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
        // Rate-limited per IP, and the link checked before any hashing: a
        // made-up token costs nothing.
        let mut c = self.conn().await?;
        self.count_ip(&mut c, "invite", origin, self.now()).await?;
        drop(c);
        if self.invitation_email(token).await?.is_none() {
            return Err(AuthError::LinkInvalid);
        }
        let hash = self.hash_password(new_password).await?;
        let now = self.now();
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

    // ------------------------------------------------------------------ roles

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
            .find(|r| r.name == name)
            .map(|r| r.id)
            .ok_or_else(|| AuthError::Invalid(format!("There is no role named “{name}” there.")))
    }

    /// Turns "MFA required" on or off for a role. Turning it on sends members
    /// without a factor to enrollment at their next sign-in.
    pub async fn admin_set_mfa_required(
        &self,
        actor_id: i64,
        role_id: i64,
        required: bool,
        origin: &Origin,
    ) -> Result<RoleRow> {
        let actor = self.actor(actor_id).await?;
        let role = self
            .target_role(&actor, role_id, Permission::RolesManage)
            .await?;
        if role.mfa_required != required {
            let now = self.now();
            let mut tx = self.db.begin().await?;
            store::set_role_mfa_required(&mut tx, role.id, required).await?;
            audit::append(
                &mut tx,
                Event {
                    org_id: role.org_id,
                    actor_id: Some(actor.user_id),
                    subject_id: None,
                    action: "role.mfa_required_changed",
                    details: json!({ "role": role.name, "mfa_required": required }),
                },
                origin,
                now,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(RoleRow {
            mfa_required: required,
            ..role
        })
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
        let name = name.trim().to_lowercase();
        if !(2..=40).contains(&name.chars().count()) || name.chars().any(char::is_control) {
            return Err(AuthError::Invalid(
                "A role name has 2 to 40 characters.".into(),
            ));
        }
        if !permissions.is_subset_of(&actor.permissions) {
            return Err(AuthError::Forbidden(Refusal::Outranked.to_string()));
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
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    AuthError::Invalid(format!("There is already a role named “{name}”."))
                }
                e => AuthError::Storage(e),
            })?;
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

    // -------------------------------------------------------------- customers

    fn require_partner(actor: &Actor, permission: Permission) -> Result<()> {
        scope::require(actor, permission).map_err(|r| refused(r, "Organization"))?;
        if actor.org_kind == "company" {
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
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AuthError::Invalid(
                "A company name has 1 to 100 characters.".into(),
            ));
        }
        let base = slug_from_name(name);
        if !valid_slug(&base) {
            return Err(AuthError::Invalid(
                "Use letters or digits in the company name.".into(),
            ));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let mut slug = base.clone();
        let mut n = 2;
        while store::org_by_slug(&mut tx, &slug).await?.is_some() {
            slug = format!("{}-{n}", &base[..base.len().min(36)]);
            n += 1;
        }
        let org_id =
            store::insert_org(&mut tx, "company", &slug, name, Some(actor.org_id), now).await?;
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
    ) -> Result<(i64, i64)> {
        let actor = self.actor(actor_id).await?;
        Self::require_partner(&actor, Permission::GrantsManage)?;
        let org = self
            .target_org(&actor, org_id, Permission::GrantsManage)
            .await?;
        if org.kind != "company" || org.id == actor.org_id {
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
        Ok((id, expires_at))
    }

    /// Who hears about a grant: the chosen users, or the company's admins.
    async fn grant_recipients(
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

    pub async fn msp_revoke(&self, actor_id: i64, grant_id: i64, origin: &Origin) -> Result<()> {
        let actor = self.actor(actor_id).await?;
        Self::require_partner(&actor, Permission::GrantsManage)?;
        let org_id = store::grant_org(&mut *self.conn().await?, grant_id)
            .await?
            .ok_or(AuthError::NotFound("Grant"))?;
        self.target_org(&actor, org_id, Permission::GrantsManage)
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
        Ok(())
    }

    /// The running grant that lets this user reset MFA, if any.
    pub async fn reset_permission(&self, user_id: i64) -> Result<Option<ResetPermission>> {
        Ok(
            store::covering_grant(&mut *self.conn().await?, user_id, self.now())
                .await?
                .map(|cover| ResetPermission {
                    partner: cover.granted_by_org,
                    expires_at: cover.expires_at,
                }),
        )
    }

    /// The user of a sign-in in progress that a grant let through, and the grant.
    pub async fn reset_permission_for_attempt(
        &self,
        mfa_token: &str,
    ) -> Result<(i64, Option<ResetPermission>)> {
        let (attempt, user) = self.live_attempt(mfa_token, "enroll", self.now()).await?;
        if attempt.reason != "reset_permission" {
            return Err(AuthError::MfaTokenInvalid);
        }
        Ok((user.id, self.reset_permission(user.id).await?))
    }

    /// A signed-in user covered by a grant starts the reset: an enrollment
    /// attempt whose confirmation replaces every old factor.
    pub async fn start_reset_with_permission(&self, user_id: i64) -> Result<String> {
        if self.reset_permission(user_id).await?.is_none() {
            return Err(AuthError::GrantEnded);
        }
        let mut c = self.conn().await?;
        Self::new_attempt(
            &mut c,
            user_id,
            "enroll",
            "reset_permission",
            ENROLL_TOKEN_TTL,
            self.now(),
        )
        .await
    }

    // -------------------------------------------------------------- audit log

    pub async fn audit_page(
        &self,
        actor_id: i64,
        filter: &AuditFilter,
        page: i64,
    ) -> Result<AuditPage> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::AuditRead).map_err(|r| refused(r, "Audit log"))?;
        let page = page_number(page)?;
        let (entries, total) = store::audit_entries(
            &mut *self.conn().await?,
            actor.org_id,
            filter,
            AUDIT_PER_PAGE,
            (page - 1) * AUDIT_PER_PAGE,
        )
        .await?;
        Ok(AuditPage {
            entries,
            total,
            page,
            pages: pages(total, AUDIT_PER_PAGE),
        })
    }

    /// Every matching entry (up to [`AUDIT_EXPORT_LIMIT`]), newest first, for export.
    /// Each export is itself audited: who took which part of the log.
    pub async fn audit_export(
        &self,
        actor_id: i64,
        filter: &AuditFilter,
        origin: &Origin,
    ) -> Result<Vec<AuditEntry>> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::AuditRead).map_err(|r| refused(r, "Audit log"))?;
        let (entries, _) = store::audit_entries(
            &mut *self.conn().await?,
            actor.org_id,
            filter,
            AUDIT_EXPORT_LIMIT,
            0,
        )
        .await?;
        let mut tx = self.db.begin().await?;
        let event = Event {
            org_id: actor.org_id,
            actor_id: Some(actor.user_id),
            subject_id: None,
            action: "audit.exported",
            details: json!({
                "user": filter.user,
                "action": filter.action,
                "from": filter.from,
                "to": filter.to,
                "entries": entries.len(),
            }),
        };
        audit::append(&mut tx, event, origin, self.now()).await?;
        tx.commit().await?;
        Ok(entries)
    }

    pub async fn audit_actions(&self, actor_id: i64) -> Result<Vec<String>> {
        let actor = self.actor(actor_id).await?;
        scope::require(&actor, Permission::AuditRead).map_err(|r| refused(r, "Audit log"))?;
        Ok(store::audit_actions(&mut *self.conn().await?, actor.org_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas_and_commas_are_quoted() {
        let entry = AuditEntry {
            id: 1,
            at: 0,
            org_name: "Acme, Inc.".into(),
            actor: Some("=HYPERLINK(\"x\")".into()),
            subject: None,
            action: "mfa.reset".into(),
            ip: "203.0.113.7".into(),
            user_agent: "-cmd".into(),
            details: "{\"by\":\"admin\"}".into(),
        };
        let text = audit_csv(&[entry]);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("time_utc,unix_time,organization,actor,subject,action,ip,browser,details")
        );
        let row = lines.next().unwrap();
        assert!(row.contains("\"Acme, Inc.\""), "{row}");
        assert!(row.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{row}");
        assert!(row.contains(",'-cmd,"), "{row}");
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slug_from_name("Acme Widgets Ltd."), "acme-widgets-ltd");
        assert_eq!(slug_from_name("  Ünïcode & Co "), "n-code-co");
        assert!(valid_slug(&slug_from_name("Globex")));
        assert!(!valid_slug("x"));
    }

    #[test]
    fn page_numbers_start_at_one_and_stop_before_the_offset_overflows() {
        assert_eq!(page_number(-5).unwrap(), 1);
        assert_eq!(page_number(0).unwrap(), 1);
        assert_eq!(page_number(MAX_PAGE).unwrap(), MAX_PAGE);
        assert!(matches!(page_number(i64::MAX), Err(AuthError::Invalid(_))));
        assert!((MAX_PAGE - 1)
            .checked_mul(AUDIT_PER_PAGE.max(USERS_PER_PAGE))
            .is_some());
    }

    #[test]
    fn page_counts_round_up_and_never_reach_zero() {
        assert_eq!(pages(0, 50), 1);
        assert_eq!(pages(50, 50), 1);
        assert_eq!(pages(51, 50), 2);
        assert_eq!(pages(100_000, 50), 2000);
    }
}
