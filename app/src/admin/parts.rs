//! What the administration screens share: the organizations and their
//! roles (for the role pickers), a user's row, reset permissions, the
//! sub-navigation.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A reset permission a partner granted, as the users and the customers lists show it.
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
    /// Every person it named has used it: it is done, though it runs on.
    pub done: bool,
}

#[cfg(feature = "ssr")]
impl From<gatehouse_core::store::Grant> for GrantView {
    fn from(g: gatehouse_core::store::Grant) -> Self {
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
        let done = !g.whole_org && g.users.iter().all(|(_, used)| *used);
        GrantView {
            done,
            id: g.id,
            org_id: g.org_id,
            organization: g.org_name,
            granted_by: g.granted_by,
            reason: g.reason,
            expires: gatehouse_core::format_time(g.expires_at),
            covers,
        }
    }
}

#[component]
pub(super) fn AdminNav(current: &'static str) -> impl IntoView {
    let link = move |href: &'static str, label: &'static str| {
        view! { <a href=href aria-current=(current == href).then_some("page")>{label}</a> }
    };
    view! {
        <nav class="subnav" aria-label="Administration">
            {link("/admin", "Users")}
            {link("/admin/roles", "User roles")}
            {link("/admin/contacts", "Authorized contacts")}
            {link("/admin/support", "Support requests")}
        </nav>
    }
}

/// Marks a number that means someone could be locked out.
pub(super) fn risk_class(risk: bool) -> &'static str {
    if risk {
        "risk"
    } else {
        ""
    }
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

/// The `<option>`s of a role picker, grouped by organization.
#[component]
pub(super) fn RoleOptions(orgs: Vec<OrgRoles>, selected: Option<i64>) -> impl IntoView {
    orgs.into_iter()
        .map(|o| {
            view! {
                <optgroup label=o.org_name>
                    {o.roles.into_iter().map(|r| view! {
                        <option value=r.id.to_string() selected=selected == Some(r.id)>{r.name}</option>
                    }).collect_view()}
                </optgroup>
            }
        })
        .collect_view()
}

/// One user of the list, as its row and its action dialogs show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role_id: i64,
    pub role: String,
    pub factors: i64,
    /// The role requires MFA.
    pub mfa_required: bool,
    pub recovery_codes_left: i64,
    pub last_sign_in: Option<String>,
    pub locked: bool,
    pub active: bool,
    pub invited: bool,
    /// Answered "This wasn't me" to a reset: deactivated until reviewed.
    pub flagged: bool,
    /// What the viewer may do to this user (`disable_mfa`, `unlock`, …), as core decides.
    pub actions: Vec<String>,
}

#[cfg(feature = "ssr")]
impl From<gatehouse_core::service::ListedUser> for UserRow {
    fn from(listed: gatehouse_core::service::ListedUser) -> Self {
        let u = listed.user;
        UserRow {
            actions: listed
                .actions
                .iter()
                .map(|a| a.name().to_string())
                .collect(),
            id: u.id,
            email: u.email,
            name: u.name,
            organization: u.org_name,
            role_id: u.role_id,
            role: u.role,
            factors: u.factors,
            mfa_required: u.mfa_required,
            recovery_codes_left: u.recovery_codes_left,
            last_sign_in: u.last_login_at.map(gatehouse_core::format_time),
            locked: u.locked,
            active: !u.disabled,
            invited: u.invited,
            flagged: u.flagged,
        }
    }
}
