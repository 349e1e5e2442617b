//! The request a server function answers (server only): the Gatehouse, where
//! the request came from, and how a refusal is sent back.
//!
//! Without JavaScript a form posts to its server function directly; on
//! failure we send the browser back to the form's page with `?error=CODE`
//! (pages render the message), because `Referrer-Policy: no-referrer` leaves
//! Leptos's own referer-based fallback nowhere to go.

use gatehouse_core::audit::Origin;
use gatehouse_core::Gatehouse;
use leptos::prelude::*;

use crate::error::AppError;

pub fn gatehouse() -> Gatehouse {
    expect_context::<Gatehouse>()
}

/// Logs what went wrong and tells the browser only that something did.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "session error");
    AppError::new(
        "internal",
        "Something went wrong on our side. Try again in a moment.",
    )
}

/// IP and browser of the request, as the server's middleware resolved them.
pub fn origin() -> Origin {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Origin>().cloned())
        .unwrap_or_default()
}

/// A plain form post or page load (it follows redirects), not the page's script.
pub fn accepts_html() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// The words of the refusal the page's `?said=ID` names, put in the request
/// by the server when this session kept them ([`crate::session::refuse_back`]).
#[derive(Clone, Debug)]
pub struct KeptRefusal(pub String);

/// For plain form posts, return to `page` with the error code (and `said`,
/// the id of its own words when the session keeps them); for script calls,
/// answer with a status that matches the error.
pub fn back_on_error<T>(
    page: &str,
    said: Option<&str>,
    result: Result<T, AppError>,
) -> Result<T, AppError> {
    if let Err(e) = &result {
        let response = use_context::<leptos_axum::ResponseOptions>();
        // The failing function may already have chosen where to go (sign-in, step-up).
        let redirecting = response.as_ref().is_some_and(|r| {
            r.0.read().is_ok_and(|parts| {
                parts.headers.contains_key(http::header::LOCATION)
                    || parts
                        .headers
                        .contains_key(server_fn::redirect::REDIRECT_HEADER)
            })
        });
        if redirecting {
            return result;
        }
        if accepts_html() {
            let sep = if page.contains('?') { '&' } else { '?' };
            // `form` names the form that failed, so only its error box shows the message.
            let from = use_context::<http::request::Parts>()
                .and_then(|p| p.uri.path().rsplit('/').next().map(str::to_string))
                .unwrap_or_default();
            let said = said.map(|id| format!("&said={id}")).unwrap_or_default();
            leptos_axum::redirect(&format!("{page}{sep}error={}&form={from}{said}", e.code));
        } else if let Some(response) = response {
            response.set_status(status_of(&e.code));
        }
    }
    result
}

fn status_of(code: &str) -> http::StatusCode {
    gatehouse_core::ErrorCode::parse(code)
        .and_then(|c| http::StatusCode::from_u16(c.http_status()).ok())
        .unwrap_or(http::StatusCode::BAD_REQUEST)
}

/// Sends a plain form post or a page load on to `target`. A call from the
/// page's script answers `status` instead of 500: its client does not follow
/// a redirect that comes with an error (the page acts on the error code).
pub fn refuse_towards(target: &str, status: http::StatusCode) {
    leptos_axum::redirect(target);
    if !accepts_html() {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
    }
}
