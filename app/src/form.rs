//! Feedback around forms: the error box and its signal, the status line,
//! the submit button, confirmation dialogs. What a script adds to them (busy
//! buttons, focus, Escape, Copy) is `js/forms.js`'s: no page ships WebAssembly.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use server_fn::ServerFn;

use crate::error::AppError;
use crate::messages::{message_for, notice_for};

/// The error to show: the one the server put in the URL (`?error=…`) when it
/// sent the browser back from `action`'s form. Every form is a plain post
/// that the server answers with a redirect: back to the page with its notice
/// or its error, or — for want of a recent sign-in (`step_up_required`) — to
/// `/confirm-identity`, which brings it back to the page as it was. `?form=`
/// names the form the error is about, when a page has more than one; the
/// refusal's own words ("There is already a role named …") show when the
/// session kept them (`?said=`, [`crate::request::KeptRefusal`]), else the
/// code's message.
pub fn error_signal<S>(_action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    let endpoint = S::PATH.rsplit('/').next().unwrap_or_default();
    #[cfg(feature = "ssr")]
    let kept = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .extensions
            .get::<crate::request::KeptRefusal>()
            .map(|kept| kept.0.clone())
    });
    #[cfg(not(feature = "ssr"))]
    let kept: Option<String> = None;
    Signal::derive(move || {
        let query = query.read();
        let mine = query.get("form").is_none_or(|form| form == endpoint);
        query.get("error").filter(|_| mine).map(|code| {
            kept.clone()
                .unwrap_or_else(|| message_for(&code).to_string())
        })
    })
}

/// A confirmation that is part of the page (`?confirm=…` in its URL), so it
/// works without JavaScript: what will happen, then the
/// form that does it (`children`, ending with [`DialogActions`]).
/// Escape closes it (goes to `cancel`: `js/forms.js` reads `data-cancel`),
/// as it would a modal dialog.
#[component]
pub fn Dialog(title: String, text: String, cancel: String, children: Children) -> impl IntoView {
    view! {
        <section class="dialog" role="dialog" aria-labelledby="dialog-title" aria-describedby="dialog-text"
            data-cancel=cancel>
            <h2 id="dialog-title">{title}</h2>
            <p id="dialog-text">{text}</p>
            {children()}
        </section>
    }
}

/// The row under the table row a confirmation is about, holding it: the
/// question appears where the button was pressed.
#[component]
pub fn ConfirmRow(columns: usize, children: Children) -> impl IntoView {
    view! { <tr class="confirm-row"><td colspan=columns.to_string()>{children()}</td></tr> }
}

/// Confirm and Cancel of a [`Dialog`]; the focus starts on Confirm.
#[component]
pub fn DialogActions(
    /// What the button does ("Remove", "Turn off MFA required"), never just "Confirm".
    label: &'static str,
    cancel: String,
    #[prop(optional)] danger: bool,
    /// A field of the dialog takes the focus instead (a name to type).
    #[prop(optional)]
    field_first: bool,
) -> impl IntoView {
    view! {
        <button type="submit" class=if danger { "button danger" } else { "button" } autofocus=!field_first
            >{label}</button>
        " "<a href=cancel>"Cancel"</a>
        <span class="progress" aria-live="polite"></span>
    }
}

/// The error of a form. `id` names it, so that the field it is about can
/// point at it (`aria-describedby`) and a screen reader reads it with the field.
#[component]
pub fn ErrorBox(
    message: Signal<Option<String>>,
    #[prop(optional)] id: &'static str,
) -> impl IntoView {
    view! {
        <div class="alert-slot" role="alert" aria-live="assertive">
            {move || message.get().map(|m| view! { <p class="alert error" id=(!id.is_empty()).then_some(id)>{m}</p> })}
        </div>
    }
}

/// The text of the notice `?flash=ID` names, if this session made it
/// ([`crate::session::flash`]); nothing for anyone else's.
#[server(prefix = "/sfn", endpoint = "flashed")]
pub async fn flashed(id: String) -> Result<Option<String>, AppError> {
    let cx = crate::session::Ctx::new().await?;
    crate::session::flashed(&cx.session, &id).await
}

/// A status line from `?notice=…` (a fixed text), or from `?flash=…` (a
/// notice that names who or what an action was about, kept by the session).
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
    let flash = Resource::new(
        move || query.read().get("flash"),
        |id| async move {
            match id {
                Some(id) => flashed(id).await.ok().flatten(),
                None => None,
            }
        },
    );
    view! {
        <div role="status">
            {move || text().map(|t| view! { <p class="alert success">{t}</p> })}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let text = flash.await;
                    text.map(|t| view! { <p class="alert success">{t}</p> })
                })}
            </Transition>
        </div>
    }
}

/// Copies `text` to the clipboard, and says so (`js/forms.js` shows the
/// button and does the copying: without JavaScript it stays hidden).
#[component]
pub fn CopyButton(text: String, label: &'static str) -> impl IntoView {
    view! {
        <button type="button" class="button secondary small" data-copy=text hidden>{label}</button>
        <span class="progress" role="status"></span>
    }
}

/// A submit button, and the status line where `js/forms.js` says it is
/// working while the request runs.
#[component]
pub fn Submit(label: &'static str, #[prop(optional)] class: &'static str) -> impl IntoView {
    view! {
        <button type="submit" class=format!("button {class}")>{label}</button>
        <span class="progress" aria-live="polite"></span>
    }
}

/// The account's address (read-only, for password managers) and its new
/// password with the rules as a hint, then "Set password": the body of every
/// form that sets a password from an emailed link.
#[component]
pub fn NewPasswordFields(
    email: String,
    /// Fields between the new password and the button (a code, when asked).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for="email">"Email"</label>
            <input id="email" type="email" autocomplete="username" value=email readonly tabindex="-1"/>
        </div>
        <div class="field">
            <label for="password">"New password"</label>
            <p class="hint" id="password-hint">"At least 8 characters; a few unrelated words make a strong one. Common passwords are refused."</p>
            <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128"
                aria-describedby="password-hint" required autofocus/>
        </div>
        {children.map(|children| children())}
        <Submit label="Set password"/>
    }
}
