//! `/support` ("Support"): the support code a person reads out when they
//! call the support desk, so the desk can tell it is them — and a new one on
//! demand. The desk sees only whether a code matches, never the code.
//! Authorized contacts also ask for an MFA reset here, signed in, and see
//! the requests they asked for.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, Ctx, Operation};
use crate::support_desk::{RequestSummary, StateBadge};
use crate::urls::param_i64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportView {
    pub me: Me,
    /// 8 digits.
    pub code: String,
    /// "2026-11-23 14:05 UTC".
    pub expires: String,
    /// An authorized contact of their organization: may ask for resets.
    pub contact: bool,
    /// The resets they asked for, newest first (contacts only).
    pub requests: Vec<RequestSummary>,
}

crate::signed_in_view!(SupportView);

/// The page's data. Seeing the code needs a recent sign-in: it proves to
/// the desk who is calling, so a stale or stolen session must not read it.
#[server(prefix = "/sfn", endpoint = "support_code")]
pub async fn support_code() -> Result<SupportView, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx
        .recent_user(Operation::RevealSupportCode, "/support")
        .await?;
    let code = cx.gh.support_code(uid, &cx.origin).await?;
    let contact = cx.gh.is_authorized_contact(uid).await?;
    let requests = if contact {
        // The desk sees every request there; this page lists only their own.
        cx.gh
            .reset_requests(uid, None, None)
            .await?
            .iter()
            .filter(|r| r.requester.id == uid)
            .map(crate::support_desk::convert::summary)
            .collect()
    } else {
        Vec::new()
    };
    Ok(SupportView {
        me: Me::load(&cx.gh, uid).await?,
        code: code.code,
        expires: gatehouse_core::format_time(code.expires_at),
        contact,
        requests,
    })
}

/// "Request an MFA reset": an authorized contact asks the desk, signed in
/// (which proves them), to reset someone of their organization.
#[server(prefix = "/sfn", endpoint = "request_reset")]
pub async fn request_reset(user_email: String) -> Result<(), AppError> {
    use gatehouse_core::service::NewResetRequest;
    form_action("/support", |cx| async move {
        let uid = cx
            .recent_user(Operation::RequestSupportReset, "/support")
            .await?;
        let new = NewResetRequest {
            requester_email: None,
            user_email: &user_email,
            channel: None,
            reference: "",
            note: "",
        };
        let filed = cx.gh.file_reset_request(uid, new, &cx.origin).await?;
        leptos_axum::redirect(&format!(
            "/support?notice=reset_requested&request={}",
            filed.id
        ));
        Ok(())
    })
    .await
}

/// "New code": the old code stops working at once.
#[server(prefix = "/sfn", endpoint = "new_support_code")]
pub async fn new_support_code() -> Result<(), AppError> {
    form_action("/support", |cx| async move {
        let uid = cx
            .recent_user(Operation::RevealSupportCode, "/support")
            .await?;
        cx.gh.new_support_code(uid, &cx.origin).await?;
        leptos_axum::redirect("/support?notice=support_code_new");
        Ok(())
    })
    .await
}

#[component]
pub fn SupportPage() -> impl IntoView {
    let renew = ServerAction::<NewSupportCode>::new();
    let ask = ServerAction::<RequestReset>::new();
    let data = Resource::new(|| (), |_| support_code());
    // Without a recent sign-in the server sends the page to "Confirm it's you".
    view! {
        <DataPage title="Support" data let:view>
            <SupportScreen view renew ask/>
        </DataPage>
    }
}

#[component]
fn SupportScreen(
    view: SupportView,
    renew: ServerAction<NewSupportCode>,
    ask: ServerAction<RequestReset>,
) -> impl IntoView {
    let contact = view.contact;
    let requests = view.requests.clone();
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">"Support"</h1>
            <Notice/>
            <h2 id="code-title">"Your support code"</h2>
            <p class="support-code" aria-labelledby="code-title">
                <output>{view.code.clone()}</output>
            </p>
            <p class="hint">{format!("Valid until {}, and for one call only.", view.expires)}</p>
            <p class="alert warning">
                "Read this code out only when you called the support desk yourself. Support never calls or emails you to ask for it."
            </p>
            <ErrorBox message=error_signal(renew)/>
            <ActionForm action=renew>
                <Submit label="New code"/>
            </ActionForm>
        </section>
        {contact.then(|| view! { <ResetRequestSection ask requests=requests.clone()/> })}
    }
}

/// For authorized contacts: ask the desk to reset someone, and the requests asked.
#[component]
fn ResetRequestSection(
    ask: ServerAction<RequestReset>,
    requests: Vec<RequestSummary>,
) -> impl IntoView {
    let filed = param_i64("request");
    view! {
        <section class="card narrow" aria-labelledby="reset-title">
            <h2 id="reset-title">"Request an MFA reset"</h2>
            <p>"You are an authorized contact of your organization: you may ask the support desk to reset the two-step verification of someone in it who lost their authenticator and their recovery codes. Signed in here, your request needs no call."</p>
            {move || filed.get().map(|id| view! {
                <p><a href=format!("/support/requests/{id}")>{format!("See request #{id}")}</a></p>
            })}
            <ErrorBox message=error_signal(ask)/>
            <ActionForm action=ask>
                <div class="field">
                    <label for="reset-user-email">"User email"</label>
                    <p class="hint" id="reset-user-hint">"The person whose two-step verification is to be reset. They get an email when the reset is approved."</p>
                    <input id="reset-user-email" data-keep="" name="user_email" type="email" autocomplete="off" required aria-describedby="reset-user-hint"/>
                </div>
                <Submit label="Request an MFA reset"/>
            </ActionForm>
            {(!requests.is_empty()).then(|| view! {
                <h3 id="my-requests-title">"Your requests"</h3>
                <ul class="plain my-requests" aria-labelledby="my-requests-title">
                    {requests.into_iter().map(|r| view! {
                        <li>
                            <a href=format!("/support/requests/{}", r.id)>{format!("Request #{}", r.id)}</a>
                            {format!(" · {} · {} · ", r.user.name_or_email(), r.filed)}
                            <StateBadge state=r.state/>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}
