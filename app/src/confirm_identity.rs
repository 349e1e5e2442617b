//! `/confirm-identity`, the step-up: password (and a code) again before a
//! change that needs a recent sign-in, then back to the page it came from.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::form::{error_signal, focus_on_mount, ErrorBox, Submit};
use crate::header::{current_me, Me};
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, put, AUTH_AT};

#[server(prefix = "/sfn", endpoint = "confirm_identity")]
pub async fn confirm_identity(
    password: String,
    code: Option<String>,
    next: String,
) -> Result<(), AppError> {
    use gatehouse_core::rules::return_path;
    let next = return_path::or_home(&next);
    let page = format!("/confirm-identity?next={}", crate::urls::url_encode(next));
    form_action(&page, |cx| async move {
        let uid = cx.user().await?;
        cx.gh
            .step_up(
                uid,
                &password,
                code.as_deref().unwrap_or_default(),
                &cx.origin,
            )
            .await?;
        cx.cycle_id().await?;
        put(&cx.session, AUTH_AT, cx.gh.now()).await?;
        leptos_axum::redirect(next);
        Ok(())
    })
    .await
}

#[component]
pub fn ConfirmIdentityPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| current_me());
    let query = use_query_map();
    view! {
        <DataPage title="Confirm it’s you" data let:me>
            <ConfirmIdentityScreen me next=query.read_untracked().get("next").unwrap_or_else(|| "/profile".into())/>
        </DataPage>
    }
}

#[component]
fn ConfirmIdentityScreen(me: Me, next: String) -> impl IntoView {
    let action = ServerAction::<ConfirmIdentity>::new();
    let error = error_signal(action);
    let needs_code = me.mfa_on;
    let password = NodeRef::new();
    focus_on_mount(password);
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Confirm it’s you"</h1>
            <p>"Changing how you sign in needs a recent sign-in. Enter your password"
               {needs_code.then_some(" and a code from your authenticator app")}"."</p>
            <ErrorBox message=error/>
            <ActionForm action=action>
                <input type="hidden" name="next" value=next/>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required autofocus node_ref=password/>
                </div>
                {needs_code.then(|| view! {
                    <div class="field">
                        <label for="code">"Authentication code"</label>
                        <p class="hint" id="code-hint">"Or one of your recovery codes."</p>
                        <input id="code" name="code" type="text" autocomplete="one-time-code" aria-describedby="code-hint" required/>
                    </div>
                })}
                <Submit label="Confirm" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}
