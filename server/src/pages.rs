//! The Leptos app as the server mounts it: its page routes, its shell, the
//! context its server functions run with, and the session's signed-in user
//! for the browser endpoints outside it. The only module that names the `app`
//! crate, so a change of its paths is a change here alone.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use gatehouse_core::Gatehouse;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, AxumRouteListing};
use tower_sessions::Session;

use crate::state::AppState;

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

/// `POST /sfn/{name}`: the app's server functions, with the services in context.
pub async fn server_fn(State(state): State<AppState>, request: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(context(state.gatehouse), request).await
}

/// The user the session cookie signs in, if any.
pub async fn signed_in_user(gatehouse: &Gatehouse, session: &Session) -> Option<i64> {
    app::current_user(gatehouse, session).await.ok().flatten()
}
