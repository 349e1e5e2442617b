//! `/account`: where a sign-in that a partner's grant (or the desk's pass)
//! let through lands — who you are, and the reset of your two-step
//! verification. Signed in, the same reset is on My profile, and
//! `/account` leads there.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice, Submit};
use crate::header::Me;
use crate::page::{DataPage, Viewer};
#[cfg(feature = "ssr")]
use crate::session::{form_action, get, put, Ctx, PENDING_ENROLL};

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

impl Viewer for AccountView {
    fn viewer(&self) -> Option<Me> {
        self.me.clone()
    }
}

#[server(prefix = "/sfn", endpoint = "account")]
pub async fn account() -> Result<AccountView, AppError> {
    let cx = Ctx::new().await?;
    let gh = &cx.gh;
    if let Some(token) = get::<String>(&cx.session, PENDING_ENROLL).await? {
        if let Ok((user_id, permission)) = gh.reset_permission_for_attempt(&token).await {
            let p = gh.profile(user_id).await?;
            return Ok(AccountView {
                me: None,
                email: p.email,
                name: p.name,
                organization: p.organization,
                role: p.role,
                mfa_on: !p.factors.is_empty(),
                reset_permission: permission.map(describe_permission),
            });
        }
    }
    cx.user().await?;
    // One place for your account once signed in: My profile.
    leptos_axum::redirect("/profile");
    Err(AppError::new(
        "moved",
        "My Account is now part of My profile.",
    ))
}

/// "Northwind IT allowed you to reset … until …", while a grant covers the user.
#[cfg(feature = "ssr")]
pub fn describe_permission(p: gatehouse_core::service::ResetPermission) -> String {
    format!(
        "{} allowed you to reset your two-step verification until {}.",
        p.partner,
        gatehouse_core::format_time(p.expires_at)
    )
}

/// "Reset two-step verification" on My Account: on to setting up the
/// new authenticator, while the grant lasts.
#[server(prefix = "/sfn", endpoint = "start_account_reset")]
pub async fn start_account_reset() -> Result<(), AppError> {
    form_action("/account", |cx| async move {
        if let Some(token) = get::<String>(&cx.session, PENDING_ENROLL).await? {
            if let Ok((_, permission)) = cx.gh.reset_permission_for_attempt(&token).await {
                if permission.is_none() {
                    return Err(gatehouse_core::AuthError::GrantEnded.into());
                }
                leptos_axum::redirect("/enroll");
                return Ok(());
            }
        }
        let uid = cx.user().await?;
        let token = cx.gh.start_reset_with_permission(uid).await?;
        put(&cx.session, PENDING_ENROLL, token).await?;
        leptos_axum::redirect("/enroll");
        Ok(())
    })
    .await
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let start = ServerAction::<StartAccountReset>::new();
    let data = Resource::new(|| (), |_| account());
    view! {
        <DataPage title="My Account" data let:view>
            <AccountScreen view start/>
        </DataPage>
    }
}

/// The reset a partner's grant (or the desk's pass) allows, while it does.
#[component]
pub fn GrantedReset(text: String, start: ServerAction<StartAccountReset>) -> impl IntoView {
    view! {
        <section class="card danger-zone" aria-labelledby="granted-reset-title">
            <h2 id="granted-reset-title">"Reset two-step verification"</h2>
            <p>{text}</p>
            <p>"You will set up a new authenticator app and get new recovery codes. Your old authenticators and codes stop working, and every other session is signed out."</p>
            <ErrorBox message=error_signal(start)/>
            <ActionForm action=start>
                <Submit label="Reset two-step verification" class="danger"/>
            </ActionForm>
        </section>
    }
}

#[component]
fn AccountScreen(view: AccountView, start: ServerAction<StartAccountReset>) -> impl IntoView {
    view! {
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
            Some(text) => view! { <GrantedReset text start/> }.into_any(),
            None => view! {
                <section class="card" aria-labelledby="help-title">
                    <h2 id="help-title">"Lost your authenticator?"</h2>
                    <p>"Use a recovery code or “Try another method” when you sign in. If that is not possible, ask your administrator: they can reset it, or your IT partner can allow you to reset it here."</p>
                    {view.me.is_some().then(|| view! { <p><a href="/profile">"Manage your sign-in methods in My profile"</a></p> })}
                </section>
            }.into_any(),
        }}
    }
}
