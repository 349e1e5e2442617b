//! Who sent a request: the client's address (behind trusted proxies only,
//! `X-Forwarded-For`), and whether a state-changing request comes from
//! another site (the CSRF defence).

use std::net::IpAddr;

use axum::http::Method;

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

#[cfg(test)]
mod tests {
    use super::*;

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
