//! Logs and request ids. Lines are human-readable by default, or one JSON
//! object per line with `GATEHOUSE_LOG_FORMAT=json` (tracing-subscriber's
//! JSON layer). Every request gets an id of its own — a new UUID, never
//! one a client sent — returned as `X-Request-Id` and carried by each line
//! logged while it runs, with its method and route template (never the
//! path itself, whose query can hold a token), then one line with its
//! status and latency, and the user id once the request has proved one.
//! The probes are not logged (their routes sit outside this layer).

use std::time::Duration;

use axum::body::Body;
use axum::extract::MatchedPath;
use axum::http::{HeaderName, Request, Response};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The header that carries a request's id.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Starts the process's log output, as `GATEHOUSE_LOG_FORMAT` says
/// (`json`, or anything else for lines people read); `RUST_LOG` filters.
pub fn init() {
    // webauthn-rs logs a refused passkey answer at ERROR, from input anyone
    // with a password can send: Gatehouse logs the refusal itself, at INFO.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "gatehouse=info,warn,webauthn_rs_core=off".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json() {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder.init();
    }
}

/// Whether log lines are JSON (`GATEHOUSE_LOG_FORMAT=json`): then nothing
/// else may be written to stderr, so every line parses.
pub fn json() -> bool {
    std::env::var("GATEHOUSE_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"))
}

/// Records the user a request acts as on its log lines, once it is known.
pub fn record_user(user_id: i64) {
    Span::current().record("user_id", user_id);
}

/// `router` with a request id and a log line for every request.
pub fn layer<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<Body>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_string();
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("-", MatchedPath::as_str)
                        .to_string();
                    tracing::info_span!(
                        "request",
                        request_id = %id,
                        method = method_label(request.method()),
                        route = %route,
                        user_id = tracing::field::Empty,
                    )
                })
                .on_request(())
                .on_response(|response: &Response<Body>, latency: Duration, _: &Span| {
                    let status = response.status().as_u16();
                    let latency_ms = latency.as_secs_f64() * 1000.0;
                    tracing::info!(status, latency_ms, "answered");
                })
                .on_failure(()),
        )
        // Outermost: the id exists before anything else sees the request,
        // and replaces any a client sent.
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(forget_client_id))
}

/// The method from a fixed set, for log lines and metric labels: a client
/// can send any token as its method, 400 KB of it included.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// A client's own `X-Request-Id` is dropped: ids in the log are ours.
async fn forget_client_id(mut request: Request<Body>) -> Request<Body> {
    request.headers_mut().remove(REQUEST_ID);
    request
}
