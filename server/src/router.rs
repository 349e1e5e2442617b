//! Every route of the server in one place: the pages and their server
//! functions, the JSON API's trees under `/api/v1`, the browser endpoints,
//! the static files, and the layers in front of them all.

use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use gatehouse_core::Gatehouse;
use leptos_axum::LeptosRoutes;
use tower_http::services::ServeDir;

use crate::config::Config;
use crate::security::{self, Guard, BODY_LIMIT};
use crate::state::AppState;
use crate::{api, browser, health, logging, metrics, pages};

/// The whole server. The layers apply outermost last: the body limit (which
/// the extractors and the guard's form check read), then the guard (refusals,
/// client address, headers), then the session, which a refused request never
/// loads.
pub fn router(config: &Config, gatehouse: Gatehouse) -> Router {
    let state = AppState::new(config, gatehouse.clone());
    let options = state.leptos_options.clone();
    let site = std::path::Path::new(config.site_root.as_str()).to_path_buf();

    let mut router = Router::new();
    if config.mailbox_enabled() {
        router = router.route("/dev/mailbox", get(browser::mailbox::page));
    }
    let router = router
        .nest("/api/v1", api_v1())
        .route("/sfn/{*name}", post(pages::unknown_server_fn))
        .route("/audit/export.csv", get(browser::export::audit_csv))
        .route(
            "/admin/support/export.csv",
            get(browser::support_export::support_csv),
        )
        .route(
            "/admin/support/export.json",
            get(browser::support_export::support_json),
        )
        .leptos_routes_with_context(
            &state,
            pages::route_list(),
            pages::context(gatehouse.clone()),
            move || pages::shell(options.clone()),
        )
        .nest_service("/style", static_files(site.join("style")))
        .nest_service("/js", static_files(site.join("js")))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            pages::shell,
        ))
        .layer(middleware::from_fn(pages::server_fn_status))
        .layer(middleware::from_fn(pages::recall_refusal))
        .layer(security::sessions(config, &gatehouse))
        .layer(middleware::from_fn_with_state(
            Guard::new(config),
            security::guard,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    let router = if config.metrics_addr.is_some() {
        router.layer(middleware::from_fn(metrics::track))
    } else {
        router
    };
    logging::layer(router)
        // Probes come after the layers: no session, no rate limit, no log line.
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
        .with_state(state)
}

/// A folder of the site, served as `scripts/build.sh` left it: brotli or
/// gzip copies where the browser takes them, so a phone on the sign-in page
/// downloads a few kilobytes.
fn static_files(dir: std::path::PathBuf) -> ServeDir {
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

/// The JSON API and its OpenAPI document; unknown paths and methods answer
/// in its own error shape.
fn api_v1() -> Router<AppState> {
    let (routes, document) = api::routes();
    routes
        .route("/openapi.json", api::openapi::serve(&document))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
}
