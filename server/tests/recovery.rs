//! "Try another method": codes and sign-in links by email, on SQLite and
//! PostgreSQL. Email is a recovery channel: it never signs in on its own, it
//! leads to setting up a new authenticator.

mod common;

use common::*;
use serde_json::json;

on_both_databases!(
    an_emailed_code_leads_to_a_new_authenticator,
    resend_waits_replaces_the_code_and_keeps_the_failure_count,
    codes_are_single_use_bound_to_their_attempt_and_expire,
    a_sign_in_link_needs_its_button_in_the_same_browser,
);

fn send(server: &Server, token: &str, method: &str) -> Reply {
    server.post(
        "/api/v1/auth/mfa/send",
        json!({ "mfa_token": token, "method": method }),
        None,
    )
}

/// The code in the newest sign-in code mail to `email`.
fn emailed_code(server: &Server, email: &str) -> String {
    let mail = mail_to(server, email)
        .into_iter()
        .find(|m| m.contains("Your sign-in code is"))
        .expect("a code mail");
    let rest = mail.split("Your sign-in code is ").nth(1).unwrap();
    rest[..6].to_string()
}

fn emailed_link(server: &Server, email: &str) -> String {
    let mail = mail_to(server, email)
        .into_iter()
        .find(|m| m.contains("/login/link?token="))
        .expect("a link mail");
    mail.lines()
        .find(|l| l.contains("/login/link?token="))
        .unwrap()
        .trim()
        .to_string()
}

fn an_emailed_code_leads_to_a_new_authenticator(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, old_codes, old_token) = server.enrolled_user();
    let login = server.login(&email, PASSWORD);
    let token = login.json["mfa_token"].as_str().unwrap();

    let sent = send(&server, token, "email_otp");
    assert_eq!(
        (sent.status, sent.json["retry_after"].as_i64()),
        (202, Some(30)),
        "{sent:?}"
    );
    let code = emailed_code(&server, &email);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(
        server.mfa(token, "email_otp", wrong).json["error"],
        "invalid_code"
    );

    let recovered = server.mfa(token, "email_otp", &code);
    assert_eq!(recovered.status, 200, "{recovered:?}");
    assert_eq!(recovered.json["status"], "enrollment_required");
    assert_eq!(recovered.json["reason"], "recovery");
    assert!(
        recovered.json.get("access_token").is_none(),
        "email alone never signs in"
    );
    let recovery_token = recovered.json["mfa_token"].as_str().unwrap();
    assert_ne!(recovery_token, token);
    assert_eq!(
        server.get("/api/v1/me", Some(recovery_token)).status,
        401,
        "the recovery token is not a session"
    );
    assert_eq!(
        server.mfa(token, "totp", "123456").json["error"],
        "mfa_token_invalid",
        "the first token is used up"
    );

    let setup = server.post(
        "/api/v1/mfa/totp/setup",
        json!({ "mfa_token": recovery_token }),
        None,
    );
    let secret = base32_decode(setup.json["secret"].as_str().unwrap());
    let confirm = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "mfa_token": recovery_token, "code": totp_now(&secret) }),
        None,
    );
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert_eq!(confirm.json["status"], "authenticated");
    assert_eq!(confirm.json["recovery_codes"].as_array().unwrap().len(), 10);

    let me = server.get("/api/v1/me", confirm.json["access_token"].as_str());
    assert_eq!(
        me.json["mfa"]["factors"].as_array().unwrap().len(),
        1,
        "the lost device is gone"
    );
    assert_eq!(
        server.get("/api/v1/me", Some(&old_token)).status,
        401,
        "old sessions ended"
    );
    let old_code = server.mfa(&server.mfa_token(&email), "recovery_code", &old_codes[0]);
    assert_eq!(
        old_code.json["error"], "invalid_code",
        "old recovery codes stopped working"
    );
    assert!(mail_to(&server, &email)
        .iter()
        .any(|m| m.contains("signed in to your account with the password and a code")));
}

fn resend_waits_replaces_the_code_and_keeps_the_failure_count(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, _, _) = server.enrolled_user();
    let token = server.mfa_token(&email);
    assert_eq!(send(&server, &token, "email_otp").status, 202);
    let again = send(&server, &token, "email_otp");
    assert_eq!(
        (again.status, again.json["error"].as_str()),
        (429, Some("rate_limited"))
    );
    let retry: i64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry));

    let quick = Server::start_with(backend, &[("GATEHOUSE_CODE_RESEND_SECONDS", "1")]);
    let (email, _, _, _) = quick.enrolled_user();
    let token = quick.mfa_token(&email);
    assert_eq!(send(&quick, &token, "email_otp").status, 202);
    let first = emailed_code(&quick, &email);
    for _ in 0..3 {
        assert_eq!(
            quick.mfa(&token, "email_otp", "999999").json["error"],
            "invalid_code"
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(send(&quick, &token, "email_otp").status, 202);
    let second = emailed_code(&quick, &email);
    if first != second {
        assert_eq!(
            quick.mfa(&token, "email_otp", &first).json["error"],
            "invalid_code",
            "the resend replaced it"
        );
    } else {
        assert_eq!(
            quick.mfa(&token, "email_otp", "999999").json["error"],
            "invalid_code"
        );
    }
    // Four failures so far; the resend did not reset them, so one more voids the token.
    assert_eq!(
        quick.mfa(&token, "email_otp", "999998").json["error"],
        "invalid_code"
    );
    assert_eq!(
        quick.mfa(&token, "email_otp", &second).json["error"],
        "mfa_token_invalid"
    );
}

fn codes_are_single_use_bound_to_their_attempt_and_expire(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, _, _) = server.enrolled_user();
    let first = server.mfa_token(&email);
    let second = server.mfa_token(&email);
    assert_eq!(send(&server, &first, "email_otp").status, 202);
    let code = emailed_code(&server, &email);
    assert_eq!(
        server.mfa(&second, "email_otp", &code).json["error"],
        "invalid_code",
        "bound to its attempt"
    );

    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|_| scope.spawn(|| server.mfa(&first, "email_otp", &code).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "exactly one use: {statuses:?}"
    );

    let third = server.mfa_token(&email);
    assert_eq!(send(&server, &third, "email_otp").status, 202);
    let code = emailed_code(&server, &email);
    sql(
        &server.db_url,
        "UPDATE oob_challenges SET expires_at = 1 WHERE used_at IS NULL",
    );
    assert_eq!(
        server.mfa(&third, "email_otp", &code).json["error"],
        "invalid_code",
        "expired"
    );
}

fn a_sign_in_link_needs_its_button_in_the_same_browser(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, _, _) = server.enrolled_user();
    let pending = password_stage(&server, &email);
    let sent = form(
        &server,
        "/sfn/send_challenge",
        Some(&pending),
        &[("method", "email_link")],
    );
    assert_eq!(
        sent.header("location"),
        Some("/login/other?notice=link_sent"),
        "{sent:?}"
    );
    let link = emailed_link(&server, &email);
    assert!(
        link.starts_with(&format!("{}/login/link?token=", server.base)),
        "built from the public URL: {link}"
    );
    let path = link.trim_start_matches(&server.base).to_string();
    let token = path.split("token=").nth(1).unwrap().to_string();

    // A mail scanner fetching the link consumes nothing.
    for _ in 0..2 {
        let landing = page(&server, &path, None);
        assert_eq!(landing.status, 200);
        assert!(landing.text.contains("Continue sign-in"));
    }
    let elsewhere = form(&server, "/sfn/complete_link", None, &[("token", &token)]);
    assert!(
        elsewhere
            .header("location")
            .unwrap()
            .ends_with("error=link_other_browser&form=complete_link"),
        "{elsewhere:?}"
    );

    let done = form(
        &server,
        "/sfn/complete_link",
        Some(&pending),
        &[("token", &token)],
    );
    assert_eq!(done.header("location"), Some("/enroll"), "{done:?}");
    let recovery = session_cookie(&done).expect("a new session id");
    assert_ne!(recovery, pending);
    assert_eq!(
        page(&server, "/profile", Some(&recovery)).header("location"),
        Some("/login"),
        "not signed in yet"
    );
    let enroll = page(&server, "/enroll", Some(&recovery));
    assert!(
        enroll.text.contains("You signed in with your email."),
        "only enrollment is reachable"
    );

    let reused = form(
        &server,
        "/sfn/complete_link",
        Some(&recovery),
        &[("token", &token)],
    );
    assert!(
        reused.header("location").unwrap().contains("error=link_"),
        "{reused:?}"
    );
    assert!(page(&server, &path, None)
        .text
        .contains("expired or was already used"));

    // A link older than 15 minutes does nothing.
    let pending = password_stage(&server, &email);
    form(
        &server,
        "/sfn/send_challenge",
        Some(&pending),
        &[("method", "email_link")],
    );
    let expired = emailed_link(&server, &email);
    sql(
        &server.db_url,
        "UPDATE oob_challenges SET expires_at = 1 WHERE used_at IS NULL",
    );
    let path = expired.trim_start_matches(&server.base).to_string();
    assert!(page(&server, &path, Some(&pending))
        .text
        .contains("expired or was already used"));
    let token = path.split("token=").nth(1).unwrap().to_string();
    let late = form(
        &server,
        "/sfn/complete_link",
        Some(&pending),
        &[("token", &token)],
    );
    assert_sent_back(
        &late,
        &format!("/login/link?token={token}&error=link_invalid&form=complete_link"),
    );
}
