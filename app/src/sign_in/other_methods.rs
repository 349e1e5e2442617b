//! "Try another method" (`/login/other`) and the page for a code sent by
//! email or text message (`/login/code`).

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::second_factor::CodeForm;
use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice};
use crate::page::PublicPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, pending_mfa, Ctx};

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

/// Which other methods the sign-in in progress can use (SMS only with a verified phone).
#[server(prefix = "/sfn", endpoint = "sign_in_options")]
pub async fn sign_in_options() -> Result<bool, AppError> {
    let cx = Ctx::new().await?;
    let token = pending_mfa(&cx.session).await?;
    Ok(cx.gh.attempt_has_phone(&token).await?)
}

#[component]
pub fn OtherMethodsPage() -> impl IntoView {
    let send = ServerAction::<SendChallenge>::new();
    let error = error_signal(send);
    let has_phone = Resource::new(|| (), |_| sign_in_options());
    view! {
        <PublicPage title="Try another method">
            <section class="card narrow" aria-labelledby="page-title">
                <h1 id="page-title">"Try another method"</h1>
                <p>"Lost your phone or can’t use your authenticator app? Choose another way to prove it’s you."</p>
                <Notice/>
                <ErrorBox message=error/>
                <ul class="methods">
                    <li>
                        <ActionForm action=send>
                            <input type="hidden" name="method" value="email_link"/>
                            <button type="submit" class="method" aria-describedby="link-hint">
                                <strong>"Email me a sign-in link"</strong>
                            </button>
                            <span class="hint" id="link-hint">"Open it in this browser. You then set up your authenticator again."</span>
                        </ActionForm>
                    </li>
                    <li>
                        <ActionForm action=send>
                            <input type="hidden" name="method" value="email_otp"/>
                            <button type="submit" class="method" aria-describedby="code-hint">
                                <strong>"Email me a code"</strong>
                            </button>
                            <span class="hint" id="code-hint">"A 6-digit code, valid for 10 minutes. You then set up your authenticator again."</span>
                        </ActionForm>
                    </li>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            has_phone.await.unwrap_or(false).then(|| view! {
                                <li>
                                    <ActionForm action=send>
                                        <input type="hidden" name="method" value="sms_otp"/>
                                        <button type="submit" class="method" aria-describedby="sms-hint">
                                            <strong>"Text me a code"</strong>
                                        </button>
                                        <span class="hint" id="sms-hint">"A 6-digit code to your verified phone, valid for 10 minutes."</span>
                                    </ActionForm>
                                </li>
                            })
                        })}
                    </Suspense>
                    <li>
                        <Form method="GET" action="/login/recovery">
                            <button type="submit" class="method" aria-describedby="recovery-hint">
                                <strong>"Use a recovery code"</strong>
                            </button>
                            <span class="hint" id="recovery-hint">"One of the 10 codes you saved when you set up two-step verification."</span>
                        </Form>
                    </li>
                </ul>
                <p class="alt-link"><a href="/login/mfa">"Back to the authenticator code"</a></p>
                <p class="hint">"None of these work? Ask your administrator or your IT provider to reset your multi-factor authentication."</p>
            </section>
        </PublicPage>
    }
}

/// A code sent by email or text message: "Code", "Verify", and "Send again" after the resend wait.
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
    let resend = ServerAction::<SendChallenge>::new();
    let resend_error = error_signal(resend);
    let wait = RwSignal::new(30_i64);
    // Counts down in the browser only (the server renders the full wait), so hydration matches.
    Effect::new(move || {
        resend.version().get();
        wait.set(30);
        let handle = set_interval_with_handle(
            move || wait.update(|w| *w = (*w - 1).max(0)),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <PublicPage title="Enter the code">
            <section class="card narrow" aria-labelledby="page-title">
                <h1 id="page-title">{heading}</h1>
                <Notice/>
                <p>{sent_to}</p>
                <CodeForm method=method label="Code" hint="6 digits."/>
                <ErrorBox message=resend_error/>
                <ActionForm action=resend>
                    <input type="hidden" name="method" value=method/>
                    <button type="submit" class="button secondary" disabled=move || resend.pending().get()>"Send again"</button>
                    <span class="hint" aria-live="polite">
                        {move || match wait.get() {
                            0 => "You can ask for a new code now; it replaces the old one.".to_string(),
                            n => format!("You can ask for a new code in {n} seconds."),
                        }}
                    </span>
                </ActionForm>
                <p class="alt-link"><a href="/login/other">"Try another method"</a></p>
            </section>
        </PublicPage>
    }
}
