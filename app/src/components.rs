//! Pieces every page uses: the frame, the signed-in header, form feedback.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use server_fn::ServerFn;

use crate::api::{Logout, Me};
use crate::error::AppError;

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What each error code tells the person at the screen: every code of
/// `gatehouse_core::ErrorCode` (a test checks), and the two this app adds.
const ERROR_MESSAGES: &[(&str, &str)] = &[
    ("invalid_credentials", "The email or password is not correct."),
    ("invalid_password", "That password is not correct."),
    ("rate_limited", "Too many attempts. Wait a few minutes, then try again."),
    ("invalid_code", "That code is not correct. Check it and try again."),
    ("mfa_token_invalid", "This sign-in has expired or was used up. Sign in again."),
    ("link_invalid", "This sign-in link has expired or was already used. Sign in again and ask for a new one."),
    ("link_other_browser", "Open this link in the browser where you started signing in, or sign in again here and ask for a new link."),
    ("step_up_required", "Confirm it is you to make this change."),
    ("no_enrollment", "Start the authenticator setup again."),
    ("invalid_request", "Check what you entered and try again."),
    ("not_signed_in", "Sign in to continue."),
    ("unauthorized", "Sign in to continue."),
    ("not_found", "That was not found. It may have been removed, or it is outside your organization."),
    ("forbidden", "Your role does not allow that change."),
    ("last_factor", "Your role requires two-step verification, so your last authenticator cannot be removed. Add another authenticator first, or ask an administrator."),
    ("grant_ended", "The permission to reset your multi-factor authentication has ended. Sign in with your authenticator, or ask your administrator."),
    ("unavailable", "Gatehouse is busy right now. Wait a moment, then try again."),
    ("internal", "Something went wrong on our side. Try again in a moment."),
    ("not_saved", "Tick “I have saved my recovery codes” first: you will not see these codes again."),
    ("no_users_chosen", "Choose at least one person, or grant it to the whole company."),
];

/// The message for an error code carried in the URL after a form post without JavaScript.
pub fn message_for(code: &str) -> &'static str {
    ERROR_MESSAGES
        .iter()
        .find(|(known, _)| *known == code)
        .map_or("Something went wrong. Try again.", |(_, message)| message)
}

fn notice_for(code: &str) -> &'static str {
    match code {
        "signed_out" => "You are signed out.",
        "mfa_reset" => "Your multi-factor authentication was reset and you were signed out everywhere. Sign in to set up a new authenticator.",
        "factor_added" => "Your new authenticator is ready.",
        "factor_removed" => "The authenticator was removed. Other sessions were signed out.",
        "codes_saved" => "Your recovery codes are saved. Each one works once.",
        "link_sent" => "We emailed you a sign-in link. Open it in this browser within 15 minutes.",
        "code_sent" => "We sent you a code.",
        "phone_code_sent" => "We texted a verification code to the new number.",
        "phone_verified" => "Your phone number is verified: you can now get sign-in codes by text message.",
        "phone_removed" => "The phone number was removed.",
        "admin_disable_mfa" => "Multi-factor authentication was disabled for that user. They were signed out everywhere and told by email.",
        "admin_change_role" => "The role was changed.",
        "admin_unlock" => "The user was unlocked.",
        "admin_sign_out" => "The user was signed out everywhere.",
        "admin_deactivate" => "The user was deactivated and signed out everywhere.",
        "admin_reactivate" => "The user was reactivated.",
        "invited" => "The invitation is on its way: the new user chooses a password from the link in it.",
        "mfa_required_on" => "MFA is now required for that role: members without an authenticator set one up at their next sign-in.",
        "mfa_required_off" => "MFA is no longer required for that role.",
        "role_created" => "The role was added.",
        "granted" => "The reset permission is active. The covered people can now sign in with their password and set up a new authenticator.",
        "revoked" => "The reset permission was revoked.",
        "customer_created" => "The customer was created and its first admin invited by email.",
        "password_set" => "Your password is set. Sign in to continue.",
        _ => "",
    }
}

/// The error to show: the action's, or the one a no-JavaScript post put in the URL.
///
/// A refusal for want of a recent sign-in (`step_up_required`) also takes the
/// browser to `/confirm-identity`, which brings it back to this page as it is
/// now — with its dialog (`?confirm=…`) open. A form post without JavaScript is
/// redirected there by the server instead.
pub fn error_signal<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let navigate = use_navigate();
    let location = use_location();
    // Only a refusal that arrives while this form is shown: a page drawn again
    // afterwards must not send the browser off a second time.
    let seen = action.version().get_untracked();
    Effect::new(move || {
        let answered = action.version().get() > seen;
        let step_up = action
            .value()
            .with(|v| matches!(v, Some(Err(e)) if e.code == "step_up_required"));
        if answered && step_up {
            let here = without_messages(
                &location.pathname.get_untracked(),
                &location.search.get_untracked(),
            );
            navigate(
                &format!("/confirm-identity?next={}", url_encode(&here)),
                Default::default(),
            );
        }
    });
    let query = use_query_map();
    let endpoint = S::PATH.rsplit('/').next().unwrap_or_default();
    Signal::derive(move || match action.value().get() {
        Some(Err(e)) => Some(e.message),
        Some(Ok(())) => None,
        None => {
            let query = query.read();
            let mine = query.get("form").is_none_or(|form| form == endpoint);
            query
                .get("error")
                .filter(|_| mine)
                .map(|code| message_for(&code).to_string())
        }
    })
}

/// `path?search` without the one-time `notice`, `error` and `form` parameters
/// (and the empty `=` a script-driven GET form can leave).
pub fn without_messages(path: &str, search: &str) -> String {
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| {
            !p.is_empty()
                && !p.starts_with('=')
                && !["notice=", "error=", "form="]
                    .iter()
                    .any(|k| p.starts_with(k))
        })
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// Focuses an input when it appears. `autofocus` only works on a full page
/// load; after client-side navigation keyboard and screen-reader users would
/// otherwise be left at the top of the page.
pub fn focus_on_mount<E>(node: NodeRef<E>)
where
    E: leptos::html::ElementType,
    E::Output: AsRef<leptos::web_sys::HtmlElement> + Clone + 'static,
    NodeRef<E>: Get<Value = Option<E::Output>>,
{
    Effect::new(move || {
        if let Some(element) = node.get() {
            // A page drawn under Suspense (say, back from "Confirm it's you") may
            // not be in the document yet: focus once the browser has placed it.
            request_animation_frame(move || {
                let _ = element.as_ref().focus();
            });
        }
    });
}

/// A confirmation that is part of the page (`?confirm=…` in its URL), so it
/// works before hydration and without JavaScript: what will happen, then the
/// form that does it (`children`, ending with [`DialogActions`]).
#[component]
pub fn Dialog(title: String, text: String, children: Children) -> impl IntoView {
    view! {
        <section class="dialog" role="dialog" aria-labelledby="dialog-title" aria-describedby="dialog-text">
            <h2 id="dialog-title">{title}</h2>
            <p id="dialog-text">{text}</p>
            {children()}
        </section>
    }
}

/// Confirm and Cancel of a [`Dialog`]; focus moves to Confirm when it opens.
#[component]
pub fn DialogActions(
    pending: Memo<bool>,
    cancel: String,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    let confirm = NodeRef::<leptos::html::Button>::new();
    focus_on_mount(confirm);
    view! {
        <button type="submit" class=if danger { "button danger" } else { "button" } node_ref=confirm
            disabled=move || pending.get()>"Confirm"</button>
        " "<a href=cancel>"Cancel"</a>
        <span class="progress" aria-live="polite">{move || pending.get().then_some("Working…")}</span>
    }
}

#[component]
pub fn ErrorBox(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="alert-slot" role="alert" aria-live="assertive">
            {move || message.get().map(|m| view! { <p class="alert error">{m}</p> })}
        </div>
    }
}

/// A status line from `?notice=…`.
#[component]
pub fn Notice() -> impl IntoView {
    let query = use_query_map();
    let text = move || {
        query
            .read()
            .get("notice")
            .map(|n| notice_for(&n))
            .filter(|t| !t.is_empty())
    };
    view! {
        <div role="status">{move || text().map(|t| view! { <p class="alert success">{t}</p> })}</div>
    }
}

/// A submit button that says it is working while the request runs.
#[component]
pub fn Submit(
    label: &'static str,
    pending: Memo<bool>,
    #[prop(optional)] class: &'static str,
) -> impl IntoView {
    view! {
        <button type="submit" class=format!("button {class}") disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {label}
        </button>
        <span class="progress" aria-live="polite">{move || pending.get().then_some("Working…")}</span>
    }
}

#[component]
pub fn Brand() -> impl IntoView {
    view! {
        <a href="/" class="brand" aria-label="Gatehouse home">
            <span class="brand-mark" aria-hidden="true">"◆"</span>
            " Gatehouse"
        </a>
    }
}

/// The header of every signed-in page: who is signed in, and "Sign out".
#[component]
pub fn SignedInHeader(me: Me) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="topbar">
            <Brand/>
            <nav aria-label="Account">
                {me.can_admin.then(|| view! { <a href="/admin">"Administration"</a> })}
                {me.can_manage_customers.then(|| view! { <a href="/msp/customers">"Customers"</a> })}
                {me.can_read_audit.then(|| view! { <a href="/audit">"Audit log"</a> })}
                <a href="/account">"My Account"</a>
                <a href="/profile">"My Profile"</a>
                <span class="who">
                    <span class="visually-hidden">"Signed in as "</span>
                    {me.email}
                </span>
                <ActionForm action=logout>
                    <button type="submit" class="button secondary small">"Sign out"</button>
                </ActionForm>
            </nav>
        </header>
    }
}

/// Header for pages before sign-in.
#[component]
pub fn PublicHeader() -> impl IntoView {
    view! {
        <header class="topbar">
            <Brand/>
        </header>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="progress" role="status">"Loading…"</p> }
}

/// What to show when a page's data could not be loaded (the server may also redirect).
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    view! {
        <PublicHeader/>
        <section class="card narrow">
            <h1>"This page could not be shown"</h1>
            <p class="alert error" role="alert">{error.message}</p>
            <p><a href="/login">"Go to sign-in"</a></p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{url_encode, without_messages};

    #[test]
    fn the_page_to_come_back_to_keeps_its_dialog_but_not_its_messages() {
        assert_eq!(
            without_messages("/admin", "?q=ada&confirm=disable_mfa&user=7&notice=x"),
            "/admin?q=ada&confirm=disable_mfa&user=7"
        );
        assert_eq!(
            without_messages("/profile", "error=forbidden&form=remove_factor"),
            "/profile"
        );
        assert_eq!(without_messages("/profile", ""), "/profile");
        assert_eq!(
            without_messages("/msp/customers", "?grant=7&="),
            "/msp/customers?grant=7"
        );
    }

    #[test]
    fn query_values_keep_their_own_query_intact() {
        assert_eq!(
            url_encode("/admin?q=a b&page=2"),
            "/admin%3Fq%3Da%20b%26page%3D2"
        );
        assert_eq!(url_encode("2026-11-23"), "2026-11-23");
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_a_message() {
        for code in gatehouse_core::ErrorCode::ALL {
            assert!(
                ERROR_MESSAGES
                    .iter()
                    .any(|(known, _)| *known == code.as_str()),
                "no message for {}",
                code.as_str()
            );
        }
    }
}
