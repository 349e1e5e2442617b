//! The second step of sign-in: a code from the authenticator app
//! (`/login/mfa`), a recovery code (`/login/recovery`), or a code sent by
//! email or text message (the form of `/login/code`).

use leptos::prelude::*;

use super::stage::{refusals, tries_hint, SignInStage, Stage};
use crate::error::AppError;
use crate::form::{clear_on_refusal, error_signal, focus_on_mount, ErrorBox, Submit};
use crate::page::PublicPage;
#[cfg(feature = "ssr")]
use crate::session::{begin_recovery, establish, form_action, pending_mfa};

/// Second factor at sign-in: `method` is `totp`, `recovery_code`, `email_otp` or `sms_otp`.
#[server(prefix = "/sfn", endpoint = "verify_code")]
pub async fn verify_code(method: String, code: String) -> Result<(), AppError> {
    use gatehouse_core::service::CodeOutcome;
    let page = match method.as_str() {
        "recovery_code" => "/login/recovery",
        "email_otp" => "/login/code?method=email_otp",
        "sms_otp" => "/login/code?method=sms_otp",
        _ => "/login/mfa",
    };
    form_action(page, |cx| async move {
        let token = pending_mfa(&cx.session).await?;
        match cx
            .gh
            .verify_second_factor(&token, &method, &code, &cx.origin)
            .await?
        {
            CodeOutcome::Recovery(recovery_token) => {
                begin_recovery(&cx.session, recovery_token).await?
            }
            CodeOutcome::SignedIn(signed_in) => {
                establish(&cx.session, signed_in.user_id).await?;
                match signed_in.recovery_codes_left {
                    Some(left) => leptos_axum::redirect(&format!("/?codes_left={left}")),
                    None => leptos_axum::redirect("/"),
                }
            }
        }
        Ok(())
    })
    .await
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
    let input = NodeRef::<leptos::html::Input>::new();
    focus_on_mount(input);
    clear_on_refusal(action, input);
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
                    required autofocus node_ref=input/>
            </div>
            <Submit label="Verify" pending=action.pending()/>
        </ActionForm>
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    let action = ServerAction::<VerifyCode>::new();
    view! {
        <PublicPage title="Two-step verification">
            <SignInStage method=None refresh=refusals(action) let:stage>
                <h1 id="page-title">"Two-step verification"</h1>
                <p>"Open your authenticator app and enter the 6-digit code it shows for Gatehouse."</p>
                <CodeForm action stage method="totp" label="Authentication code" hint="6 digits, for example 123456."/>
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
            <SignInStage method=None refresh=refusals(action) let:stage>
                <h1 id="page-title">"Use a recovery code"</h1>
                <p>"Each recovery code works once. After signing in, set up your authenticator again or generate new codes."</p>
                <CodeForm action stage method="recovery_code" label="Recovery code" hint="12 characters, like ABCD-EFGH-JKMN. Dashes are optional."/>
                <p class="alt-link"><a href="/login/other">"Try another method"</a></p>
            </SignInStage>
        </PublicPage>
    }
}
