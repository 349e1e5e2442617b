//! The scaffold of every page: its `<title>`, the main landmark, the header
//! and the content — or, for a page built from the server's data, "Loading…"
//! and what went wrong. Routes render in order (`SsrMode::Async`), so a page
//! arrives complete and its forms work before hydration and without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::AppError;
use crate::header::{Me, PublicHeader, SignedInHeader};
use crate::urls::pairs_without;

/// Who a page's data says is looking at it: the header shows them, or the
/// public header when nobody is signed in yet.
pub trait Viewer {
    fn viewer(&self) -> Option<Me>;
}

/// A page's data that always carries the signed-in viewer in its `me` field.
#[macro_export]
macro_rules! signed_in_view {
    ($view:ty) => {
        impl $crate::page::Viewer for $view {
            fn viewer(&self) -> Option<$crate::header::Me> {
                Some(self.me.clone())
            }
        }
    };
}

/// What a page opened from an emailed link shows — the account it is for,
/// or nothing when the link no longer works. Nobody is signed in: the link
/// is the proof.
impl<T> Viewer for Option<T> {
    fn viewer(&self) -> Option<Me> {
        None
    }
}

impl Viewer for Me {
    fn viewer(&self) -> Option<Me> {
        Some(self.clone())
    }
}

/// A page that needs nothing from the server: the public header, then `children`.
#[component]
pub fn PublicPage(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Gatehouse")/>
        <main id="main">
            <PublicHeader/>
            {children()}
        </main>
    }
}

/// A page built from `data`: once it is loaded, the header for its
/// [`Viewer`] and `children(data)`; if it could not be loaded, [`LoadError`].
#[component]
pub fn DataPage<T, F, V>(
    title: &'static str,
    data: Resource<Result<T, AppError>>,
    children: F,
) -> impl IntoView
where
    T: Viewer + Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Title text=format!("{title} · Gatehouse")/>
        <main id="main">
            <Suspense fallback=Loading>
                {move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(data) => {
                                let header = match data.viewer() {
                                    Some(me) => view! { <SignedInHeader me/> }.into_any(),
                                    None => view! { <PublicHeader/> }.into_any(),
                                };
                                // Erasing the content's type keeps the browser
                                // build's type depth within the compiler's limit.
                                view! { {header} {children(data).into_any()} }.into_any()
                            }
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="progress" role="status">"Loading…"</p> }
}

/// What to show when a page's data could not be loaded (the server may also redirect).
#[component]
fn LoadError(error: AppError) -> impl IntoView {
    view! {
        <PublicHeader/>
        <section class="card narrow">
            <h1>"This page could not be shown"</h1>
            <p class="alert error" role="alert">{error.message}</p>
            <p><a href="/login">"Go to sign-in"</a></p>
        </section>
    }
}

/// "Previous page" and "Next page" under a long list; they keep the list's
/// filters and drop its one-time messages.
#[component]
pub fn Pager(page: i64, pages: i64, total: i64, noun: &'static str) -> impl IntoView {
    let location = use_location();
    let href = move |to: i64| {
        let search = location.search.get_untracked();
        let page = format!("page={to}");
        let mut kept = pairs_without(
            search.trim_start_matches('?'),
            &["page", "notice", "error", "form"],
        );
        kept.push(&page);
        format!("{}?{}", location.pathname.get_untracked(), kept.join("&"))
    };
    view! {
        <nav class="pager" aria-label="Pages">
            <span>{format!("{total} {noun} · page {page} of {pages}")}</span>
            {(page > 1).then(|| view! { <a href=href(page - 1) rel="prev">"Previous page"</a> })}
            {(page < pages).then(|| view! { <a href=href(page + 1) rel="next">"Next page"</a> })}
        </nav>
    }
}
