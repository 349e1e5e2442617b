//! `/not-me?token=…`: the page behind the "This wasn't me" link that every
//! reset of someone's second factor mails them. Opening it changes nothing;
//! its button (a POST) signs everyone out of the account, removes what the
//! reset set up and the password, and locks the account for review. No
//! sign-in needed: the link is the proof that the mail arrived.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::{error_signal, ErrorBox, Submit};
use crate::header::Me;
use crate::page::{DataPage, Viewer};
#[cfg(feature = "ssr")]
use crate::session::form_action;
use crate::urls::param;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotMeView {
    /// Whose account; None: the link is unknown or past its 7 days.
    pub user_name: Option<String>,
    /// What the reset was (core's `ResetKind` name).
    pub reset: String,
    /// When, as people read it.
    pub when: String,
    pub reported: bool,
}

impl Viewer for NotMeView {
    fn viewer(&self) -> Option<Me> {
        None
    }
}

/// What the link reports. Reads only.
#[server(prefix = "/sfn", endpoint = "not_me_link")]
pub async fn not_me_link(token: String) -> Result<NotMeView, AppError> {
    let link = crate::request::gatehouse().not_me_link(&token).await?;
    Ok(match link {
        Some(link) => NotMeView {
            user_name: Some(link.user_name),
            reset: link.reset,
            reported: link.reported,
            when: gatehouse_core::format_time(link.at),
        },
        None => NotMeView {
            user_name: None,
            reset: String::new(),
            reported: false,
            when: String::new(),
        },
    })
}

/// "This wasn't me".
#[server(prefix = "/sfn", endpoint = "report_reset")]
pub async fn report_reset(token: String) -> Result<(), AppError> {
    use crate::urls::url_encode;
    let page = format!("/not-me?token={}", url_encode(&token));
    let back = page.clone();
    form_action(&page, |cx| async move {
        cx.gh.report_reset(&token, &cx.origin).await?;
        leptos_axum::redirect(&back);
        Ok(())
    })
    .await
}

/// How the page names the reset it reports.
fn describe(reset: &str) -> &'static str {
    match reset {
        "self_reset" => "Someone reset your two-step verification from My profile, with your password.",
        "admin_disable" => "An administrator turned off your two-step verification.",
        "email_recovery" => "Someone signed in with your password and a code or link sent to your email, and set up a new authenticator.",
        "grant" => "Someone used your partner's reset permission to set up a new authenticator on your account.",
        "support_pass" => "Someone used a reset approved by the support desk to set up a new authenticator on your account.",
        _ => "Your two-step verification was reset.",
    }
}

#[component]
pub fn NotMePage() -> impl IntoView {
    let token = param("token");
    let report = ServerAction::<ReportReset>::new();
    let data = Resource::new(move || token.get(), not_me_link);
    view! {
        <DataPage title="This wasn't me" data let:view>
            <NotMeScreen view report/>
        </DataPage>
    }
}

#[component]
fn NotMeScreen(view: NotMeView, report: ServerAction<ReportReset>) -> impl IntoView {
    let token = param("token");
    // The button is gone once pressed: keyboard and screen-reader users land on the result.
    let title = if view.reported {
        "Account locked"
    } else {
        "Was this you?"
    };
    let body = match view.user_name {
        None => view! {
            <p class="alert error" role="alert">"This link is not valid or is more than 7 days old. Nothing was changed."</p>
            <p>"If someone changed your sign-in without your asking, tell your administrator right away."</p>
        }
        .into_any(),
        Some(name) if view.reported => view! {
            <p class="alert success" role="status" tabindex="-1" autofocus>{format!("Done: {name}'s account is locked and everyone using it was signed out.")}</p>
            <h2>"What happens next"</h2>
            <ul>
                <li>"The authenticator, recovery codes, phone number and password that were on the account are removed, so whoever made the change cannot sign in."</li>
                <li>"Your organization's administrators were told. One of them will check with you — in person or on a number they already have — and reactivate the account."</li>
                <li>"Then choose a new password with “Forgot password?” on the sign-in page, and set up a new authenticator."</li>
            </ul>
        }
        .into_any(),
        Some(name) => view! {
            <p>{format!("On {}: {}", view.when, describe(&view.reset))}</p>
            <p>{format!("If neither you nor someone you asked did this, press the button. It signs everyone out of {name}'s account at once, removes its authenticators and its password — whatever someone may have set up or learned — and locks the account until your administrator has checked with you.")}</p>
            <p class="hint">"If it was you, close this page: nothing changes."</p>
            <ErrorBox message=error_signal(report)/>
            <ActionForm action=report>
                <input type="hidden" name="token" value=token.get_untracked()/>
                <Submit label="This wasn't me" class="danger"/>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <h1 id="page-title">{title}</h1>
            {body}
        </section>
    }
}
