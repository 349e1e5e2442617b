//! The audit log (`/audit`): every sign-in, change, reset and grant the
//! viewer may see, filtered, paged, and as CSV (`/audit/export.csv`, served
//! by the server crate).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::header::Me;
use crate::page::{DataPage, Pager, Paging};
#[cfg(feature = "ssr")]
use crate::session::Ctx;
use crate::urls::{param, param_i64};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub organization: String,
    /// What happened, as a sentence naming who and whom.
    pub what: String,
    /// A failure or refusal, which stands out.
    pub failure: bool,
    pub action: String,
    pub ip: String,
    /// "Chrome on Linux"; the full user agent is shown on demand.
    pub browser: String,
    pub user_agent: String,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub me: Me,
    /// Why the filters could not be used (a date that is not one, a reversed range).
    pub filter_error: Option<String>,
    pub entries: Vec<AuditRow>,
    pub paging: Paging,
    pub actions: Vec<String>,
}

crate::signed_in_view!(AuditView);

#[server(prefix = "/sfn", endpoint = "audit_log")]
pub async fn audit_log(
    user: String,
    action: String,
    from: String,
    to: String,
    page: i64,
    after: Option<i64>,
    before: Option<i64>,
) -> Result<AuditView, AppError> {
    use gatehouse_core::rules::audit_text::{is_failure, sentence, short_browser};
    use gatehouse_core::rules::filters::AuditFilter;
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let gh = &cx.gh;
    let me = Me::load(gh, uid).await?;
    let actions = gh.audit_actions(uid).await?;
    let filter = match AuditFilter::from_params(&user, &action, &from, &to) {
        Ok(filter) => filter,
        // The form stays, with what was typed and what is wrong with it.
        Err(e) => {
            return Ok(AuditView {
                me,
                filter_error: Some(e.to_string()),
                entries: Vec::new(),
                paging: Paging::empty(),
                actions,
            })
        }
    };
    let page = gatehouse_core::service::PageRequest {
        number: page,
        after,
        before,
    };
    let result = gh.audit_page(uid, &filter, page).await?;
    Ok(AuditView {
        me,
        filter_error: None,
        entries: result
            .entries
            .into_iter()
            .map(|e| AuditRow {
                id: e.id,
                at: gatehouse_core::format_time(e.at),
                organization: e.org_name,
                // An operator's command has no actor: it is the command line.
                what: sentence(
                    &e.action,
                    e.actor
                        .as_deref()
                        .or((e.ip == "cli").then_some("The command line")),
                    e.subject.as_deref(),
                ),
                failure: is_failure(&e.action),
                action: e.action,
                ip: e.ip,
                browser: short_browser(&e.user_agent),
                user_agent: e.user_agent,
                details: e.details,
            })
            .collect(),
        paging: Paging::from(&result.place),
        actions,
    })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let (user, action, from, to) = (param("user"), param("action"), param("from"), param("to"));
    let (page, after, before) = (param_i64("page"), param_i64("after"), param_i64("before"));
    let data = Resource::new(
        move || {
            let at = (page.get(), after.get(), before.get());
            (user.get(), action.get(), from.get(), to.get(), at)
        },
        |(user, action, from, to, (page, after, before))| {
            audit_log(user, action, from, to, page.unwrap_or(1), after, before)
        },
    );
    view! {
        <DataPage title="Audit log" data let:view>
            <AuditScreen view/>
        </DataPage>
    }
}

#[component]
fn AuditScreen(view: AuditView) -> impl IntoView {
    let (user, action, from, to) = (param("user"), param("action"), param("from"), param("to"));
    let dates_wrong = view.filter_error.is_some();
    let nothing_found = view.entries.is_empty() && !dates_wrong;
    view! {
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Audit log"</h1>
            <p class="hint">"Every sign-in, change, reset and grant in your organizations, newest first. Times are UTC."</p>
            // A plain form: "Download CSV" submits the same fields to the export,
            // so the file holds exactly what the form shows, named with its dates.
            <form method="get" action="/audit" class="filters">
                <div class="field grow">
                    <label for="user">"User (email)"</label>
                    <input id="user" name="user" type="search" value=user.get_untracked()/>
                </div>
                <div class="field">
                    <label for="action">"Action"</label>
                    <select id="action" name="action">
                        <option value="">"Any"</option>
                        {view.actions.into_iter().map(|a| view! {
                            <option value=a.clone() selected=action.get_untracked() == a>{a.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" value=from.get_untracked()
                        aria-invalid=dates_wrong.then_some("true") aria-describedby="dates-error"/>
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=to.get_untracked()
                        aria-invalid=dates_wrong.then_some("true") aria-describedby="dates-error"/>
                </div>
                <button type="submit" class="button secondary">"Filter"</button>
                <button type="submit" class="button secondary" formaction="/audit/export.csv" data-download="">"Download CSV"</button>
            </form>
            {view.filter_error.map(|e| view! { <p class="alert error" role="alert" id="dates-error">{e}</p> })}
            <p class="hint">"Download CSV saves the entries these filters find, every page of them."</p>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Audit log entries">
                <table class="data audit">
                    <caption class="visually-hidden">"Audit entries"</caption>
                    <thead><tr>
                        <th scope="col">"Time"</th><th scope="col">"What happened"</th>
                        <th scope="col">"Organization"</th><th scope="col">"IP"</th><th scope="col">"Browser"</th><th scope="col">"Details"</th>
                    </tr></thead>
                    <tbody>
                        {view.entries.into_iter().map(|e| view! {
                            <tr class=e.failure.then_some("failure")>
                                <td class="nowrap" data-label="Time">{e.at}</td>
                                <th scope="row" data-label="What happened">
                                    {e.failure.then(|| view! { <span class="badge danger">"Failed or refused"</span>" " })}
                                    {e.what}
                                    <code class="action">{e.action}</code>
                                </th>
                                <td data-label="Organization">{e.organization}</td>
                                <td data-label="IP">{e.ip}</td>
                                <td class="browser" data-label="Browser">
                                    <details>
                                        <summary>{e.browser}</summary>
                                        <span class="details">{e.user_agent}</span>
                                    </details>
                                </td>
                                <td data-label="Details"><code class="details">{e.details}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {nothing_found.then(|| view! {
                <p class="empty">"No entries match these filters. "<a href="/audit">"Clear filters"</a></p>
            })}
            <Pager paging=view.paging.clone() noun="entries"/>
        </section>
    }
}
