//! The Gatehouse web app: pages, components and server functions, drawn on
//! the server only (`ssr`): the browser gets whole pages and plain forms.
//!
//! One module per feature holds its pages and their server functions side
//! by side; the leaf modules below them (`abuse_alerts`, `error`, `messages`, `urls`, `form`,
//! `header`, `page`, and on the server `request` and `session`) never import
//! a feature.

// Leaf modules.
pub mod abuse_alerts;
pub mod error;
pub mod form;
pub mod header;
pub mod messages;
pub mod page;
#[cfg(feature = "ssr")]
pub mod request;
#[cfg(feature = "ssr")]
pub mod session;
pub mod urls;

// Features.
pub mod account;
pub mod admin;
pub mod audit;
pub mod confirm_identity;
pub mod enrollment;
pub mod home;
pub mod invite;
pub mod locked_out;
pub mod not_me;
pub mod password;
pub mod profile;
pub mod sign_in;
pub mod support;
pub mod support_cancel;
pub mod support_desk;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use account::AccountPage;
use admin::{AdminRolesPage, AdminUsersPage, ContactsPage, CustomersPage, OrgSupportPage};
use audit::AuditPage;
use confirm_identity::ConfirmIdentityPage;
use enrollment::{EnrollPage, RecoveryCodesPage};
use home::HomePage;
use invite::InvitePage;
use locked_out::{LockedOutConfirmPage, LockedOutPage};
use not_me::NotMePage;
use page::PublicPage;
use password::{ForgotPasswordPage, ResetPasswordPage};
use profile::ProfilePage;
use sign_in::{
    LoginPage, MessageCodePage, MfaPage, OtherMethodsPage, RecoveryPage, SignInLinkPage,
};
use support::SupportPage;
use support_cancel::CancelResetPage;
use support_desk::{NewRequestPage, RequestPage, RequestsPage};

/// The signed-in user of a session (the server's JSON API shares the
/// browser's session): a stable path for the server crate.
#[cfg(feature = "ssr")]
pub use session::current_user;

/// The HTML document around the app (server only). Every inline script gets
/// the request's CSP nonce. No page ships WebAssembly: each is drawn whole
/// by the server, and Leptos's handlers pass options the document no longer
/// needs (they name the bundle it once loaded).
pub fn shell(_options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let policy = content_security_policy();
    #[cfg(not(feature = "ssr"))]
    let policy: Option<String> = None;
    // Nothing is hydrated, so a page's data is not written into it a second
    // time for a client to pick up (Leptos would add each resource's JSON in
    // an inline script: a fifth to a third of a page, the enrollment page's
    // secret and QR image again).
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                // The same policy as the header, before any script: it holds
                // should the header ever be missing (the server then adds no
                // stricter one to a page).
                {policy.map(|policy| view! { <meta http-equiv="Content-Security-Policy" content=policy/> })}
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="stylesheet" href="/style/gatehouse.css"/>
                <link rel="icon" href="/style/favicon.svg" type="image/svg+xml"/>
                // The pages' only scripts (see `js/`): every page is a plain
                // form that works without them.
                <script src="/js/passkey.js" defer></script>
                <script src="/js/forms.js" defer></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        // Each page draws its own `<main id="main">` (see `page`).
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/login/mfa") view=MfaPage ssr=SsrMode::Async/>
                <Route path=path!("/login/other") view=OtherMethodsPage ssr=SsrMode::Async/>
                <Route path=path!("/login/recovery") view=RecoveryPage ssr=SsrMode::Async/>
                <Route path=path!("/login/code") view=MessageCodePage ssr=SsrMode::Async/>
                <Route path=path!("/login/link") view=SignInLinkPage ssr=SsrMode::Async/>
                <Route path=path!("/enroll") view=EnrollPage ssr=SsrMode::Async/>
                <Route path=path!("/recovery-codes") view=RecoveryCodesPage ssr=SsrMode::Async/>
                <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                <Route path=path!("/confirm-identity") view=ConfirmIdentityPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=AdminUsersPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/roles") view=AdminRolesPage ssr=SsrMode::Async/>
                <Route path=path!("/msp/customers") view=CustomersPage ssr=SsrMode::Async/>
                <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async/>
                <Route path=path!("/invite") view=InvitePage ssr=SsrMode::Async/>
                <Route path=path!("/locked-out") view=LockedOutPage ssr=SsrMode::Async/>
                <Route path=path!("/locked-out/confirm") view=LockedOutConfirmPage ssr=SsrMode::Async/>
                <Route path=path!("/not-me") view=NotMePage ssr=SsrMode::Async/>
                <Route path=path!("/password/forgot") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/password/reset") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/support") view=SupportPage ssr=SsrMode::Async/>
                <Route path=path!("/support/cancel") view=CancelResetPage ssr=SsrMode::Async/>
                <Route path=path!("/support/requests") view=RequestsPage ssr=SsrMode::Async/>
                // Before `:id`: the first route that matches is drawn.
                <Route path=path!("/support/requests/new") view=NewRequestPage ssr=SsrMode::Async/>
                <Route path=path!("/support/requests/:id") view=RequestPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/contacts") view=ContactsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/support") view=OrgSupportPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PublicPage title="Not found">
            <section class="card narrow">
                <h1>"Page not found"</h1>
                <p><a href="/">"Go to the start page"</a></p>
            </section>
        </PublicPage>
    }
}

/// A fresh nonce per page, on Leptos's inline scripts and in the page's
/// policy: set as the CSP header, and returned for the page's `<meta>` copy.
/// Only `frame-ancestors` is the header's alone (a `<meta>` policy cannot
/// carry it; `X-Frame-Options: DENY` covers framing either way).
#[cfg(feature = "ssr")]
fn content_security_policy() -> Option<String> {
    leptos::nonce::provide_nonce();
    let nonce = leptos::nonce::use_nonce()?;
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'"
    );
    match use_context::<leptos_axum::ResponseOptions>() {
        Some(response) => {
            let header = format!("{policy}; frame-ancestors 'none'");
            if let Ok(value) = http::HeaderValue::from_str(&header) {
                response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
            }
        }
        None => tracing::warn!(
            "a page is rendered without response options: its CSP is the <meta> copy"
        ),
    }
    Some(policy)
}
