//! The audit log (`/audit`): every sign-in, change, reset and grant the
//! viewer may see, filtered, paged, and as CSV (`/audit/export.csv`, served
//! by the server crate).

use leptos::prelude::*;
use leptos_router::components::Form;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::header::Me;
use crate::page::{DataPage, Pager};
#[cfg(feature = "ssr")]
use crate::session::Ctx;
use crate::urls::{param, param_i64, url_encode};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub organization: String,
    pub actor: String,
    pub subject: String,
    pub action: String,
    pub ip: String,
    pub browser: String,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub me: Me,
    pub entries: Vec<AuditRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
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
) -> Result<AuditView, AppError> {
    use gatehouse_core::rules::filters::AuditFilter;
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let gh = &cx.gh;
    let filter = AuditFilter::from_params(&user, &action, &from, &to)?;
    let result = gh.audit_page(uid, &filter, page).await?;
    Ok(AuditView {
        me: Me::load(gh, uid).await?,
        entries: result
            .entries
            .into_iter()
            .map(|e| AuditRow {
                id: e.id,
                at: gatehouse_core::format_time(e.at),
                organization: e.org_name,
                actor: e.actor.unwrap_or_else(|| "—".into()),
                subject: e.subject.unwrap_or_else(|| "—".into()),
                action: e.action,
                ip: e.ip,
                browser: e.user_agent,
                details: e.details,
            })
            .collect(),
        total: result.total,
        page: result.page,
        pages: result.pages,
        actions: gh.audit_actions(uid).await?,
    })
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let (user, action, from, to) = (param("user"), param("action"), param("from"), param("to"));
    let page = param_i64("page");
    let data = Resource::new(
        move || (user.get(), action.get(), from.get(), to.get(), page.get()),
        |(user, action, from, to, page)| audit_log(user, action, from, to, page.unwrap_or(1)),
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
    let export = format!(
        "/audit/export.csv?user={}&action={}&from={}&to={}",
        url_encode(&user.get_untracked()),
        url_encode(&action.get_untracked()),
        url_encode(&from.get_untracked()),
        url_encode(&to.get_untracked())
    );
    view! {
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Audit log"</h1>
            <p class="hint">"Every sign-in, change, reset and grant in your organizations, newest first. Times are UTC."</p>
            <Form method="GET" action="/audit" attr:class="filters">
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
                    <input id="from" name="from" type="date" value=from.get_untracked()/>
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=to.get_untracked()/>
                </div>
                <button type="submit" class="button secondary">"Filter"</button>
            </Form>
            <p><a class="button secondary small" href=export download>"Download CSV"</a>
               <span class="hint">" The entries matching these filters, for the dates chosen."</span></p>
            <div class="table-scroll" tabindex="0" role="region" aria-label="Audit log entries">
                <table class="data audit">
                    <caption class="visually-hidden">"Audit entries"</caption>
                    <thead><tr>
                        <th scope="col">"Time"</th><th scope="col">"Action"</th><th scope="col">"Actor"</th><th scope="col">"Subject"</th>
                        <th scope="col">"Organization"</th><th scope="col">"IP"</th><th scope="col">"Browser"</th><th scope="col">"Details"</th>
                    </tr></thead>
                    <tbody>
                        {view.entries.into_iter().map(|e| view! {
                            <tr>
                                <td class="nowrap">{e.at}</td>
                                <th scope="row"><code>{e.action}</code></th>
                                <td>{e.actor}</td>
                                <td>{e.subject}</td>
                                <td>{e.organization}</td>
                                <td>{e.ip}</td>
                                <td class="browser">{e.browser}</td>
                                <td><code class="details">{e.details}</code></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Pager page=view.page pages=view.pages total=view.total noun="entries"/>
        </section>
    }
}
