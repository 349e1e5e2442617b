//! "Add a passkey" — on My profile, and at sign-in where a passkey is
//! required: the options for the browser, then its answer (`js/passkey.js`
//! runs the ceremony between the two). A passkey is then listed, renamed and
//! removed with the other factors.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox};
#[cfg(feature = "ssr")]
use crate::session::{establish, flash, get, stash_codes, Ctx, Operation, PENDING_ENROLL};
use crate::sign_in::PasskeyCeremony;

/// Where the form sends the person back to after a refusal: My profile,
/// or the enrollment page at sign-in.
#[cfg(feature = "ssr")]
const PAGE: &str = "/profile";
#[cfg(feature = "ssr")]
const ENROLL_PAGE: &str = "/enroll";

/// The options for a new passkey: at sign-in, where it waits for a new
/// factor; otherwise for the signed-in account (a recent sign-in, as for
/// every factor).
#[server(prefix = "/sfn", endpoint = "passkey_registration_options")]
pub async fn passkey_registration_options() -> Result<PasskeyCeremony, AppError> {
    let cx = Ctx::new().await?;
    if let Some(token) = get::<String>(&cx.session, PENDING_ENROLL).await? {
        return Ok(cx.gh.passkey_enrollment_options(&token).await?.into());
    }
    let uid = cx.recent_user(Operation::AddFactor, PAGE).await?;
    Ok(cx.gh.passkey_registration_options(uid).await?.into())
}

/// The browser's new passkey, under `name` (or "Passkey", "Passkey 2"…). At
/// sign-in it finishes the sign-in (new recovery codes after a reset);
/// otherwise it is added to the account, and the account's first factor
/// brings its recovery codes.
#[server(prefix = "/sfn", endpoint = "add_passkey")]
pub async fn add_passkey(
    name: String,
    ceremony_id: String,
    credential: String,
) -> Result<(), AppError> {
    use crate::session::refuse_back;
    let cx = Ctx::new().await?;
    let credential = serde_json::from_str(&credential).unwrap_or_default();
    match get::<String>(&cx.session, PENDING_ENROLL).await? {
        Some(token) => {
            let done = finish_sign_in(cx, &token, &ceremony_id, &name, &credential).await;
            refuse_back(ENROLL_PAGE, done).await
        }
        None => {
            let done = add_to_account(cx, &ceremony_id, &name, &credential).await;
            refuse_back(PAGE, done).await
        }
    }
}

/// The passkey an enrollment at sign-in waited for: signs in.
#[cfg(feature = "ssr")]
async fn finish_sign_in(
    cx: Ctx,
    token: &str,
    ceremony_id: &str,
    name: &str,
    credential: &serde_json::Value,
) -> Result<(), AppError> {
    let (uid, codes) = cx
        .gh
        .register_passkey_at_sign_in(token, ceremony_id, name, credential, &cx.origin)
        .await?;
    establish(&cx.session, uid).await?;
    if codes.is_empty() {
        leptos_axum::redirect("/");
    } else {
        stash_codes(&cx.session, &codes).await?;
        leptos_axum::redirect("/recovery-codes");
    }
    Ok(())
}

/// A passkey added from My profile.
#[cfg(feature = "ssr")]
async fn add_to_account(
    cx: Ctx,
    ceremony_id: &str,
    name: &str,
    credential: &serde_json::Value,
) -> Result<(), AppError> {
    let uid = cx.recent_user(Operation::AddFactor, PAGE).await?;
    let added = cx
        .gh
        .register_passkey(uid, ceremony_id, name, credential, &cx.origin)
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
}

/// The name field and "Add a passkey", shown where the browser can make one.
#[component]
pub fn NewPasskey(action: ServerAction<AddPasskey>) -> impl IntoView {
    view! {
        <div class="passkey-only add-passkey">
            <h3>"Passkeys"</h3>
            <p class="hint">"A passkey signs you in with this device's screen lock, your phone or a security key. It only works on this site, so it cannot be phished."</p>
            <PasskeyNameForm action/>
        </div>
    }
}

/// The form that makes a passkey (`js/passkey.js` runs the ceremony): an
/// optional name, "Add a passkey", and what the browser is doing.
#[component]
pub fn PasskeyNameForm(action: ServerAction<AddPasskey>) -> impl IntoView {
    let error = error_signal(action);
    view! {
        <ErrorBox message=error id="passkey-error"/>
        <ActionForm action=action attr:data-passkey="create" attr:data-passkey-options="/sfn/passkey_registration_options">
            <input type="hidden" name="ceremony_id" value=""/>
            <input type="hidden" name="credential" value=""/>
            <div class="field">
                <label for="passkey-name">"Passkey name"</label>
                <p class="hint" id="passkey-name-hint">"Optional, up to 40 characters, such as “Work laptop”."</p>
                <input id="passkey-name" data-keep="" name="name" type="text" maxlength="40" autocomplete="off"
                    aria-describedby="passkey-name-hint passkey-error"/>
            </div>
            <button type="button" class="button secondary" data-passkey-start>"Add a passkey"</button>
        </ActionForm>
        <p class="hint" data-passkey-status role="status" aria-live="polite"></p>
    }
}
