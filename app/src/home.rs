//! `/`, the start page after sign-in: who you are, and a warning after
//! signing in with one of the last recovery codes.

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
    let low = codes_left.filter(|n| *n <= LOW_CODES_WATERMARK);
    let greeting = if me.name.is_empty() {
        me.email.clone()
    } else {
        me.name.clone()
    };
    view! {
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"Welcome, " {greeting}</h1>
            <SecondAdminWarning me=me.clone()/>
            {low.map(|n| view! {
                <p class="alert warning" role="alert">
                    {format!("You signed in with a recovery code. Only {n} recovery codes are left: ")}
                    <a href="/profile">"generate new codes"</a>" or set up your authenticator again."
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
