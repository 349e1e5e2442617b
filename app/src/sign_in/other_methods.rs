//! "Try another method" (`/login/other`) and the page for a code sent by
//! email or text message (`/login/code`).

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::second_factor::{CodeForm, VerifyCode};
use super::stage::SignInStage;
use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice};
use crate::page::PublicPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, pending_mfa};

/// Emails a code or a sign-in link, or texts a code, for the sign-in in
/// progress (`email_otp`, `email_link`, `sms_otp`).
#[server(prefix = "/sfn", endpoint = "send_challenge")]
pub async fn send_challenge(method: String) -> Result<(), AppError> {
    use gatehouse_core::service::OobKind;
    let page = match method.as_str() {
        "email_otp" | "sms_otp" => format!("/login/code?method={method}"),
        _ => "/login/other".to_string(),
    };
    form_action(&page, |cx| async move {
        let token = pending_mfa(&cx.session).await?;
        let kind = OobKind::parse(&method)
            .ok_or_else(|| AppError::new("invalid_request", "Unknown method."))?;
        cx.gh.send_challenge(&token, kind, &cx.origin).await?;
        leptos_axum::redirect(&match kind {
            OobKind::EmailLink => "/login/other?notice=link_sent".to_string(),
            _ => format!("/login/code?method={}&notice=code_sent", kind.name()),
        });
        Ok(())
    })
    .await
}

/// What signing in by email does, said before anything is sent.
const EMAIL_REPLACES: &str = "Signing in by email replaces your authenticator: your current authenticator app and your recovery codes stop working, every other browser and app is signed out, and you set up a new authenticator right away.";

#[component]
pub fn OtherMethodsPage() -> impl IntoView {
    let send = ServerAction::<SendChallenge>::new();
    let error = error_signal(send);
    let query = use_query_map();
    let confirming = move || {
        query
            .read()
            .get("confirm")
            .filter(|m| m == "email_otp" || m == "email_link")
    };
    view! {
        <PublicPage title="Try another method">
            <SignInStage method=None let:stage>
                <h1 id="page-title">"Try another method"</h1>
                <Notice/>
                <ErrorBox message=error/>
                {move || match confirming() {
                    Some(method) => view! { <ConfirmEmail send method/> }.into_any(),
                    None => view! { <MethodList has_phone=stage.has_phone codes=!stage.passkey_only send/> }.into_any(),
                }}
                <p class="alt-link"><a href="/login/mfa">"Back to the authenticator code"</a></p>
                <p class="hint">"None of these work? Ask your administrator or your IT provider to reset your two-step verification, or see "<a href="/locked-out">"Locked out?"</a></p>
            </SignInStage>
        </PublicPage>
    }
}

/// The ways back in, gentlest first: a recovery code changes nothing else; a
/// text message signs in; email replaces the authenticator (and asks first).
#[component]
fn MethodList(
    has_phone: bool,
    /// A recovery code may be used (not where only a passkey signs in).
    codes: bool,
    send: ServerAction<SendChallenge>,
) -> impl IntoView {
    view! {
        {if codes {
            view! { <p>"Lost your phone or can’t use your authenticator app? Choose another way to prove it’s you."</p> }.into_any()
        } else {
            view! { <p>"Your role requires signing in with your passkey, so codes are not accepted. Lost your passkey? Get back in by email: you then add a new passkey, and the old one stops working."</p> }.into_any()
        }}
        <ul class="methods">
            {codes.then(|| view! {
            <li>
                <Form method="GET" action="/login/recovery">
                    <button type="submit" class="method" aria-describedby="recovery-hint">
                        <strong>"Use a recovery code"</strong>
                    </button>
                    <span class="hint" id="recovery-hint">"One of the 10 codes you saved when you set up two-step verification. Nothing else changes."</span>
                </Form>
            </li>
            })}
            {has_phone.then(|| view! {
                <li>
                    <ActionForm action=send>
                        <input type="hidden" name="method" value="sms_otp"/>
                        <button type="submit" class="method" aria-describedby="sms-hint">
                            <strong>"Text me a code"</strong>
                        </button>
                        <span class="hint" id="sms-hint">"A 6-digit code to your verified phone, valid for 10 minutes. Nothing else changes."</span>
                    </ActionForm>
                </li>
            })}
            <EmailMethod method="email_otp" label="Email me a code"
                hint="A 6-digit code, valid for 10 minutes. You then set up a new authenticator."/>
            <EmailMethod method="email_link" label="Email me a sign-in link"
                hint="Open it in this browser within 15 minutes. You then set up a new authenticator."/>
        </ul>
    }
}

/// One way back in by email: it opens the confirmation first (a GET, so it
/// works without JavaScript).
#[component]
fn EmailMethod(method: &'static str, label: &'static str, hint: &'static str) -> impl IntoView {
    let hint_id = format!("{method}-hint");
    view! {
        <li>
            <Form method="GET" action="/login/other">
                <input type="hidden" name="confirm" value=method/>
                <button type="submit" class="method" aria-describedby=hint_id.clone()>
                    <strong>{label}</strong>
                </button>
                <span class="hint" id=hint_id>{hint}</span>
            </Form>
        </li>
    }
}

/// The confirmation before an email is sent: what signing in by email does.
#[component]
fn ConfirmEmail(send: ServerAction<SendChallenge>, method: String) -> impl IntoView {
    let (title, label) = if method == "email_otp" {
        ("Email you a code?", "Email me a code")
    } else {
        ("Email you a sign-in link?", "Email me a link")
    };
    view! {
        <section class="dialog" role="dialog" aria-labelledby="dialog-title" aria-describedby="dialog-text"
            data-cancel="/login/other">
            <h2 id="dialog-title">{title}</h2>
            <p id="dialog-text">{EMAIL_REPLACES}</p>
            <p>"Still have a recovery code? Use that instead: nothing else changes."</p>
            <ActionForm action=send>
                <input type="hidden" name="method" value=method/>
                <button type="submit" class="button" autofocus>{label}</button>
                " "<a href="/login/other">"Cancel"</a>
                <span class="progress" aria-live="polite"></span>
            </ActionForm>
        </section>
    }
}

/// A code sent by email or text message: "Code", "Verify", and "Send again"
/// once the server's resend wait is over, with the seconds counted down.
#[component]
pub fn MessageCodePage() -> impl IntoView {
    let query = use_query_map();
    let by_sms = query.read_untracked().get("method").as_deref() == Some("sms_otp");
    let (method, heading, sent_to) = if by_sms {
        (
            "sms_otp",
            "Check your phone",
            "We texted a 6-digit code to your verified phone. It works once, for 10 minutes.",
        )
    } else {
        ("email_otp", "Check your email", "We sent a 6-digit code to the email address of your account. It works once, for 10 minutes.")
    };
    let verify = ServerAction::<VerifyCode>::new();
    let resend = ServerAction::<SendChallenge>::new();
    view! {
        <PublicPage title="Enter the code">
            <SignInStage method=Some(method) let:stage>
                <h1 id="page-title">{heading}</h1>
                <Notice/>
                <p>{sent_to}</p>
                <CodeForm action=verify stage=stage.clone() method=method label="Code" hint="6 digits."/>
                <SendAgain resend method wait=stage.resend_in/>
                <p class="alt-link"><a href="/login/other">"Try another method"</a></p>
            </SignInStage>
        </PublicPage>
    }
}

/// "Send again", disabled until the server would send another code; the
/// countdown starts from the server's own wait, so the two agree.
#[component]
fn SendAgain(
    resend: ServerAction<SendChallenge>,
    method: &'static str,
    wait: i64,
) -> impl IntoView {
    let error = error_signal(resend);
    // The server draws the whole wait; `js/forms.js` counts it down from `data-wait`.
    view! {
        <ErrorBox message=error/>
        <ActionForm action=resend>
            <input type="hidden" name="method" value=method/>
            <button type="submit" class="button secondary" aria-describedby="resend-hint" data-wait=wait
                disabled=wait > 0>"Send again"</button>
            <span class="hint" id="resend-hint" aria-live="polite">
                {match wait {
                    0 => "You can ask for a new code now; it replaces the old one.".to_string(),
                    1 => "You can ask for a new code in 1 second.".to_string(),
                    n => format!("You can ask for a new code in {n} seconds."),
                }}
            </span>
        </ActionForm>
    }
}
