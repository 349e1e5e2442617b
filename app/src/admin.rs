//! Server functions of the administration screens, My Account and
//! invitations: each reads the session, calls one service (which checks scope)
//! and says where to go next.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::Me;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role_id: i64,
    pub role: String,
    pub factors: i64,
    pub recovery_codes_left: i64,
    pub last_sign_in: Option<String>,
    pub locked: bool,
    pub active: bool,
    pub invited: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub id: i64,
    pub name: String,
}

/// The roles of one organization, for the role pickers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRoles {
    pub org_id: i64,
    pub org_name: String,
    pub roles: Vec<RoleChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantView {
    pub id: i64,
    pub org_id: i64,
    pub organization: String,
    pub granted_by: String,
    pub reason: String,
    pub expires: String,
    /// "Everyone at Acme", or the chosen people with whether they used it.
    pub covers: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersView {
    pub me: Me,
    pub users: Vec<UserRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub orgs: Vec<OrgRoles>,
    pub grants: Vec<GrantView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    pub mfa_required: bool,
    pub permissions: Vec<String>,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesView {
    pub me: Me,
    pub organization: String,
    pub roles: Vec<RoleView>,
    /// (name, description) of every permission, for the custom-role form.
    pub permissions: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    pub id: i64,
    pub name: String,
    pub users: i64,
    pub mfa_users: i64,
    pub stranded_users: i64,
    pub grants: Vec<GrantView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonChoice {
    pub id: i64,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersView {
    pub me: Me,
    pub customers: Vec<CustomerView>,
    /// The people of the company a grant is being prepared for (`?grant=ID`).
    pub grant_people: Vec<PersonChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub organization: String,
    pub actor: String,
    pub subject: String,
    pub action: String,
    pub ip: String,
    pub browser: String,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub me: Me,
    pub entries: Vec<AuditRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// Absent while a grant's sign-in is in progress (not a full session yet).
    pub me: Option<Me>,
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role: String,
    pub mfa_on: bool,
    /// "Northwind IT allowed … until …" while a grant covers the user.
    pub reset_permission: Option<String>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use gatehouse_core::format_time;
    use gatehouse_core::store::{Grant, UserSummary};

    use super::{GrantView, UserRow};

    pub fn grant_view(g: Grant) -> GrantView {
        let covers = if g.whole_org {
            let used = g.users.len();
            format!(
                "Everyone at {}{}",
                g.org_name,
                if used > 0 {
                    format!(" ({used} used it)")
                } else {
                    String::new()
                }
            )
        } else {
            g.users
                .iter()
                .map(|(email, used)| {
                    if *used {
                        format!("{email} (used)")
                    } else {
                        email.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        GrantView {
            id: g.id,
            org_id: g.org_id,
            organization: g.org_name,
            granted_by: g.granted_by,
            reason: g.reason,
            expires: format_time(g.expires_at),
            covers,
        }
    }

    pub fn user_row(u: UserSummary) -> UserRow {
        UserRow {
            id: u.id,
            email: u.email,
            name: u.name,
            organization: u.org_name,
            role_id: u.role_id,
            role: u.role,
            factors: u.factors,
            recovery_codes_left: u.recovery_codes_left,
            last_sign_in: u.last_login_at.map(format_time),
            locked: u.locked,
            active: !u.disabled,
            invited: u.invited,
        }
    }
}

#[cfg(feature = "ssr")]
use crate::api::ssr::*;

// ------------------------------------------------------------------ users

#[server(prefix = "/sfn", endpoint = "admin_users")]
pub async fn admin_users(
    q: String,
    mfa: String,
    locked: String,
    role: Option<i64>,
    org: Option<i64>,
    page: i64,
) -> Result<UsersView, AppError> {
    use gatehouse_core::rules::filters::UserFilter;
    let s = session().await?;
    let uid = require_user(&s).await?;
    let gh = gatehouse();
    let filter = UserFilter::from_params(&q, &mfa, &locked, role, org);
    let result = gh.admin_users(uid, &filter, page).await?;
    let orgs = gh
        .admin_role_choices(uid)
        .await?
        .into_iter()
        .map(|(org, roles)| OrgRoles {
            org_id: org.id,
            org_name: org.name,
            roles: roles
                .into_iter()
                .map(|r| RoleChoice {
                    id: r.id,
                    name: r.name,
                })
                .collect(),
        })
        .collect();
    Ok(UsersView {
        me: me(uid).await?,
        users: result.users.into_iter().map(ssr::user_row).collect(),
        total: result.total,
        page: result.page,
        pages: result.pages,
        orgs,
        grants: gh
            .visible_grants(uid)
            .await?
            .into_iter()
            .map(ssr::grant_view)
            .collect(),
    })
}

/// One action on one user: `disable_mfa`, `change_role`, `unlock`,
/// `sign_out`, `deactivate`, `reactivate`. `back` is the list to return to.
#[server(prefix = "/sfn", endpoint = "admin_user_action")]
pub async fn admin_user_action(
    action: String,
    user_id: i64,
    role_id: Option<i64>,
    back: String,
) -> Result<(), AppError> {
    let back = safe_admin_path(&back);
    let result = async {
        let s = session().await?;
        let gh = gatehouse();
        let origin = origin();
        // Taking protection away, or handing out power, needs a recent sign-in;
        // after it, the same dialog opens again.
        let operation = match action.as_str() {
            "disable_mfa" => Some(Operation::DisableUserMfa),
            "change_role" => Some(Operation::ChangeUserRole),
            _ => None,
        };
        let uid = if let Some(operation) = operation {
            let dialog = with_param(
                &with_param(&back, "confirm", &action),
                "user",
                &user_id.to_string(),
            );
            require_recent_auth(&s, operation, &dialog).await?
        } else {
            require_user(&s).await?
        };
        match action.as_str() {
            "disable_mfa" => gh.admin_disable_mfa(uid, user_id, &origin).await?,
            "change_role" => {
                let role =
                    role_id.ok_or_else(|| AppError::new("invalid_request", "Choose a role."))?;
                gh.admin_change_role(uid, user_id, role, &origin).await?
            }
            "unlock" => gh.admin_unlock(uid, user_id, &origin).await?,
            "sign_out" => gh.admin_sign_out_everywhere(uid, user_id, &origin).await?,
            "deactivate" => gh.admin_set_active(uid, user_id, false, &origin).await?,
            "reactivate" => gh.admin_set_active(uid, user_id, true, &origin).await?,
            _ => return Err(AppError::new("invalid_request", "Unknown action.")),
        }
        leptos_axum::redirect(&with_param(&back, "notice", &format!("admin_{action}")));
        Ok(())
    }
    .await;
    back_on_error(&back, result)
}

/// `/admin…` paths only, without a confirmation or a previous message.
#[cfg(feature = "ssr")]
fn safe_admin_path(back: &str) -> String {
    let back = gatehouse_core::rules::return_path::or_home(back);
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    if path != "/admin" {
        return "/admin".into();
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            !pair.is_empty()
                && !["confirm=", "user=", "notice=", "error=", "form="]
                    .iter()
                    .any(|k| pair.starts_with(k))
        })
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

#[cfg(feature = "ssr")]
fn with_param(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}{key}={value}")
}

#[server(prefix = "/sfn", endpoint = "invite_user")]
pub async fn invite_user(email: String, name: String, role_id: i64) -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::InviteUser, "/admin?invite=1").await?;
        gatehouse()
            .admin_invite(uid, role_id, &email, &name, &origin())
            .await?;
        leptos_axum::redirect("/admin?notice=invited");
        Ok(())
    }
    .await;
    back_on_error("/admin?invite=1", result)
}

// ------------------------------------------------------------------ roles

#[server(prefix = "/sfn", endpoint = "admin_roles")]
pub async fn admin_roles() -> Result<RolesView, AppError> {
    use gatehouse_core::rules::scope::{Permission, Permissions};
    let s = session().await?;
    let uid = require_user(&s).await?;
    let (org, roles) = gatehouse().admin_roles(uid, None).await?;
    Ok(RolesView {
        me: me(uid).await?,
        organization: org.name,
        roles: roles
            .into_iter()
            .map(|r| RoleView {
                id: r.id,
                permissions: Permissions::parse(&r.permissions)
                    .iter()
                    .map(|p| p.describe().to_string())
                    .collect(),
                name: r.name,
                builtin: r.builtin,
                mfa_required: r.mfa_required,
                members: r.members,
            })
            .collect(),
        permissions: Permission::ALL
            .iter()
            .map(|p| (p.name().to_string(), p.describe().to_string()))
            .collect(),
    })
}

/// The "MFA required" switch; turning it off is confirmed in the dialog of
/// `/admin/roles?confirm=mfa_off&role=ID`.
#[server(prefix = "/sfn", endpoint = "set_mfa_required")]
pub async fn set_mfa_required(role_id: i64, required: bool) -> Result<(), AppError> {
    let page = if required {
        "/admin/roles".to_string()
    } else {
        format!("/admin/roles?confirm=mfa_off&role={role_id}")
    };
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::SetRoleMfaRequired, &page).await?;
        gatehouse()
            .admin_set_mfa_required(uid, role_id, required, &origin())
            .await?;
        leptos_axum::redirect(if required {
            "/admin/roles?notice=mfa_required_on"
        } else {
            "/admin/roles?notice=mfa_required_off"
        });
        Ok(())
    }
    .await;
    back_on_error(&page, result)
}

#[server(prefix = "/sfn", endpoint = "create_role")]
pub async fn create_role(
    name: String,
    permissions: Option<Vec<String>>,
    mfa_required: Option<String>,
) -> Result<(), AppError> {
    use gatehouse_core::rules::filters::permissions_from_names;
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::CreateRole, "/admin/roles").await?;
        let chosen = permissions_from_names(&permissions.unwrap_or_default())?;
        gatehouse()
            .admin_create_role(uid, &name, &chosen, mfa_required.is_some(), &origin())
            .await?;
        leptos_axum::redirect("/admin/roles?notice=role_created");
        Ok(())
    }
    .await;
    back_on_error("/admin/roles", result)
}

// -------------------------------------------------------------- customers

#[server(prefix = "/sfn", endpoint = "msp_customers")]
pub async fn msp_customers(grant_for: Option<i64>) -> Result<CustomersView, AppError> {
    use gatehouse_core::rules::filters::UserFilter;
    let s = session().await?;
    let uid = require_user(&s).await?;
    let gh = gatehouse();
    let (customers, grants) = gh.msp_customers(uid).await?;
    let grant_people = match grant_for {
        Some(org) if customers.iter().any(|c| c.org.id == org) => {
            let filter = UserFilter {
                org_id: Some(org),
                ..UserFilter::default()
            };
            gh.admin_users(uid, &filter, 1)
                .await?
                .users
                .into_iter()
                .filter(|u| !u.disabled)
                .map(|u| PersonChoice {
                    id: u.id,
                    email: u.email,
                    name: u.name,
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let grants: Vec<GrantView> = grants.into_iter().map(ssr::grant_view).collect();
    Ok(CustomersView {
        me: me(uid).await?,
        customers: customers
            .into_iter()
            .map(|c| CustomerView {
                id: c.org.id,
                grants: grants
                    .iter()
                    .filter(|g| g.org_id == c.org.id)
                    .cloned()
                    .collect(),
                name: c.org.name,
                users: c.users,
                mfa_users: c.mfa_users,
                stranded_users: c.stranded_users,
            })
            .collect(),
        grant_people,
    })
}

#[server(prefix = "/sfn", endpoint = "grant_reset")]
pub async fn grant_reset(
    org_id: i64,
    duration_minutes: i64,
    reason: String,
    who: String,
    users: Option<Vec<i64>>,
) -> Result<(), AppError> {
    let page = format!("/msp/customers?grant={org_id}");
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::GrantResetPermission, &page).await?;
        let users = if who == "users" {
            let users = users.unwrap_or_default();
            if users.is_empty() {
                return Err(AppError::new(
                    "no_users_chosen",
                    "Choose at least one person, or grant it to the whole company.",
                ));
            }
            users
        } else {
            Vec::new()
        };
        gatehouse()
            .msp_grant(uid, org_id, duration_minutes, &reason, &users, &origin())
            .await?;
        leptos_axum::redirect("/msp/customers?notice=granted");
        Ok(())
    }
    .await;
    back_on_error(&page, result)
}

#[server(prefix = "/sfn", endpoint = "revoke_grant")]
pub async fn revoke_grant(grant_id: i64) -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let uid =
            require_recent_auth(&s, Operation::RevokeResetPermission, "/msp/customers").await?;
        gatehouse().msp_revoke(uid, grant_id, &origin()).await?;
        leptos_axum::redirect("/msp/customers?notice=revoked");
        Ok(())
    }
    .await;
    back_on_error("/msp/customers", result)
}

#[server(prefix = "/sfn", endpoint = "create_customer")]
pub async fn create_customer(
    name: String,
    admin_email: String,
    admin_name: String,
) -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::CreateCustomer, "/msp/customers").await?;
        gatehouse()
            .msp_create_customer(uid, &name, &admin_email, &admin_name, &origin())
            .await?;
        leptos_axum::redirect("/msp/customers?notice=customer_created");
        Ok(())
    }
    .await;
    back_on_error("/msp/customers", result)
}

// -------------------------------------------------------------- audit log

#[server(prefix = "/sfn", endpoint = "audit_log")]
pub async fn audit_log(
    user: String,
    action: String,
    from: String,
    to: String,
    page: i64,
) -> Result<AuditView, AppError> {
    use gatehouse_core::rules::filters::AuditFilter;
    let s = session().await?;
    let uid = require_user(&s).await?;
    let gh = gatehouse();
    let filter = AuditFilter::from_params(&user, &action, &from, &to)?;
    let result = gh.audit_page(uid, &filter, page).await?;
    Ok(AuditView {
        me: me(uid).await?,
        entries: result
            .entries
            .into_iter()
            .map(|e| AuditRow {
                id: e.id,
                at: gatehouse_core::format_time(e.at),
                organization: e.org_name,
                actor: e.actor.unwrap_or_else(|| "—".into()),
                subject: e.subject.unwrap_or_else(|| "—".into()),
                action: e.action,
                ip: e.ip,
                browser: e.user_agent,
                details: e.details,
            })
            .collect(),
        total: result.total,
        page: result.page,
        pages: result.pages,
        actions: gh.audit_actions(uid).await?,
    })
}

// ------------------------------------------------------------- My Account

#[server(prefix = "/sfn", endpoint = "account")]
pub async fn account() -> Result<AccountView, AppError> {
    let s = session().await?;
    let gh = gatehouse();
    let describe = |p: gatehouse_core::service::ResetPermission| {
        format!(
            "{} allowed you to reset your multi-factor authentication until {}.",
            p.partner,
            gatehouse_core::format_time(p.expires_at)
        )
    };
    if let Some(token) = get::<String>(&s, PENDING_ENROLL).await? {
        if let Ok((user_id, permission)) = gh.reset_permission_for_attempt(&token).await {
            let p = gh.profile(user_id).await?;
            return Ok(AccountView {
                me: None,
                email: p.email,
                name: p.name,
                organization: p.organization,
                role: p.role,
                mfa_on: !p.factors.is_empty(),
                reset_permission: permission.map(describe),
            });
        }
    }
    let uid = require_user(&s).await?;
    let me = me(uid).await?;
    Ok(AccountView {
        email: me.email.clone(),
        name: me.name.clone(),
        organization: me.organization.clone(),
        role: me.role.clone(),
        mfa_on: me.mfa_on,
        reset_permission: gh.reset_permission(uid).await?.map(describe),
        me: Some(me),
    })
}

/// "Reset multi-factor authentication" on My Account: on to setting up the
/// new authenticator, while the grant lasts.
#[server(prefix = "/sfn", endpoint = "start_account_reset")]
pub async fn start_account_reset() -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let gh = gatehouse();
        if let Some(token) = get::<String>(&s, PENDING_ENROLL).await? {
            if let Ok((_, permission)) = gh.reset_permission_for_attempt(&token).await {
                if permission.is_none() {
                    return Err(gatehouse_core::AuthError::GrantEnded.into());
                }
                leptos_axum::redirect("/enroll");
                return Ok(());
            }
        }
        let uid = require_user(&s).await?;
        let token = gh.start_reset_with_permission(uid).await?;
        put(&s, PENDING_ENROLL, token).await?;
        leptos_axum::redirect("/enroll");
        Ok(())
    }
    .await;
    back_on_error("/account", result)
}

// ------------------------------------------------------------ invitations

#[server(prefix = "/sfn", endpoint = "invitation")]
pub async fn invitation(token: String) -> Result<Option<String>, AppError> {
    Ok(gatehouse().invitation_email(&token).await?)
}

#[server(prefix = "/sfn", endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    let page = format!("/invite?token={token}");
    let result = async {
        gatehouse()
            .accept_invitation(&token, &password, &origin())
            .await?;
        leptos_axum::redirect("/login?notice=password_set");
        Ok(())
    }
    .await;
    back_on_error(&page, result)
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn admin_actions_return_only_to_the_user_list_without_stale_parameters() {
        assert_eq!(
            safe_admin_path("/admin?q=ada&confirm=disable_mfa&user=7&page=2"),
            "/admin?q=ada&page=2"
        );
        assert_eq!(safe_admin_path("/admin?notice=x"), "/admin");
        assert_eq!(safe_admin_path("/adminq=1"), "/admin");
        assert_eq!(safe_admin_path("//evil.example/admin"), "/admin");
        assert_eq!(safe_admin_path("/profile"), "/admin");
    }
}
