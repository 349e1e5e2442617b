//! The layers every request passes before a handler: the session cookie, the
//! client's address, the CSRF/Origin check, the transport guard (a body limit,
//! no control characters in the query string or a server function's form),
//! and the security headers on every response.

mod headers;
mod origin;
mod transport;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use gatehouse_core::audit::Origin;
use gatehouse_core::session_store::DbSessionStore;
use gatehouse_core::Gatehouse;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::api::error_response;
use crate::config::Config;

pub use transport::BODY_LIMIT;

/// What the request layer needs to know.
pub struct Guard {
    public_origin: String,
    trusted_proxies: Vec<IpAddr>,
    secure: bool,
}

impl Guard {
    /// Read once from the configuration, shared by every request.
    pub fn new(config: &Config) -> Arc<Self> {
        let public = url::Url::parse(&config.settings.public_url).expect("validated in Config");
        Arc::new(Self {
            public_origin: public.origin().ascii_serialization(),
            trusted_proxies: config.trusted_proxies.clone(),
            secure: config.settings.secure_cookies,
        })
    }
}

/// The session cookie: host-only and `Secure` behind https, never readable by
/// scripts, never sent cross-site, gone after 30 idle minutes.
pub fn sessions(config: &Config, gatehouse: &Gatehouse) -> SessionManagerLayer<DbSessionStore> {
    let secure = config.settings.secure_cookies;
    SessionManagerLayer::new(DbSessionStore::new(gatehouse.db.clone()))
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
        .with_always_save(true)
}

/// The request layer: refuses a query string with a control character (400)
/// and a cross-site write (403), checks a server function's form, hands the
/// handlers the client's [`Origin`] for the audit log, and sets the security
/// headers on whatever comes back.
pub async fn guard(
    State(guard): State<Arc<Guard>>,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let headers = request.headers();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let ip = origin::client_ip(
        peer,
        text(header::HeaderName::from_static("x-forwarded-for")),
        &guard.trusted_proxies,
    );
    let client = Origin {
        ip: ip.to_string(),
        user_agent: text(header::USER_AGENT)
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
    };
    let refused = origin::cross_site_refused(
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
        .is_some_and(|q| transport::has_control_char(q.as_bytes(), false));
    let mut response = if bad_query {
        transport::bad_request("A value in the query string contains a control character.")
    } else if refused {
        // The request's span names its method and route; the raw path is the client's.
        tracing::warn!(ip = %client.ip, "cross-origin request refused");
        error_response(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Cross-origin request refused.",
        )
    } else {
        request.extensions_mut().insert(client);
        let request = if path.starts_with("/sfn/") {
            transport::checked_server_fn_request(request).await
        } else {
            Ok(request)
        };
        match request {
            Ok(request) => next.run(request).await,
            Err(refusal) => refusal,
        }
    };
    headers::set_security_headers(&mut response, &path, guard.secure);
    response
}
