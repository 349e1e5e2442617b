//! The support desk's screens: the queue of reset requests
//! (`/support/requests`), a new request (`/support/requests/new`) and one
//! request with its checks, decisions and timeline (`/support/requests/:id`).
//! Every gate is core's (`rules::support`); the screens show only the
//! actions core says the viewer may take now. This file holds what the
//! screens share: a request as the browser sees it, and the words for its
//! states, flags, checks and timeline.

mod new_request;
mod queue;
mod request;

pub use new_request::NewRequestPage;
pub use queue::RequestsPage;
pub use request::RequestPage;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Someone a request names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub email: String,
    pub name: String,
    pub organization: String,
}

impl PersonView {
    /// Their name, or their address when they have none.
    pub fn name_or_email(&self) -> String {
        if self.name.trim().is_empty() {
            self.email.clone()
        } else {
            self.name.clone()
        }
    }
}

/// A request as a list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestSummary {
    pub id: i64,
    /// `open`, `escalated`, … (core's `RequestState`).
    pub state: String,
    pub organization: String,
    pub user: PersonView,
    pub requester: PersonView,
    /// `phone`, `email`, `ticket` or `in_app`.
    pub channel: String,
    /// Core's flag codes (`repeat_target`, …).
    pub flags: Vec<String>,
    pub filed: String,
}

/// One identity check: how, whether it matched, who, when — never the value typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckView {
    pub method: String,
    pub passed: bool,
    pub by: String,
    pub at: String,
    /// The last-resort note (the desk only).
    pub note: String,
}

/// One step of a request's timeline, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub text: String,
}

/// What the viewer may do with a request now (core decides).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actions {
    pub check: bool,
    pub issue: bool,
    pub escalate: bool,
    pub decide: bool,
    pub cancel: bool,
}

impl Actions {
    pub fn any_decision(&self) -> bool {
        self.issue || self.escalate || self.decide || self.cancel
    }
}

/// A request with everything its page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub summary: RequestSummary,
    pub reference: String,
    pub note: String,
    pub last_factor_sign_in: Option<String>,
    pub checks: Vec<CheckView>,
    pub checks_left: usize,
    pub timeline: Vec<EventView>,
    /// When the reset pass works: from, until.
    pub pass: Option<(String, String)>,
    pub reported: bool,
    pub needs_manager: bool,
    pub actions: Actions,
}

/// The states a list may be filtered by, in the order a desk works them.
pub const STATES: [&str; 8] = [
    "open",
    "escalated",
    "cooling_off",
    "active",
    "used",
    "denied",
    "cancelled",
    "expired",
];

pub fn state_label(state: &str) -> &'static str {
    match state {
        "open" => "Open",
        "escalated" => "Waiting for a manager",
        "denied" => "Denied",
        "cooling_off" => "Cooling off",
        "active" => "Reset pass active",
        "used" => "Done: reset used",
        "cancelled" => "Cancelled",
        "expired" => "Expired",
        _ => "Unknown",
    }
}

pub fn channel_label(channel: &str) -> &'static str {
    match channel {
        "phone" => "Phone",
        "email" => "Email",
        "ticket" => "Ticket",
        "in_app" => "Filed in Gatehouse by the requester, signed in",
        _ => "Unknown",
    }
}

/// What became of a request's reset pass, given the request's state.
pub fn pass_sentence(state: &str, from: &str, until: &str) -> String {
    match state {
        "cooling_off" => format!("Cooling off: works from {from} until {until}"),
        "active" => format!("Works now, until {until}"),
        "used" => format!("Used (it worked from {from} until {until})"),
        "expired" => format!("Expired unused at {until}"),
        "cancelled" => format!("Cancelled (it would have worked from {from} until {until})"),
        _ => format!("Works from {from} until {until}"),
    }
}

/// How a request came in, inside a sentence.
pub fn channel_phrase(channel: &str) -> &'static str {
    match channel {
        "phone" => "by phone",
        "email" => "by email",
        "ticket" => "by ticket",
        "in_app" => "signed in to Gatehouse",
        _ => "somehow",
    }
}

/// What a risk flag means, as a sentence for the request page.
pub fn flag_sentence(flag: &str) -> &'static str {
    match flag {
        "repeat_target" => "Another reset was asked for this person in the last 30 days.",
        "company_burst" => "More than 3 resets were asked for this company in the last 24 hours.",
        "requester_mfa_changed" => {
            "The requester's own two-step verification changed in the last 7 days: their account may not be in their hands."
        }
        "requester_without_mfa" => {
            "The requester has no second factor: only their password proves who they are."
        }
        "target_signed_in" => {
            "The person signed in with an authenticator they already had after this request was filed: the “lost” device still works."
        }
        _ => "A risk the rules see on this request.",
    }
}

/// A risk flag in a few words, for the queue.
pub fn flag_short(flag: &str) -> &'static str {
    match flag {
        "repeat_target" => "Asked again within 30 days",
        "company_burst" => "Many requests for the company",
        "requester_mfa_changed" => "Requester's MFA changed",
        "requester_without_mfa" => "Requester without MFA",
        "target_signed_in" => "Signed in since",
        _ => "Risk",
    }
}

pub fn method_label(method: &str) -> &'static str {
    match method {
        "support_code" => "Support code",
        "card" => "Card on file",
        "last_resort" => "Last resort",
        _ => "Check",
    }
}

/// A request's state as a badge; its class says how it ended.
#[component]
pub fn StateBadge(state: String) -> impl IntoView {
    let tone = match state.as_str() {
        "open" | "escalated" | "cooling_off" => "badge warn",
        "active" | "used" => "badge ok",
        "denied" | "cancelled" | "expired" => "badge",
        _ => "badge",
    };
    view! { <span class=tone data-state=state.clone()>{state_label(&state)}</span> }
}

/// Who a request names: their name and address.
#[component]
pub fn PersonCell(person: PersonView) -> impl IntoView {
    view! {
        <span class="email">{person.email.clone()}</span>
        {(!person.name.trim().is_empty()).then(|| view! { <span class="name">{person.name.clone()}</span> })}
    }
}

/// What happened to a request, oldest first.
#[component]
pub fn Timeline(events: Vec<EventView>) -> impl IntoView {
    view! {
        <ol class="timeline">
            {events.into_iter().map(|e| view! {
                <li>
                    <span class="when">{e.at}</span>
                    <span class="what">{e.text}</span>
                    {(!e.actor.is_empty()).then(|| view! { <span class="by">{format!("by {}", e.actor)}</span> })}
                </li>
            }).collect_view()}
        </ol>
    }
}

/// The checks recorded on a request: method, result, by, when (and the
/// last-resort note for the desk). Never the value typed.
#[component]
pub fn ChecksTable(checks: Vec<CheckView>, #[prop(optional)] notes: bool) -> impl IntoView {
    if checks.is_empty() {
        return view! { <p class="muted">"No check recorded yet."</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Check records">
            <table class="data">
                <caption class="visually-hidden">"Identity checks"</caption>
                <thead><tr>
                    <th scope="col">"Method"</th><th scope="col">"Result"</th><th scope="col">"By"</th><th scope="col">"When"</th>
                    {notes.then(|| view! { <th scope="col">"Note"</th> })}
                </tr></thead>
                <tbody>
                    {checks.into_iter().map(|c| view! {
                        <tr>
                            <th scope="row">{c.method}</th>
                            <td data-label="Result">
                                {if c.passed {
                                    view! { <span class="badge ok">"Passed"</span> }.into_any()
                                } else {
                                    view! { <span class="badge danger">"Failed"</span> }.into_any()
                                }}
                            </td>
                            <td data-label="By">{c.by}</td>
                            <td data-label="When" class="nowrap">{c.at}</td>
                            {notes.then(|| view! {
                                <td data-label="Note" class="pre-wrap">{if c.note.is_empty() { "—".to_string() } else { c.note }}</td>
                            })}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    //! From core's reset request to what the browser sees.

    use gatehouse_core::format_time;
    use gatehouse_core::service::ResetRequest;
    use gatehouse_core::store::{EventRow, Person};
    use serde_json::Value;

    use super::*;

    fn person(p: &Person) -> PersonView {
        PersonView {
            email: p.email.clone(),
            name: p.name.clone(),
            organization: p.org_name.clone(),
        }
    }

    pub fn summary(r: &ResetRequest) -> RequestSummary {
        RequestSummary {
            id: r.id,
            state: r.state.as_str().into(),
            organization: r.org_name.clone(),
            user: person(&r.user),
            requester: person(&r.requester),
            channel: r.channel.as_str().into(),
            flags: r.flags.iter().map(|f| f.as_str().to_string()).collect(),
            filed: format_time(r.created_at),
        }
    }

    pub fn detail(r: &ResetRequest) -> RequestDetail {
        let a = r.actions;
        RequestDetail {
            summary: summary(r),
            reference: r.reference.clone(),
            note: r.note.clone(),
            last_factor_sign_in: r.user_last_factor_sign_in.map(format_time),
            checks: r
                .checks
                .iter()
                .map(|c| CheckView {
                    method: method_label(c.method.as_str()).into(),
                    passed: c.passed,
                    by: c.agent_email.clone(),
                    at: format_time(c.at),
                    note: c.note.clone(),
                })
                .collect(),
            checks_left: r.checks_left,
            timeline: r.timeline.iter().map(event).collect(),
            pass: r
                .pass
                .map(|p| (format_time(p.active_at), format_time(p.expires_at))),
            reported: r.reported,
            needs_manager: r.needs_manager,
            actions: Actions {
                check: a.check,
                issue: a.issue,
                escalate: a.escalate,
                decide: a.decide,
                cancel: a.cancel,
            },
        }
    }

    fn text<'a>(details: &'a Value, key: &str) -> &'a str {
        details.get(key).and_then(Value::as_str).unwrap_or_default()
    }

    fn time(details: &Value, key: &str) -> String {
        details
            .get(key)
            .and_then(Value::as_i64)
            .map(format_time)
            .unwrap_or_default()
    }

    /// `: “reason”`, or `.` without one.
    fn quoted(reason: &str) -> String {
        if reason.is_empty() {
            ".".into()
        } else {
            format!(": “{reason}”")
        }
    }

    /// A step as readers (the requester, the customer's admins) see it:
    /// what happened, not why — core leaves them no details.
    fn bare_event(event: &str) -> String {
        match event {
            "request_filed" => "Request filed.".into(),
            "check_passed" => "An identity check passed.".into(),
            "check_failed" => "An identity check failed.".into(),
            "pass_issued" => "Reset pass issued by the support desk.".into(),
            "approved" => "Approved by a manager; the reset pass was issued.".into(),
            "escalated" => "Escalated to management.".into(),
            "denied" => "Denied by a manager.".into(),
            "cancelled" => "Cancelled.".into(),
            "reported" => "“This wasn't me”: the reset was cancelled.".into(),
            "pass_used" => "The person used the reset pass and set up a new authenticator.".into(),
            "cancelled_by_sign_in" => {
                "The person signed in with an authenticator they already had: the pass was cancelled."
                    .into()
            }
            other => other.replace('_', " "),
        }
    }

    /// One timeline step in words.
    fn event(e: &EventRow) -> EventView {
        let d = &e.details;
        if !d.is_object() {
            return EventView {
                at: format_time(e.at),
                actor: e.actor_email.clone().unwrap_or_default(),
                text: bare_event(&e.event),
            };
        }
        let window = format!(
            "from {} until {}",
            time(d, "active_at"),
            time(d, "expires_at")
        );
        let text = match e.event.as_str() {
            "request_filed" => {
                let reference = text(d, "reference");
                format!(
                    "Request filed: {} asks for a reset of {} ({}){}.",
                    text(d, "requester"),
                    text(d, "user"),
                    channel_phrase(text(d, "channel")),
                    if reference.is_empty() {
                        String::new()
                    } else {
                        format!(", reference {reference}")
                    }
                )
            }
            "check_passed" => format!("{} check passed.", method_label(text(d, "method"))),
            "check_failed" => format!("{} check failed.", method_label(text(d, "method"))),
            "pass_issued" => format!("Reset pass issued, working {window}."),
            "approved" => format!(
                "Approved by a manager{} The reset pass works {window}.",
                match text(d, "reason") {
                    "" => ".".to_string(),
                    reason => format!(": “{reason}”."),
                }
            ),
            "escalated" => format!("Escalated to management{}", quoted(text(d, "reason"))),
            "denied" => format!("Denied{}", quoted(text(d, "reason"))),
            "cancelled" => format!("Cancelled{}", quoted(text(d, "reason"))),
            "reported" => {
                let used = d
                    .get("pass_was_used")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                format!(
                    "“This wasn't me” from {}: the reset was cancelled{}.",
                    text(d, "by"),
                    if used {
                        ", and because the pass had been used, the account was deactivated, signed out everywhere and stripped of what the pass set up"
                    } else {
                        ""
                    }
                )
            }
            "pass_used" => "The person used the reset pass and set up a new authenticator.".into(),
            "cancelled_by_sign_in" => {
                "The person signed in with an authenticator they already had: the pass was cancelled."
                    .into()
            }
            other => other.replace('_', " "),
        };
        EventView {
            at: format_time(e.at),
            actor: e.actor_email.clone().unwrap_or_default(),
            text,
        }
    }
}
