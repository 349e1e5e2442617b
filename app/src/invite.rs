//! `/invite`: an invited user chooses their password from the emailed link.

use leptos::prelude::*;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, NewPasswordFields};
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::form_action;
use crate::urls::param;

#[server(prefix = "/sfn", endpoint = "invitation")]
pub async fn invitation(token: String) -> Result<Option<String>, AppError> {
    Ok(crate::request::gatehouse().invitation_email(&token).await?)
}

#[server(prefix = "/sfn", endpoint = "accept_invitation")]
pub async fn accept_invitation(token: String, password: String) -> Result<(), AppError> {
    let page = format!("/invite?token={token}");
    form_action(&page, |cx| async move {
        cx.gh
            .accept_invitation(&token, &password, &cx.origin)
            .await
            .map_err(|e| match e {
                gatehouse_core::AuthError::LinkInvalid => AppError::new(
                    "link_invalid",
                    "This invitation link has expired, was withdrawn or was already used. Ask your administrator to send it again.",
                ),
                e => e.into(),
            })?;
        leptos_axum::redirect("/login?notice=password_set");
        Ok(())
    })
    .await
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let token = param("token");
    let data = Resource::new(move || token.get(), invitation);
    view! {
        <DataPage title="Choose your password" data let:email>
            <InviteScreen email token=token.get_untracked()/>
        </DataPage>
    }
}

#[component]
fn InviteScreen(email: Option<String>, token: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvitation>::new();
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Choose your password"</h1>
            {match email {
                Some(email) => view! {
                    <ErrorBox message=error_signal(action)/>
                    <ActionForm action=action>
                        <input type="hidden" name="token" value=token/>
                        <NewPasswordFields email/>
                    </ActionForm>
                }.into_any(),
                None => view! {
                    <p class="alert error" role="alert">"This invitation link has expired or was already used. Ask your administrator for a new one."</p>
                    <p><a href="/login">"Go to sign-in"</a></p>
                }.into_any(),
            }}
        </section>
    }
}
