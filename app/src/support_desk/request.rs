//! `/support/requests/:id` ("Reset request"): who asks, who is to be reset,
//! the risk flags, the identity checks, the decisions the rules allow now,
//! and the timeline. The desk works it; the requester and the admins of the
//! person's organization read it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use super::{
    channel_label, flag_sentence, pass_sentence, ChecksTable, RequestDetail, StateBadge, Timeline,
};
use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
use crate::header::Me;
use crate::page::DataPage;
#[cfg(feature = "ssr")]
use crate::session::{form_action, Ctx, Operation};
use crate::urls::param;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestView {
    pub me: Me,
    /// The viewer works the desk (else: the requester or an admin, read-only).
    pub desk: bool,
    pub request: RequestDetail,
    /// The operator's last-resort procedure (the desk only; "" when none).
    pub procedure: String,
}

crate::signed_in_view!(RequestView);

#[server(prefix = "/sfn", endpoint = "desk_request")]
pub async fn desk_request(id: i64) -> Result<RequestView, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let desk = cx.gh.desk_role(uid).await?.is_some();
    let request = cx.gh.reset_request(uid, id).await?;
    Ok(RequestView {
        me: Me::load(&cx.gh, uid).await?,
        desk,
        request: super::convert::detail(&request),
        procedure: if desk {
            cx.gh.settings.support_procedure.trim().to_string()
        } else {
            String::new()
        },
    })
}

/// The request's page, where every action returns.
#[cfg(feature = "ssr")]
fn page_of(id: i64) -> String {
    format!("/support/requests/{id}")
}

#[cfg(feature = "ssr")]
async fn check(
    id: i64,
    check: Result<gatehouse_core::service::Check<'_>, AppError>,
    passed: &str,
    failed: &str,
) -> Result<(), AppError> {
    let page = page_of(id);
    form_action(&page, |cx| async move {
        // Who asks first: a form that makes no sense is refused only to the desk.
        let uid = cx.user().await?;
        let check = check?;
        let outcome = cx.gh.check_requester(uid, id, check, &cx.origin).await?;
        let notice = if outcome.passed { passed } else { failed };
        leptos_axum::redirect(&format!("{}?notice={notice}", page_of(id)));
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "desk_check_code")]
pub async fn desk_check_code(id: i64, code: String) -> Result<(), AppError> {
    use gatehouse_core::service::Check;
    let code = Ok(Check::SupportCode(&code));
    check(id, code, "code_passed", "code_failed").await
}

#[server(prefix = "/sfn", endpoint = "desk_check_card")]
pub async fn desk_check_card(id: i64, last4: String, expiry: String) -> Result<(), AppError> {
    use gatehouse_core::service::Check;
    let card = Ok(Check::Card {
        last4: &last4,
        expiry: &expiry,
    });
    check(id, card, "card_passed", "card_failed").await
}

#[server(prefix = "/sfn", endpoint = "desk_last_resort")]
pub async fn desk_last_resort(id: i64, result: String, note: String) -> Result<(), AppError> {
    use gatehouse_core::service::Check;
    let last_resort = match result.as_str() {
        "passed" | "failed" => Ok(Check::LastResort {
            passed: result == "passed",
            note: &note,
        }),
        _ => Err(AppError::new(
            "invalid_request",
            "Choose whether the last-resort check passed or failed.",
        )),
    };
    check(id, last_resort, "last_resort_passed", "last_resort_failed").await
}

#[server(prefix = "/sfn", endpoint = "desk_issue")]
pub async fn desk_issue(id: i64) -> Result<(), AppError> {
    let page = page_of(id);
    form_action(&page, |cx| async move {
        let uid = cx
            .recent_user(Operation::IssueResetPass, &page_of(id))
            .await?;
        cx.gh.issue_reset(uid, id, &cx.origin).await?;
        leptos_axum::redirect(&format!("{}?notice=issued", page_of(id)));
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "desk_escalate")]
pub async fn desk_escalate(id: i64, reason: String) -> Result<(), AppError> {
    let page = page_of(id);
    form_action(&page, |cx| async move {
        let uid = cx.user().await?;
        cx.gh.escalate_reset(uid, id, &reason, &cx.origin).await?;
        leptos_axum::redirect(&format!("{}?notice=escalated", page_of(id)));
        Ok(())
    })
    .await
}

/// A manager's "Approve" or "Deny" (the button pressed is `decision`).
#[server(prefix = "/sfn", endpoint = "desk_decide")]
pub async fn desk_decide(id: i64, decision: String, reason: String) -> Result<(), AppError> {
    let page = page_of(id);
    form_action(&page, |cx| async move {
        let approve = match decision.as_str() {
            "approve" => true,
            "deny" => false,
            _ => return Err(AppError::new("invalid_request", "Press Approve or Deny.")),
        };
        // Approving issues a pass and denying ends a request: both need a recent sign-in.
        let uid = cx
            .recent_user(Operation::IssueResetPass, &page_of(id))
            .await?;
        cx.gh
            .decide_reset(uid, id, approve, &reason, &cx.origin)
            .await?;
        let notice = if approve { "approved" } else { "denied" };
        leptos_axum::redirect(&format!("{}?notice={notice}", page_of(id)));
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "desk_cancel")]
pub async fn desk_cancel(id: i64, reason: String) -> Result<(), AppError> {
    let page = page_of(id);
    form_action(&page, |cx| async move {
        let uid = cx.user().await?;
        cx.gh.cancel_reset(uid, id, &reason, &cx.origin).await?;
        leptos_axum::redirect(&format!("{}?notice=cancelled", page_of(id)));
        Ok(())
    })
    .await
}

/// The actions of the request page, so that any of them reloads its data.
#[derive(Clone, Copy)]
struct DeskForms {
    code: ServerAction<DeskCheckCode>,
    card: ServerAction<DeskCheckCard>,
    last_resort: ServerAction<DeskLastResort>,
    issue: ServerAction<DeskIssue>,
    escalate: ServerAction<DeskEscalate>,
    decide: ServerAction<DeskDecide>,
    cancel: ServerAction<DeskCancel>,
}

impl DeskForms {
    fn new() -> Self {
        Self {
            code: ServerAction::new(),
            card: ServerAction::new(),
            last_resort: ServerAction::new(),
            issue: ServerAction::new(),
            escalate: ServerAction::new(),
            decide: ServerAction::new(),
            cancel: ServerAction::new(),
        }
    }
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let forms = DeskForms::new();
    let data = Resource::new(move || id.get(), desk_request);
    view! {
        <DataPage title="Reset request" data let:view>
            <RequestScreen view forms/>
        </DataPage>
    }
}

/// What happened, naming the request, after an action (`?notice=…`).
fn notice_text(code: &str, r: &RequestDetail) -> Option<(&'static str, String)> {
    let who = r.summary.user.name_or_email();
    let asker = r.summary.requester.name_or_email();
    let left = match r.checks_left {
        1 => "1 check left".to_string(),
        n => format!("{n} checks left"),
    };
    let window = r
        .pass
        .as_ref()
        .map(|(from, until)| format!(" It works from {from} until {until}."))
        .unwrap_or_default();
    let id = r.summary.id;
    let text = match code {
        "filed" => (
            "success",
            format!("Request #{id} filed for {who}. Now prove who is asking: ask {asker} for the support code on their Support page."),
        ),
        "code_passed" => (
            "success",
            format!("The support code matches: {asker} is proven for request #{id}."),
        ),
        "code_failed" => (
            "warning",
            format!("The support code does not match, or was used or expired. {left}."),
        ),
        "card_passed" => (
            "success",
            format!("The card matches for request #{id}. A card alone is not enough: a manager must approve this reset."),
        ),
        "card_failed" => ("warning", format!("The card does not match. {left}.")),
        "last_resort_passed" => (
            "success",
            format!("Last-resort check recorded as passed on request #{id}: a manager must approve this reset."),
        ),
        "last_resort_failed" => (
            "warning",
            format!("Last-resort check recorded as failed. {left}."),
        ),
        "issued" => (
            "success",
            format!("Reset pass issued for {who}.{window} {who}, the requester and the organization's admins were emailed."),
        ),
        "escalated" => (
            "success",
            format!("Request #{id} for {who} was escalated to management: a manager approves or denies it."),
        ),
        "approved" => (
            "success",
            format!("Reset approved for {who}.{window} {who}, the requester and the organization's admins were emailed."),
        ),
        "denied" => (
            "success",
            format!("Reset denied for {who}: request #{id} is closed."),
        ),
        "cancelled" => (
            "success",
            format!("Request #{id} for {who} was cancelled."),
        ),
        _ => return None,
    };
    Some(text)
}

#[component]
fn RequestScreen(view: RequestView, forms: DeskForms) -> impl IntoView {
    let notice = param("notice");
    let r = view.request.clone();
    let shown = r.clone();
    let status = move || {
        notice_text(&notice.get(), &shown)
            .map(|(tone, text)| view! { <p class=format!("alert {tone}")>{text}</p> })
    };
    let s = r.summary.clone();
    let open = s.state == "open";
    let back = if view.desk {
        view! { <p class="crumbs"><a href="/support/requests">"← Reset requests"</a></p> }
            .into_any()
    } else {
        view! { <p class="crumbs"><a href="/support">"← Support"</a></p> }.into_any()
    };
    view! {
        {back}
        <section class="card wide" aria-labelledby="page-title">
            <h1 id="page-title">"Reset request"</h1>
            <p class="subtitle">
                {format!("Request #{} · filed {} · ", s.id, s.filed)}
                <StateBadge state=s.state.clone()/>
            </p>
            <div role="status">{status}</div>
            {r.reported.then(|| view! {
                <p class="alert error">"Someone answered “This wasn't me”: the reset was cancelled. Find out what happened before anyone files another request."</p>
            })}
            <dl class="facts">
                <dt>"Person to reset"</dt>
                <dd>{s.user.name_or_email()}{(!s.user.name.trim().is_empty()).then(|| format!(" · {}", s.user.email))}</dd>
                <dt>"Organization"</dt><dd>{s.organization.clone()}</dd>
                <dt>"Asked by"</dt>
                <dd>{format!("{} · {}", s.requester.name_or_email(), s.requester.organization)}{(!s.requester.name.trim().is_empty()).then(|| format!(" · {}", s.requester.email))}</dd>
                <dt>"Channel"</dt><dd>{channel_label(&s.channel)}</dd>
                <dt>"Reference"</dt><dd>{if r.reference.is_empty() { "—".to_string() } else { r.reference.clone() }}</dd>
                {view.desk.then(|| view! {
                    <dt>"Note"</dt><dd class="pre-wrap">{if r.note.is_empty() { "—".to_string() } else { r.note.clone() }}</dd>
                })}
                {view.desk.then(|| view! {
                    <dt>"Last sign-in with an authenticator"</dt>
                    <dd>{r.last_factor_sign_in.clone().unwrap_or_else(|| "Never".into())}</dd>
                })}
                {r.pass.clone().map(|(from, until)| view! {
                    <dt>"Reset pass"</dt><dd>{pass_sentence(&s.state, &from, &until)}</dd>
                })}
            </dl>
            // The flags tell the desk why to be careful; a requester reading
            // them would learn what to avoid.
            {view.desk.then(|| view! {
                <h2 id="flags-title">"Risk flags"</h2>
                {if s.flags.is_empty() {
                    view! { <p class="muted">"No risk flag is up."</p> }.into_any()
                } else {
                    view! {
                        <ul class="flags" aria-labelledby="flags-title">
                            {s.flags.iter().map(|f| view! { <li>{flag_sentence(f)}</li> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            })}
        </section>
        <section class="card wide" aria-labelledby="checks-title">
            <h2 id="checks-title">"Identity checks"</h2>
            <p class="hint">"Who is asking, proven: each check shows only whether it matched, never what was typed."</p>
            <ChecksTable checks=r.checks.clone() notes=view.desk/>
            {(open && view.desk).then(|| view! {
                <p class="checks-left"><strong>{match r.checks_left { 1 => "1 check left".to_string(), n => format!("{n} checks left") }}</strong>
                " — after three failed checks the request can only be escalated to management."</p>
            })}
            {r.actions.check.then(|| view! { <CheckForms id=s.id forms procedure=view.procedure.clone()/> })}
        </section>
        {view.desk.then(|| view! { <DecisionForms request=r.clone() forms/> })}
        {(!view.desk).then(|| view! {
            <p class="hint">"Read-only: the support desk works this request. Emails tell the people concerned when a reset is approved."</p>
        })}
        <section class="card wide" aria-labelledby="timeline-title">
            <h2 id="timeline-title">"Timeline"</h2>
            <Timeline events=r.timeline.clone()/>
        </section>
    }
}

/// The three ways to prove the requester, with the operator's procedure.
#[component]
fn CheckForms(id: i64, forms: DeskForms, procedure: String) -> impl IntoView {
    view! {
        <div class="check-forms">
            <div class="check-form">
                <h3 id="code-check-title">"Support code"</h3>
                <p class="hint">"Ask the requester to read out the code on their own Support page. Never read one out to them."</p>
                <ErrorBox message=error_signal(forms.code)/>
                <ActionForm action=forms.code>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <div class="field">
                        <label for="support-code">"Support code"</label>
                        <input id="support-code" name="code" type="text" inputmode="numeric" autocomplete="off"
                            pattern="[0-9 ]{8,10}" maxlength="10" required/>
                    </div>
                    <Submit label="Check support code"/>
                </ActionForm>
            </div>
            <div class="check-form">
                <h3 id="card-check-title">"Card on file"</h3>
                <p class="hint">"Printed on receipts, so others can know it: a match needs a manager's approval."</p>
                <ErrorBox message=error_signal(forms.card)/>
                <ActionForm action=forms.card>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <div class="field">
                        <label for="card-last4">"Card last 4 digits"</label>
                        <input id="card-last4" name="last4" type="text" inputmode="numeric" autocomplete="off"
                            pattern="[0-9]{4}" maxlength="4" required/>
                    </div>
                    <div class="field">
                        <label for="card-expiry">"Card expiry (MM/YY)"</label>
                        <input id="card-expiry" name="expiry" type="text" autocomplete="off" placeholder="MM/YY" maxlength="7" required/>
                    </div>
                    <Submit label="Check card" class="secondary"/>
                </ActionForm>
            </div>
            <div class="check-form">
                <h3 id="last-resort-title">"Last resort"</h3>
                <details class="procedure">
                    <summary>"The operator's procedure"</summary>
                    {if procedure.is_empty() {
                        view! { <p class="muted">"The operator has not written one (GATEHOUSE_SUPPORT_PROCEDURE). Without it, escalate to management instead."</p> }.into_any()
                    } else {
                        view! { <p class="pre-wrap">{procedure}</p> }.into_any()
                    }}
                </details>
                <ErrorBox message=error_signal(forms.last_resort)/>
                <ActionForm action=forms.last_resort>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <fieldset class="field">
                        <legend>"Result"</legend>
                        <div class="check">
                            <input id="last-resort-passed" type="radio" name="result" value="passed" required/>
                            <label for="last-resort-passed">"Passed"</label>
                        </div>
                        <div class="check">
                            <input id="last-resort-failed" type="radio" name="result" value="failed"/>
                            <label for="last-resort-failed">"Failed"</label>
                        </div>
                    </fieldset>
                    <div class="field">
                        <label for="last-resort-note">"What you checked"</label>
                        <p class="hint" id="last-resort-hint">"Required. Only the support desk sees it."</p>
                        <textarea id="last-resort-note" data-keep="" name="note" rows="2" maxlength="2000" required aria-describedby="last-resort-hint"></textarea>
                    </div>
                    <Submit label="Record last-resort check" class="secondary"/>
                </ActionForm>
            </div>
        </div>
    }
}

/// Issue, escalate, approve or deny, cancel: only those core allows now.
#[component]
fn DecisionForms(request: RequestDetail, forms: DeskForms) -> impl IntoView {
    let a = request.actions;
    let id = request.summary.id;
    let open = request.summary.state == "open";
    let who = request.summary.user.name_or_email();
    view! {
        <section class="card wide" aria-labelledby="decision-title">
            <h2 id="decision-title">"Decision"</h2>
            {(!a.any_decision()).then(|| view! {
                <p class="muted">"Nothing more can be done with this request."</p>
            })}
            {(open && !a.issue && a.escalate).then(|| view! {
                <p class="alert info">"An agent issues a reset alone only after a support code check passed (or the contact filed it signed in), for someone who is not an owner, an admin, an authorized contact or on the desk, with no risk flag up. Otherwise a manager decides: escalate to management with a reason."</p>
            })}
            {a.issue.then(|| view! {
                <div class="decision">
                    <ErrorBox message=error_signal(forms.issue)/>
                    <ActionForm action=forms.issue>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <p>{format!("{who} gets an email to sign in with their password once and set up a new authenticator. The requester and the organization's admins are told, each with a “This wasn't me” link.")}</p>
                        <Submit label="Issue reset"/>
                    </ActionForm>
                </div>
            })}
            {a.escalate.then(|| view! {
                <div class="decision">
                    <h3 id="escalate-title">"Escalate to management"</h3>
                    <ErrorBox message=error_signal(forms.escalate)/>
                    <ActionForm action=forms.escalate>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <div class="field">
                            <label for="escalate-reason">"Reason"</label>
                            <p class="hint" id="escalate-hint">"What you checked and why a manager must decide. The manager and the audit log see it."</p>
                            <textarea id="escalate-reason" data-keep="" name="reason" rows="2" maxlength="2000" required aria-describedby="escalate-hint"></textarea>
                        </div>
                        <Submit label="Escalate to management" class="secondary"/>
                    </ActionForm>
                </div>
            })}
            {a.decide.then(|| view! {
                <div class="decision">
                    <h3 id="decide-title">"Manager's decision"</h3>
                    <p class="hint">"Approving issues the reset pass after the cooling-off; denying closes the request. Both are told to the desk and kept in the audit log."</p>
                    <ErrorBox message=error_signal(forms.decide)/>
                    <ActionForm action=forms.decide>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <div class="field">
                            <label for="decide-reason">"Reason"</label>
                            <textarea id="decide-reason" data-keep="" name="reason" rows="2" maxlength="2000" required></textarea>
                        </div>
                        <div class="button-row">
                            <button type="submit" name="decision" value="approve" class="button"
                               >"Approve"</button>
                            <button type="submit" name="decision" value="deny" class="button danger"
                               >"Deny"</button>
                            <span class="progress" aria-live="polite"></span>
                        </div>
                    </ActionForm>
                </div>
            })}
            {a.cancel.then(|| view! {
                <div class="decision">
                    <h3 id="cancel-title">"Cancel request"</h3>
                    <ErrorBox message=error_signal(forms.cancel)/>
                    <ActionForm action=forms.cancel>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <div class="field">
                            <label for="cancel-reason">"Reason for cancelling"</label>
                            <textarea id="cancel-reason" data-keep="" name="reason" rows="2" maxlength="2000" required></textarea>
                        </div>
                        <Submit label="Cancel request" class="danger"/>
                    </ActionForm>
                </div>
            })}
        </section>
    }
}
