//! The second step of sign-in: a passkey or a code from the authenticator
//! app (`/login/mfa`), a recovery code (`/login/recovery`), or a code sent
//! by email or text message (the form of `/login/code`).

use leptos::prelude::*;

use super::stage::{tries_hint, SignInStage, Stage};
use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
use crate::page::PublicPage;
#[cfg(feature = "ssr")]
use crate::session::{begin_enrollment, establish, form_action, pending_mfa};

/// Second factor at sign-in: `method` is `totp`, `recovery_code`, `email_otp` or `sms_otp`.
#[server(prefix = "/sfn", endpoint = "verify_code")]
pub async fn verify_code(method: String, code: String) -> Result<(), AppError> {
    let page = match method.as_str() {
        "recovery_code" => "/login/recovery",
        "email_otp" => "/login/code?method=email_otp",
        "sms_otp" => "/login/code?method=sms_otp",
        _ => "/login/mfa",
    };
    form_action(page, |cx| async move {
        let token = pending_mfa(&cx.session).await?;
        let outcome = cx
            .gh
            .verify_second_factor(&token, &method, &code, &cx.origin)
            .await?;
        after_second_factor(&cx.session, outcome).await
    })
    .await
}

/// Where a right answer leads: signed in, or first to a new factor (after
/// an emailed code, or where the role requires a passkey and none was used).
#[cfg(feature = "ssr")]
async fn after_second_factor(
    session: &tower_sessions::Session,
    outcome: gatehouse_core::service::CodeOutcome,
) -> Result<(), AppError> {
    use gatehouse_core::service::CodeOutcome;
    match outcome {
        CodeOutcome::Enroll { mfa_token, .. } => begin_enrollment(session, mfa_token).await,
        CodeOutcome::SignedIn(signed_in) => {
            establish(session, signed_in.user_id).await?;
            match signed_in.recovery_codes_left {
                Some(left) => leptos_axum::redirect(&format!("/?codes_left={left}")),
                None => leptos_axum::redirect("/"),
            }
            Ok(())
        }
    }
}

/// The options of a passkey ceremony, for `js/passkey.js`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PasskeyCeremony {
    pub ceremony_id: String,
    #[serde(rename = "publicKey")]
    pub public_key: serde_json::Value,
}

#[cfg(feature = "ssr")]
impl From<gatehouse_core::service::PasskeyOptions> for PasskeyCeremony {
    fn from(o: gatehouse_core::service::PasskeyOptions) -> Self {
        Self {
            ceremony_id: o.ceremony_id,
            public_key: o.public_key,
        }
    }
}

/// The options for "Use a passkey" at the second step.
#[server(prefix = "/sfn", endpoint = "passkey_sign_in_options")]
pub async fn passkey_sign_in_options() -> Result<PasskeyCeremony, AppError> {
    let cx = crate::session::Ctx::new().await?;
    let token = pending_mfa(&cx.session).await?;
    Ok(cx.gh.passkey_sign_in_options(&token).await?.into())
}

/// The browser's answer to the ceremony: signs in when the passkey proves it.
#[server(prefix = "/sfn", endpoint = "passkey_sign_in")]
pub async fn passkey_sign_in(ceremony_id: String, credential: String) -> Result<(), AppError> {
    form_action("/login/mfa", |cx| async move {
        let token = pending_mfa(&cx.session).await?;
        let credential = serde_json::from_str(&credential).unwrap_or_default();
        let outcome = cx
            .gh
            .verify_passkey(&token, &ceremony_id, &credential, &cx.origin)
            .await?;
        after_second_factor(&cx.session, outcome).await
    })
    .await
}

/// "Use a passkey": shown only where the browser can (`js/passkey.js`).
#[component]
fn PasskeyForm(action: ServerAction<PasskeySignIn>) -> impl IntoView {
    let error = error_signal(action);
    view! {
        <div class="passkey-only">
            <ErrorBox message=error id="passkey-error"/>
            <ActionForm action=action attr:data-passkey="get" attr:data-passkey-options="/sfn/passkey_sign_in_options">
                <input type="hidden" name="ceremony_id" value=""/>
                <input type="hidden" name="credential" value=""/>
                <button type="button" class="button primary" data-passkey-start>"Use a passkey"</button>
            </ActionForm>
            <p class="hint" data-passkey-status role="status" aria-live="polite"></p>
        </div>
    }
}

/// One code field for `method`, with its own error box and, after a wrong
/// code, the tries left. A wrong code leaves the field empty and focused.
#[component]
pub(super) fn CodeForm(
    action: ServerAction<VerifyCode>,
    stage: Stage,
    method: &'static str,
    label: &'static str,
    hint: &'static str,
) -> impl IntoView {
    let error = error_signal(action);
    let tries = tries_hint(&stage);
    let (mode, pattern, max) = if method == "totp" {
        ("numeric", "[0-9 ]*", "7")
    } else {
        ("text", "[0-9A-Za-z \\-]*", "16")
    };
    view! {
        <ErrorBox message=error id="code-error"/>
        <ActionForm action=action>
            <input type="hidden" name="method" value=method/>
            <div class="field">
                <label for="code">{label}</label>
                <p class="hint" id="code-hint">{hint}</p>
                {tries.map(|t| view! { <p class="hint tries" id="code-tries">{t}</p> })}
                <input id="code" name="code" type="text" inputmode=mode pattern=pattern maxlength=max
                    autocomplete="one-time-code" aria-describedby="code-hint code-tries code-error"
                    aria-invalid=move || error.get().is_some().then_some("true")
                    required autofocus/>
            </div>
            <Submit label="Verify"/>
        </ActionForm>
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    let action = ServerAction::<VerifyCode>::new();
    let passkey = ServerAction::<PasskeySignIn>::new();
    view! {
        <PublicPage title="Two-step verification">
            <SignInStage method=None let:stage>
                <h1 id="page-title">"Two-step verification"</h1>
                {stage.has_passkey.then(|| view! {
                    <p class="passkey-only">"Use the passkey on this device, your phone or your security key."</p>
                    <PasskeyForm action=passkey/>
                })}
                {stage.passkey_only.then(|| view! {
                    <p class="hint">"Your role requires signing in with your passkey."</p>
                    <p class="no-passkeys alert warning">"This browser cannot use passkeys. Sign in on a device that can, or choose “Try another method” to get back in by email."</p>
                })}
                {stage.has_authenticator.then(|| view! {
                    <p>"Open your authenticator app and enter the 6-digit code it shows for Gatehouse."</p>
                    <CodeForm action stage=stage.clone() method="totp" label="Authentication code" hint="6 digits, for example 123456."/>
                })}
                <p class="alt-link"><a href="/login/other">"Try another method"</a>" · "<a href="/locked-out">"Locked out?"</a></p>
            </SignInStage>
        </PublicPage>
    }
}

#[component]
pub fn RecoveryPage() -> impl IntoView {
    let action = ServerAction::<VerifyCode>::new();
    view! {
        <PublicPage title="Use a recovery code">
            <SignInStage method=None let:stage>
                <h1 id="page-title">"Use a recovery code"</h1>
                <p>"Each recovery code works once. After signing in, set up your authenticator again or generate new codes."</p>
                <CodeForm action stage method="recovery_code" label="Recovery code" hint="12 characters, like ABCD-EFGH-JKMN. Dashes are optional."/>
                <p class="alt-link"><a href="/login/other">"Try another method"</a></p>
            </SignInStage>
        </PublicPage>
    }
}
