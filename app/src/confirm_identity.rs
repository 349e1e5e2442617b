//! `/confirm-identity`, the step-up: password (and a code) again before a
//! change that needs a recent sign-in, then back to the page it came from.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, put, AUTH_AT};
use crate::sign_in::PasskeyCeremony;

/// Password, then a code — or, when `credential` carries one, the
/// passkey's answer to the ceremony `ceremony_id` (`js/passkey.js`).
#[server(prefix = "/sfn", endpoint = "confirm_identity")]
pub async fn confirm_identity(
    password: String,
    code: Option<String>,
    ceremony_id: Option<String>,
    credential: Option<String>,
    next: String,
) -> Result<(), AppError> {
    use gatehouse_core::rules::return_path;
    use gatehouse_core::service::Answer;
    let next = return_path::or_home(&next);
    let page = format!("/confirm-identity?next={}", crate::urls::url_encode(next));
    form_action(&page, |cx| async move {
        let uid = cx.user().await?;
        let passkey = credential
            .filter(|c| !c.is_empty())
            .map(|c| serde_json::from_str(&c).unwrap_or_default());
        let ceremony_id = ceremony_id.unwrap_or_default();
        let answer = match &passkey {
            Some(credential) => Answer::Passkey {
                ceremony_id: &ceremony_id,
                credential,
            },
            None => Answer::typed(code.as_deref().unwrap_or_default()),
        };
        cx.gh.step_up(uid, &password, answer, &cx.origin).await?;
        cx.cycle_id().await?;
        put(&cx.session, AUTH_AT, cx.gh.now()).await?;
        leptos_axum::redirect(next);
        Ok(())
    })
    .await
}

/// The options for confirming with a passkey (the password goes with the answer).
#[server(prefix = "/sfn", endpoint = "step_up_passkey_options")]
pub async fn step_up_passkey_options() -> Result<PasskeyCeremony, AppError> {
    let cx = crate::session::Ctx::new().await?;
    let uid = cx.user().await?;
    Ok(cx.gh.passkey_step_up_options(uid).await?.into())
}

/// Who is confirming, and whether a passkey can answer here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepUpView {
    pub me: Me,
    pub passkey: bool,
}

crate::signed_in_view!(StepUpView);

#[server(prefix = "/sfn", endpoint = "confirm_identity_view")]
pub async fn confirm_identity_view() -> Result<StepUpView, AppError> {
    let cx = crate::session::Ctx::new().await?;
    let uid = cx.user().await?;
    let profile = cx.gh.profile(uid).await?;
    let kind = gatehouse_core::rules::factors::FactorKind::Passkey.as_str();
    Ok(StepUpView {
        me: Me::load(&cx.gh, uid).await?,
        passkey: cx.gh.passkeys_available() && profile.factors.iter().any(|f| f.kind == kind),
    })
}

#[component]
pub fn ConfirmIdentityPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| confirm_identity_view());
    let query = use_query_map();
    view! {
        <DataPage title="Confirm it’s you" data let:view>
            <ConfirmIdentityScreen me=view.me passkey=view.passkey next=query.read_untracked().get("next").unwrap_or_else(|| "/profile".into())/>
        </DataPage>
    }
}

#[component]
fn ConfirmIdentityScreen(me: Me, passkey: bool, next: String) -> impl IntoView {
    let action = ServerAction::<ConfirmIdentity>::new();
    let error = error_signal(action);
    let needs_code = me.mfa_on;
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Confirm it’s you"</h1>
            <p>"Changing how you sign in needs a recent sign-in. Enter your password"
               {needs_code.then_some(if passkey { ", then use your passkey or a code" } else { " and a code from your authenticator app" })}"."</p>
            <ErrorBox message=error/>
            <ActionForm action=action attr:data-passkey="get" attr:data-passkey-options="/sfn/step_up_passkey_options">
                <input type="hidden" name="next" value=next/>
                <input type="hidden" name="ceremony_id" value=""/>
                <input type="hidden" name="credential" value=""/>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required autofocus/>
                </div>
                {passkey.then(|| view! {
                    <div class="passkey-only">
                        <button type="button" class="button primary" data-passkey-start>"Confirm with a passkey"</button>
                        <p class="hint" data-passkey-status role="status" aria-live="polite"></p>
                    </div>
                })}
                {needs_code.then(|| view! {
                    <div class="field">
                        <label for="code">"Authentication code"</label>
                        <p class="hint" id="code-hint">"Or one of your recovery codes."</p>
                        // Not required when a passkey can answer instead (the server checks either).
                        <input id="code" name="code" type="text" autocomplete="one-time-code" aria-describedby="code-hint" required=!passkey/>
                    </div>
                })}
                <Submit label="Confirm"/>
            </ActionForm>
        </section>
    }
}
