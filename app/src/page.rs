//! The scaffold of every page: its `<title>`, the main landmark, the header
//! and the content — or, for a page built from the server's data, "Loading…"
//! and what went wrong. Routes render in order (`SsrMode::Async`), so a page
//! arrives complete and its forms work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::AppError;
use crate::header::{Me, PublicHeader, SignedInHeader};
use crate::urls::{pairs_without, MESSAGE_PARAMS};

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
        <PublicHeader/>
        <main id="main" tabindex="-1">{children()}</main>
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
        <Suspense fallback=|| view! { <main id="main" tabindex="-1"><Loading/></main> }>
                {move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(data) => {
                                let header = match data.viewer() {
                                    Some(me) => view! { <SignedInHeader me/> }.into_any(),
                                    None => view! { <PublicHeader/> }.into_any(),
                                };
                                // Erasing the content's type keeps the pages'
                                // type depth within the compiler's limit.
                                view! {
                                    {header}
                                    <main id="main" tabindex="-1">{children(data).into_any()}</main>
                                }
                                .into_any()
                            }
                            Err(error) => view! { <LoadError error/> }.into_any(),
                        }
                    })
                }}
        </Suspense>
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
        <main id="main" tabindex="-1">
            <section class="card narrow">
                <h1>"This page could not be shown"</h1>
                <p class="alert error" role="alert">{error.message}</p>
                <p><a href="/login">"Go to sign-in"</a></p>
            </section>
        </main>
    }
}

/// Where a page of a list sits: what its caption says and where its
/// "Previous page" and "Next page" lead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    pub page: i64,
    pub pages: i64,
    /// How many match, counted up to 1,000 ...
    pub total: i64,
    /// ... and whether more do.
    pub more: bool,
    pub previous_before: Option<i64>,
    pub next_after: Option<i64>,
}

#[cfg(feature = "ssr")]
impl From<&gatehouse_core::service::PagePlace> for Paging {
    fn from(p: &gatehouse_core::service::PagePlace) -> Self {
        Self {
            page: p.number,
            pages: p.pages,
            total: p.total,
            more: p.more_than_counted,
            previous_before: p.previous_before,
            next_after: p.next_after,
        }
    }
}

impl Paging {
    /// An empty list's: one page, nothing before or after.
    pub fn empty() -> Self {
        Self {
            page: 1,
            pages: 1,
            total: 0,
            more: false,
            previous_before: None,
            next_after: None,
        }
    }

    fn caption(&self, noun: &str) -> String {
        if self.more {
            format!(
                "More than {} {noun} · page {}",
                thousands(self.total),
                self.page
            )
        } else {
            format!(
                "{} {noun} · page {} of {}",
                thousands(self.total),
                self.page,
                self.pages
            )
        }
    }
}

/// 12345 as "12,345".
fn thousands(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// "Previous page" and "Next page" under a long list; they keep the list's
/// filters and drop its one-time messages. Each names the row its page
/// starts after (or ends before), so the server reads from there.
#[component]
pub fn Pager(paging: Paging, noun: &'static str) -> impl IntoView {
    let location = use_location();
    let href = move |to: i64, edge: String| {
        let search = location.search.get_untracked();
        let page = format!("page={to}");
        let mut dropped = vec!["page", "after", "before"];
        dropped.extend(MESSAGE_PARAMS);
        let mut kept = pairs_without(search.trim_start_matches('?'), &dropped);
        kept.push(&page);
        kept.push(&edge);
        format!("{}?{}", location.pathname.get_untracked(), kept.join("&"))
    };
    let previous = paging
        .previous_before
        .map(|row| href(paging.page - 1, format!("before={row}")));
    let next = paging
        .next_after
        .map(|row| href(paging.page + 1, format!("after={row}")));
    view! {
        <nav class="pager" aria-label="Pages">
            <span>{paging.caption(noun)}</span>
            {previous.map(|href| view! { <a href=href rel="prev">"Previous page"</a> })}
            {next.map(|href| view! { <a href=href rel="next">"Next page"</a> })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caption_says_how_many_and_where() {
        let mut paging = Paging {
            page: 2,
            pages: 250,
            total: 12_345,
            more: false,
            previous_before: Some(1),
            next_after: Some(2),
        };
        assert_eq!(paging.caption("users"), "12,345 users · page 2 of 250");
        paging.more = true;
        assert_eq!(paging.caption("users"), "More than 12,345 users · page 2");
        assert_eq!(
            Paging::empty().caption("entries"),
            "0 entries · page 1 of 1"
        );
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
