//! The users list (`/admin`): filters, pages, the reset permissions that
//! cover people, one row per user with its actions, and "Invite a user".
// `admin_users` takes the list's filters and its place one by one, as the
// URL carries them (the server function's client side is generated too).
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos_router::components::Form;
use serde::{Deserialize, Serialize};

use super::parts::{risk_class, AdminNav, GrantView, OrgRoles, RoleOptions, UserRow};
use super::user_actions::{ActionButton, AdminUserAction, ConfirmUserAction};
use crate::error::AppError;
use crate::form::{error_signal, ConfirmRow, ErrorBox, Notice, Submit};
use crate::header::Me;
use crate::header::SecondAdminWarning;
use crate::page::{DataPage, Pager, Paging};
#[cfg(feature = "ssr")]
use crate::session::{flash, form_action, Ctx, Operation};
use crate::urls::{param, param_i64};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersView {
    pub me: Me,
    pub users: Vec<UserRow>,
    pub paging: Paging,
    pub orgs: Vec<OrgRoles>,
    pub grants: Vec<GrantView>,
}

crate::signed_in_view!(UsersView);

#[server(prefix = "/sfn", endpoint = "admin_users")]
pub async fn admin_users(
    q: String,
    mfa: String,
    locked: String,
    role: Option<i64>,
    org: Option<i64>,
    page: i64,
    after: Option<i64>,
    before: Option<i64>,
) -> Result<UsersView, AppError> {
    use super::parts::RoleChoice;
    use gatehouse_core::rules::filters::UserFilter;
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let gh = &cx.gh;
    let filter = UserFilter::from_params(&q, &mfa, &locked, role, org);
    let page = gatehouse_core::service::PageRequest {
        number: page,
        after,
        before,
    };
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
        me: Me::load(gh, uid).await?,
        paging: Paging::from(&result.place),
        users: result.users.into_iter().map(UserRow::from).collect(),
        orgs,
        grants: gh
            .visible_grants(uid)
            .await?
            .into_iter()
            .map(GrantView::from)
            .collect(),
    })
}

#[server(prefix = "/sfn", endpoint = "invite_user")]
pub async fn invite_user(email: String, name: String, role_id: i64) -> Result<(), AppError> {
    form_action("/admin?invite=1", |cx| async move {
        let uid = cx
            .recent_user(Operation::InviteUser, "/admin?invite=1")
            .await?;
        cx.gh
            .admin_invite(uid, role_id, &email, &name, &cx.origin)
            .await?;
        let done = format!(
            "Invited {}: they choose their own password from the link in the email, within 7 days.",
            email.trim()
        );
        leptos_axum::redirect(&format!("/admin?flash={}", flash(&cx.session, done).await?));
        Ok(())
    })
    .await
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let (q, mfa, locked) = (param("q"), param("mfa"), param("locked"));
    let (role, org, page) = (param_i64("role"), param_i64("org"), param_i64("page"));
    let (after, before) = (param_i64("after"), param_i64("before"));
    let action = ServerAction::<AdminUserAction>::new();
    let data = Resource::new(
        move || {
            (
                q.get(),
                mfa.get(),
                locked.get(),
                role.get(),
                org.get(),
                (page.get(), after.get(), before.get()),
            )
        },
        |(q, mfa, locked, role, org, (page, after, before))| {
            admin_users(q, mfa, locked, role, org, page.unwrap_or(1), after, before)
        },
    );
    view! {
        <DataPage title="Users · Administration" data let:view>
            <UsersScreen view action/>
        </DataPage>
    }
}

#[component]
fn UsersScreen(view: UsersView, action: ServerAction<AdminUserAction>) -> impl IntoView {
    let me = view.me.clone();
    let (q, mfa, locked) = (param("q"), param("mfa"), param("locked"));
    let (role, org) = (param_i64("role"), param_i64("org"));
    let confirm = param("confirm");
    let target = param_i64("user");
    let many_orgs = view.orgs.len() > 1;
    let orgs = view.orgs.clone();
    let invite_orgs = view.orgs.clone();
    let users = view.users.clone();
    // The confirmation `?confirm=ACTION&user=ID` asks for, drawn under that user's row.
    let columns = if many_orgs { 8 } else { 7 };
    let confirm_row = move |id: i64| {
        let (users, orgs) = (users.clone(), orgs.clone());
        ViewFn::from(move || {
            let kind = confirm.get();
            let user = users
                .iter()
                .find(|u| u.id == id && target.get() == Some(id))
                .filter(|u| u.actions.contains(&kind));
            match user {
                Some(user) => {
                    let (user, orgs) = (user.clone(), orgs.clone());
                    view! {
                        <ConfirmRow columns>
                            <ConfirmUserAction kind user orgs action/>
                        </ConfirmRow>
                    }
                    .into_any()
                }
                None => ().into_any(),
            }
        })
    };
    let empty = view.users.is_empty();
    let filtered = [
        q.get_untracked(),
        mfa.get_untracked(),
        locked.get_untracked(),
    ]
    .iter()
    .any(|p| !p.is_empty())
        || role.get_untracked().is_some()
        || org.get_untracked().is_some();
    view! {
        <AdminNav current="/admin"/>
        {view.grants.iter().map(|g| view! {
            <p class="alert warning" role="status">
                {format!("MFA reset permission active until {}: {} may reset their two-step verification (granted by {}: “{}”).", g.expires, g.covers, g.granted_by, g.reason)}
            </p>
        }).collect_view()}
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Users"</h1>
            <SecondAdminWarning me=me.clone()/>
            <Notice/>
            <ErrorBox message=error_signal(action)/>
            <Form method="GET" action="/admin" attr:class="filters">
                <div class="field grow">
                    <label for="q">"Search by email or name"</label>
                    <input id="q" name="q" type="search" value=q.get_untracked()/>
                </div>
                <div class="field">
                    <label for="mfa">"MFA"</label>
                    <select id="mfa" name="mfa">
                        <option value="" selected=mfa.get_untracked().is_empty()>"Any"</option>
                        <option value="on" selected=mfa.get_untracked() == "on">"On"</option>
                        <option value="off" selected=mfa.get_untracked() == "off">"Off"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="role">"Role"</label>
                    <select id="role" name="role">
                        <option value="">"Any"</option>
                        <RoleOptions orgs=view.orgs.clone() selected=role.get_untracked()/>
                    </select>
                </div>
                {many_orgs.then(|| view! {
                    <div class="field">
                        <label for="org">"Organization"</label>
                        <select id="org" name="org">
                            <option value="">"All"</option>
                            {view.orgs.iter().map(|o| view! {
                                <option value=o.org_id.to_string() selected=org.get_untracked() == Some(o.org_id)>{o.org_name.clone()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                })}
                <div class="check">
                    <input id="locked" name="locked" type="checkbox" value="yes" checked=locked.get_untracked() == "yes"/>
                    <label for="locked">"Locked only"</label>
                </div>
                <button type="submit" class="button secondary">"Filter"</button>
            </Form>
            <div class="table-scroll" tabindex="0" role="region" aria-label="User list">
                <table class="data">
                    <caption class="visually-hidden">"Users"</caption>
                    <thead><tr>
                        <th scope="col">"User"</th>
                        {many_orgs.then(|| view! { <th scope="col">"Organization"</th> })}
                        <th scope="col">"Role"</th>
                        <th scope="col">"MFA"</th>
                        <th scope="col">"Recovery codes"</th>
                        <th scope="col">"Last sign-in"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Actions"</th>
                    </tr></thead>
                    <tbody>
                        {view.users.into_iter().map(|u| {
                            let confirm_row = confirm_row(u.id);
                            view! { <UserRowView u many_orgs me=me.clone() confirm_row/> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {empty.then(|| view! {
                <p class="empty">
                    {if filtered { "No users match these filters. " } else { "No users yet. " }}
                    {filtered.then(|| view! { <a href="/admin">"Clear filters"</a> })}
                </p>
            })}
            <Pager paging=view.paging.clone() noun="users"/>
        </section>
        <InviteSection orgs=invite_orgs/>
    }
}

/// The label of a user action's button, and of its confirmation's button.
pub(super) fn action_label(action: &str, flagged: bool) -> &'static str {
    match action {
        "disable_mfa" => "Disable MFA",
        "change_role" => "Change role",
        "unlock" => "Unlock",
        "sign_out" => "Sign out everywhere",
        "deactivate" => "Deactivate",
        "reactivate" if flagged => "Review and reactivate",
        "reactivate" => "Reactivate",
        "resend_invitation" => "Resend invitation",
        "withdraw_invitation" => "Withdraw invitation",
        _ => "",
    }
}

/// The row's main action: what its state most calls for (a lock, a review),
/// else the first the viewer may take. The rest go under "More".
fn main_action(u: &UserRow) -> Option<&str> {
    [
        "unlock",
        "reactivate",
        "resend_invitation",
        "disable_mfa",
        "change_role",
    ]
    .into_iter()
    .find(|a| u.actions.iter().any(|mine| mine == a))
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[component]
fn UserRowView(u: UserRow, many_orgs: bool, me: Me, confirm_row: ViewFn) -> impl IntoView {
    let own = u.email == me.email;
    let mfa = match (u.factors, u.mfa_required) {
        (0, true) => view! { <span class="badge warn">"Required, not set up"</span> }.into_any(),
        (0, false) => "Off".into_any(),
        (n, _) => format!("On · {}", plural(n, "authenticator", "authenticators")).into_any(),
    };
    let codes = if u.factors > 0 {
        u.recovery_codes_left.to_string()
    } else {
        "—".into()
    };
    let main = main_action(&u).map(str::to_string);
    let more: Vec<String> = u
        .actions
        .iter()
        .filter(|a| Some(*a) != main.as_ref())
        .cloned()
        .collect();
    let who = u.email.clone();
    let flagged = u.flagged;
    let button = move |action: String, class: &'static str| {
        let label = action_label(&action, flagged);
        view! { <ActionButton label confirm=action user=u.id class/> }
    };
    let actions = if own {
        view! { <a href="/profile">"You: use My profile"</a> }.into_any()
    } else if u.actions.is_empty() {
        view! { <span class="muted">"None: their role is above yours"</span> }.into_any()
    } else {
        // Unlock is what a locked row calls for; the rest stay quiet until
        // their confirmation, which says what they do.
        let main_class = match main.as_deref() {
            Some("unlock") => "",
            _ => "secondary",
        };
        view! {
            {main.map(|a| button(a, main_class))}
            {(!more.is_empty()).then(|| view! {
                <details class="more">
                    <summary class="button small secondary" aria-label=format!("More actions for {who}")>"More"</summary>
                    <div class="menu">
                        {more.into_iter().map(|a| button(a, "secondary")).collect_view()}
                    </div>
                </details>
            })}
        }
        .into_any()
    };
    view! {
        <tr class=if u.flagged { "flagged" } else if u.locked { "locked" } else { "" }>
            <th scope="row" class="who-cell">
                <span class="email">{u.email.clone()}</span>
                {(!u.name.is_empty()).then(|| view! { <span class="name">{u.name.clone()}</span> })}
            </th>
            {many_orgs.then(|| view! { <td data-label="Organization">{u.organization.clone()}</td> })}
            <td data-label="Role">{u.role.clone()}</td>
            <td data-label="MFA">{mfa}</td>
            <td data-label="Recovery codes" class=risk_class(u.factors > 0 && u.recovery_codes_left == 0)>{codes}</td>
            <td data-label="Last sign-in">{u.last_sign_in.clone().unwrap_or_else(|| "Never".into())}</td>
            <td data-label="Status">
                {u.locked.then(|| view! { <span class="badge danger">"Locked"</span> })}
                {u.flagged.then(|| view! { <span class="badge danger">"Reported: “This wasn't me”"</span> })}
                {(!u.active && !u.flagged).then(|| view! { <span class="badge">"Deactivated"</span> })}
                {u.invited.then(|| view! { <span class="badge">"Invited"</span> })}
                {(u.active && !u.locked && !u.invited).then(|| view! { <span class="badge ok">"Active"</span> })}
            </td>
            <td data-label="Actions"><div class="actions">{actions}</div></td>
        </tr>
        // The confirmation opens under the row it acts on.
        {move || confirm_row.run()}
    }
}

#[component]
fn InviteSection(orgs: Vec<OrgRoles>) -> impl IntoView {
    let action = ServerAction::<InviteUser>::new();
    let open = param("invite");
    view! {
        <section class="card" aria-labelledby="invite-title">
            <details open=!open.get_untracked().is_empty()>
                <summary><h2 id="invite-title">"Invite a user"</h2></summary>
                <p class="hint">"They get an email with a link to choose their own password (valid 7 days). Nobody else ever knows it."</p>
                <ErrorBox message=error_signal(action)/>
                <ActionForm action=action>
                    <div class="field">
                        <label for="invite-email">"Email"</label>
                        <input id="invite-email" data-keep="" name="email" type="email" autocomplete="off" required/>
                    </div>
                    <div class="field">
                        <label for="invite-name">"Name"</label>
                        <input id="invite-name" data-keep="" name="name" type="text" autocomplete="off"/>
                    </div>
                    <div class="field">
                        <label for="invite-role">"Role"</label>
                        <select id="invite-role" name="role_id" required>
                            <RoleOptions orgs selected=None/>
                        </select>
                    </div>
                    <Submit label="Send invitation"/>
                </ActionForm>
            </details>
        </section>
    }
}
