//! `GET /metrics` in Prometheus's text format, on its own listen address
//! (`GATEHOUSE_METRICS_ADDR`) so the public port never shows it; off when
//! that is unset. The counters themselves live where the decisions are made
//! (`gatehouse_core::telemetry`); this installs the exporter, counts HTTP
//! requests by route template, and serves the scrape.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use gatehouse_core::Gatehouse;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::logging;

/// Latency buckets in seconds: a code check takes milliseconds, a password
/// check tens of them, a request queued behind hashing up to seconds.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Installs the process's Prometheus recorder; from then on every counter
/// of `gatehouse_core::telemetry` and of [`track`] is kept.
pub fn install() -> Result<PrometheusHandle, String> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| format!("cannot start the metrics recorder: {e}"))?;
    gatehouse_core::telemetry::describe();
    metrics::describe_counter!(
        "gatehouse_http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    metrics::describe_histogram!(
        "gatehouse_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by method and route template"
    );
    Ok(handle)
}

/// Counts a request and its latency by method, route template (never the
/// raw path: it can hold a token) and status.
pub async fn track(request: Request<Body>, next: Next) -> Response {
    let started = Instant::now();
    let method = logging::method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method.to_string()), ("route", route)];
    metrics::histogram!("gatehouse_http_request_duration_seconds", &labels[..])
        .record(started.elapsed().as_secs_f64());
    let mut labels = labels.to_vec();
    labels.push(("status", status));
    metrics::counter!("gatehouse_http_requests_total", &labels[..]).increment(1);
    response
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    gatehouse: Gatehouse,
}

/// The metrics listener: `GET /metrics` and nothing else.
pub async fn listen(
    addr: SocketAddr,
    handle: PrometheusHandle,
    gatehouse: Gatehouse,
) -> Result<impl std::future::Future<Output = std::io::Result<()>>, String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("GATEHOUSE_METRICS_ADDR: cannot listen on {addr}: {e}"))?;
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(Scrape { handle, gatehouse });
    Ok(axum::serve(listener, app).into_future())
}

async fn scrape(State(s): State<Scrape>) -> Response {
    if let Err(e) = s.gatehouse.observe_for_metrics().await {
        tracing::warn!(error = %e, "metrics: could not read the database's gauges");
    }
    s.handle.run_upkeep();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.handle.render(),
    )
        .into_response()
}
