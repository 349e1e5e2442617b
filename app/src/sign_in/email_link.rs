//! `/login/link`, where the emailed sign-in link lands. Opening it changes
//! nothing (mail scanners follow links); only the button, a POST, completes
//! the sign-in — in the browser that asked for the link.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
use crate::messages::message_for;
use crate::page::{Loading, PublicPage};
#[cfg(feature = "ssr")]
use crate::session::{begin_enrollment, form_action, get, PENDING_MFA};

/// Whether the sign-in link in the URL can still be used.
#[server(prefix = "/sfn", endpoint = "link_status")]
pub async fn link_status(token: String) -> Result<bool, AppError> {
    Ok(crate::request::gatehouse().link_is_live(&token).await?)
}

/// The button of the sign-in link page: completes the link in the browser that asked for it.
#[server(prefix = "/sfn", endpoint = "complete_link")]
pub async fn complete_link(token: String) -> Result<(), AppError> {
    let page = format!("/login/link?token={token}");
    form_action(&page, |cx| async move {
        let pending = get::<String>(&cx.session, PENDING_MFA).await?;
        let recovery_token = cx
            .gh
            .complete_link(&token, pending.as_deref(), &cx.origin)
            .await?;
        begin_enrollment(&cx.session, recovery_token).await
    })
    .await
}

#[component]
pub fn SignInLinkPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let status = Resource::new(token, link_status);
    let action = ServerAction::<CompleteLink>::new();
    let error = error_signal(action);
    view! {
        <PublicPage title="Continue sign-in">
            <section class="card narrow" aria-labelledby="page-title">
                <h1 id="page-title">"Continue sign-in"</h1>
                <Suspense fallback=Loading>
                    {move || Suspend::new(async move {
                        match status.await {
                            Ok(true) => view! {
                                <p>"Press the button to continue signing in here. You will then set up a new authenticator app."</p>
                                <ErrorBox message=error/>
                                <ActionForm action=action>
                                    <input type="hidden" name="token" value=token()/>
                                    <Submit label="Continue sign-in"/>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <p class="alert error" role="alert">{message_for("link_invalid")}</p>
                                <p><a href="/login">"Sign in again"</a></p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </PublicPage>
    }
}
