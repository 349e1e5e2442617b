//! "Locked out?": `/locked-out` explains the ways back and takes the
//! account's email and what happened (one answer for every address);
//! `/locked-out/confirm?token=…` opens from the mail an owner or officer
//! nobody else can reset receives, and — with the password — sends their
//! request to the support desk. Opening it changes nothing.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice, Submit};
use crate::page::{DataPage, PublicPage};
#[cfg(feature = "ssr")]
use crate::session::form_action;
use crate::urls::param;

#[server(prefix = "/sfn", endpoint = "locked_out")]
pub async fn locked_out(email: String, description: String) -> Result<(), AppError> {
    form_action("/locked-out", |cx| async move {
        cx.gh.locked_out(&email, &description, &cx.origin).await?;
        leptos_axum::redirect("/locked-out?notice=locked_out_sent");
        Ok(())
    })
    .await
}

#[component]
pub fn LockedOutPage() -> impl IntoView {
    view! {
        <PublicPage title="Locked out">
            <section class="card narrow" aria-labelledby="page-title">
                <h1 id="page-title">"Locked out?"</h1>
                <Notice/>
                <LockedOutForm/>
            </section>
        </PublicPage>
    }
}

#[component]
fn LockedOutForm() -> impl IntoView {
    let action = ServerAction::<LockedOut>::new();
    view! {
                <p>"Lost the phone with your authenticator? Try these first, in this order:"</p>
                <ol class="ways-back">
                    <li><strong>"A recovery code."</strong>" Sign in, then choose “Try another method” → “Use a recovery code”. Each of the 10 codes you saved works once."</li>
                    <li><strong>"Your email."</strong>" Sign in, then “Try another method” → “Email me a code” or “Email me a sign-in link”. You then set up a new authenticator."</li>
                    <li><strong>"Your administrator."</strong>" Anyone who manages users in your organization can reset your two-step verification in a minute, after checking it is you."</li>
                </ol>
                <p>"None of these works — or you are the one who manages everyone else? Tell us below. We email the account's address: who can help you, or, if nobody in your organization can, how to ask the support desk."</p>
                <ErrorBox message=error_signal(action)/>
                <ActionForm action=action>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" maxlength="254" required autofocus data-keep=""/>
                    </div>
                    <div class="field">
                        <label for="description">"What happened"</label>
                        <p class="hint" id="description-hint">"For example: “Phone stolen on Monday, no recovery codes.” The support desk reads it; never write a password or code here."</p>
                        <textarea id="description" name="description" rows="4" maxlength="1000" aria-describedby="description-hint" data-keep=""></textarea>
                    </div>
                    <Submit label="Send"/>
                    " "<a href="/login">"Back to sign-in"</a>
                </ActionForm>
    }
}

/// The account a confirmation link is for, and its organization, while the
/// link works. Reads only.
#[server(prefix = "/sfn", endpoint = "locked_out_link")]
pub async fn locked_out_link(token: String) -> Result<Option<(String, String)>, AppError> {
    let link = crate::request::gatehouse().locked_out_link(&token).await?;
    Ok(link.map(|l| (l.email, l.organization)))
}

#[server(prefix = "/sfn", endpoint = "confirm_locked_out")]
pub async fn confirm_locked_out(token: String, password: String) -> Result<(), AppError> {
    let page = format!(
        "/locked-out/confirm?token={}",
        crate::urls::url_encode(&token)
    );
    form_action(&page, |cx| async move {
        cx.gh
            .confirm_locked_out(&token, &password, &cx.origin)
            .await?;
        leptos_axum::redirect("/locked-out?notice=locked_out_filed");
        Ok(())
    })
    .await
}

#[component]
pub fn LockedOutConfirmPage() -> impl IntoView {
    let token = param("token");
    let data = Resource::new(move || token.get(), locked_out_link);
    view! {
        <DataPage title="Ask the support desk" data let:account>
            <ConfirmScreen account token=token.get_untracked()/>
        </DataPage>
    }
}

#[component]
fn ConfirmScreen(account: Option<(String, String)>, token: String) -> impl IntoView {
    let action = ServerAction::<ConfirmLockedOut>::new();
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Ask the support desk"</h1>
            {match account {
                Some((email, organization)) => view! {
                    <p>{format!("Nobody else at {organization} can reset your two-step verification, so the support desk will. Your password confirms it is you; the email you opened this from already did. This link works for 60 minutes from when it was sent, once.")}</p>
                    <p>"What happens next: an agent reviews your request and a manager decides. If they approve, you get an email saying from when you can sign in with your password alone and set up a new authenticator (there is a waiting period, so that a request that was not yours can still be stopped). You, your organization's admins and its authorized contacts hear of every step."</p>
                    <ErrorBox message=error_signal(action)/>
                    <ActionForm action=action>
                        <input type="hidden" name="token" value=token/>
                        <div class="field">
                            <label for="email">"Email"</label>
                            <input id="email" type="email" autocomplete="username" value=email readonly tabindex="-1"/>
                        </div>
                        <div class="field">
                            <label for="password">"Password"</label>
                            <input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required autofocus/>
                        </div>
                        <Submit label="Send to the support desk"/>
                        " "<a href="/login">"Back to sign-in"</a>
                    </ActionForm>
                }.into_any(),
                None => view! {
                    <p class="alert error" role="alert">"This link has expired or was already used. Nothing was sent."</p>
                    <p><a href="/locked-out">"Start again"</a></p>
                }.into_any(),
            }}
        </section>
    }
}
