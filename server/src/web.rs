//! The HTTP server: pages, server functions, the JSON API, static files, and
//! the layers every request passes (client address, CSRF/Origin check, a
//! 64 KiB body limit, no control characters in the query string or a server
//! function's form, security headers, sessions).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, FromRequest, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use gatehouse_core::audit::Origin;
use gatehouse_core::session_store::DbSessionStore;
use gatehouse_core::Gatehouse;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, handle_server_fns_with_context, LeptosRoutes};
use tower_http::services::ServeDir;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::api;
use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub gatehouse: Gatehouse,
    pub guard: Arc<Guard>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// What the request layer needs to know.
pub struct Guard {
    pub public_origin: String,
    pub trusted_proxies: Vec<IpAddr>,
    pub secure: bool,
}

pub fn router(config: &Config, gatehouse: Gatehouse) -> Router {
    let leptos_options = LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.site_addr)
        .build();
    let public = url::Url::parse(&config.settings.public_url).expect("validated in Config");
    let state = AppState {
        leptos_options: leptos_options.clone(),
        gatehouse: gatehouse.clone(),
        guard: Arc::new(Guard {
            public_origin: public.origin().ascii_serialization(),
            trusted_proxies: config.trusted_proxies.clone(),
            secure: config.settings.secure_cookies,
        }),
    };
    let secure = config.settings.secure_cookies;
    let sessions = SessionManagerLayer::new(DbSessionStore::new(gatehouse.db.clone()))
        .with_name(if secure {
            "__Host-gatehouse"
        } else {
            "gatehouse"
        })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::minutes(30),
        ))
        .with_always_save(true);

    let routes = generate_route_list(app::App);
    let context = {
        let gatehouse = gatehouse.clone();
        move || provide_context(gatehouse.clone())
    };
    let site = std::path::Path::new(config.site_root.as_str()).to_path_buf();

    let mut router = Router::new();
    if config.mailbox_enabled() {
        router = router.route("/dev/mailbox", axum::routing::get(crate::mailbox::page));
    }
    router
        .nest("/api/v1", api::routes())
        .route("/sfn/{*name}", post(server_fn_handler))
        .route(
            "/audit/export.csv",
            axum::routing::get(crate::admin_api::browser_export),
        )
        .leptos_routes_with_context(&state, routes, context, {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .nest_service(
            "/pkg",
            ServeDir::new(site.join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .nest_service("/style", ServeDir::new(site.join("style")))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(sessions)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// No request needs more than a few fields; a larger body is refused with 413.
const BODY_LIMIT: usize = 64 * 1024;

/// Form fields that may hold several lines (a `<textarea>`). Every other field
/// is one line, as a browser's `<input>` sends it.
const MULTI_LINE_FIELDS: &[&str] = &["reason"];

/// True when a decoded name or value of an `application/x-www-form-urlencoded`
/// text (a query string, a form body) holds a control character — a line
/// break or tab only where `multi_line` allows one. Such values are refused
/// before any handler sees them: they would otherwise reach a `Location`
/// header (a token, `next`, `back`), which cannot carry them.
pub fn has_control_char(form: &[u8], multi_line: &[&str]) -> bool {
    url::form_urlencoded::parse(form).any(|(name, value)| {
        let allowed = |c: char| matches!(c, '\t' | '\n' | '\r') && multi_line.contains(&&*name);
        name.chars().any(char::is_control) || value.chars().any(|c| c.is_control() && !allowed(c))
    })
}

fn bad_request(message: &str) -> Response {
    api::error_response(StatusCode::BAD_REQUEST, "invalid_request", message)
}

/// A server function's arguments, checked before it runs: within
/// [`BODY_LIMIT`] (else 413) and free of control characters (else 400). They
/// are read as a URL-encoded form whatever the content type says, as server
/// functions read them.
async fn checked_server_fn_request(request: Request<Body>) -> Result<Request<Body>, Response> {
    let (parts, body) = request.into_parts();
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), &())
        .await
        .map_err(|r| api::rejected(r.status(), &r.body_text()))?;
    if has_control_char(&bytes, MULTI_LINE_FIELDS) {
        return Err(bad_request("A form field contains a control character."));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

async fn server_fn_handler(
    State(state): State<AppState>,
    request: Request<Body>,
) -> impl IntoResponse {
    let gatehouse = state.gatehouse.clone();
    handle_server_fns_with_context(move || provide_context(gatehouse.clone()), request).await
}

/// The client's IP: the peer, or — only when the peer is a trusted proxy — the
/// nearest address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let Some(list) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in list.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => return client,
        }
    }
    client
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// CSRF defence for every state-changing request: a browser's `Sec-Fetch-Site`
/// must say same-origin and its `Origin` must be ours. Cookie-authenticated
/// endpoints (everything outside `/api/v1`, which uses bearer tokens) must
/// carry at least one of the two.
pub fn cross_site_refused(
    method: &Method,
    path: &str,
    origin: Option<&str>,
    fetch_site: Option<&str>,
    ours: &str,
) -> bool {
    if !is_state_changing(method) {
        return false;
    }
    if let Some(site) = fetch_site {
        if site != "same-origin" && site != "none" {
            return true;
        }
    }
    // Under `Referrer-Policy: no-referrer` browsers send `Origin: null` even for
    // same-origin posts; then only `Sec-Fetch-Site` speaks for the request.
    let origin = origin.filter(|o| *o != "null");
    if let Some(origin) = origin {
        if origin != ours {
            return true;
        }
    }
    let bearer_api = path.starts_with("/api/v1/");
    !bearer_api && origin.is_none() && fetch_site.is_none()
}

async fn guard(State(state): State<AppState>, mut request: Request<Body>, next: Next) -> Response {
    let guard = &state.guard;
    let headers = request.headers();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let ip = client_ip(
        peer,
        text(header::HeaderName::from_static("x-forwarded-for")),
        &guard.trusted_proxies,
    );
    let origin = Origin {
        ip: ip.to_string(),
        user_agent: text(header::USER_AGENT)
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
    };
    let refused = cross_site_refused(
        request.method(),
        request.uri().path(),
        text(header::ORIGIN),
        text(header::HeaderName::from_static("sec-fetch-site")),
        &guard.public_origin,
    );
    let path = request.uri().path().to_string();
    let bad_query = request
        .uri()
        .query()
        .is_some_and(|q| has_control_char(q.as_bytes(), &[]));
    let mut response = if bad_query {
        bad_request("A value in the query string contains a control character.")
    } else if refused {
        tracing::warn!(%path, ip = %origin.ip, "cross-origin request refused");
        api::error_response(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Cross-origin request refused.",
        )
    } else {
        request.extensions_mut().insert(origin);
        let request = if path.starts_with("/sfn/") {
            checked_server_fn_request(request).await
        } else {
            Ok(request)
        };
        match request {
            Ok(request) => next.run(request).await,
            Err(refusal) => refusal,
        }
    };
    security_headers(&mut response, &path, guard.secure);
    response
}

fn security_headers(response: &mut Response, path: &str, secure: bool) {
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.insert(
            header::HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set(h, "x-frame-options", "DENY");
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "no-referrer");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            h,
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        );
    }
    if secure {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    let static_asset = path.starts_with("/pkg/") || path.starts_with("/style/");
    set(
        h,
        "cache-control",
        if static_asset {
            "public, max-age=300"
        } else {
            "no-store"
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_once_decoded() {
        assert!(!has_control_char(b"token=abc&next=%2Fadmin%3Fq%3Da+b", &[]));
        for bad in [
            &b"token=abc%0A"[..],
            b"next=/%09/evil.example",
            b"email=a%00@example.com",
            b"back=%0D%0ALocation:x",
            b"x%7F=1",
            b"token=%C2%85",
        ] {
            assert!(
                has_control_char(bad, &[]),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(!has_control_char(
            b"reason=line+one%0D%0Aline%09two",
            &["reason"]
        ));
        assert!(
            has_control_char(b"reason=nul%00", &["reason"]),
            "only line breaks and tabs"
        );
        assert!(has_control_char(b"name=line+one%0D%0Atwo", &["reason"]));
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(
            client_ip(client, Some("1.2.3.4"), &[proxy]),
            client,
            "untrusted peer: header ignored"
        );
        assert_eq!(
            client_ip(proxy, Some("1.2.3.4, 203.0.113.9"), &[proxy]),
            client
        );
        assert_eq!(
            client_ip(proxy, Some("203.0.113.9, 10.0.0.1"), &[proxy]),
            client
        );
        assert_eq!(client_ip(proxy, None, &[proxy]), proxy);
        assert_eq!(client_ip(proxy, Some("garbage"), &[proxy]), proxy);
    }

    #[test]
    fn cross_site_writes_are_refused() {
        let ours = "http://127.0.0.1:3000";
        let post = Method::POST;
        assert!(!cross_site_refused(
            &Method::GET,
            "/profile",
            Some("https://evil.example"),
            None,
            ours
        ));
        assert!(cross_site_refused(
            &post,
            "/sfn/login",
            Some("https://evil.example"),
            None,
            ours
        ));
        assert!(cross_site_refused(
            &post,
            "/sfn/login",
            None,
            Some("cross-site"),
            ours
        ));
        assert!(
            cross_site_refused(&post, "/sfn/login", None, None, ours),
            "cookie endpoints need a browser header"
        );
        assert!(!cross_site_refused(
            &post,
            "/sfn/login",
            Some(ours),
            Some("same-origin"),
            ours
        ));
        assert!(
            !cross_site_refused(&post, "/api/v1/auth/login", None, None, ours),
            "bearer API from apps"
        );
        assert!(cross_site_refused(
            &post,
            "/api/v1/auth/login",
            Some("https://evil.example"),
            None,
            ours
        ));
        assert!(!cross_site_refused(
            &post,
            "/sfn/login",
            Some("null"),
            Some("same-origin"),
            ours
        ));
        assert!(cross_site_refused(
            &post,
            "/sfn/login",
            Some("null"),
            None,
            ours
        ));
        assert!(cross_site_refused(
            &post,
            "/sfn/login",
            Some("null"),
            Some("cross-site"),
            ours
        ));
    }
}
