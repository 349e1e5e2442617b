//! The security headers on every response: no framing, no sniffing, no
//! referrer, a closed-down CSP for what is not a page (pages carry their
//! own, with a nonce for their scripts), HSTS behind https, and no caching
//! but of the static assets.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

pub fn set_security_headers(response: &mut Response, path: &str, secure: bool) {
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
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
    // Pages carry their policy (with the scripts' nonce) in a header and in
    // a <meta> of their own; should a page's header be missing, a stricter
    // one here would block the page's own scripts, so only what is not a
    // page gets the closed-down one.
    let page = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) && !page {
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
    let static_asset = ["/style/", "/js/"]
        .iter()
        .any(|folder| path.starts_with(folder));
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
