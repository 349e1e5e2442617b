//! "Reset two-step verification" on My profile: with the password,
//! every authenticator and recovery code goes and the user is signed out.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
#[cfg(feature = "ssr")]
use crate::session::{form_action, Operation};

#[server(prefix = "/sfn", endpoint = "reset_mfa")]
pub async fn reset_mfa(password: String) -> Result<(), AppError> {
    form_action("/profile?reset=1", |cx| async move {
        let uid = cx
            .recent_user(Operation::ResetOwnMfa, "/profile?reset=1")
            .await?;
        cx.gh.check_password(uid, &password, &cx.origin).await?;
        cx.gh.reset_mfa(uid, Some(uid), &cx.origin).await?;
        cx.session.flush().await.map_err(crate::request::internal)?;
        leptos_axum::redirect("/login?notice=mfa_reset");
        Ok(())
    })
    .await
}

#[component]
pub(super) fn ResetSection() -> impl IntoView {
    let action = ServerAction::<ResetMfa>::new();
    let error = error_signal(action);
    let query = use_query_map();
    let confirming = move || query.read().get("reset").is_some() || action.value().get().is_some();
    view! {
        <section class="card danger-zone" aria-labelledby="reset-title">
            <h2 id="reset-title">"Reset two-step verification"</h2>
            <p>"Removes every authenticator and recovery code, and signs you out everywhere. The next time you sign in, you set up a new authenticator."</p>
            <Show
                when=confirming
                fallback=|| view! {
                    <Form method="GET" action="/profile">
                        <input type="hidden" name="reset" value="1"/>
                        <button type="submit" class="button danger">"Reset My Multi-Factor Authentication"</button>
                    </Form>
                }
            >
                <ErrorBox message=error/>
                <ActionForm action=action>
                    <div class="field">
                        <label for="reset-password">"Password"</label>
                        <p class="hint" id="reset-hint">"Enter your password to confirm."</p>
                        <input id="reset-password" name="password" type="password" autocomplete="current-password" aria-describedby="reset-hint" required autofocus/>
                    </div>
                    <Submit label="Reset" class="danger"/>
                    " "<a href="/profile">"Cancel"</a>
                </ActionForm>
            </Show>
        </section>
    }
}
