//! My profile → "Add a passkey": the options for the browser, then its
//! answer (`js/passkey.js` runs the ceremony between the two). A passkey is
//! then listed, renamed and removed with the other factors.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox};
#[cfg(feature = "ssr")]
use crate::session::{flash, form_action, stash_codes, Ctx, Operation};
use crate::sign_in::PasskeyCeremony;

/// Where the form sends the person back to after a refusal.
#[cfg(feature = "ssr")]
const PAGE: &str = "/profile";

/// The options for a new passkey (a recent sign-in, as for every factor).
#[server(prefix = "/sfn", endpoint = "passkey_registration_options")]
pub async fn passkey_registration_options() -> Result<PasskeyCeremony, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.recent_user(Operation::AddFactor, PAGE).await?;
    Ok(cx.gh.passkey_registration_options(uid).await?.into())
}

/// The browser's new passkey: added under `name` (or "Passkey", "Passkey 2"…).
/// The first factor of the account brings its recovery codes.
#[server(prefix = "/sfn", endpoint = "add_passkey")]
pub async fn add_passkey(
    name: String,
    ceremony_id: String,
    credential: String,
) -> Result<(), AppError> {
    form_action(PAGE, |cx| async move {
        let uid = cx.recent_user(Operation::AddFactor, PAGE).await?;
        let credential = serde_json::from_str(&credential).unwrap_or_default();
        let added = cx
            .gh
            .register_passkey(uid, &ceremony_id, &name, &credential, &cx.origin)
            .await?;
        cx.cycle_id().await?;
        match added.recovery_codes {
            Some(codes) => {
                stash_codes(&cx.session, &codes).await?;
                leptos_axum::redirect("/recovery-codes");
            }
            None => {
                let done = format!("Added the passkey “{}”.", added.label);
                leptos_axum::redirect(&format!(
                    "/profile?flash={}",
                    flash(&cx.session, done).await?
                ));
            }
        }
        Ok(())
    })
    .await
}

/// The name field and "Add a passkey", shown where the browser can make one.
#[component]
pub fn NewPasskey(action: ServerAction<AddPasskey>) -> impl IntoView {
    let error = error_signal(action);
    view! {
        <div class="passkey-only add-passkey">
            <h3>"Passkeys"</h3>
            <p class="hint">"A passkey signs you in with this device's screen lock, your phone or a security key. It only works on this site, so it cannot be phished."</p>
            <ErrorBox message=error id="passkey-error"/>
            <ActionForm action=action attr:data-passkey="create" attr:data-passkey-options="/sfn/passkey_registration_options">
                <input type="hidden" name="ceremony_id" value=""/>
                <input type="hidden" name="credential" value=""/>
                <div class="field">
                    <label for="passkey-name">"Passkey name"</label>
                    <p class="hint" id="passkey-name-hint">"Optional, up to 40 characters, such as “Work laptop”."</p>
                    <input id="passkey-name" name="name" type="text" maxlength="40" autocomplete="off"
                        aria-describedby="passkey-name-hint passkey-error"/>
                </div>
                <button type="button" class="button secondary" data-passkey-start>"Add a passkey"</button>
            </ActionForm>
            <p class="hint" data-passkey-status role="status" aria-live="polite"></p>
        </div>
    }
}
