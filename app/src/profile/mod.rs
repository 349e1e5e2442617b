//! My profile (`/profile`): the authenticators and passkeys (add, rename,
//! remove), the recovery
//! codes (how many are left, new ones), the SMS backup, the password and
//! the reset.
//! Removing and regenerating are confirmed in dialogs that are part of the
//! page (`?confirm=…`), so they work without JavaScript.

pub mod passkeys;
mod password;
mod phone;
mod reset;

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::account::{GrantedReset, StartAccountReset};
use crate::error::AppError;
use crate::form::{error_signal, ConfirmRow, Dialog, DialogActions, ErrorBox, Notice, Submit};
use crate::header::{Me, LOW_CODES_WATERMARK};
use crate::messages::message_for;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{flash, form_action, session_key, stash_codes, Ctx, Operation};
use passkeys::{AddPasskey, NewPasskey};
use password::PasswordSection;
use phone::PhoneSection;
use reset::ResetSection;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorView {
    pub id: i64,
    pub label: String,
    /// A passkey (else an authenticator app).
    pub passkey: bool,
    pub added: String,
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub me: Me,
    pub mfa_required: bool,
    /// The role requires a passkey (and passkeys work here).
    pub passkey_required: bool,
    pub factors: Vec<FactorView>,
    /// Passkeys work here (the public URL has a domain name).
    pub passkeys_available: bool,
    /// The verified phone for SMS codes, masked.
    pub phone: Option<String>,
    /// A number waiting for its verification code, masked.
    pub pending_phone: Option<String>,
    /// "Northwind IT allowed you to reset …" while a grant or pass covers the user.
    pub reset_permission: Option<String>,
}

crate::signed_in_view!(ProfileView);

#[server(prefix = "/sfn", endpoint = "profile")]
pub async fn profile() -> Result<ProfileView, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let p = cx.gh.profile(uid).await?;
    let me = Me::load(&cx.gh, uid).await?;
    Ok(ProfileView {
        me,
        reset_permission: cx
            .gh
            .reset_permission(uid)
            .await?
            .map(crate::account::describe_permission),
        phone: p.phone,
        pending_phone: p.pending_phone,
        mfa_required: p.mfa_required,
        passkey_required: p.passkey_required,
        passkeys_available: cx.gh.passkeys_available(),
        factors: p
            .factors
            .into_iter()
            .map(|f| FactorView {
                id: f.id,
                passkey: f.kind == gatehouse_core::rules::factors::FactorKind::Passkey.as_str(),
                label: f.label,
                added: gatehouse_core::format_time(f.created_at),
                last_used: f.last_used_at.map(gatehouse_core::format_time),
            })
            .collect(),
    })
}

#[server(prefix = "/sfn", endpoint = "add_factor")]
pub async fn add_factor() -> Result<(), AppError> {
    form_action("/profile", |cx| async move {
        cx.recent_user(Operation::AddFactor, "/profile").await?;
        leptos_axum::redirect("/enroll");
        Ok(())
    })
    .await
}

/// "Remove", confirmed in the dialog of `/profile?confirm=remove_factor&factor=ID`.
#[server(prefix = "/sfn", endpoint = "remove_factor")]
pub async fn remove_factor(factor_id: i64) -> Result<(), AppError> {
    let page = format!("/profile?confirm=remove_factor&factor={factor_id}");
    let dialog = page.as_str();
    form_action(&page, |cx| async move {
        let uid = cx.recent_user(Operation::RemoveFactor, dialog).await?;
        let session = session_key(&cx.session);
        use gatehouse_core::store::Keep;
        let keep = session.as_deref().map_or(Keep::Nothing, Keep::Session);
        cx.gh
            .remove_factor(uid, factor_id, keep, &cx.origin)
            .await?;
        cx.cycle_id().await?;
        leptos_axum::redirect("/profile?notice=factor_removed");
        Ok(())
    })
    .await
}

/// "Rename", in the dialog of `/profile?confirm=rename_factor&factor=ID`.
#[server(prefix = "/sfn", endpoint = "rename_factor")]
pub async fn rename_factor(factor_id: i64, name: String) -> Result<(), AppError> {
    let page = format!("/profile?confirm=rename_factor&factor={factor_id}");
    form_action(&page, |cx| async move {
        let uid = cx.user().await?;
        let name = cx
            .gh
            .rename_factor(uid, factor_id, &name, &cx.origin)
            .await?;
        let done = format!("Renamed the authenticator to “{name}”.");
        leptos_axum::redirect(&format!(
            "/profile?flash={}",
            flash(&cx.session, done).await?
        ));
        Ok(())
    })
    .await
}

/// "Generate new codes", confirmed in the dialog of `/profile?confirm=regenerate_codes`.
#[server(prefix = "/sfn", endpoint = "regenerate_codes")]
pub async fn regenerate_codes() -> Result<(), AppError> {
    let page = "/profile?confirm=regenerate_codes";
    form_action(page, |cx| async move {
        let uid = cx
            .recent_user(Operation::RegenerateRecoveryCodes, page)
            .await?;
        let codes = cx.gh.regenerate_recovery_codes(uid, &cx.origin).await?;
        stash_codes(&cx.session, &codes).await?;
        leptos_axum::redirect("/recovery-codes");
        Ok(())
    })
    .await
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let regenerate = ServerAction::<RegenerateCodes>::new();
    let factors = FactorActions {
        remove: ServerAction::<RemoveFactor>::new(),
        rename: ServerAction::<RenameFactor>::new(),
    };
    let add = ServerAction::<AddFactor>::new();
    let add_passkey = ServerAction::<AddPasskey>::new();
    let start = ServerAction::<StartAccountReset>::new();
    let data = Resource::new(|| (), |_| profile());
    view! {
        <DataPage title="My profile" data let:view>
            <ProfileScreen view regenerate factors add add_passkey start/>
        </DataPage>
    }
}

/// What can be done to one authenticator of the list.
#[derive(Clone, Copy)]
struct FactorActions {
    remove: ServerAction<RemoveFactor>,
    rename: ServerAction<RenameFactor>,
}

#[component]
fn ProfileScreen(
    view: ProfileView,
    regenerate: ServerAction<RegenerateCodes>,
    factors: FactorActions,
    add: ServerAction<AddFactor>,
    add_passkey: ServerAction<AddPasskey>,
    start: ServerAction<StartAccountReset>,
) -> impl IntoView {
    let me = view.me.clone();
    let add_error = error_signal(add);
    let low = me.mfa_on && me.recovery_codes_left <= LOW_CODES_WATERMARK;
    let query = use_query_map();
    let confirm = Memo::new(move |_| query.read().get("confirm").unwrap_or_default());
    let regenerate_dialog = move || {
        (confirm.get() == "regenerate_codes")
            .then(|| view! { <RegenerateCodesDialog action=regenerate/> })
    };
    let only_one = view.factors.len() == 1;
    let mfa_required = view.mfa_required;
    let actions = factors;
    view! {
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"My profile"</h1>
            <Notice/>
            <dl class="facts">
                <dt>"Name"</dt><dd>{if me.name.is_empty() { "—".to_string() } else { me.name.clone() }}</dd>
                <dt>"Email"</dt><dd>{me.email.clone()}</dd>
                <dt>"Organization"</dt><dd>{me.organization.clone()}</dd>
                <dt>"Role"</dt><dd>{me.role.clone()}</dd>
            </dl>
        </section>

        {view.reset_permission.clone().map(|text| view! { <GrantedReset text start/> })}

        <section class="card" aria-labelledby="mfa-title">
            <h2 id="mfa-title">"Two-step verification"</h2>
            {(view.mfa_required && !me.mfa_on).then(|| view! {
                <p class="alert warning">"Your role requires two-step verification. You will be asked to set it up at your next sign-in."</p>
            })}
            {(view.passkey_required && !view.factors.iter().any(|f| f.passkey)).then(|| view! {
                <p class="alert warning">"Your role requires a passkey. Add one below, or you will be asked to at your next sign-in."</p>
            })}
            {if view.factors.is_empty() {
                view! { <p>"Two-step verification is off. Add an authenticator app or a passkey to protect your account."</p> }.into_any()
            } else {
                view! {
                    <table class="factors">
                        <caption class="visually-hidden">"Your authenticators and passkeys"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Added"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>
                            {view.factors.into_iter().map(|f| view! {
                                <FactorRow factor=f only_one mfa_required actions/>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <ErrorBox message=add_error/>
            <ActionForm action=add>
                <Submit label="Add an authenticator app" class="secondary"/>
            </ActionForm>
            {view.passkeys_available.then(|| view! { <NewPasskey action=add_passkey/> })}
        </section>

        {me.mfa_on.then(|| view! {
            <section class="card" aria-labelledby="codes-title">
                <h2 id="codes-title">"Recovery codes"</h2>
                <p class=if low { "alert warning" } else { "" }>
                    {format!("{} of 10 recovery codes left.", me.recovery_codes_left)}
                    {low.then_some(" Generate new codes soon.")}
                </p>
                <p class="hint">"Generating new codes makes every old code stop working."</p>
                {regenerate_dialog}
                <Form method="GET" action="/profile">
                    <input type="hidden" name="confirm" value="regenerate_codes"/>
                    <button type="submit" class="button secondary">"Generate new codes"</button>
                </Form>
            </section>
        })}

        // SMS backup and the reset only make sense once there is an authenticator.
        {me.mfa_on.then(|| view! { <PhoneSection phone=view.phone pending=view.pending_phone/> })}

        <PasswordSection/>

        {me.mfa_on.then(|| view! { <ResetSection/> })}
    }
}

/// One authenticator: its name and dates, Rename and Remove, and the
/// confirmation of either right under it (`?confirm=…&factor=ID`).
#[component]
fn FactorRow(
    factor: FactorView,
    only_one: bool,
    mfa_required: bool,
    actions: FactorActions,
) -> impl IntoView {
    let query = use_query_map();
    let id = factor.id;
    let open = Memo::new(move |_| {
        let query = query.read();
        let here = query.get("factor").and_then(|f| f.parse::<i64>().ok()) == Some(id);
        here.then(|| query.get("confirm").unwrap_or_default())
    });
    let name = factor.label.clone();
    let button = move |confirm: &'static str, label: &'static str, class: &'static str| {
        let aria_label = format!("{label} {name}");
        view! {
            <Form method="GET" action="/profile">
                <input type="hidden" name="confirm" value=confirm/>
                <input type="hidden" name="factor" value=id.to_string()/>
                <button type="submit" class=class aria-label=aria_label>{label}</button>
            </Form>
        }
    };
    let dialog_factor = factor.clone();
    let dialog = move || {
        let factor = dialog_factor.clone();
        match open.get().as_deref() {
            Some("remove_factor") => Some(view! {
                <ConfirmRow columns=4>
                    <RemoveFactorDialog factor last=only_one mfa_required action=actions.remove/>
                </ConfirmRow>
            }.into_any()),
            Some("rename_factor") => Some(view! {
                <ConfirmRow columns=4>
                    <RenameFactorDialog factor action=actions.rename/>
                </ConfirmRow>
            }.into_any()),
            _ => None,
        }
    };
    view! {
        <tr>
            <td>
                {factor.label.clone()}
                // Apps are the usual kind; a passkey says what it is.
                {factor.passkey.then(|| view! { <span class="hint factor-kind">"Passkey"</span> })}
            </td>
            <td data-label="Added">{factor.added.clone()}</td>
            <td data-label="Last used">{factor.last_used.clone().unwrap_or_else(|| "Never".into())}</td>
            <td>
                <div class="actions">
                    {button("rename_factor", "Rename", "button secondary small")}
                    {button("remove_factor", "Remove", "button danger small")}
                </div>
            </td>
        </tr>
        {dialog}
    }
}

#[component]
fn RenameFactorDialog(factor: FactorView, action: ServerAction<RenameFactor>) -> impl IntoView {
    let error = error_signal(action);
    view! {
        <Dialog
            title=format!("Rename “{}”", factor.label)
            text="A name you will recognize, such as “Work phone”. Nothing else changes.".to_string()
            cancel="/profile".to_string()
        >
            <ErrorBox message=error id="factor-name-error"/>
            <ActionForm action=action>
                <input type="hidden" name="factor_id" value=factor.id.to_string()/>
                <div class="field">
                    <label for="new-factor-name">"Authenticator name"</label>
                    <input id="new-factor-name" data-keep="" name="name" type="text" required maxlength="40" autocomplete="off"
                        value=factor.label.clone() autofocus aria-describedby="factor-name-error"
                        aria-invalid=move || error.get().is_some().then_some("true")/>
                </div>
                <DialogActions label="Rename" cancel="/profile".to_string() field_first=true/>
            </ActionForm>
        </Dialog>
    }
}

/// "Remove" of one authenticator: says what happens, or why the last one of
/// a role that requires MFA stays (the service refuses it too).
#[component]
fn RemoveFactorDialog(
    factor: FactorView,
    last: bool,
    mfa_required: bool,
    action: ServerAction<RemoveFactor>,
) -> impl IntoView {
    let title = format!("Remove “{}”?", factor.label);
    if last && mfa_required {
        return view! {
            <Dialog title text=message_for("last_factor").to_string() cancel="/profile".to_string()>
                <a href="/profile" class="button secondary" autofocus>"Close"</a>
            </Dialog>
        }
        .into_any();
    }
    let text = if last {
        "It is your only authenticator: two-step verification turns off and your recovery codes stop working. Your other sessions will be signed out."
    } else {
        "It stops working for signing in. Your other sessions will be signed out, and apps must sign in again."
    };
    view! {
        <Dialog title text=text.to_string() cancel="/profile".to_string()>
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <input type="hidden" name="factor_id" value=factor.id.to_string()/>
                <DialogActions label="Remove" cancel="/profile".to_string() danger=true/>
            </ActionForm>
        </Dialog>
    }
    .into_any()
}

#[component]
fn RegenerateCodesDialog(action: ServerAction<RegenerateCodes>) -> impl IntoView {
    view! {
        <Dialog
            title="Generate new recovery codes?".to_string()
            text="Your current codes stop working. You will see the new codes once: save them before you continue.".to_string()
            cancel="/profile".to_string()
        >
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <DialogActions label="Generate new codes" cancel="/profile".to_string()/>
            </ActionForm>
        </Dialog>
    }
}
