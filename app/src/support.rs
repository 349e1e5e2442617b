//! `/support` ("Support"): the support code a person reads out when they
//! call the support desk, so the desk can tell it is them — and a new one on
//! demand. The desk sees only whether a code matches, never the code.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Notice, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, Ctx};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportView {
    pub me: Me,
    /// 8 digits.
    pub code: String,
    /// "2026-11-23 14:05 UTC".
    pub expires: String,
}

crate::signed_in_view!(SupportView);

#[server(prefix = "/sfn", endpoint = "support_code")]
pub async fn support_code() -> Result<SupportView, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let code = cx.gh.support_code(uid, &cx.origin).await?;
    Ok(SupportView {
        me: Me::load(&cx.gh, uid).await?,
        code: code.code,
        expires: gatehouse_core::format_time(code.expires_at),
    })
}

/// "New code": the old code stops working at once.
#[server(prefix = "/sfn", endpoint = "new_support_code")]
pub async fn new_support_code() -> Result<(), AppError> {
    form_action("/support", |cx| async move {
        let uid = cx.user().await?;
        cx.gh.new_support_code(uid, &cx.origin).await?;
        leptos_axum::redirect("/support?notice=support_code_new");
        Ok(())
    })
    .await
}

#[component]
pub fn SupportPage() -> impl IntoView {
    let renew = ServerAction::<NewSupportCode>::new();
    let data = Resource::new(move || renew.version().get(), |_| support_code());
    view! {
        <DataPage title="Support" data let:view>
            <SupportScreen view renew/>
        </DataPage>
    }
}

#[component]
fn SupportScreen(view: SupportView, renew: ServerAction<NewSupportCode>) -> impl IntoView {
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
                <Submit label="New code" pending=renew.pending()/>
            </ActionForm>
        </section>
    }
}
