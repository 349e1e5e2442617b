//! `/support/cancel?token=…` ("Cancel a reset"): the page behind the
//! "This wasn't me" link of every email about a support reset. Opening it
//! changes nothing; its button (a POST) cancels the reset, tells the desk,
//! and — if the reset was already used — ends the person's sessions. No
//! sign-in needed: the link is the proof that the email arrived.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
use crate::header::Me;
use crate::page::{DataPage, Viewer};
#[cfg(feature = "ssr")]
use crate::session::{form_action, Ctx};
use crate::urls::param;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelInfo {
    pub request_id: i64,
    pub user_name: String,
    /// Core's request state (`cooling_off`, `active`, …).
    pub state: String,
    pub reported: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelView {
    /// None: the link is not valid (any more).
    pub info: Option<CancelInfo>,
}

impl Viewer for CancelView {
    fn viewer(&self) -> Option<Me> {
        None
    }
}

#[cfg(feature = "ssr")]
fn info_of(i: gatehouse_core::service::CancelLinkInfo) -> CancelInfo {
    CancelInfo {
        request_id: i.request_id,
        user_name: i.user_name,
        state: i.state.as_str().into(),
        reported: i.reported,
    }
}

/// What the link is about. Reads only.
#[server(prefix = "/sfn", endpoint = "cancel_link")]
pub async fn cancel_link(token: String) -> Result<CancelView, AppError> {
    use gatehouse_core::AuthError;
    let cx = Ctx::new().await?;
    match cx.gh.cancel_link_info(&token).await {
        Ok(info) => Ok(CancelView {
            info: Some(info_of(info)),
        }),
        Err(AuthError::LinkInvalid) => Ok(CancelView { info: None }),
        Err(e) => Err(e.into()),
    }
}

/// "This wasn't me".
#[server(prefix = "/sfn", endpoint = "report_not_me")]
pub async fn report_not_me(token: String) -> Result<(), AppError> {
    use crate::urls::url_encode;
    let page = format!("/support/cancel?token={}", url_encode(&token));
    let back = page.clone();
    form_action(&page, |cx| async move {
        cx.gh.report_not_me(&token, &cx.origin).await?;
        leptos_axum::redirect(&format!("{back}&notice=reported"));
        Ok(())
    })
    .await
}

#[component]
pub fn CancelResetPage() -> impl IntoView {
    let token = param("token");
    let report = ServerAction::<ReportNotMe>::new();
    let data = Resource::new(move || token.get(), cancel_link);
    view! {
        <DataPage title="Cancel a reset" data let:view>
            <CancelScreen view report/>
        </DataPage>
    }
}

#[component]
fn CancelScreen(view: CancelView, report: ServerAction<ReportNotMe>) -> impl IntoView {
    let token = param("token");
    let body = match view.info {
        None => view! {
            <p class="alert error">"This link is not valid or has expired. Nothing was changed."</p>
            <p>"If someone reset your two-step verification without your asking, tell your administrator."</p>
        }
        .into_any(),
        Some(info) if info.reported => {
            let who = info.user_name.clone();
            view! {
                <p class="alert success" role="status">
                    {format!("The reset for {who} is cancelled (request #{}).", info.request_id)}
                </p>
                <h2>"What happens next"</h2>
                <ul>
                    <li>"The reset pass no longer works, and the support desk was told: they will look into who asked for it."</li>
                    <li>{format!("If the reset had not been used yet, {who} keeps signing in as before, with the authenticator they had.")}</li>
                    <li>{format!("If it had already been used, whoever used it is out: {who}'s account is deactivated, signed out everywhere, and what was set up with the reset is removed. An administrator of {who}'s organization reactivates the account after speaking to them.")}</li>
                </ul>
            }
            .into_any()
        }
        Some(info) if matches!(info.state.as_str(), "cancelled" | "denied") => view! {
            <p class="alert info">
                {format!("This reset of {}'s two-step verification (request #{}) was already {}: there is nothing to cancel.",
                    info.user_name, info.request_id, if info.state == "denied" { "denied" } else { "cancelled" })}
            </p>
        }
        .into_any(),
        Some(info) => {
            let who = info.user_name.clone();
            let now = match info.state.as_str() {
                "open" | "escalated" => "The request is still being checked.".to_string(),
                "cooling_off" => "The reset has not started yet: it waits out a cooling-off period first.".to_string(),
                "active" => format!("The reset works now: {who} can sign in with their password alone, once."),
                "used" => format!("The reset was already used. Pressing the button also deactivates {who}'s account and signs it out everywhere, until an administrator has spoken to them."),
                _ => "The reset expired unused.".to_string(),
            };
            view! {
                <p>{format!("The support desk was asked to reset the two-step verification of {who} (request #{}).", info.request_id)}</p>
                <p>{now}</p>
                <p>"If neither you nor they asked for this, press the button: it cancels the reset at once and tells the support desk."</p>
                <ErrorBox message=error_signal(report)/>
                <ActionForm action=report>
                    <input type="hidden" name="token" value=token.get_untracked()/>
                    <Submit label="This wasn't me" class="danger"/>
                </ActionForm>
            }
            .into_any()
        }
    };
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Cancel a reset"</h1>
            {body}
        </section>
    }
}
