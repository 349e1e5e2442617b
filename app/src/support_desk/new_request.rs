//! `/support/requests/new`: the desk files what a caller asks — who is
//! asking, who is to be reset, how it came in — then proves the caller on
//! the request's page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, Ctx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequestView {
    pub me: Me,
}

crate::signed_in_view!(NewRequestView);

#[server(prefix = "/sfn", endpoint = "desk_new_request")]
pub async fn desk_new_request() -> Result<NewRequestView, AppError> {
    let cx = Ctx::new().await?;
    let uid = super::queue::desk_user(&cx).await?;
    Ok(NewRequestView {
        me: Me::load(&cx.gh, uid).await?,
    })
}

#[server(prefix = "/sfn", endpoint = "file_desk_request")]
pub async fn file_desk_request(
    requester_email: String,
    user_email: String,
    channel: String,
    reference: String,
    note: String,
) -> Result<(), AppError> {
    use gatehouse_core::rules::support::RequestChannel;
    use gatehouse_core::service::NewResetRequest;
    form_action("/support/requests/new", |cx| async move {
        let uid = cx.user().await?;
        let new = NewResetRequest {
            requester_email: Some(&requester_email),
            user_email: &user_email,
            channel: RequestChannel::parse(&channel),
            reference: &reference,
            note: &note,
        };
        let filed = cx.gh.file_reset_request(uid, new, &cx.origin).await?;
        leptos_axum::redirect(&format!("/support/requests/{}?notice=filed", filed.id));
        Ok(())
    })
    .await
}

#[component]
pub fn NewRequestPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| desk_new_request());
    view! {
        <DataPage title="New reset request" data let:_view>
            <NewRequestScreen/>
        </DataPage>
    }
}

#[component]
fn NewRequestScreen() -> impl IntoView {
    let action = ServerAction::<FileDeskRequest>::new();
    view! {
        <p class="crumbs"><a href="/support/requests">"← Reset requests"</a></p>
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"New reset request"</h1>
            <p class="hint">"Only an authorized contact of the person's organization may ask. After filing, prove who is asking on the request's page: ask them to read out the support code from their Support page."</p>
            <ErrorBox message=error_signal(action)/>
            <ActionForm action=action>
                <div class="field">
                    <label for="requester-email">"Requester email"</label>
                    <p class="hint" id="requester-hint">"The authorized contact who is asking."</p>
                    <input id="requester-email" data-keep="" name="requester_email" type="email" autocomplete="off" required
                        aria-describedby="requester-hint" autofocus/>
                </div>
                <div class="field">
                    <label for="user-email">"User email"</label>
                    <p class="hint" id="user-hint">"The person whose two-step verification is to be reset."</p>
                    <input id="user-email" data-keep="" name="user_email" type="email" autocomplete="off" required aria-describedby="user-hint"/>
                </div>
                <div class="field">
                    <label for="channel">"Channel"</label>
                    <select id="channel" name="channel" required>
                        <option value="phone">"Phone"</option>
                        <option value="email">"Email"</option>
                        <option value="ticket">"Ticket"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="reference">"Reference"</label>
                    <p class="hint" id="reference-hint">"Optional: the ticket number or call reference."</p>
                    <input id="reference" data-keep="" name="reference" type="text" maxlength="200" autocomplete="off" aria-describedby="reference-hint"/>
                </div>
                <div class="field">
                    <label for="note">"Note"</label>
                    <p class="hint" id="note-hint">"Optional: what the caller said. Never write a code or a password here."</p>
                    <textarea id="note" data-keep="" name="note" rows="3" maxlength="2000" aria-describedby="note-hint"></textarea>
                </div>
                <Submit label="Create request"/>
            </ActionForm>
        </section>
    }
}
