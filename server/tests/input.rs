//! Hostile input over HTTP, on SQLite and PostgreSQL: control characters in
//! values bound for a redirect or the database, absurd page numbers, malformed
//! query strings and paths, oversized bodies. Each is refused with a 4xx — as
//! JSON under `/api/v1` — and the server carries on serving.

mod common;

use common::*;
use serde_json::json;

on_both_databases!(
    control_characters_bound_for_a_redirect_answer_400,
    huge_pages_and_nul_bytes_answer_400_not_503,
    the_api_offers_only_what_an_api_client_can_finish,
    every_api_error_is_json,
    an_oversized_server_function_body_answers_413,
);

fn assert_invalid(reply: &Reply, what: &str) {
    assert_eq!(
        (reply.status, reply.json["error"].as_str()),
        (400, Some("invalid_request")),
        "{what}: {reply:?}"
    );
}

fn control_characters_bound_for_a_redirect_answer_400(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, _, _) = server.enrolled_user();
    let session = browser_session(&server, &email, &secret);

    for path in [
        "/login/link?token=abc%0D%0ASet-Cookie:%20x=1",
        "/invite?token=abc%0A",
        "/confirm-identity?next=/profile%0A",
        "/admin?q=%00",
    ] {
        assert_invalid(&page(&server, path, Some(&session)), path);
    }

    let code = totp_now(&secret);
    let posts: [(&str, Vec<(&str, &str)>); 4] = [
        ("/sfn/complete_link", vec![("token", "abc\r\nX: y")]),
        (
            "/sfn/accept_invitation",
            vec![("token", "abc\n"), ("password", PASSWORD)],
        ),
        (
            "/sfn/confirm_identity",
            vec![
                ("password", PASSWORD),
                ("code", &code),
                ("next", "/profile\n"),
            ],
        ),
        (
            "/sfn/admin_user_action",
            vec![
                ("action", "unlock"),
                ("user_id", "1"),
                ("back", "/admin?q=\u{1}"),
            ],
        ),
    ];
    for (path, fields) in &posts {
        assert_invalid(&form(&server, path, Some(&session), fields), path);
    }

    // Nothing was dropped or done, and the server carries on.
    assert_eq!(page(&server, "/login", None).status, 200);
    let profile = page(&server, "/profile", Some(&session));
    assert_eq!(profile.status, 200, "still signed in: {profile:?}");
}

fn huge_pages_and_nul_bytes_answer_400_not_503(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "acme", None);
    let admin = server.account("acme", "admin");
    let huge = i64::MAX.to_string();
    for path in [
        format!("/api/v1/admin/users?page={huge}"),
        format!("/api/v1/audit?page={huge}"),
        "/api/v1/audit?page=99999999999999999999".to_string(),
    ] {
        assert_invalid(&server.get(&path, Some(&admin.token)), &path);
    }
    let last = server.get("/api/v1/admin/users?page=1000000", Some(&admin.token));
    assert_eq!(last.status, 200, "a far page is just empty: {last:?}");
    assert_eq!(last.json["users"], json!([]));

    let session = browser_session(&server, &admin.email, &admin.secret);
    for path in ["/admin", "/audit"] {
        let reply = page(&server, &format!("{path}?page={huge}"), Some(&session));
        assert!(reply.status < 500, "{path}: {reply:?}");
        assert!(
            reply.text.contains("page must be between 1 and 1000000"),
            "{path}: {}",
            reply.text
        );
    }

    // A NUL byte is no account: the same 400 whether the rest names one or not.
    for email in [format!("{}\0", admin.email), "nobody\0@example.com".into()] {
        assert_invalid(&server.login(&email, PASSWORD), "API sign-in");
        assert_invalid(
            &form(
                &server,
                "/sfn/login",
                None,
                &[("email", &email), ("password", PASSWORD)],
            ),
            "browser sign-in",
        );
    }
    assert_eq!(server.login(&admin.email, PASSWORD).status, 200);
}

fn the_api_offers_only_what_an_api_client_can_finish(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, _, _) = server.enrolled_user();
    let login = server.login(&email, PASSWORD);
    assert_eq!(
        login.json["methods"],
        json!(["totp", "recovery_code", "email_otp"]),
        "no sign-in link: only a browser can finish one"
    );
    let token = login.json["mfa_token"].as_str().unwrap();
    let link = server.post(
        "/api/v1/auth/mfa/send",
        json!({ "mfa_token": token, "method": "email_link" }),
        None,
    );
    assert_invalid(&link, "sending a sign-in link");
    assert!(
        !mail_to(&server, &email)
            .iter()
            .any(|m| m.contains("/login/link?token=")),
        "nothing was sent"
    );
    let code = server.post(
        "/api/v1/auth/mfa/send",
        json!({ "mfa_token": token, "method": "email_otp" }),
        None,
    );
    assert_eq!(code.status, 202, "{code:?}");
}

fn every_api_error_is_json(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "acme", None);
    let admin = server.account("acme", "admin");
    for path in [
        "/api/v1/admin/users?page=abc",
        "/api/v1/admin/users?role=x",
        "/api/v1/admin/roles?org=1.5",
        "/api/v1/audit?page=%FF",
        "/api/v1/admin/users/abc",
        "/api/v1/admin/users/99999999999999999999",
    ] {
        assert_invalid(&server.get(path, Some(&admin.token)), path);
    }
    for (method, path) in [
        ("POST", "/api/v1/admin/users/abc/unlock"),
        ("DELETE", "/api/v1/msp/grants/x"),
    ] {
        assert_invalid(
            &server.call(method, path, Some(json!({})), Some(&admin.token)),
            path,
        );
    }
    let wrong_method = server.call("DELETE", "/api/v1/me", None, Some(&admin.token));
    assert_eq!(
        (wrong_method.status, wrong_method.json["error"].as_str()),
        (405, Some("method_not_allowed")),
        "{wrong_method:?}"
    );
    let nul = server.post(
        "/api/v1/admin/users",
        json!({ "email": "new@example.com", "name": "A\u{0}B", "role": "member" }),
        Some(&admin.token),
    );
    assert_invalid(&nul, "a NUL in any string of a body");
}

fn an_oversized_server_function_body_answers_413(backend: Backend) {
    let server = Server::start(backend);
    for length in [100 * 1024, 3 * 1024 * 1024] {
        let status = post_raw(
            &server,
            "/sfn/login",
            "application/x-www-form-urlencoded",
            length,
        );
        assert!(
            status.starts_with("HTTP/1.1 413"),
            "{length} bytes: {status:?}"
        );
    }
    assert_eq!(
        form(
            &server,
            "/sfn/login",
            None,
            &[("email", "nobody@example.com"), ("password", PASSWORD)]
        )
        .header("location"),
        Some("/login?error=invalid_credentials&form=login"),
        "a normal form still works"
    );
}
