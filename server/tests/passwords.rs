//! Passwords over HTTP, on SQLite and PostgreSQL: "Forgot password?" answers
//! alike for every address and mails only real accounts, within a limit; its
//! link works once, ends every session and never skips the second factor;
//! "Change password" needs the current password and a recent sign-in and
//! ends every other session. The link's 30 minutes are core's flow test
//! (core/tests/time_rules.rs).

mod common;

use std::thread;

use common::*;
use serde_json::json;

on_both_databases!(
    forgot_password_answers_alike_and_mails_only_real_accounts,
    a_password_link_sets_a_new_password_once_and_never_skips_mfa,
    change_password_needs_the_current_one_a_recent_sign_in_and_ends_other_sessions,
    password_input_is_bounded_and_checked,
);

const NEW_PASSWORD: &str = "a completely new passphrase";

fn forgot(server: &Server, email: &str) -> Reply {
    server.post(
        "/api/v1/auth/password/forgot",
        json!({ "email": email }),
        None,
    )
}

/// The newest password link mailed to `email`, as a path on the server.
fn password_link(server: &Server, email: &str) -> Option<String> {
    mailed_path(server, email, "/password/reset?token=")
}

fn sessions_of(server: &Server, email: &str) -> i64 {
    server.number(&format!(
        "SELECT COUNT(*) FROM sessions WHERE user_id = {}",
        server.user_id(email)
    ))
}

fn token_of(path: &str) -> String {
    path.split("token=").nth(1).unwrap().to_string()
}

/// Every "Forgot password?" request handled, sent or not.
fn handled(server: &Server) -> i64 {
    audited(
        server,
        &["password.reset_link_sent", "password.reset_not_sent"],
    )
}

/// Asks for a link and waits for it; its path.
fn request_link(server: &Server, email: &str) -> String {
    let before = links_sent(server, email);
    assert_eq!(forgot(server, email).status, 202);
    eventually("the link mailed", || links_sent(server, email) > before);
    password_link(server, email).unwrap()
}

fn links_sent(server: &Server, email: &str) -> usize {
    mailed_links(server, email, "/password/reset?token=")
}

fn forgot_password_answers_alike_and_mails_only_real_accounts(backend: Backend) {
    let server = Server::start(backend);
    let member = server.user("member");
    let deactivated = server.user("member");
    server.sql_exec(&format!(
        "UPDATE users SET disabled_at = 1 WHERE email = '{deactivated}'"
    ));
    let unknown = "nobody-here@example.com";

    // The API: the same status and body for every address.
    let answers: Vec<(u16, String)> = [
        member.as_str(),
        deactivated.as_str(),
        unknown,
        "not an address",
    ]
    .iter()
    .map(|email| {
        let reply = forgot(&server, email);
        (reply.status, reply.json.to_string())
    })
    .collect();
    assert_eq!(answers[0].0, 202, "{answers:?}");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");

    // The browser form: the same place to go for a known and an unknown address.
    let known = form(&server, "/sfn/forgot_password", None, &[("email", &member)]);
    let other = form(&server, "/sfn/forgot_password", None, &[("email", unknown)]);
    assert_eq!(
        known.header("location"),
        Some("/login?notice=password_link_sent")
    );
    assert_eq!(known.header("location"), other.header("location"));

    // Only the real, active account gets a link (two so far: API and form),
    // sent after the answer.
    eventually("six requests handled", || handled(&server) == 6);
    assert_eq!(links_sent(&server, &member), 2);
    assert_eq!(links_sent(&server, &deactivated), 0);
    assert!(mail_to(&server, unknown).is_empty());

    // 30 at once for one account: the per-account limit (3 an hour) holds,
    // and every answer is still the same 202.
    let flood = server.user("member");
    let statuses: Vec<u16> = thread::scope(|s| {
        let handles: Vec<_> = (0..30)
            .map(|_| s.spawn(|| forgot(&server, &flood).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    eventually("the flood handled", || handled(&server) == 36);
    assert_eq!(links_sent(&server, &flood), 3);
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM audit_log a JOIN users u ON u.id = a.subject_id \
             WHERE u.email = '{flood}' AND a.action = 'password.reset_not_sent'"
        )),
        27,
        "each silent refusal is audited"
    );
}

fn a_password_link_sets_a_new_password_once_and_never_skips_mfa(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, codes, token) = server.enrolled_user();
    let session = browser_session(&server, &email, &secret);

    let first = request_link(&server, &email);
    let link = request_link(&server, &email);
    assert_ne!(first, link);

    // Opening the page (a mail scanner, a preview) changes nothing.
    for _ in 0..2 {
        let shown = page(&server, &link, None);
        assert_eq!(shown.status, 200);
        assert!(shown.text.contains(&email), "the page names the account");
        assert!(shown.text.contains("Set password"));
    }

    // A password the policy refuses leaves the link working.
    let weak = form(
        &server,
        "/sfn/reset_password",
        None,
        &[
            ("token", &token_of(&link)),
            ("password", "password"),
            ("code", ""),
        ],
    );
    assert!(
        weak.header("location")
            .unwrap()
            .contains("error=weak_password"),
        "{weak:?}"
    );

    // The account has an authenticator: the mailbox alone is not enough.
    for code in ["", "000000"] {
        let without = form(
            &server,
            "/sfn/reset_password",
            None,
            &[
                ("token", &token_of(&link)),
                ("password", NEW_PASSWORD),
                ("code", code),
            ],
        );
        assert!(
            without
                .header("location")
                .unwrap()
                .contains("error=invalid_code"),
            "{without:?}"
        );
    }
    assert!(page(&server, &link, None)
        .text
        .contains("Authentication code"));
    let done = form(
        &server,
        "/sfn/reset_password",
        None,
        &[
            ("token", &token_of(&link)),
            ("password", NEW_PASSWORD),
            ("code", &codes[0]),
        ],
    );
    assert_eq!(
        done.header("location"),
        Some("/login?notice=password_reset"),
        "{done:?}"
    );

    // Once: a replay, and the earlier link, do nothing.
    for used in [&link, &first] {
        let again = form(
            &server,
            "/sfn/reset_password",
            None,
            &[
                ("token", &token_of(used)),
                ("password", "yet another passphrase"),
                ("code", &codes[1]),
            ],
        );
        assert!(
            again
                .header("location")
                .unwrap()
                .contains("error=link_invalid"),
            "{again:?}"
        );
        assert!(page(&server, used, None)
            .text
            .contains("expired or was already used"));
    }

    // Every session and token ended.
    assert_eq!(server.get("/api/v1/me", Some(&token)).status, 401);
    assert_eq!(
        sessions_of(&server, &email),
        0,
        "the browser session {session} ended"
    );

    // The new password works — and still asks for the second factor.
    assert_eq!(server.login(&email, PASSWORD).status, 401);
    let login = server.login(&email, NEW_PASSWORD);
    assert_eq!(login.json["status"], "mfa_required", "{login:?}");
    let mfa_token = login.json["mfa_token"].as_str().unwrap();
    let signed_in = server.mfa(mfa_token, "recovery_code", &codes[1]);
    assert_eq!(signed_in.json["status"], "authenticated", "{signed_in:?}");

    assert!(mail_to(&server, &email)
        .iter()
        .any(|m| m.contains("Your password was reset with a link")));
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE subject_id = {} AND action = 'password.changed'",
            server.user_id(&email)
        )),
        1
    );

    // A link past its 30 minutes (aged in the database) does nothing.
    let late = request_link(&server, &email);
    server.sql_exec("UPDATE account_links SET expires_at = 1 WHERE used_at IS NULL");
    assert!(page(&server, &late, None)
        .text
        .contains("expired or was already used"));
    let refused = form(
        &server,
        "/sfn/reset_password",
        None,
        &[
            ("token", &token_of(&late)),
            ("password", "yet another passphrase"),
            ("code", &codes[1]),
        ],
    );
    assert!(refused
        .header("location")
        .unwrap()
        .contains("error=link_invalid"));
    assert_eq!(
        server.login(&email, NEW_PASSWORD).json["status"],
        "mfa_required"
    );
}

fn change_password_needs_the_current_one_a_recent_sign_in_and_ends_other_sessions(
    backend: Backend,
) {
    let server = Server::start(backend);
    // Each sign-in below uses a recovery code: an authenticator's code works once.
    let (email, secret, codes, token) = server.enrolled_user();
    let other = server.mfa(&server.mfa_token(&email), "recovery_code", &codes[0]);
    let other_token = other.json["access_token"].as_str().unwrap().to_string();
    let session = browser_session(&server, &email, &secret);
    let change = |current: &str, new: &str, bearer: &str| {
        server.post(
            "/api/v1/me/password",
            json!({ "current_password": current, "new_password": new }),
            Some(bearer),
        )
    };

    let wrong = change("not my password", NEW_PASSWORD, &token);
    assert_eq!(
        (wrong.status, wrong.json["error"].as_str()),
        (401, Some("invalid_password"))
    );
    let weak = change(PASSWORD, "password", &token);
    assert_eq!(weak.status, 400, "{weak:?}");
    let same = change(PASSWORD, PASSWORD, &token);
    assert_eq!(same.status, 400, "{same:?}");

    // A token older than the step-up window (aged in the database) is refused.
    server.sql_exec(&format!(
        "UPDATE api_tokens SET created_at = created_at - 600 WHERE user_id = {}",
        server.user_id(&email)
    ));
    let stale = change(PASSWORD, NEW_PASSWORD, &token);
    assert_eq!(
        (stale.status, stale.json["error"].as_str()),
        (403, Some("step_up_required"))
    );
    assert_eq!(
        server.login(&email, PASSWORD).json["status"],
        "mfa_required"
    );

    // A fresh sign-in changes it; this token stays, every other one ends.
    let fresh = server.mfa(&server.mfa_token(&email), "recovery_code", &codes[1]);
    let fresh = fresh.json["access_token"].as_str().unwrap().to_string();
    let changed = change(PASSWORD, NEW_PASSWORD, &fresh);
    assert_eq!(changed.status, 204, "{changed:?}");
    assert_eq!(server.get("/api/v1/me", Some(&fresh)).status, 200);
    for ended in [&token, &other_token] {
        assert_eq!(server.get("/api/v1/me", Some(ended)).status, 401);
    }
    assert_eq!(
        sessions_of(&server, &email),
        0,
        "the browser session {session} ended"
    );
    assert_eq!(server.login(&email, PASSWORD).status, 401);
    assert_eq!(
        server.login(&email, NEW_PASSWORD).json["status"],
        "mfa_required"
    );
    assert!(mail_to(&server, &email)[0].contains("Your password was changed from My profile"));

    // In the browser: the same, and this browser stays signed in.
    let pending = password_stage_with(&server, &email, NEW_PASSWORD);
    let signed_in = form(
        &server,
        "/sfn/verify_code",
        Some(&pending),
        &[("method", "recovery_code"), ("code", &codes[2])],
    );
    assert!(
        signed_in
            .header("location")
            .unwrap()
            .starts_with("/?codes_left="),
        "{signed_in:?}"
    );
    let browser = session_cookie(&signed_in).unwrap();
    let done = form(
        &server,
        "/sfn/change_password",
        Some(&browser),
        &[
            ("current_password", NEW_PASSWORD),
            ("new_password", "the third passphrase here"),
        ],
    );
    assert_eq!(
        done.header("location"),
        Some("/profile?notice=password_changed"),
        "{done:?}"
    );
    assert_eq!(
        sessions_of(&server, &email),
        1,
        "this browser stays signed in"
    );
    let cycled = session_cookie(&done).unwrap_or(browser);
    let profile = page(&server, "/profile?notice=password_changed", Some(&cycled));
    assert!(
        profile.text.contains("Your password was changed"),
        "{profile:?}"
    );
    assert_eq!(server.get("/api/v1/me", Some(&fresh)).status, 401);
}

fn password_input_is_bounded_and_checked(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, _, token) = server.enrolled_user();
    let oversized = post_raw(
        &server,
        "/api/v1/auth/password/forgot",
        "application/json",
        2 * 1024 * 1024,
    );
    assert!(oversized.starts_with("HTTP/1.1 413"), "{oversized:?}");
    let control = forgot(&server, "ann@example.com\r\nBcc: eve@example.com");
    assert_eq!(control.status, 400, "{control:?}");
    let long = server.post(
        "/api/v1/me/password",
        json!({ "current_password": PASSWORD, "new_password": "y".repeat(10_000) }),
        Some(&token),
    );
    assert_eq!(long.status, 400, "too long for the policy: {long:?}");
    let missing = server.post("/api/v1/me/password", json!({}), Some(&token));
    assert_eq!(missing.status, 400);
    let anonymous = server.post(
        "/api/v1/me/password",
        json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
        None,
    );
    assert_eq!(anonymous.status, 401);
    let made_up = form(
        &server,
        "/sfn/reset_password",
        None,
        &[
            ("token", "made-up"),
            ("password", NEW_PASSWORD),
            ("code", ""),
        ],
    );
    assert!(made_up
        .header("location")
        .unwrap()
        .contains("error=link_invalid"));
    assert_eq!(
        server.login(&email, PASSWORD).json["status"],
        "mfa_required",
        "nothing changed"
    );
}
