//! `/support/requests` ("Reset requests"): the desk's queue, newest first,
//! filtered by state and organization. The support desk only.

use leptos::prelude::*;
use leptos_router::components::Form;
use serde::{Deserialize, Serialize};

use super::{flag_short, state_label, PersonCell, RequestSummary, StateBadge, STATES};
use crate::abuse_alerts::{AlertBanner, AlertView};
use crate::error::AppError;
use crate::form::Notice;
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::Ctx;
use crate::urls::{param, param_i64};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub me: Me,
    pub requests: Vec<RequestSummary>,
    /// The organizations to filter by: those of the listed requests.
    pub orgs: Vec<(i64, String)>,
    /// Abuse alerts still inside their window.
    pub alerts: Vec<AlertView>,
}

crate::signed_in_view!(QueueView);

/// The desk member signed in, or `forbidden` for anyone else.
#[cfg(feature = "ssr")]
pub(crate) async fn desk_user(cx: &Ctx) -> Result<i64, AppError> {
    let uid = cx.user().await?;
    if cx.gh.desk_role(uid).await?.is_none() {
        return Err(AppError::new(
            "forbidden",
            "Only the support desk works reset requests. To ask for a reset, use the Support page.",
        ));
    }
    Ok(uid)
}

#[server(prefix = "/sfn", endpoint = "desk_requests")]
pub async fn desk_requests(state: String, org: Option<i64>) -> Result<QueueView, AppError> {
    use gatehouse_core::rules::support::RequestState;
    let cx = Ctx::new().await?;
    let uid = desk_user(&cx).await?;
    let state = match state.as_str() {
        "" => None,
        text => Some(
            RequestState::parse(text)
                .ok_or_else(|| AppError::new("invalid_request", "Choose a state from the list."))?,
        ),
    };
    let listed = cx.gh.reset_requests(uid, state, org).await?;
    let mut orgs: Vec<(i64, String)> = Vec::new();
    for r in &listed {
        if !orgs.iter().any(|(id, _)| *id == r.org_id) {
            orgs.push((r.org_id, r.org_name.clone()));
        }
    }
    orgs.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(QueueView {
        me: Me::load(&cx.gh, uid).await?,
        requests: listed.iter().map(super::convert::summary).collect(),
        orgs,
        alerts: crate::abuse_alerts::alert_views(&cx.gh.abuse_alerts_for(uid).await?),
    })
}

#[component]
pub fn RequestsPage() -> impl IntoView {
    let (state, org) = (param("state"), param_i64("org"));
    let data = Resource::new(
        move || (state.get(), org.get()),
        |(state, org)| desk_requests(state, org),
    );
    view! {
        <DataPage title="Reset requests" data let:view>
            <QueueScreen view/>
        </DataPage>
    }
}

#[component]
fn QueueScreen(view: QueueView) -> impl IntoView {
    let (state, org) = (param("state"), param_i64("org"));
    let filtered = !state.get_untracked().is_empty() || org.get_untracked().is_some();
    view! {
        <section class="card wide" aria-labelledby="page-title">
            <div class="title-row">
                <h1 id="page-title">"Reset requests"</h1>
                <a class="button" href="/support/requests/new">"New request"</a>
            </div>
            <AlertBanner alerts=view.alerts.clone()/>
            <p class="hint">"Requests to reset someone's two-step verification, newest first. Prove who is asking before anything else; the rules decide what you may do alone."</p>
            <Notice/>
            <Form method="GET" action="/support/requests" attr:class="filters">
                <div class="field">
                    <label for="state">"State"</label>
                    <select id="state" name="state">
                        <option value="" selected=state.get_untracked().is_empty()>"Any"</option>
                        {STATES.into_iter().map(|s| view! {
                            <option value=s selected=state.get_untracked() == s>{state_label(s)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="org">"Organization"</label>
                    <select id="org" name="org">
                        <option value="">"All"</option>
                        {view.orgs.iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=org.get_untracked() == Some(*id)>{name.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button secondary">"Filter"</button>
                {filtered.then(|| view! { <a href="/support/requests">"Show all"</a> })}
            </Form>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Request list">
                <table class="data">
                    <caption class="visually-hidden">"Reset requests, newest first"</caption>
                    <thead><tr>
                        <th scope="col">"Request"</th>
                        <th scope="col">"Organization"</th>
                        <th scope="col">"Person to reset"</th>
                        <th scope="col">"Requested by"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Flags"</th>
                        <th scope="col">"Filed"</th>
                    </tr></thead>
                    <tbody>
                        {view.requests.is_empty().then(|| view! {
                            <tr><td colspan="7" class="muted">"No reset request matches."</td></tr>
                        })}
                        {view.requests.into_iter().map(|r| view! {
                            <tr>
                                <th scope="row"><a href=format!("/support/requests/{}", r.id)>{format!("Request #{}", r.id)}</a></th>
                                <td data-label="Organization">{r.organization.clone()}</td>
                                <td data-label="Person to reset" class="who-cell"><PersonCell person=r.user.clone()/></td>
                                <td data-label="Requested by" class="who-cell"><PersonCell person=r.requester.clone()/></td>
                                <td data-label="State"><StateBadge state=r.state.clone()/></td>
                                <td data-label="Flags">
                                    {if r.flags.is_empty() {
                                        view! { <span class="muted">"None"</span> }.into_any()
                                    } else {
                                        r.flags.iter().map(|f| view! { <span class="badge danger">{flag_short(f)}</span> }).collect_view().into_any()
                                    }}
                                </td>
                                <td data-label="Filed" class="nowrap">{r.filed.clone()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
