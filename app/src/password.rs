//! "Forgot password?": `/password/forgot` asks for the address and emails a
//! link; `/password/reset?token=…` opens from that link and sets the new
//! password with its button (opening it changes nothing). The second factor
//! stays: the next sign-in still asks for it.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, NewPasswordFields, Submit};
use crate::page::{DataPage, PublicPage};
#[cfg(feature = "ssr")]
use crate::session::form_action;
use crate::urls::param;

#[server(prefix = "/sfn", endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    form_action("/password/forgot", |cx| async move {
        cx.gh.forgot_password(&email, &cx.origin).await?;
        leptos_axum::redirect("/login?notice=password_link_sent");
        Ok(())
    })
    .await
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    view! {
        <PublicPage title="Forgot password">
            <section class="card narrow" aria-labelledby="page-title">
                <h1 id="page-title">"Forgot your password?"</h1>
                <p>"Enter the email address of your account. We email it a link to choose a new password; the link works for 30 minutes."</p>
                <p class="hint">"A new password does not replace your authenticator: signing in will still ask for it. Lost that too? Sign in with the new password, then choose “Try another method”."</p>
                <ErrorBox message=error_signal(action)/>
                <ActionForm action=action>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" maxlength="254" required autofocus data-keep=""/>
                    </div>
                    <Submit label="Send"/>
                    " "<a href="/login">"Back to sign-in"</a>
                </ActionForm>
            </section>
        </PublicPage>
    }
}

/// Who the link is for, while it works: the address, and whether the
/// account has an authenticator (then its code is asked for too).
#[server(prefix = "/sfn", endpoint = "password_link")]
pub async fn password_link(token: String) -> Result<Option<(String, bool)>, AppError> {
    let link = crate::request::gatehouse().password_link(&token).await?;
    Ok(link.map(|l| (l.email, l.needs_code)))
}

#[server(prefix = "/sfn", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String, code: String) -> Result<(), AppError> {
    let page = format!("/password/reset?token={}", crate::urls::url_encode(&token));
    form_action(&page, |cx| async move {
        cx.gh
            .reset_password_with_link(&token, &password, &code, &cx.origin)
            .await?;
        leptos_axum::redirect("/login?notice=password_reset");
        Ok(())
    })
    .await
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = param("token");
    let data = Resource::new(move || token.get(), password_link);
    view! {
        <DataPage title="Choose a new password" data let:account>
            <ResetPasswordScreen account token=token.get_untracked()/>
        </DataPage>
    }
}

#[component]
fn ResetPasswordScreen(account: Option<(String, bool)>, token: String) -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Choose a new password"</h1>
            {match account {
                Some((email, needs_code)) => view! {
                    <p>"Every browser and app signed in to this account will be signed out. Your authenticator stays as it is."</p>
                    <ErrorBox message=error_signal(action)/>
                    <ActionForm action=action>
                        <input type="hidden" name="token" value=token/>
                        <NewPasswordFields email>
                            {if needs_code {
                                view! {
                                    <div class="field">
                                        <label for="code">"Authentication code"</label>
                                        <p class="hint" id="code-hint">"Your account has two-step verification: the 6-digit code from your authenticator app, or one of your recovery codes. Lost both? Go to "<a href="/locked-out">"Locked out?"</a></p>
                                        <input id="code" name="code" type="text" inputmode="text" autocomplete="one-time-code" maxlength="32" aria-describedby="code-hint" required/>
                                    </div>
                                }.into_any()
                            } else {
                                view! { <input type="hidden" name="code" value=""/> }.into_any()
                            }}
                        </NewPasswordFields>
                        " "<a href="/login">"Back to sign-in"</a>
                    </ActionForm>
                }.into_any(),
                None => view! {
                    <p class="alert error" role="alert">"This link has expired or was already used. Nothing was changed."</p>
                    <p><a href="/password/forgot">"Ask for a new link"</a>" or "<a href="/login">"go to sign-in"</a>"."</p>
                }.into_any(),
            }}
        </section>
    }
}
