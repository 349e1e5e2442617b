//! The phone for SMS codes on My profile: a backup, with its risks said plainly.
//! Adding or removing it needs a recent sign-in.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
#[cfg(feature = "ssr")]
use crate::session::{form_action, Operation};

/// Texts a verification code to a new phone number (needs a recent sign-in).
#[server(prefix = "/sfn", endpoint = "start_phone")]
pub async fn start_phone(phone: String) -> Result<(), AppError> {
    form_action("/profile", |cx| async move {
        let uid = cx.recent_user(Operation::ChangePhone, "/profile").await?;
        cx.gh
            .start_phone_verification(uid, &phone, &cx.origin)
            .await?;
        leptos_axum::redirect("/profile?notice=phone_code_sent");
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "verify_phone")]
pub async fn verify_phone(code: String) -> Result<(), AppError> {
    form_action("/profile", |cx| async move {
        let uid = cx.recent_user(Operation::ChangePhone, "/profile").await?;
        cx.gh.verify_phone(uid, &code, &cx.origin).await?;
        leptos_axum::redirect("/profile?notice=phone_verified");
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "remove_phone")]
pub async fn remove_phone() -> Result<(), AppError> {
    form_action("/profile", |cx| async move {
        let uid = cx.recent_user(Operation::ChangePhone, "/profile").await?;
        cx.gh.remove_phone(uid, &cx.origin).await?;
        leptos_axum::redirect("/profile?notice=phone_removed");
        Ok(())
    })
    .await
}

#[component]
pub(super) fn PhoneSection(phone: Option<String>, pending: Option<String>) -> impl IntoView {
    let start = ServerAction::<StartPhone>::new();
    let verify = ServerAction::<VerifyPhone>::new();
    let remove = ServerAction::<RemovePhone>::new();
    let start_error = error_signal(start);
    let verify_error = error_signal(verify);
    let remove_error = error_signal(remove);
    let has_phone = phone.is_some();
    view! {
        <section class="card" aria-labelledby="phone-title">
            <h2 id="phone-title">"Text message (SMS) backup"</h2>
            <p class="hint">"Codes by text message are a fallback when your authenticator app is not at hand. They are weaker: a SIM swap or an intercepted message can hand them to someone else. An authenticator app is safer; keep SMS as a backup only."</p>
            {phone.map(|number| view! {
                <p>"Sign-in codes go to " <strong>{number}</strong> "."</p>
                <ErrorBox message=remove_error/>
                <ActionForm action=remove>
                    <button type="submit" class="button danger small">"Remove phone number"</button>
                </ActionForm>
            })}
            {pending.map(|number| view! {
                <ErrorBox message=verify_error/>
                <ActionForm action=verify>
                    <div class="field">
                        <label for="phone-code">"Verification code"</label>
                        <p class="hint" id="phone-code-hint">{format!("The 6-digit code we texted to {number}.")}</p>
                        <input id="phone-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                            aria-describedby="phone-code-hint" required/>
                    </div>
                    <Submit label="Verify phone"/>
                </ActionForm>
            })}
            <ErrorBox message=start_error/>
            <ActionForm action=start>
                <div class="field">
                    <label for="phone">{if has_phone { "New phone number" } else { "Phone number" }}</label>
                    <p class="hint" id="phone-hint">"With the country code, for example +44 7700 900123."</p>
                    <input id="phone" data-keep="" name="phone" type="tel" autocomplete="tel" aria-describedby="phone-hint" required/>
                </div>
                <Submit label="Send verification code" class="secondary"/>
            </ActionForm>
        </section>
    }
}
