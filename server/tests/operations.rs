//! Running Gatehouse, on SQLite and PostgreSQL: the health and readiness
//! probes, and a graceful stop on SIGTERM.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

on_both_databases!(
    probes_say_whether_requests_can_be_served,
    sigterm_finishes_the_request_in_flight_and_refuses_new_ones,
);

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
