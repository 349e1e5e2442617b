//! Running Gatehouse, on SQLite and PostgreSQL: the health and readiness
//! probes, a graceful stop on SIGTERM, JSON logs and metrics.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

on_both_databases!(
    probes_say_whether_requests_can_be_served,
    sigterm_finishes_the_request_in_flight_and_refuses_new_ones,
    json_logs_name_each_request_and_hold_no_secret,
    metrics_count_sign_ins_on_their_own_address_only,
);

/// The value of the sample of `name` whose labels include `labels`, from a
/// Prometheus text exposition.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .find(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name
                && labels
                    .iter()
                    .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        })
        .map(|(_, value)| value.parse().expect("a number"))
}

fn metrics_count_sign_ins_on_their_own_address_only(backend: Backend) {
    let metrics_port = free_port();
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let server = Server::start_with(backend, &[("GATEHOUSE_METRICS_ADDR", &metrics_addr)]);
    let (email, secret, _, _) = server.enrolled_user();

    assert_eq!(server.login(&email, "not the password").status, 401);
    let token = server.mfa_token(&email);
    assert_eq!(server.mfa(&token, "totp", &wrong_code(&secret)).status, 401);
    let signed_in = server.mfa(&token, "totp", &totp_next(&secret));
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let access = signed_in.json["access_token"].as_str().unwrap();
    let reset = server.post(
        "/api/v1/mfa/reset",
        serde_json::json!({ "password": PASSWORD }),
        Some(access),
    );
    assert_eq!(reset.status, 204, "{reset:?}");

    let scrape = ureq::get(&format!("http://{metrics_addr}/metrics"))
        .call()
        .expect("the metrics address answers");
    assert!(scrape
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")));
    let text = scrape.into_string().unwrap();
    let count = |name: &str, labels: &[(&str, &str)]| sample(&text, name, labels);
    let password = |outcome| {
        count(
            "gatehouse_sign_ins_total",
            &[("stage", "password"), ("outcome", outcome)],
        )
    };
    assert_eq!(password("invalid_credentials"), Some(1.0), "{text}");
    assert_eq!(password("mfa_required"), Some(1.0));
    assert_eq!(password("enrollment_required"), Some(1.0));
    assert_eq!(
        count(
            "gatehouse_sign_ins_total",
            &[("stage", "second_factor"), ("outcome", "signed_in")]
        ),
        Some(1.0)
    );
    let totp = |outcome| {
        count(
            "gatehouse_mfa_checks_total",
            &[("method", "totp"), ("outcome", outcome)],
        )
    };
    assert_eq!(totp("invalid_code"), Some(1.0));
    assert_eq!(totp("accepted"), Some(1.0));
    assert_eq!(
        count("gatehouse_mfa_resets_total", &[("kind", "self_reset")]),
        Some(1.0)
    );
    let route = [("method", "POST"), ("route", "/api/v1/auth/login")];
    assert_eq!(
        count(
            "gatehouse_http_requests_total",
            &[route[0], route[1], ("status", "401")]
        ),
        Some(1.0)
    );
    assert_eq!(
        count("gatehouse_http_request_duration_seconds_count", &route),
        Some(3.0)
    );
    assert!(count("gatehouse_password_hash_wait_seconds_count", &[]).unwrap() >= 3.0);
    assert!(count("gatehouse_db_connection_wait_seconds_count", &[]).unwrap() > 0.0);
    assert!(count("gatehouse_db_connections", &[("state", "idle")]).is_some());
    assert!(count("gatehouse_db_connections_max", &[]).unwrap() >= 1.0);
    assert_eq!(count("gatehouse_password_hash_queue", &[]), Some(0.0));
    // Without an SMTP server the notices wait in the outbox.
    assert!(count("gatehouse_outbox_queued", &[]).unwrap() >= 1.0);
    assert!(count("gatehouse_outbox_oldest_seconds", &[]).is_some());

    // No label names a person, an account or an address.
    for private in [email.as_str(), "127.0.0.1", "@", access] {
        assert!(!text.contains(private), "{private} in the metrics");
    }
    // Only the metrics address serves them, and it serves nothing else.
    let public = server.get("/metrics", None);
    assert_eq!(public.status, 404);
    assert!(!public.text.contains("gatehouse_sign_ins_total"));
    let other = ureq::get(&format!("http://{metrics_addr}/login")).call();
    assert!(matches!(other, Err(ureq::Error::Status(404, _))));
}

fn probes_say_whether_requests_can_be_served(backend: Backend) {
    let server = Server::start(backend);
    let live = server.get("/healthz", None);
    assert_eq!(
        (live.status, live.json["status"].as_str()),
        (200, Some("ok"))
    );
    assert_eq!(live.header("cache-control"), Some("no-store"));
    assert!(
        live.header("set-cookie").is_none(),
        "a probe loads no session"
    );
    let ready = server.get("/readyz", None);
    assert_eq!(
        (ready.status, ready.json["status"].as_str()),
        (200, Some("ready")),
        "{ready:?}"
    );

    // A migration of this build is missing: not ready, and why.
    server.sql_exec(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    );
    let pending = server.get("/readyz", None);
    assert_eq!(pending.status, 503, "{pending:?}");
    assert_eq!(pending.json["reason"], "migrations pending");
    assert_eq!(
        server.get("/healthz", None).status,
        200,
        "alive all the same"
    );

    if backend == Backend::Postgres {
        // The database is gone: unreachable, and the process still answers.
        server.drop_database();
        let gone = server.get("/readyz", None);
        assert_eq!(gone.status, 503, "{gone:?}");
        assert_eq!(gone.json["reason"], "database unreachable");
        assert_eq!(server.get("/healthz", None).status, 200);
    }
}

fn sigterm_finishes_the_request_in_flight_and_refuses_new_ones(backend: Backend) {
    let mut server = Server::start(backend);
    let address = server.base.trim_start_matches("http://").to_string();
    let body = br#"{"email":"nobody@example.com","password":"not the password"}"#;
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // "100 Continue" comes once the handler reads the body: the request is in flight.
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert!(
        String::from_utf8_lossy(&interim).starts_with("HTTP/1.1 100 Continue"),
        "{}",
        String::from_utf8_lossy(&interim)
    );

    server.terminate();
    eventually("new connections are refused", || {
        TcpStream::connect(&address).is_err()
    });
    // The request in flight still gets its whole answer.
    stream.write_all(body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("invalid_credentials"), "{answer}");
    assert!(server.wait_exit().success(), "exits 0 after a SIGTERM");
}

fn json_logs_name_each_request_and_hold_no_secret(backend: Backend) {
    let server = Server::start_logged(
        backend,
        &[
            ("GATEHOUSE_LOG_FORMAT", "json"),
            ("RUST_LOG", "gatehouse=info,warn"),
        ],
    );
    // A whole sign-in with a recovery code, then a request as the user.
    let (email, secret, codes, enrolled_token) = server.enrolled_user();
    let mfa_token = server.mfa_token(&email);
    let signed_in = server.mfa(&mfa_token, "recovery_code", &codes[0]);
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let token = signed_in.json["access_token"].as_str().unwrap().to_string();
    let me = server.get("/api/v1/me", Some(&token));
    let id = me.header("x-request-id").expect("a request id").to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let other = server.get("/api/v1/me", Some(&token));
    assert_ne!(
        other.header("x-request-id"),
        Some(id.as_str()),
        "one id per request"
    );
    // A client's own id is not taken.
    let forged = ureq::get(&server.url("/api/v1/me"))
        .set("Authorization", &format!("Bearer {token}"))
        .set("X-Request-Id", "forged-id")
        .call()
        .unwrap();
    assert_ne!(forged.header("x-request-id"), Some("forged-id"));
    assert_eq!(server.get("/healthz", None).status, 200);

    eventually("the request's line is logged", || {
        server.log().contains(&id)
    });
    let log = server.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let answered = lines
        .iter()
        .find(|l| l["span"]["request_id"] == id.as_str() && l["fields"]["message"] == "answered")
        .expect("the request's line");
    assert_eq!(answered["fields"]["status"], 200);
    assert!(answered["fields"]["latency_ms"].is_number());
    assert_eq!(answered["span"]["route"], "/api/v1/me");
    assert_eq!(answered["span"]["method"], "GET");
    assert_eq!(answered["span"]["user_id"], server.user_id(&email));
    assert!(
        !lines.iter().any(|l| l["span"]["route"] == "/healthz"),
        "probes are not logged"
    );
    // Nothing secret was written: not the password, a code, a token or the key.
    let key = base32_encode(&secret);
    for secret in [
        PASSWORD,
        codes[0].as_str(),
        codes[1].as_str(),
        mfa_token.as_str(),
        token.as_str(),
        enrolled_token.as_str(),
        key.as_str(),
    ] {
        assert!(!log.contains(secret), "the log holds a secret: {secret}");
    }
}

/// RFC 4648 base32 without padding, as authenticator apps take a key.
fn base32_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            out.push(ALPHABET[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}
