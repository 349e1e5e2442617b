//! Administration screens (`/admin`, `/admin/roles`, `/msp/customers`,
//! `/audit`), My Account and the invitation page. Confirmations are part of
//! the page (`?confirm=…`), so they work before hydration and without
//! JavaScript; with it, the router swaps them in without a reload.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_query_map};

use crate::admin::*;
use crate::api::Me;
use crate::components::*;

/// A query parameter, or "".
fn param(name: &'static str) -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).unwrap_or_default())
}

fn param_i64(name: &'static str) -> Memo<Option<i64>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).and_then(|v| v.parse().ok()))
}

/// Wraps a page's data: loading, the page, or what went wrong.
macro_rules! page_body {
    ($resource:expr, |$data:ident| $view:expr) => {
        view! {
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match $resource.await {
                        Ok($data) => $view.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Suspense>
        }
    };
}

#[component]
fn AdminNav(current: &'static str) -> impl IntoView {
    let link = move |href: &'static str, label: &'static str| {
        view! { <a href=href aria-current=(current == href).then_some("page")>{label}</a> }
    };
    view! {
        <nav class="subnav" aria-label="Administration">
            {link("/admin", "Users")}
            {link("/admin/roles", "User roles")}
        </nav>
    }
}

#[component]
fn Pager(page: i64, pages: i64, total: i64, noun: &'static str) -> impl IntoView {
    let location = use_location();
    let href = move |to: i64| {
        let search = location.search.get_untracked();
        let kept: Vec<String> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| {
                !p.is_empty()
                    && !["page=", "notice=", "error=", "form="]
                        .iter()
                        .any(|k| p.starts_with(k))
            })
            .map(str::to_string)
            .chain([format!("page={to}")])
            .collect();
        format!("{}?{}", location.pathname.get_untracked(), kept.join("&"))
    };
    view! {
        <nav class="pager" aria-label="Pages">
            <span>{format!("{total} {noun} · page {page} of {pages}")}</span>
            {(page > 1).then(|| view! { <a href=href(page - 1) rel="prev">"Previous page"</a> })}
            {(page < pages).then(|| view! { <a href=href(page + 1) rel="next">"Next page"</a> })}
        </nav>
    }
}

// ------------------------------------------------------------------- users

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let (q, mfa, locked) = (param("q"), param("mfa"), param("locked"));
    let (role, org, page) = (param_i64("role"), param_i64("org"), param_i64("page"));
    let action = ServerAction::<AdminUserAction>::new();
    let data = Resource::new(
        move || {
            (
                q.get(),
                mfa.get(),
                locked.get(),
                role.get(),
                org.get(),
                page.get(),
                action.version().get(),
            )
        },
        |(q, mfa, locked, role, org, page, _)| {
            admin_users(q, mfa, locked, role, org, page.unwrap_or(1))
        },
    );
    view! {
        <Title text="Users · Administration · Gatehouse"/>
        {page_body!(data, |view| view! { <UsersScreen view action/> })}
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
    let dialog = move || {
        let user = users.iter().find(|u| Some(u.id) == target.get())?.clone();
        let kind = confirm.get();
        (!kind.is_empty())
            .then(|| view! { <ConfirmUserAction kind user orgs=orgs.clone() action/> })
    };
    view! {
        <SignedInHeader me=me.clone()/>
        <AdminNav current="/admin"/>
        {view.grants.iter().map(|g| view! {
            <p class="alert warning" role="status">
                {format!("MFA reset permission active until {}: {} may reset their multi-factor authentication (granted by {}: “{}”).", g.expires, g.covers, g.granted_by, g.reason)}
            </p>
        }).collect_view()}
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Users"</h1>
            <Notice/>
            <ErrorBox message=error_signal(action)/>
            {dialog}
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
            <div class="table-scroll">
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
                        {view.users.into_iter().map(|u| view! { <UserRowView u many_orgs me=me.clone()/> }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Pager page=view.page pages=view.pages total=view.total noun="users"/>
        </section>
        <InviteSection orgs=invite_orgs/>
    }
}

#[component]
fn RoleOptions(orgs: Vec<OrgRoles>, selected: Option<i64>) -> impl IntoView {
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

/// Marks a number that means someone could be locked out.
fn risk_class(risk: bool) -> &'static str {
    if risk {
        "risk"
    } else {
        ""
    }
}

/// A button that opens the confirmation of `confirm` for one user (a GET, so it works without JavaScript).
#[component]
fn ActionButton(
    label: &'static str,
    confirm: &'static str,
    user: i64,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let query = use_query_map();
    let kept: Vec<(String, String)> = query
        .get_untracked()
        .into_iter()
        .filter(|(k, _)| !matches!(k.as_ref(), "confirm" | "user" | "notice" | "error" | "form"))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    view! {
        <Form method="GET" action="/admin">
            {kept.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
            <input type="hidden" name="confirm" value=confirm/>
            <input type="hidden" name="user" value=user.to_string()/>
            <button type="submit" class=format!("button small {class}")>{label}</button>
        </Form>
    }
}

#[component]
fn UserRowView(u: UserRow, many_orgs: bool, me: Me) -> impl IntoView {
    let own = u.email == me.email;
    let mfa = if u.factors > 0 {
        format!(
            "On · {} authenticator{}",
            u.factors,
            if u.factors == 1 { "" } else { "s" }
        )
    } else {
        "Off".to_string()
    };
    let codes = if u.factors > 0 {
        u.recovery_codes_left.to_string()
    } else {
        "—".into()
    };
    view! {
        <tr>
            <th scope="row" class="who-cell">
                <span class="email">{u.email.clone()}</span>
                {(!u.name.is_empty()).then(|| view! { <span class="name">{u.name.clone()}</span> })}
            </th>
            {many_orgs.then(|| view! { <td data-label="Organization">{u.organization.clone()}</td> })}
            <td data-label="Role">{u.role.clone()}</td>
            <td data-label="MFA">{mfa}</td>
            <td data-label="Recovery codes" class=risk_class(u.factors > 0 && u.recovery_codes_left == 0)>{codes}</td>
            <td data-label="Last sign-in">{u.last_sign_in.clone().unwrap_or_else(|| "Never".into())}</td>
            <td>
                {u.locked.then(|| view! { <span class="badge danger">"Locked"</span> })}
                {(!u.active).then(|| view! { <span class="badge">"Deactivated"</span> })}
                {u.invited.then(|| view! { <span class="badge">"Invited"</span> })}
                {(u.active && !u.locked && !u.invited).then(|| view! { <span class="badge ok">"Active"</span> })}
            </td>
            <td><div class="actions">
                {if own {
                    view! { <a href="/profile">"You: use My Profile"</a> }.into_any()
                } else {
                    view! {
                        {(u.factors > 0).then(|| view! { <ActionButton label="Disable MFA" confirm="disable_mfa" user=u.id class="danger"/> })}
                        <ActionButton label="Change role" confirm="change_role" user=u.id class="secondary"/>
                        {u.locked.then(|| view! { <ActionButton label="Unlock" confirm="unlock" user=u.id class="secondary"/> })}
                        <ActionButton label="Sign out everywhere" confirm="sign_out" user=u.id class="secondary"/>
                        {if u.active {
                            view! { <ActionButton label="Deactivate" confirm="deactivate" user=u.id class="secondary"/> }.into_any()
                        } else {
                            view! { <ActionButton label="Reactivate" confirm="reactivate" user=u.id class="secondary"/> }.into_any()
                        }}
                    }.into_any()
                }}
            </div></td>
        </tr>
    }
}

/// The confirmation dialog of one user action.
#[component]
fn ConfirmUserAction(
    kind: String,
    user: UserRow,
    orgs: Vec<OrgRoles>,
    action: ServerAction<AdminUserAction>,
) -> impl IntoView {
    let location = use_location();
    let search = location.search.get_untracked();
    let search = search.trim_start_matches('?');
    let back = if search.is_empty() {
        location.pathname.get_untracked()
    } else {
        format!("{}?{search}", location.pathname.get_untracked())
    };
    let who = user.email.clone();
    let (title, text, danger) = match kind.as_str() {
        "disable_mfa" => (
            format!("Disable MFA for {who}?"),
            "Removes every authenticator and recovery code, signs them out everywhere and emails them. If their role requires MFA, they set up a new authenticator at their next sign-in.",
            true,
        ),
        "change_role" => (format!("Change the role of {who}"), "Their permissions change at once and they are told by email.", false),
        "unlock" => (format!("Unlock {who}?"), "Lifts the lock after too many wrong codes or passwords. Make sure it was them who got locked out.", false),
        "sign_out" => (format!("Sign {who} out everywhere?"), "Ends every browser session and app token of this user.", false),
        "deactivate" => (format!("Deactivate {who}?"), "They can no longer sign in; every session and token ends. You can reactivate them later.", true),
        "reactivate" => (format!("Reactivate {who}?"), "They can sign in again with their password and authenticator.", false),
        _ => return None,
    };
    let roles: Vec<OrgRoles> = orgs
        .into_iter()
        .filter(|o| o.org_name == user.organization)
        .collect();
    let confirm_button = NodeRef::new();
    let role_select = NodeRef::new();
    if kind == "change_role" {
        focus_on_mount::<leptos::html::Select>(role_select);
    } else {
        focus_on_mount::<leptos::html::Button>(confirm_button);
    }
    let cancel = back
        .split(['?', '&'])
        .skip(1)
        .filter(|p| !p.starts_with("confirm=") && !p.starts_with("user="))
        .collect::<Vec<_>>()
        .join("&");
    let cancel = if cancel.is_empty() {
        "/admin".to_string()
    } else {
        format!("/admin?{cancel}")
    };
    Some(view! {
        <section class="dialog" role="dialog" aria-labelledby="dialog-title" aria-describedby="dialog-text">
            <h2 id="dialog-title">{title}</h2>
            <p id="dialog-text">{text}</p>
            <ActionForm action=action>
                <input type="hidden" name="action" value=kind.clone()/>
                <input type="hidden" name="user_id" value=user.id.to_string()/>
                <input type="hidden" name="back" value=back/>
                {(kind == "change_role").then(|| view! {
                    <div class="field">
                        <label for="role_id">"New role"</label>
                        <select id="role_id" name="role_id" node_ref=role_select>
                            <RoleOptions orgs=roles selected=Some(user.role_id)/>
                        </select>
                    </div>
                })}
                <button type="submit" class=if danger { "button danger" } else { "button" } node_ref=confirm_button
                    disabled=move || action.pending().get()>"Confirm"</button>
                " "<a href=cancel>"Cancel"</a>
                <span class="progress" aria-live="polite">{move || action.pending().get().then_some("Working…")}</span>
            </ActionForm>
        </section>
    })
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
                        <input id="invite-email" name="email" type="email" autocomplete="off" required/>
                    </div>
                    <div class="field">
                        <label for="invite-name">"Name"</label>
                        <input id="invite-name" name="name" type="text" autocomplete="off"/>
                    </div>
                    <div class="field">
                        <label for="invite-role">"Role"</label>
                        <select id="invite-role" name="role_id" required>
                            <RoleOptions orgs selected=None/>
                        </select>
                    </div>
                    <Submit label="Send invitation" pending=action.pending()/>
                </ActionForm>
            </details>
        </section>
    }
}

// ------------------------------------------------------------------- roles

#[component]
pub fn AdminRolesPage() -> impl IntoView {
    let set = ServerAction::<SetMfaRequired>::new();
    let create = ServerAction::<CreateRole>::new();
    let data = Resource::new(
        move || (set.version().get(), create.version().get()),
        |_| admin_roles(),
    );
    view! {
        <Title text="User roles · Administration · Gatehouse"/>
        {page_body!(data, |view| view! { <RolesScreen view set create/> })}
    }
}

#[component]
fn RolesScreen(
    view: RolesView,
    set: ServerAction<SetMfaRequired>,
    create: ServerAction<CreateRole>,
) -> impl IntoView {
    let confirm = param("confirm");
    let target = param_i64("role");
    let roles = view.roles.clone();
    let dialog = move || {
        let role = roles
            .iter()
            .find(|r| r.mfa_required && Some(r.id) == target.get())?
            .clone();
        (confirm.get() == "mfa_off").then(|| {
            view! {
                <Dialog
                    title=format!("Turn off MFA required for {}?", role.name)
                    text="Members can then sign in with a password only, and members may remove their last authenticator. Those who keep an authenticator still use it. The change is recorded in the audit log.".to_string()
                >
                    <ActionForm action=set>
                        <input type="hidden" name="role_id" value=role.id.to_string()/>
                        <input type="hidden" name="required" value="false"/>
                        <DialogActions pending=set.pending() cancel="/admin/roles".to_string() danger=true/>
                    </ActionForm>
                </Dialog>
            }
        })
    };
    view! {
        <SignedInHeader me=view.me.clone()/>
        <AdminNav current="/admin/roles"/>
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"User roles"</h1>
            <p class="hint">{format!("Roles of {}. Turning “MFA required” on sends members without an authenticator to set one up at their next sign-in; turning it off asks first and is recorded in the audit log.", view.organization)}</p>
            <Notice/>
            <ErrorBox message=error_signal(set)/>
            {dialog}
            <div class="table-scroll">
                <table class="data">
                    <caption class="visually-hidden">"Roles"</caption>
                    <thead><tr><th scope="col">"Role"</th><th scope="col">"Permissions"</th><th scope="col">"Members"</th><th scope="col">"MFA required"</th></tr></thead>
                    <tbody>
                        {view.roles.into_iter().map(|r| view! {
                            <tr>
                                <th scope="row">{r.name.clone()}{(!r.builtin).then(|| view! { <span class="badge">"Custom"</span> })}</th>
                                <td>
                                    {if r.permissions.is_empty() {
                                        view! { <span class="muted">"Their own account only"</span> }.into_any()
                                    } else {
                                        view! { <ul class="plain">{r.permissions.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </td>
                                <td data-label="Members">{r.members}</td>
                                <td>
                                    {if r.mfa_required {
                                        // Off needs a confirmation: a GET, so it works without JavaScript.
                                        view! {
                                            <Form method="GET" action="/admin/roles">
                                                <input type="hidden" name="confirm" value="mfa_off"/>
                                                <input type="hidden" name="role" value=r.id.to_string()/>
                                                <MfaSwitch role=r.id on=true pending=set.pending()/>
                                            </Form>
                                        }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=set>
                                                <input type="hidden" name="role_id" value=r.id.to_string()/>
                                                <input type="hidden" name="required" value="true"/>
                                                <MfaSwitch role=r.id on=false pending=set.pending()/>
                                            </ActionForm>
                                        }.into_any()
                                    }}
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="card" aria-labelledby="new-role-title">
            <h2 id="new-role-title">"Add a custom role"</h2>
            <p class="hint">"A custom role ranks below admin and can hold only permissions you have yourself."</p>
            <ErrorBox message=error_signal(create)/>
            <ActionForm action=create>
                <div class="field">
                    <label for="role-name">"Role name"</label>
                    <input id="role-name" name="name" type="text" required maxlength="40"/>
                </div>
                <fieldset class="field">
                    <legend>"Permissions"</legend>
                    {view.permissions.into_iter().enumerate().map(|(i, (name, text))| {
                        let id = format!("perm-{i}");
                        view! {
                            <div class="check">
                                <input id=id.clone() type="checkbox" name=format!("permissions[{i}]") value=name/>
                                <label for=id>{text}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="check">
                    <input id="role-mfa" name="mfa_required" type="checkbox" value="yes" checked=true/>
                    <label for="role-mfa">"Require MFA for this role"</label>
                </div>
                <Submit label="Add role" pending=create.pending() class="secondary"/>
            </ActionForm>
        </section>
    }
}

/// The "MFA required" switch of one role, with its state spelled out.
#[component]
fn MfaSwitch(role: i64, on: bool, pending: Memo<bool>) -> impl IntoView {
    view! {
        <button type="submit" class="switch" role="switch" aria-checked=on.to_string()
            aria-describedby=format!("role-{role}-state") disabled=move || pending.get()>
            "MFA required"
        </button>
        <span class="switch-state" id=format!("role-{role}-state")>{if on { "On" } else { "Off" }}</span>
    }
}

// --------------------------------------------------------------- customers

#[component]
pub fn CustomersPage() -> impl IntoView {
    let grant_for = param_i64("grant");
    let grant = ServerAction::<GrantReset>::new();
    let revoke = ServerAction::<RevokeGrant>::new();
    let create = ServerAction::<CreateCustomer>::new();
    let data = Resource::new(
        move || {
            (
                grant_for.get(),
                grant.version().get(),
                revoke.version().get(),
                create.version().get(),
            )
        },
        |(grant_for, ..)| msp_customers(grant_for),
    );
    view! {
        <Title text="Customers · Gatehouse"/>
        {page_body!(data, |view| view! { <CustomersScreen view grant revoke create/> })}
    }
}

#[component]
fn CustomersScreen(
    view: CustomersView,
    grant: ServerAction<GrantReset>,
    revoke: ServerAction<RevokeGrant>,
    create: ServerAction<CreateCustomer>,
) -> impl IntoView {
    let grant_for = param_i64("grant");
    let granting = view
        .customers
        .iter()
        .find(|c| Some(c.id) == grant_for.get_untracked())
        .map(|c| (c.id, c.name.clone()));
    view! {
        <SignedInHeader me=view.me.clone()/>
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Customers"</h1>
            <Notice/>
            <ErrorBox message=error_signal(revoke)/>
            {granting.map(|(id, name)| view! { <GrantDialog org_id=id org_name=name people=view.grant_people.clone() action=grant/> })}
            <div class="table-scroll">
                <table class="data">
                    <caption class="visually-hidden">"Customer companies"</caption>
                    <thead><tr>
                        <th scope="col">"Company"</th><th scope="col">"Users"</th><th scope="col">"With MFA"</th>
                        <th scope="col">"Could not recover alone"</th><th scope="col">"MFA reset permission"</th><th scope="col">"Actions"</th>
                    </tr></thead>
                    <tbody>
                        {view.customers.into_iter().map(|c| view! {
                            <tr>
                                <th scope="row">{c.name.clone()}</th>
                                <td data-label="Users">{c.users}</td>
                                <td data-label="With MFA">{c.mfa_users}</td>
                                <td data-label="Could not recover alone" class=risk_class(c.stranded_users > 0)>
                                    {c.stranded_users}
                                    <span class="visually-hidden">" (one authenticator and no recovery code left)"</span>
                                </td>
                                <td>
                                    {if c.grants.is_empty() {
                                        view! { <span class="muted">"None"</span> }.into_any()
                                    } else {
                                        c.grants.into_iter().map(|g| view! {
                                            <div class="grant">
                                                <p>{format!("{} · until {}", g.covers, g.expires)}</p>
                                                <p class="hint">{format!("“{}” — {}", g.reason, g.granted_by)}</p>
                                                <ActionForm action=revoke>
                                                    <input type="hidden" name="grant_id" value=g.id.to_string()/>
                                                    <button type="submit" class="button small danger">"Revoke"</button>
                                                </ActionForm>
                                            </div>
                                        }).collect_view().into_any()
                                    }}
                                </td>
                                <td>
                                    <Form method="GET" action="/msp/customers">
                                        <input type="hidden" name="grant" value=c.id.to_string()/>
                                        <button type="submit" class="button small secondary">"Grant MFA reset permission"</button>
                                    </Form>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <NewCustomerSection action=create/>
    }
}

#[component]
fn GrantDialog(
    org_id: i64,
    org_name: String,
    people: Vec<PersonChoice>,
    action: ServerAction<GrantReset>,
) -> impl IntoView {
    let duration = NodeRef::new();
    focus_on_mount::<leptos::html::Select>(duration);
    let durations = [
        (60, "1 hour"),
        (240, "4 hours"),
        (720, "12 hours"),
        (1440, "24 hours"),
        (4320, "3 days"),
        (10080, "7 days"),
    ];
    view! {
        <section class="dialog" role="dialog" aria-labelledby="grant-title">
            <h2 id="grant-title">{format!("Grant MFA reset permission to {org_name}")}</h2>
            <p>"While it lasts, the people it covers sign in with their password only, once, and must set up a new authenticator and new recovery codes. Their admins see it; you can revoke it at any time."</p>
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <input type="hidden" name="org_id" value=org_id.to_string()/>
                <div class="field">
                    <label for="duration">"Duration"</label>
                    <select id="duration" name="duration_minutes" node_ref=duration>
                        {durations.into_iter().map(|(minutes, label)| view! {
                            <option value=minutes.to_string() selected=minutes == 1440>{label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="reason">"Reason"</label>
                    <p class="hint" id="reason-hint">"The ticket or request this answers. The customer's admins and the audit log show it."</p>
                    <textarea id="reason" name="reason" rows="2" maxlength="500" aria-describedby="reason-hint" required></textarea>
                </div>
                <fieldset class="field">
                    <legend>"Who may reset"</legend>
                    <div class="check">
                        <input id="who-company" type="radio" name="who" value="company" checked=true/>
                        <label for="who-company">{format!("Everyone at {org_name}")}</label>
                    </div>
                    <div class="check">
                        <input id="who-users" type="radio" name="who" value="users"/>
                        <label for="who-users">"Only the people chosen below"</label>
                    </div>
                    <ul class="plain people">
                        {people.into_iter().enumerate().map(|(i, p)| {
                            let id = format!("person-{}", p.id);
                            view! {
                                <li class="check">
                                    <input id=id.clone() type="checkbox" name=format!("users[{i}]") value=p.id.to_string()/>
                                    <label for=id>{p.email}{(!p.name.is_empty()).then(|| format!(" ({})", p.name))}</label>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </fieldset>
                <Submit label="Grant" pending=action.pending()/>
                " "<a href="/msp/customers">"Cancel"</a>
            </ActionForm>
        </section>
    }
}

#[component]
fn NewCustomerSection(action: ServerAction<CreateCustomer>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="new-customer-title">
            <h2 id="new-customer-title">"Add a customer"</h2>
            <p class="hint">"Creates the company and invites its first admin (role owner) by email."</p>
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <div class="field">
                    <label for="customer-name">"Company name"</label>
                    <input id="customer-name" name="name" type="text" required maxlength="100"/>
                </div>
                <div class="field">
                    <label for="customer-admin">"First admin's email"</label>
                    <input id="customer-admin" name="admin_email" type="email" required/>
                </div>
                <div class="field">
                    <label for="customer-admin-name">"First admin's name"</label>
                    <input id="customer-admin-name" name="admin_name" type="text"/>
                </div>
                <Submit label="Create customer" pending=action.pending() class="secondary"/>
            </ActionForm>
        </section>
    }
}

// --------------------------------------------------------------- audit log

#[component]
pub fn AuditPage() -> impl IntoView {
    let (user, action, from, to) = (param("user"), param("action"), param("from"), param("to"));
    let page = param_i64("page");
    let data = Resource::new(
        move || (user.get(), action.get(), from.get(), to.get(), page.get()),
        |(user, action, from, to, page)| audit_log(user, action, from, to, page.unwrap_or(1)),
    );
    view! {
        <Title text="Audit log · Gatehouse"/>
        {page_body!(data, |view| view! { <AuditScreen view/> })}
    }
}

#[component]
fn AuditScreen(view: AuditView) -> impl IntoView {
    let (user, action, from, to) = (param("user"), param("action"), param("from"), param("to"));
    let export = format!(
        "/audit/export.csv?user={}&action={}&from={}&to={}",
        url_encode(&user.get_untracked()),
        url_encode(&action.get_untracked()),
        url_encode(&from.get_untracked()),
        url_encode(&to.get_untracked())
    );
    view! {
        <SignedInHeader me=view.me.clone()/>
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Audit log"</h1>
            <p class="hint">"Every sign-in, change, reset and grant in your organizations, newest first. Times are UTC."</p>
            <Form method="GET" action="/audit" attr:class="filters">
                <div class="field grow">
                    <label for="user">"User (email)"</label>
                    <input id="user" name="user" type="search" value=user.get_untracked()/>
                </div>
                <div class="field">
                    <label for="action">"Action"</label>
                    <select id="action" name="action">
                        <option value="">"Any"</option>
                        {view.actions.into_iter().map(|a| view! {
                            <option value=a.clone() selected=action.get_untracked() == a>{a.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" value=from.get_untracked()/>
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=to.get_untracked()/>
                </div>
                <button type="submit" class="button secondary">"Filter"</button>
            </Form>
            <p><a class="button secondary small" href=export download>"Download CSV"</a>
               <span class="hint">" The entries matching these filters, for the dates chosen."</span></p>
            <div class="table-scroll">
                <table class="data audit">
                    <caption class="visually-hidden">"Audit entries"</caption>
                    <thead><tr>
                        <th scope="col">"Time"</th><th scope="col">"Action"</th><th scope="col">"Actor"</th><th scope="col">"Subject"</th>
                        <th scope="col">"Organization"</th><th scope="col">"IP"</th><th scope="col">"Browser"</th><th scope="col">"Details"</th>
                    </tr></thead>
                    <tbody>
                        {view.entries.into_iter().map(|e| view! {
                            <tr>
                                <td class="nowrap">{e.at}</td>
                                <th scope="row"><code>{e.action}</code></th>
                                <td>{e.actor}</td>
                                <td>{e.subject}</td>
                                <td>{e.organization}</td>
                                <td>{e.ip}</td>
                                <td class="browser">{e.browser}</td>
                                <td><code class="details">{e.details}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Pager page=view.page pages=view.pages total=view.total noun="entries"/>
        </section>
    }
}

// -------------------------------------------------------------- My Account

#[component]
pub fn AccountPage() -> impl IntoView {
    let start = ServerAction::<StartAccountReset>::new();
    let data = Resource::new(|| (), |_| account());
    view! {
        <Title text="My Account · Gatehouse"/>
        {page_body!(data, |view| view! { <AccountScreen view start/> })}
    }
}

#[component]
fn AccountScreen(view: AccountView, start: ServerAction<StartAccountReset>) -> impl IntoView {
    view! {
        {match view.me.clone() {
            Some(me) => view! { <SignedInHeader me/> }.into_any(),
            None => view! { <PublicHeader/> }.into_any(),
        }}
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"My Account"</h1>
            <Notice/>
            <dl class="facts">
                <dt>"Name"</dt><dd>{if view.name.is_empty() { "—".to_string() } else { view.name.clone() }}</dd>
                <dt>"Email"</dt><dd>{view.email.clone()}</dd>
                <dt>"Organization"</dt><dd>{view.organization.clone()}</dd>
                <dt>"Role"</dt><dd>{view.role.clone()}</dd>
                <dt>"Two-step verification"</dt><dd>{if view.mfa_on { "On" } else { "Off" }}</dd>
            </dl>
        </section>
        {match view.reset_permission {
            Some(text) => view! {
                <section class="card danger-zone" aria-labelledby="reset-title">
                    <h2 id="reset-title">"Reset multi-factor authentication"</h2>
                    <p>{text}</p>
                    <p>"You will set up a new authenticator app and get new recovery codes. Your old authenticators and codes stop working, and every other session is signed out."</p>
                    <ErrorBox message=error_signal(start)/>
                    <ActionForm action=start>
                        <Submit label="Reset multi-factor authentication" pending=start.pending() class="danger"/>
                    </ActionForm>
                </section>
            }.into_any(),
            None => view! {
                <section class="card" aria-labelledby="help-title">
                    <h2 id="help-title">"Lost your authenticator?"</h2>
                    <p>"Use a recovery code or “Try another method” when you sign in. If that is not possible, ask your administrator: they can reset it, or your IT partner can allow you to reset it here."</p>
                    {view.me.is_some().then(|| view! { <p><a href="/profile">"Manage your sign-in methods in My Profile"</a></p> })}
                </section>
            }.into_any(),
        }}
    }
}

// -------------------------------------------------------------- invitations

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = param("token");
    let data = Resource::new(move || token.get(), invitation);
    view! {
        <Title text="Choose your password · Gatehouse"/>
        {page_body!(data, |email| view! { <InviteScreen email token=token.get_untracked()/> })}
    }
}

#[component]
fn InviteScreen(email: Option<String>, token: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    let password = NodeRef::new();
    focus_on_mount::<leptos::html::Input>(password);
    view! {
        <PublicHeader/>
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Choose your password"</h1>
            {match email {
                Some(email) => view! {
                    <ErrorBox message=error_signal(action)/>
                    <ActionForm action=action>
                        <input type="hidden" name="token" value=token/>
                        <div class="field">
                            <label for="email">"Email"</label>
                            <input id="email" type="email" autocomplete="username" value=email readonly/>
                        </div>
                        <div class="field">
                            <label for="password">"New password"</label>
                            <p class="hint" id="password-hint">"At least 8 characters; a few unrelated words make a strong one. Common passwords are refused."</p>
                            <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128"
                                aria-describedby="password-hint" required node_ref=password/>
                        </div>
                        <Submit label="Set password" pending=action.pending()/>
                    </ActionForm>
                }.into_any(),
                None => view! {
                    <p class="alert error" role="alert">"This invitation link has expired or was already used. Ask your administrator for a new one."</p>
                    <p><a href="/login">"Go to sign-in"</a></p>
                }.into_any(),
            }}
        </section>
    }
}
