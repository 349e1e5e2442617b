//! The Leptos app as the server mounts it: its page routes, its shell, the
//! context its server functions run with, and the session's signed-in user
//! for the browser endpoints outside it. The only module that names the `app`
//! crate, so a change of its paths is a change here alone.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gatehouse_core::error::ErrorCode;
use gatehouse_core::Gatehouse;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing};
use tower_sessions::Session;

/// Every page route of the app.
pub fn route_list() -> Vec<AxumRouteListing> {
    generate_route_list(app::App)
}

/// The HTML document around every page (and around the not-found page).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    app::shell(options)
}

/// What pages and server functions find with `use_context`: the services.
pub fn context(gatehouse: Gatehouse) -> impl Fn() + Clone + Send + 'static {
    move || provide_context(gatehouse.clone())
}

/// `POST /sfn/{name}` for a name that is no server function (each real one
/// has its own route, from the app's route list): 404, in the functions'
/// error shape rather than the framework's developer text.
pub async fn unknown_server_fn() -> Response {
    let error = app::error::AppError::new("not_found", "There is no such action.");
    (StatusCode::NOT_FOUND, axum::Json(error)).into_response()
}

/// The layer that gives a server function's refusal its own status.
/// Server functions answer every error with 500. A refusal — a wrong code,
/// a sign-in that ended, a form that is not what the function takes — is
/// the caller's, not the server's: it gets the status the JSON API gives
/// the same error code (a 401, a 400), so monitoring counts only real
/// failures as 5xx. The body, read only when it is an error, stays as it is.
pub async fn server_fn_status(request: Request<Body>, next: Next) -> Response {
    let server_fn = request.uri().path().starts_with("/sfn/");
    let response = next.run(request).await;
    if !server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        let status = ErrorCode::parse(&error.code).map_or(400, ErrorCode::http_status);
        parts.status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// An error's body is a code and a sentence.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Puts the words of the refusal a page's `?said=ID` names into the request,
/// when this session kept them (`app::session::refuse_back`): the page is
/// drawn synchronously, the session is read here.
pub async fn recall_refusal(session: Session, mut request: Request<Body>, next: Next) -> Response {
    let said = request.uri().query().and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("said="))
            .map(str::to_string)
    });
    if let Some(id) = said {
        if let Some(words) = app::session::recalled_refusal(&session, &id).await {
            request
                .extensions_mut()
                .insert(app::request::KeptRefusal(words));
        }
    }
    next.run(request).await
}

/// The user the session cookie signs in, if any.
pub async fn signed_in_user(gatehouse: &Gatehouse, session: &Session) -> Option<i64> {
    app::current_user(gatehouse, session).await.ok().flatten()
}
