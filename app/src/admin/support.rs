//! `/admin/support` ("Support requests"): every MFA reset request the
//! support desk received about people of the viewer's organization and
//! below, read-only, each with its timeline — what the platform did to
//! your people. Downloads as CSV and JSON (`/admin/support/export.csv` and
//! `.json`, served by the server crate).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::parts::AdminNav;
use crate::error::AppError;
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::Ctx;
use crate::support_desk::{
    channel_label, pass_sentence, ChecksTable, RequestDetail, StateBadge, Timeline,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRequestsView {
    pub me: Me,
    pub requests: Vec<RequestDetail>,
}

crate::signed_in_view!(OrgRequestsView);

#[server(prefix = "/sfn", endpoint = "org_support_requests")]
pub async fn org_support_requests() -> Result<OrgRequestsView, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let requests = cx.gh.org_reset_requests(uid).await?;
    Ok(OrgRequestsView {
        me: Me::load(&cx.gh, uid).await?,
        requests: requests
            .iter()
            .map(crate::support_desk::convert::detail)
            .collect(),
    })
}

#[component]
pub fn OrgSupportPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| org_support_requests());
    view! {
        <DataPage title="Support requests · Administration" data let:view>
            <OrgSupportScreen view/>
        </DataPage>
    }
}

#[component]
fn OrgSupportScreen(view: OrgRequestsView) -> impl IntoView {
    view! {
        <AdminNav current="/admin/support"/>
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Support requests"</h1>
            <p class="hint">"Every request to the support desk to reset the two-step verification of someone in your organization, newest first, with what happened. Read-only: the support desk works them."</p>
            <p class="downloads">
                <a class="button secondary small" href="/admin/support/export.csv" download>"Download CSV"</a>
                " "
                <a class="button secondary small" href="/admin/support/export.json" download>"Download JSON"</a>
            </p>
            {view.requests.is_empty().then(|| view! {
                <p class="muted">"The support desk has had no request about your people."</p>
            })}
        </section>
        {view.requests.into_iter().map(|r| {
            let s = r.summary.clone();
            let title = format!("org-request-{}", s.id);
            let labelled_by = title.clone();
            view! {
                <article class="card wide" aria-labelledby=labelled_by>
                    <h2 id=title>
                        {format!("Request #{} · {}", s.id, s.user.name_or_email())}
                    </h2>
                    <p class="subtitle"><StateBadge state=s.state.clone()/></p>
                    {r.reported.then(|| view! {
                        <p class="alert error">"Someone answered “This wasn't me”: the reset was cancelled."</p>
                    })}
                    <dl class="facts">
                        <dt>"Person to reset"</dt><dd>{format!("{} · {}", s.user.email, s.organization)}</dd>
                        <dt>"Asked by"</dt><dd>{format!("{} · {}", s.requester.email, s.requester.organization)}</dd>
                        <dt>"Channel"</dt><dd>{channel_label(&s.channel)}</dd>
                        <dt>"Filed"</dt><dd>{s.filed.clone()}</dd>
                        {r.pass.clone().map(|(from, until)| view! {
                            <dt>"Reset pass"</dt><dd>{pass_sentence(&s.state, &from, &until)}</dd>
                        })}
                    </dl>
                    <h3>"Identity checks"</h3>
                    <ChecksTable checks=r.checks.clone()/>
                    <h3>"Timeline"</h3>
                    <Timeline events=r.timeline.clone()/>
                </article>
            }
        }).collect_view()}
    }
}
