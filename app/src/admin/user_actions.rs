//! One action on one user of the list: the button that opens its
//! confirmation (`/admin?confirm=ACTION&user=ID`, kept with the list's
//! filters), the dialog, and the server function that does it.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_query_map};

use super::parts::{OrgRoles, RoleOptions, UserRow};
use super::users::action_label;
use crate::error::AppError;
use crate::form::Dialog;
#[cfg(feature = "ssr")]
use crate::session::{flash, form_action, Operation};
#[cfg(feature = "ssr")]
use crate::urls::{safe_admin_path, with_param, MESSAGE_PARAMS};

/// One action on one user: `disable_mfa`, `change_role`, `unlock`,
/// `sign_out`, `deactivate`, `reactivate`, `resend_invitation`,
/// `withdraw_invitation`. `back` is the list to return to.
#[server(prefix = "/sfn", endpoint = "admin_user_action")]
pub async fn admin_user_action(
    action: String,
    user_id: i64,
    role_id: Option<i64>,
    back: String,
) -> Result<(), AppError> {
    let back = safe_admin_path(&back);
    let list = back.as_str();
    form_action(list, |cx| async move {
        let (gh, origin) = (&cx.gh, &cx.origin);
        // Taking protection away, or handing out power, needs a recent sign-in;
        // after it, the same dialog opens again.
        let operation = match action.as_str() {
            "disable_mfa" => Some(Operation::DisableUserMfa),
            "change_role" => Some(Operation::ChangeUserRole),
            _ => None,
        };
        let uid = if let Some(operation) = operation {
            let dialog = with_param(
                &with_param(list, "confirm", &action),
                "user",
                &user_id.to_string(),
            );
            cx.recent_user(operation, &dialog).await?
        } else {
            cx.user().await?
        };
        // Each says what was done; named only once it is done, so a refusal
        // tells nothing about the person.
        // An invitation's actions answer with the address (a withdrawn one
        // has no account left to look up).
        let mut address = None;
        let done: fn(&str) -> String = match action.as_str() {
            "disable_mfa" => {
                gh.admin_disable_mfa(uid, user_id, origin).await?;
                |who| format!("Disabled MFA for {who}. They were signed out everywhere and told by email; they set up a new authenticator at their next sign-in if their role requires one.")
            }
            "change_role" => {
                let role =
                    role_id.ok_or_else(|| AppError::new("invalid_request", "Choose a role."))?;
                gh.admin_change_role(uid, user_id, role, origin).await?;
                |who| format!("Changed the role of {who}. They were told by email.")
            }
            "unlock" => {
                gh.admin_unlock(uid, user_id, origin).await?;
                |who| format!("Unlocked {who}: they can sign in with a code again.")
            }
            "sign_out" => {
                gh.admin_sign_out_everywhere(uid, user_id, origin).await?;
                |who| format!("Signed {who} out everywhere.")
            }
            "deactivate" => {
                gh.admin_set_active(uid, user_id, false, origin).await?;
                |who| format!("Deactivated {who} and signed them out everywhere.")
            }
            "reactivate" => {
                gh.admin_set_active(uid, user_id, true, origin).await?;
                |who| format!("Reactivated {who}.")
            }
            "resend_invitation" => {
                address = Some(gh.admin_resend_invitation(uid, user_id, origin).await?);
                |who| format!("Sent the invitation to {who} again. The new link works for 7 days; the one sent before no longer works.")
            }
            "withdraw_invitation" => {
                address = Some(gh.admin_withdraw_invitation(uid, user_id, origin).await?);
                |who| format!("Withdrew the invitation of {who}: its link no longer works, and the address can be invited again.")
            }
            _ => return Err(AppError::new("invalid_request", "Unknown action.")),
        };
        let who = match address {
            Some(address) => address,
            None => {
                let about = gh.profile(user_id).await?;
                if about.name.trim().is_empty() {
                    about.email
                } else {
                    about.name
                }
            }
        };
        let id = flash(&cx.session, done(&who)).await?;
        leptos_axum::redirect(&with_param(list, "flash", &id));
        Ok(())
    })
    .await
}

/// A button that opens the confirmation of `confirm` for one user (a GET, so it works without JavaScript).
#[component]
pub(super) fn ActionButton(
    label: &'static str,
    confirm: String,
    user: i64,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    let query = use_query_map();
    let kept: Vec<(String, String)> = query
        .get_untracked()
        .into_iter()
        .filter(|(k, _)| {
            let k: &str = k.as_ref();
            !(k == "confirm" || k == "user" || MESSAGE_PARAMS.contains(&k))
        })
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

/// The confirmation dialog of one user action.
#[component]
pub(super) fn ConfirmUserAction(
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
        "reactivate" if user.flagged => (
            format!("Reactivate {who} after “This wasn't me”?"),
            "They answered “This wasn't me” to a reset of their two-step verification: their sessions, authenticators and password were removed. Reactivate only after speaking to them in person or on a number you already had. They then choose a new password with “Forgot password?” and set up a new authenticator.",
            true,
        ),
        "reactivate" => (format!("Reactivate {who}?"), "They can sign in again with their password and authenticator.", false),
        "resend_invitation" => (format!("Send the invitation to {who} again?"), "They get a new link by email that works for 7 days; the link sent before stops working.", false),
        "withdraw_invitation" => (format!("Withdraw the invitation of {who}?"), "Its link stops working and the account that waited for it is deleted. You can invite the address again later.", true),
        _ => return None,
    };
    let roles: Vec<OrgRoles> = orgs
        .into_iter()
        .filter(|o| o.org_name == user.organization)
        .collect();
    // The focus starts on the role to choose, else on the button that does it.
    let role_first = kind == "change_role";
    let cancel = back
        .split(['?', '&'])
        .skip(1)
        .filter(|p| {
            let key = p.split('=').next().unwrap_or_default();
            !(key == "confirm" || key == "user" || MESSAGE_PARAMS.contains(&key))
        })
        .collect::<Vec<_>>()
        .join("&");
    let cancel = if cancel.is_empty() {
        "/admin".to_string()
    } else {
        format!("/admin?{cancel}")
    };
    let label = action_label(&kind, user.flagged);
    Some(view! {
        <Dialog title text=text.to_string() cancel=cancel.clone()>
            <ActionForm action=action>
                <input type="hidden" name="action" value=kind.clone()/>
                <input type="hidden" name="user_id" value=user.id.to_string()/>
                <input type="hidden" name="back" value=back/>
                {(kind == "change_role").then(|| view! {
                    <div class="field">
                        <label for="role_id">"New role"</label>
                        <select id="role_id" name="role_id" autofocus>
                            <RoleOptions orgs=roles selected=Some(user.role_id)/>
                        </select>
                    </div>
                })}
                <button type="submit" class=if danger { "button danger" } else { "button" } autofocus=!role_first
                   >{label}</button>
                " "<a href=cancel>"Cancel"</a>
                <span class="progress" aria-live="polite"></span>
            </ActionForm>
        </Dialog>
    })
}
