//! `/`, the start page after sign-in: who you are, and what is left after
//! signing in with a recovery code.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::header::{current_me, Me, SecondAdminWarning, LOW_CODES_WATERMARK};
use crate::page::DataPage;

#[component]
pub fn HomePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| current_me());
    let query = use_query_map();
    view! {
        <DataPage title="Home" data let:me>
            <HomeScreen me=me codes_left=query.read_untracked().get("codes_left").and_then(|n| n.parse::<i64>().ok())/>
        </DataPage>
    }
}

#[component]
fn HomeScreen(me: Me, codes_left: Option<i64>) -> impl IntoView {
    let greeting = if me.name.is_empty() {
        me.email.clone()
    } else {
        me.name.clone()
    };
    view! {
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"Welcome, " {greeting}</h1>
            <SecondAdminWarning me=me.clone()/>
            {codes_left.map(|n| view! { <RecoveryCodeUsed left=n/> })}
            // Without a second factor, a stolen password is enough: say so, and how to fix it.
            {(!me.mfa_on).then(|| view! {
                <p class="alert warning" role="status">
                    "Two-step verification is off: anyone with your password can sign in as you. "
                    <a href="/profile">"Add an authenticator app"</a>" — it takes a minute."
                </p>
            })}
            <dl class="facts">
                <dt>"Organization"</dt><dd>{me.organization}</dd>
                <dt>"Role"</dt><dd>{me.role}</dd>
                <dt>"Two-step verification"</dt>
                <dd>{if me.mfa_on { "On" } else { "Off" }}</dd>
            </dl>
            <p><a class="button" href="/profile">"Manage your sign-in methods"</a></p>
        </section>
    }
}

/// After a sign-in with a recovery code: it is crossed off, and how many are
/// left — a warning, with the way to new codes, when few are.
#[component]
fn RecoveryCodeUsed(left: i64) -> impl IntoView {
    let count = match left {
        0 => "No recovery codes are left".to_string(),
        1 => "1 recovery code is left".to_string(),
        n => format!("{n} recovery codes are left"),
    };
    if left <= LOW_CODES_WATERMARK {
        view! {
            <p class="alert warning" role="alert">
                {format!("You signed in with a recovery code, so it no longer works. {count}: ")}
                <a href="/profile">"generate new codes"</a>", and set up your authenticator again if it is lost."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="alert info" role="status">
                {format!("You signed in with a recovery code, so it no longer works. {count}. Lost your authenticator? ")}
                <a href="/profile">"Set up a new one"</a>"."
            </p>
        }
        .into_any()
    }
}
