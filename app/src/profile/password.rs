//! "Change password" on My profile: the current password and a new one,
//! after a recent sign-in. Every other browser and app is signed out.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
#[cfg(feature = "ssr")]
use crate::session::{form_action, session_key, Operation};

#[server(prefix = "/sfn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use gatehouse_core::store::Keep;
    form_action("/profile", |cx| async move {
        let uid = cx
            .recent_user(Operation::ChangePassword, "/profile")
            .await?;
        let session = session_key(&cx.session);
        let keep = session.as_deref().map_or(Keep::Nothing, Keep::Session);
        cx.gh
            .change_password(uid, &current_password, &new_password, keep, &cx.origin)
            .await?;
        cx.cycle_id().await?;
        leptos_axum::redirect("/profile?notice=password_changed");
        Ok(())
    })
    .await
}

#[component]
pub(super) fn PasswordSection() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">"Password"</h2>
            <p class="hint">"Changing it signs out every other browser and app. Your authenticator stays as it is."</p>
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <div class="field">
                    <label for="current-password">"Current password"</label>
                    <input id="current-password" name="current_password" type="password" autocomplete="current-password" maxlength="1024" required/>
                </div>
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <p class="hint" id="new-password-hint">"At least 8 characters; a few unrelated words make a strong one. Common passwords are refused."</p>
                    <input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="8" maxlength="128"
                        aria-describedby="new-password-hint" required/>
                </div>
                <Submit label="Change password" class="secondary"/>
            </ActionForm>
        </section>
    }
}
