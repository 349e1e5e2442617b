//! User roles (`/admin/roles`): the roles of the viewer's organization
//! with their permissions, the "MFA required" and "Passkey required"
//! switches (turning one off is confirmed in the dialog of
//! `?confirm=mfa_off|passkey_off&role=ID`), and custom roles:
//! added, renamed and deleted (`?confirm=rename_role|delete_role&role=ID`).

use leptos::prelude::*;
use leptos_router::components::Form;
use serde::{Deserialize, Serialize};

use super::parts::AdminNav;
use crate::error::AppError;
use crate::form::{error_signal, ConfirmRow, Dialog, DialogActions, ErrorBox, Notice, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{flash, form_action, Ctx, Operation};
use crate::urls::{param, param_i64};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    pub id: i64,
    pub name: String,
    pub builtin: bool,
    pub mfa_required: bool,
    pub passkey_required: bool,
    pub permissions: Vec<String>,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolesView {
    pub me: Me,
    pub organization: String,
    pub roles: Vec<RoleView>,
    /// Passkeys work here (the public URL has a domain name), so "Passkey
    /// required" is enforced.
    pub passkeys_available: bool,
    /// (name, description) of every permission, for the custom-role form.
    pub permissions: Vec<(String, String)>,
}

crate::signed_in_view!(RolesView);

#[server(prefix = "/sfn", endpoint = "admin_roles")]
pub async fn admin_roles() -> Result<RolesView, AppError> {
    use gatehouse_core::rules::scope::{Permission, Permissions};
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let (org, roles) = cx.gh.admin_roles(uid, None).await?;
    Ok(RolesView {
        me: Me::load(&cx.gh, uid).await?,
        organization: org.name,
        roles: roles
            .into_iter()
            .map(|r| RoleView {
                id: r.id,
                // What the role can do here: a company's owner holds the
                // partner permissions too, but they mean nothing there.
                permissions: Permissions::parse(&r.permissions)
                    .iter()
                    .filter(|p| p.applies_to(org.kind))
                    .map(|p| p.describe().to_string())
                    .collect(),
                name: r.name,
                builtin: r.builtin,
                mfa_required: r.mfa_required,
                passkey_required: r.passkey_required,
                members: r.members,
            })
            .collect(),
        passkeys_available: cx.gh.passkeys_available(),
        // Only what means something here: a company has no customers to manage.
        permissions: Permission::ALL
            .iter()
            .filter(|p| p.applies_to(org.kind))
            .map(|p| (p.name().to_string(), p.describe().to_string()))
            .collect(),
    })
}

/// "Rename", from the dialog of `/admin/roles?confirm=rename_role&role=ID`.
#[server(prefix = "/sfn", endpoint = "rename_role")]
pub async fn rename_role(role_id: i64, name: String) -> Result<(), AppError> {
    use gatehouse_core::service::RoleUpdate;
    let page = format!("/admin/roles?confirm=rename_role&role={role_id}");
    let dialog = page.as_str();
    form_action(dialog, |cx| async move {
        let uid = cx.recent_user(Operation::EditRole, dialog).await?;
        let update = RoleUpdate {
            name: Some(name),
            ..RoleUpdate::default()
        };
        let role = cx
            .gh
            .admin_update_role(uid, role_id, &update, &cx.origin)
            .await?;
        let done = format!("Renamed the role to “{}”.", role.name);
        leptos_axum::redirect(&format!(
            "/admin/roles?flash={}",
            flash(&cx.session, done).await?
        ));
        Ok(())
    })
    .await
}

/// "Delete role", from the dialog of `/admin/roles?confirm=delete_role&role=ID`.
#[server(prefix = "/sfn", endpoint = "delete_role")]
pub async fn delete_role(role_id: i64) -> Result<(), AppError> {
    let page = format!("/admin/roles?confirm=delete_role&role={role_id}");
    let dialog = page.as_str();
    form_action(dialog, |cx| async move {
        let uid = cx.recent_user(Operation::EditRole, dialog).await?;
        let name = cx.gh.admin_delete_role(uid, role_id, &cx.origin).await?;
        let done = format!("Deleted the role “{name}”.");
        leptos_axum::redirect(&format!(
            "/admin/roles?flash={}",
            flash(&cx.session, done).await?
        ));
        Ok(())
    })
    .await
}

/// What a switch of the roles table turns on or off: `mfa` or `passkey`.
fn requirement_named(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "mfa" => Some(("mfa", "MFA required")),
        "passkey" => Some(("passkey", "Passkey required")),
        _ => None,
    }
}

/// The "MFA required" and "Passkey required" switches (`requirement` is
/// `mfa` or `passkey`); turning one off is confirmed in the dialog of
/// `/admin/roles?confirm=mfa_off|passkey_off&role=ID`.
#[server(prefix = "/sfn", endpoint = "set_role_requirement")]
pub async fn set_role_requirement(
    role_id: i64,
    requirement: String,
    required: bool,
) -> Result<(), AppError> {
    use gatehouse_core::service::{RoleRequirement, RoleUpdate};
    let (name, _) = requirement_named(&requirement)
        .ok_or_else(|| AppError::new("invalid_request", "Choose a requirement of the role."))?;
    let page = if required {
        "/admin/roles".to_string()
    } else {
        format!("/admin/roles?confirm={name}_off&role={role_id}")
    };
    let dialog = page.as_str();
    form_action(dialog, |cx| async move {
        let uid = cx
            .recent_user(Operation::SetRoleRequirement, dialog)
            .await?;
        let (which, update) = if name == "mfa" {
            let update = RoleUpdate {
                mfa_required: Some(required),
                ..RoleUpdate::default()
            };
            (RoleRequirement::Mfa, update)
        } else {
            let update = RoleUpdate {
                passkey_required: Some(required),
                ..RoleUpdate::default()
            };
            (RoleRequirement::Passkey, update)
        };
        let role = cx
            .gh
            .admin_update_role(uid, role_id, &update, &cx.origin)
            .await?;
        let done = match (which, required) {
            (RoleRequirement::Mfa, true) => format!("MFA is now required for “{}”: its members without an authenticator set one up at their next sign-in.", role.name),
            (RoleRequirement::Mfa, false) => format!("MFA is no longer required for “{}”.", role.name),
            (RoleRequirement::Passkey, true) => format!("A passkey is now required for “{}”: its members without one add one at their next sign-in.", role.name),
            (RoleRequirement::Passkey, false) => format!("A passkey is no longer required for “{}”.", role.name),
        };
        leptos_axum::redirect(&format!("/admin/roles?flash={}", flash(&cx.session, done).await?));
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "create_role")]
pub async fn create_role(
    name: String,
    permissions: Option<Vec<String>>,
    mfa_required: Option<String>,
) -> Result<(), AppError> {
    use gatehouse_core::rules::filters::permissions_from_names;
    form_action("/admin/roles", |cx| async move {
        let uid = cx
            .recent_user(Operation::CreateRole, "/admin/roles")
            .await?;
        let chosen = permissions_from_names(&permissions.unwrap_or_default())?;
        cx.gh
            .admin_create_role(uid, &name, &chosen, mfa_required.is_some(), &cx.origin)
            .await?;
        let done = format!("Added the role “{}”.", name.trim());
        leptos_axum::redirect(&format!(
            "/admin/roles?flash={}",
            flash(&cx.session, done).await?
        ));
        Ok(())
    })
    .await
}

#[component]
pub fn AdminRolesPage() -> impl IntoView {
    let set = ServerAction::<SetRoleRequirement>::new();
    let create = ServerAction::<CreateRole>::new();
    let edit = RoleEdits {
        rename: ServerAction::<RenameRole>::new(),
        delete: ServerAction::<DeleteRole>::new(),
    };
    let data = Resource::new(|| (), |_| admin_roles());
    view! {
        <DataPage title="User roles · Administration" data let:view>
            <RolesScreen view set create edit/>
        </DataPage>
    }
}

#[component]
fn RolesScreen(
    view: RolesView,
    set: ServerAction<SetRoleRequirement>,
    create: ServerAction<CreateRole>,
    edit: RoleEdits,
) -> impl IntoView {
    view! {
        <AdminNav current="/admin/roles"/>
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"User roles"</h1>
            <p class="hint">{format!("Roles of {}. Turning “MFA required” on sends members without an authenticator to set one up at their next sign-in. “Passkey required” has members sign in with a passkey: those without one add one at their next sign-in. Turning either off asks first; every change is recorded in the audit log.", view.organization)}</p>
            {(!view.passkeys_available).then(|| view! {
                <p class="alert info">"Passkeys need this Gatehouse to be reached by a domain name (GATEHOUSE_PUBLIC_URL), so “Passkey required” is not enforced here."</p>
            })}
            <Notice/>
            <ErrorBox message=error_signal(set)/>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Role list">
                <table class="data">
                    <caption class="visually-hidden">"Roles"</caption>
                    <thead><tr><th scope="col">"Role"</th><th scope="col">"Permissions"</th><th scope="col">"Members"</th><th scope="col">"MFA required"</th><th scope="col">"Passkey required"</th></tr></thead>
                    <tbody>
                        // Each row's type is erased: the browser build's type depth has a limit.
                        {view.roles.into_iter().map(|r| {
                          let role = r.clone();
                          view! {
                            <tr>
                                <th scope="row">
                                    {r.name.clone()}{(!r.builtin).then(|| view! { <span class="badge">"Custom"</span> })}
                                    {(!r.builtin).then(|| view! { <RoleEditButtons role=r.id name=r.name.clone()/> })}
                                </th>
                                <td data-label="Permissions">
                                    {if r.permissions.is_empty() {
                                        view! { <span class="muted">"Their own account only"</span> }.into_any()
                                    } else {
                                        view! { <ul class="plain">{r.permissions.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </td>
                                <td data-label="Members">{r.members}</td>
                                <td data-label="MFA required"><RequirementCell role=r.id requirement="mfa" on=r.mfa_required set/></td>
                                <td data-label="Passkey required"><RequirementCell role=r.id requirement="passkey" on=r.passkey_required set/></td>
                            </tr>
                            <RoleConfirmRow role set edit/>
                        }.into_any()}).collect_view()}
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
                    <input id="role-name" data-keep="" name="name" type="text" required maxlength="40"/>
                </div>
                <fieldset class="field">
                    <legend>"Permissions"</legend>
                    {view.permissions.into_iter().enumerate().map(|(i, (name, text))| {
                        let id = format!("perm-{i}");
                        view! {
                            <div class="check">
                                <input id=id.clone() data-keep="" type="checkbox" name=format!("permissions[{i}]") value=name/>
                                <label for=id>{text}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <div class="check">
                    <input id="role-mfa" data-keep="" name="mfa_required" type="checkbox" value="yes" checked=true/>
                    <label for="role-mfa">"Require MFA for this role"</label>
                </div>
                <Submit label="Add role" class="secondary"/>
            </ActionForm>
        </section>
    }
}

/// One requirement's switch on a role's row. Turning it on posts at once;
/// turning it off opens a confirmation (a GET, so it works without
/// JavaScript).
#[component]
fn RequirementCell(
    role: i64,
    requirement: &'static str,
    on: bool,
    set: ServerAction<SetRoleRequirement>,
) -> impl IntoView {
    let switch = view! { <RequirementSwitch role requirement on/> };
    if on {
        view! {
            <Form method="GET" action="/admin/roles">
                <input type="hidden" name="confirm" value=format!("{requirement}_off")/>
                <input type="hidden" name="role" value=role.to_string()/>
                {switch}
            </Form>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=set>
                <input type="hidden" name="role_id" value=role.to_string()/>
                <input type="hidden" name="requirement" value=requirement/>
                <input type="hidden" name="required" value="true"/>
                {switch}
            </ActionForm>
        }
        .into_any()
    }
}

/// A requirement's switch on one role, with its state spelled out.
#[component]
fn RequirementSwitch(role: i64, requirement: &'static str, on: bool) -> impl IntoView {
    let label = requirement_named(requirement).map_or("", |(_, label)| label);
    let state = format!("role-{role}-{requirement}-state");
    view! {
        <button type="submit" class="switch" role="switch" aria-checked=on.to_string()
            aria-describedby=state.clone()>
            {label}
        </button>
        <span class="switch-state" id=state>{if on { "On" } else { "Off" }}</span>
    }
}

/// The actions on a custom role.
#[derive(Clone, Copy)]
struct RoleEdits {
    rename: ServerAction<RenameRole>,
    delete: ServerAction<DeleteRole>,
}

/// "Rename" and "Delete" of a custom role: each opens its dialog (a GET,
/// so it works without JavaScript).
#[component]
fn RoleEditButtons(role: i64, name: String) -> impl IntoView {
    let open = move |confirm: &'static str, label: &'static str| {
        let aria_label = format!("{label} {name}");
        view! {
            <Form method="GET" action="/admin/roles">
                <input type="hidden" name="confirm" value=confirm/>
                <input type="hidden" name="role" value=role.to_string()/>
                <button type="submit" class="button small secondary" aria-label=aria_label>{label}</button>
            </Form>
        }
    };
    view! { <div class="actions">{open("rename_role", "Rename")}{open("delete_role", "Delete")}</div> }
}

/// The confirmation opened on one role's row (`?confirm=…&role=ID`), right
/// under it: turning "MFA required" or "Passkey required" off, renaming,
/// deleting.
#[component]
fn RoleConfirmRow(
    role: RoleView,
    set: ServerAction<SetRoleRequirement>,
    edit: RoleEdits,
) -> impl IntoView {
    let confirm = param("confirm");
    let target = param_i64("role");
    move || {
        if target.get() != Some(role.id) {
            return None;
        }
        let role = role.clone();
        let dialog = match confirm.get().as_str() {
            "mfa_off" if role.mfa_required => {
                view! { <RequirementOffDialog role requirement="mfa" set/> }.into_any()
            }
            "passkey_off" if role.passkey_required => {
                view! { <RequirementOffDialog role requirement="passkey" set/> }.into_any()
            }
            kind @ ("rename_role" | "delete_role") if !role.builtin => {
                let kind = kind.to_string();
                view! { <EditRoleDialog kind role edit/> }.into_any()
            }
            _ => return None,
        };
        Some(view! { <ConfirmRow columns=5>{dialog}</ConfirmRow> })
    }
}

/// The confirmation before turning a requirement (`mfa` or `passkey`) off:
/// what members may then do.
#[component]
fn RequirementOffDialog(
    role: RoleView,
    requirement: &'static str,
    set: ServerAction<SetRoleRequirement>,
) -> impl IntoView {
    let (label, button, text) = if requirement == "mfa" {
        ("MFA required", "Turn off MFA required", "Members can then sign in with a password only, and members may remove their last authenticator. Those who keep an authenticator still use it. The change is recorded in the audit log.")
    } else {
        ("Passkey required", "Turn off Passkey required", "Members can then sign in with an authenticator app's code, which a fake sign-in page can capture and replay. Their passkeys keep working. The change is recorded in the audit log.")
    };
    view! {
        <Dialog
            title=format!("Turn off {label} for {}?", role.name)
            text=text.to_string()
            cancel="/admin/roles".to_string()
        >
            <ActionForm action=set>
                <input type="hidden" name="role_id" value=role.id.to_string()/>
                <input type="hidden" name="requirement" value=requirement/>
                <input type="hidden" name="required" value="false"/>
                <DialogActions label=button cancel="/admin/roles".to_string() danger=true/>
            </ActionForm>
        </Dialog>
    }
}

/// The dialog that renames or deletes one custom role; a role people still
/// hold says so instead of offering to delete it.
#[component]
fn EditRoleDialog(kind: String, role: RoleView, edit: RoleEdits) -> impl IntoView {
    let cancel = "/admin/roles".to_string();
    if kind == "rename_role" {
        return view! {
            <Dialog title=format!("Rename “{}”", role.name) text="Its members keep the role; only its name changes.".to_string() cancel=cancel.clone()>
                <ErrorBox message=error_signal(edit.rename)/>
                <ActionForm action=edit.rename>
                    <input type="hidden" name="role_id" value=role.id.to_string()/>
                    <div class="field">
                        <label for="new-role-name">"New name"</label>
                        <input id="new-role-name" data-keep="" name="name" type="text" required maxlength="40" value=role.name.clone() autofocus/>
                    </div>
                    <DialogActions label="Rename" cancel field_first=true/>
                </ActionForm>
            </Dialog>
        }
        .into_any();
    }
    if role.members > 0 {
        let text = match role.members {
            1 => "1 person has this role: give them another role on Users first.".to_string(),
            n => format!("{n} people have this role: give them another role on Users first."),
        };
        return view! {
            <Dialog title=format!("“{}” cannot be deleted yet", role.name) text cancel=cancel.clone()>
                <a href=cancel class="button secondary">"Close"</a>
            </Dialog>
        }
        .into_any();
    }
    view! {
        <Dialog title=format!("Delete “{}”?", role.name) text="Nobody has this role. Deleting it is recorded in the audit log.".to_string() cancel=cancel.clone()>
            <ErrorBox message=error_signal(edit.delete)/>
            <ActionForm action=edit.delete>
                <input type="hidden" name="role_id" value=role.id.to_string()/>
                <DialogActions label="Delete role" cancel danger=true/>
            </ActionForm>
        </Dialog>
    }
    .into_any()
}
