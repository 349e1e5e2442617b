//! The support desk over HTTP, on SQLite and on PostgreSQL: the support code
//! a signed-in person reads out to the desk.

mod common;

use std::collections::HashSet;
use std::thread;

use common::*;
use serde_json::json;

on_both_databases!(
    the_support_code_stays_until_replaced_and_is_never_stored_in_clear,
    pages_opened_at_once_show_one_support_code,
    the_support_page_shows_the_code_and_a_new_one_on_demand,
    new_support_codes_are_rate_limited,
);

fn the_support_code_stays_until_replaced_and_is_never_stored_in_clear(backend: Backend) {
    let server = Server::start(backend);
    let (_, _, _, token) = server.enrolled_user();
    assert_eq!(server.get("/api/v1/support/code", None).status, 401);

    let first = server.get("/api/v1/support/code", Some(&token));
    assert_eq!(first.status, 200, "{first:?}");
    let code = first.json["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 8);
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    let expires_at = first.json["expires_at"].as_i64().unwrap();
    assert!(
        (expires_at - now() as i64 - 3600).abs() <= 5,
        "{expires_at}"
    );
    assert_eq!(
        server.get("/api/v1/support/code", Some(&token)).json,
        first.json
    );

    let renewed = server.post("/api/v1/support/code", json!({}), Some(&token));
    assert_eq!(renewed.status, 200, "{renewed:?}");
    assert_eq!(
        server.get("/api/v1/support/code", Some(&token)).json,
        renewed.json
    );
    assert_eq!(
        server.number("SELECT COUNT(*) FROM audit_log WHERE action = 'support.code_created'"),
        2
    );
    // Neither the code nor its digits sit in the database as text.
    let shown = renewed.json["code"].as_str().unwrap();
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE details LIKE '%{shown}%'"
        )),
        0
    );
}

fn pages_opened_at_once_show_one_support_code(backend: Backend) {
    let server = Server::start(backend);
    let (_, _, _, token) = server.enrolled_user();
    let codes: HashSet<String> = thread::scope(|scope| {
        let running: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| server.get("/api/v1/support/code", Some(&token))))
            .collect();
        running
            .into_iter()
            .map(|t| {
                let reply = t.join().unwrap();
                assert_eq!(reply.status, 200, "{reply:?}");
                reply.json["code"].as_str().unwrap().to_string()
            })
            .collect()
    });
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(
        server.number("SELECT COUNT(*) FROM audit_log WHERE action = 'support.code_created'"),
        1
    );
}

fn the_support_page_shows_the_code_and_a_new_one_on_demand(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, _, token) = server.enrolled_user();
    let session = browser_session(&server, &email, &secret);
    let code = server.get("/api/v1/support/code", Some(&token)).json["code"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = page(&server, "/support", Some(&session));
    assert_eq!(shown.status, 200);
    assert!(shown.text.contains("Your support code"), "{}", shown.text);
    assert!(shown.text.contains(&code), "{}", shown.text);
    assert!(shown
        .text
        .contains("Support never calls or emails you to ask for it"));

    let renewed = form(&server, "/sfn/new_support_code", Some(&session), &[]);
    assert_eq!(
        renewed.header("location"),
        Some("/support?notice=support_code_new"),
        "{renewed:?}"
    );
    let new_code = server.get("/api/v1/support/code", Some(&token)).json["code"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(page(&server, "/support", Some(&session))
        .text
        .contains(&new_code));

    // Without a session: the sign-in page, and no code is made.
    let anonymous = page(&server, "/support", None);
    assert!(!anonymous.text.contains(&new_code));
}

fn new_support_codes_are_rate_limited(backend: Backend) {
    let server = Server::start(backend);
    let (_, _, _, token) = server.enrolled_user();
    for _ in 0..5 {
        let renewed = server.post("/api/v1/support/code", json!({}), Some(&token));
        assert_eq!(renewed.status, 200, "{renewed:?}");
    }
    let refused = server.post("/api/v1/support/code", json!({}), Some(&token));
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(refused.json["error"], "rate_limited");
    assert!(refused.header("retry-after").is_some());
    // The live code still shows, and the refusals wrote nothing.
    assert_eq!(server.get("/api/v1/support/code", Some(&token)).status, 200);
    assert_eq!(
        server.number("SELECT COUNT(*) FROM audit_log WHERE action = 'support.code_created'"),
        5
    );
}
