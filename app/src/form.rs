//! Feedback around forms: the error box and its signal, the status line,
//! the submit button that says it is working, confirmation dialogs and focus.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use server_fn::ServerFn;

use crate::error::AppError;
use crate::messages::{message_for, notice_for};
use crate::page::Changes;
use crate::urls::{url_encode, without_messages};

/// The error to show: the action's, or the one a no-JavaScript post put in the URL.
/// A success is recorded in [`Changes`], so the page's data loads again.
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
    let changes = Changes::here();
    Effect::new(move |recorded: Option<usize>| {
        let answers = action.version().get();
        let succeeded = action.value().with(|v| match v {
            Some(Ok(())) => Some(true),
            Some(Err(_)) => Some(false),
            None => None,
        });
        let recorded = recorded.unwrap_or(answers);
        if answers <= recorded {
            return recorded;
        }
        match (succeeded, changes) {
            (Some(true), Some(changes)) => changes.record(),
            (Some(false), Some(changes)) => changes.refused(),
            _ => {}
        }
        answers
    });
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

/// Focuses an input when it appears. `autofocus` only works on a full page
/// load; after client-side navigation keyboard and screen-reader users would
/// otherwise be left at the top of the page. Give the element `autofocus`
/// too: a page that ships no WebAssembly focuses it with `js/forms.js`.
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

/// After each refusal of `action`, `field` is emptied and focused, ready to
/// be typed again (a wrong password, a wrong code).
pub fn clear_on_refusal<S>(action: ServerAction<S>, field: NodeRef<leptos::html::Input>)
where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    back_to_field_on_refusal(action, field, true);
}

/// After each refusal of `action`, the focus goes back to `field`, its text
/// kept to be corrected (a name too long). The button that sent the form
/// was disabled meanwhile, which would leave the focus nowhere.
pub fn focus_on_refusal<S>(action: ServerAction<S>, field: NodeRef<leptos::html::Input>)
where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    back_to_field_on_refusal(action, field, false);
}

fn back_to_field_on_refusal<S>(
    action: ServerAction<S>,
    field: NodeRef<leptos::html::Input>,
    clear: bool,
) where
    S: ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    Effect::new(move || {
        if action.value().with(|v| matches!(v, Some(Err(_)))) {
            if let Some(input) = field.get_untracked() {
                if clear {
                    input.set_value("");
                }
                let _ = input.focus();
            }
        }
    });
}

/// A confirmation that is part of the page (`?confirm=…` in its URL), so it
/// works before hydration and without JavaScript: what will happen, then the
/// form that does it (`children`, ending with [`DialogActions`]).
/// Escape closes it (goes to `cancel`), as it would a modal dialog.
#[component]
pub fn Dialog(title: String, text: String, cancel: String, children: Children) -> impl IntoView {
    view! {
        <section class="dialog" role="dialog" aria-labelledby="dialog-title" aria-describedby="dialog-text"
            on:keydown=close_on_escape(cancel)>
            <h2 id="dialog-title">{title}</h2>
            <p id="dialog-text">{text}</p>
            {children()}
        </section>
    }
}

/// A dialog's key handler: Escape goes to `cancel`, as it would close a
/// modal dialog. (Its forms keep the focus inside it: see
/// [`focus_on_refusal`].)
pub fn close_on_escape(cancel: String) -> impl Fn(leptos::ev::KeyboardEvent) + 'static {
    let navigate = use_navigate();
    move |event| {
        if event.key() == "Escape" {
            navigate(&cancel, Default::default());
        }
    }
}

/// The row under the table row a confirmation is about, holding it: the
/// question appears where the button was pressed.
#[component]
pub fn ConfirmRow(columns: usize, children: Children) -> impl IntoView {
    view! { <tr class="confirm-row"><td colspan=columns.to_string()>{children()}</td></tr> }
}

/// Confirm and Cancel of a [`Dialog`]; focus moves to Confirm when it opens.
#[component]
pub fn DialogActions(
    pending: Memo<bool>,
    /// What the button does ("Remove", "Turn off MFA required"), never just "Confirm".
    label: &'static str,
    cancel: String,
    #[prop(optional)] danger: bool,
    /// A field of the dialog takes the focus instead (a name to type).
    #[prop(optional)]
    field_first: bool,
) -> impl IntoView {
    let confirm = NodeRef::<leptos::html::Button>::new();
    if !field_first {
        focus_on_mount(confirm);
    }
    view! {
        <button type="submit" class=if danger { "button danger" } else { "button" } node_ref=confirm
            disabled=move || pending.get()>{label}</button>
        " "<a href=cancel>"Cancel"</a>
        <span class="progress" aria-live="polite">{move || pending.get().then_some("Working…")}</span>
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
    // A refusal after the notice arrived makes it old news: it goes.
    let shown_for = StoredValue::new((String::new(), 0usize));
    let current = move || {
        let key = query.with(|q| format!("{:?}{:?}", q.get("notice"), q.get("flash")));
        let refusals = Changes::refusals();
        let (seen_key, seen_refusals) = shown_for.get_value();
        if seen_key != key {
            shown_for.set_value((key, refusals));
            return true;
        }
        refusals == seen_refusals
    };
    let text = move || text().filter(|_| current());
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
                    move || text.clone().filter(|_| current()).map(|t| view! { <p class="alert success">{t}</p> })
                })}
            </Transition>
        </div>
    }
}

/// True once the page's script runs: controls that need it (Copy, Print)
/// stay hidden in a page without JavaScript. (On a page that ships no
/// WebAssembly, `js/forms.js` shows them.)
pub fn hydrated() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move || set_ready.set(true));
    ready
}

/// Copies `text` to the clipboard, and says so.
#[component]
pub fn CopyButton(text: String, label: &'static str) -> impl IntoView {
    let ready = hydrated();
    let copied = RwSignal::new(false);
    // For `js/forms.js`, on a page that ships no WebAssembly.
    let copied_text = text.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&text);
            copied.set(true);
        }
        // The server draws the button; only the browser copies.
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button secondary small" data-copy=copied_text hidden=move || !ready.get() on:click=copy>{label}</button>
        <span class="progress" role="status">{move || copied.get().then_some("Copied")}</span>
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

/// The account's address (read-only, for password managers) and its new
/// password with the rules as a hint, then "Set password": the body of every
/// form that sets a password from an emailed link.
#[component]
pub fn NewPasswordFields(
    email: String,
    pending: Memo<bool>,
    /// Fields between the new password and the button (a code, when asked).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let password = NodeRef::<leptos::html::Input>::new();
    focus_on_mount(password);
    view! {
        <div class="field">
            <label for="email">"Email"</label>
            <input id="email" type="email" autocomplete="username" value=email readonly tabindex="-1"/>
        </div>
        <div class="field">
            <label for="password">"New password"</label>
            <p class="hint" id="password-hint">"At least 8 characters; a few unrelated words make a strong one. Common passwords are refused."</p>
            <input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="128"
                aria-describedby="password-hint" required autofocus node_ref=password/>
        </div>
        {children.map(|children| children())}
        <Submit label="Set password" pending/>
    }
}
