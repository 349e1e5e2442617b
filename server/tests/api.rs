//! The JSON API against a running server, on SQLite and on PostgreSQL.

mod common;

use common::*;
use serde_json::json;

on_both_databases!(
    password_only_sign_in_gives_a_bearer_token,
    enrollment_at_sign_in_sets_up_totp_and_recovery_codes,
    totp_sign_in_blocks_replay,
    recovery_code_is_single_use_under_concurrency,
    five_wrong_codes_void_the_token_and_lock_the_second_factor,
    unknown_email_and_wrong_password_look_the_same,
    ten_password_failures_start_a_delay_for_known_and_unknown_accounts,
    client_ip_rate_limit_answers_429,
    reset_ends_every_token_and_asks_for_a_new_factor,
    regenerated_recovery_codes_replace_the_old_set,
    logout_revokes_the_token,
    malformed_requests_get_clear_errors,
    signed_in_user_can_turn_on_mfa,
);

fn password_only_sign_in_gives_a_bearer_token(backend: Backend) {
    let server = Server::start(backend);
    let email = server.user("member");
    let login = server.login(&email, PASSWORD);
    assert_eq!(login.status, 200, "{login:?}");
    assert_eq!(login.json["status"], "authenticated");
    assert_eq!(login.json["token_type"], "Bearer");
    assert_eq!(login.json["expires_in"], 12 * 3600);
    let token = login.json["access_token"].as_str().unwrap();
    assert!(token.len() >= 43, "256-bit token");

    let me = server.get("/api/v1/me", Some(token));
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.json["email"], email.as_str());
    assert_eq!(me.json["organization"], "Test Co");
    assert_eq!(me.json["role"], "member");
    assert_eq!(me.json["mfa"]["factors"], json!([]));
    assert_eq!(me.json["mfa"]["recovery_codes_left"], 0);

    assert_eq!(server.get("/api/v1/me", None).json["error"], "unauthorized");
    assert_eq!(server.get("/api/v1/me", Some("not-a-token")).status, 401);
}

fn enrollment_at_sign_in_sets_up_totp_and_recovery_codes(backend: Backend) {
    let server = Server::start(backend);
    let email = server.user("owner");
    let login = server.login(&email, PASSWORD);
    assert_eq!(login.status, 200);
    assert_eq!(login.json["status"], "enrollment_required");
    let token = login.json["mfa_token"].as_str().unwrap();

    // The enrollment token is not a session: nothing else accepts it.
    assert_eq!(server.get("/api/v1/me", Some(token)).status, 401);

    let setup = server.post(
        "/api/v1/mfa/totp/setup",
        json!({ "mfa_token": token }),
        None,
    );
    assert_eq!(setup.status, 200, "{setup:?}");
    let secret_text = setup.json["secret"].as_str().unwrap();
    let secret = base32_decode(secret_text);
    assert_eq!(secret.len(), 20);
    let uri = setup.json["otpauth_uri"].as_str().unwrap();
    let account = email.replace('@', "%40");
    assert_eq!(
        uri,
        format!("otpauth://totp/Gatehouse:{account}?secret={secret_text}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30")
    );
    assert!(setup.json["qr_svg"].as_str().unwrap().contains("<svg"));

    // Asking again shows the same secret (a reload must not invalidate a scanned QR code).
    let again = server.post(
        "/api/v1/mfa/totp/setup",
        json!({ "mfa_token": token }),
        None,
    );
    assert_eq!(again.json["secret"], setup.json["secret"]);

    let wrong = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "mfa_token": token, "code": wrong_code(&secret) }),
        None,
    );
    assert_eq!(
        (wrong.status, wrong.json["error"].as_str()),
        (401, Some("invalid_code"))
    );

    let confirm = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "mfa_token": token, "code": totp_now(&secret) }),
        None,
    );
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert_eq!(confirm.json["status"], "authenticated");
    let codes = confirm.json["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.as_str().unwrap().len() == 14));

    let me = server.get("/api/v1/me", confirm.json["access_token"].as_str());
    assert_eq!(me.json["mfa"]["factors"].as_array().unwrap().len(), 1);
    assert_eq!(me.json["mfa"]["factors"][0]["kind"], "totp");
    assert_eq!(me.json["mfa"]["recovery_codes_left"], 10);

    // The token is used up.
    let reuse = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "mfa_token": token, "code": totp_next(&secret) }),
        None,
    );
    assert_eq!(reuse.json["error"], "mfa_token_invalid");

    // Next sign-in asks for the factor.
    let next = server.login(&email, PASSWORD);
    assert_eq!(next.json["status"], "mfa_required");
    assert_eq!(
        next.json["methods"],
        json!(["totp", "recovery_code", "email_otp"])
    );
}

fn totp_sign_in_blocks_replay(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, codes, _) = server.enrolled_user();
    let code = totp_next(&secret);
    let first = server.mfa(&server.mfa_token(&email), "totp", &code);
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.json["status"], "authenticated");

    // Called what it is, and counted as a wrong code all the same.
    let replay = server.mfa(&server.mfa_token(&email), "totp", &code);
    assert_eq!(
        (replay.status, replay.json["error"].as_str()),
        (401, Some("code_used"))
    );
    assert_eq!(replay.json["tries_left"], 4, "{replay:?}");
    assert!(replay.json["message"]
        .as_str()
        .unwrap()
        .contains("already used"));
    // An older step than the last one used is refused as well.
    let older = server.mfa(&server.mfa_token(&email), "totp", &totp_now(&secret));
    assert_eq!(older.json["error"], "code_used");
    assert_eq!(older.json["tries_left"], 3, "{older:?}");

    // A recovery code crossed off is "already used" too; a right one clears the count.
    let crossed_off = server.mfa(&server.mfa_token(&email), "recovery_code", &codes[0]);
    assert_eq!(crossed_off.status, 200, "{crossed_off:?}");
    let again = server.mfa(&server.mfa_token(&email), "recovery_code", &codes[0]);
    assert_eq!(
        (again.status, again.json["error"].as_str()),
        (401, Some("code_used"))
    );
    assert_eq!(again.json["tries_left"], 4, "{again:?}");
    let unknown = server.mfa(&server.mfa_token(&email), "recovery_code", "AAAA-BBBB-CCCC");
    assert_eq!(unknown.json["error"], "invalid_code");
}

fn recovery_code_is_single_use_under_concurrency(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, codes, _) = server.enrolled_user();
    let tokens: Vec<String> = (0..20).map(|_| server.mfa_token(&email)).collect();
    let code = codes[0].clone();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = tokens
            .iter()
            .map(|token| {
                let (server, code) = (&server, &code);
                scope.spawn(move || server.mfa(token, "recovery_code", code).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "exactly one success: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 401, 429].contains(s)),
        "{statuses:?}"
    );
}

fn five_wrong_codes_void_the_token_and_lock_the_second_factor(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, codes, _) = server.enrolled_user();
    let token = server.mfa_token(&email);
    let wrong = wrong_code(&secret);
    for attempt in 1..=5 {
        let r = server.mfa(&token, "totp", &wrong);
        assert_eq!(
            (r.status, r.json["error"].as_str()),
            (401, Some("invalid_code")),
            "attempt {attempt}"
        );
        // Each refusal says how many codes may still be tried.
        assert_eq!(
            r.json["tries_left"],
            5 - attempt,
            "attempt {attempt}: {r:?}"
        );
    }
    let sixth = server.mfa(&token, "totp", &totp_next(&secret));
    assert_eq!(
        (sixth.status, sixth.json["error"].as_str()),
        (401, Some("mfa_token_invalid"))
    );

    // Five failures in five minutes lock the user's second factor, whatever the token.
    let fresh = server.mfa(&server.mfa_token(&email), "recovery_code", &codes[0]);
    assert_eq!(fresh.status, 429, "{fresh:?}");
    assert_eq!(fresh.json["error"], "rate_limited");
    let retry: i64 = fresh.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
}

fn unknown_email_and_wrong_password_look_the_same(backend: Backend) {
    let server = Server::start(backend);
    let email = server.user("member");
    let wrong_password = server.login(&email, "not the password");
    let unknown = server.login("nobody-here@example.com", "not the password");
    assert_eq!(wrong_password.status, 401);
    assert_eq!(wrong_password.json["error"], "invalid_credentials");
    assert_eq!(
        (wrong_password.status, &wrong_password.text),
        (unknown.status, &unknown.text)
    );
}

fn ten_password_failures_start_a_delay_for_known_and_unknown_accounts(backend: Backend) {
    let server = Server::start(backend);
    let known = server.user("member");
    for email in [known.as_str(), "unknown-account@example.com"] {
        for _ in 0..10 {
            assert_eq!(server.login(email, "wrong password!").status, 401);
        }
        let refused = server.login(email, PASSWORD);
        assert_eq!(refused.status, 429, "{email}: {refused:?}");
        assert_eq!(refused.json["error"], "rate_limited");
        let retry: i64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry));
    }
    let other = server.user("member");
    assert_eq!(
        server.login(&other, PASSWORD).status,
        200,
        "other accounts are unaffected"
    );
}

fn client_ip_rate_limit_answers_429(backend: Backend) {
    let server = Server::start_with(backend, &[("GATEHOUSE_LOGIN_RATE_LIMIT", "3")]);
    let email = server.user("member");
    for _ in 0..3 {
        assert_eq!(server.login(&email, PASSWORD).status, 200);
    }
    let limited = server.login(&email, PASSWORD);
    assert_eq!(limited.status, 429);
    assert_eq!(limited.json["error"], "rate_limited");
    assert!(limited.header("retry-after").is_some());
}

fn reset_ends_every_token_and_asks_for_a_new_factor(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, codes, first_token) = server.enrolled_user();
    let second = server.mfa(&server.mfa_token(&email), "totp", &totp_next(&secret));
    let second_token = second.json["access_token"].as_str().unwrap().to_string();

    let refused = server.post(
        "/api/v1/mfa/reset",
        json!({ "password": "wrong password" }),
        Some(&first_token),
    );
    assert_eq!(refused.status, 401);
    assert_eq!(
        server.get("/api/v1/me", Some(&first_token)).status,
        200,
        "a refused reset changes nothing"
    );

    let reset = server.post(
        "/api/v1/mfa/reset",
        json!({ "password": PASSWORD }),
        Some(&first_token),
    );
    assert_eq!(reset.status, 204, "{reset:?}");
    for token in [&first_token, &second_token] {
        assert_eq!(server.get("/api/v1/me", Some(token)).status, 401);
    }
    let login = server.login(&email, PASSWORD);
    assert_eq!(
        login.json["status"], "enrollment_required",
        "owner must enroll again"
    );
    // Old recovery codes are gone with the factors.
    assert_eq!(
        server
            .mfa(
                login.json["mfa_token"].as_str().unwrap(),
                "recovery_code",
                &codes[1]
            )
            .status,
        401
    );
}

fn regenerated_recovery_codes_replace_the_old_set(backend: Backend) {
    let server = Server::start(backend);
    let (email, _, old_codes, token) = server.enrolled_user();
    assert_eq!(
        server
            .post(
                "/api/v1/mfa/recovery-codes",
                json!({ "password": "nope nope" }),
                Some(&token)
            )
            .status,
        401
    );
    let fresh = server.post(
        "/api/v1/mfa/recovery-codes",
        json!({ "password": PASSWORD }),
        Some(&token),
    );
    assert_eq!(fresh.status, 200, "{fresh:?}");
    let new_codes: Vec<String> = fresh.json["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().into())
        .collect();
    assert_eq!(new_codes.len(), 10);

    let old = server.mfa(&server.mfa_token(&email), "recovery_code", &old_codes[0]);
    assert_eq!(old.json["error"], "invalid_code");
    let new = server.mfa(
        &server.mfa_token(&email),
        "recovery_code",
        &new_codes[0].to_lowercase().replace('-', ""),
    );
    assert_eq!(
        new.status, 200,
        "codes are case- and dash-insensitive: {new:?}"
    );
    assert_eq!(new.json["recovery_codes_left"], 9);
}

fn logout_revokes_the_token(backend: Backend) {
    let server = Server::start(backend);
    let email = server.user("member");
    let token = server.login(&email, PASSWORD).json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        server
            .post("/api/v1/auth/logout", json!({}), Some(&token))
            .status,
        204
    );
    assert_eq!(server.get("/api/v1/me", Some(&token)).status, 401);
}

fn malformed_requests_get_clear_errors(backend: Backend) {
    let server = Server::start(backend);
    let missing = server.post(
        "/api/v1/auth/login",
        json!({ "email": "a@example.com" }),
        None,
    );
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json["error"], "invalid_request");
    assert!(missing.json["message"]
        .as_str()
        .unwrap()
        .contains("password"));
    let method = server.mfa("whatever", "carrier-pigeon", "123456");
    assert_eq!(method.json["error"], "invalid_request");
    let bogus = server.mfa("not-a-token", "totp", "123456");
    assert_eq!(
        (bogus.status, bogus.json["error"].as_str()),
        (401, Some("mfa_token_invalid"))
    );
    assert_eq!(
        server.get("/api/v1/nothing-here", None).json["error"],
        "not_found"
    );
}

fn signed_in_user_can_turn_on_mfa(backend: Backend) {
    let server = Server::start(backend);
    let email = server.user("member");
    let token = server.login(&email, PASSWORD).json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let setup = server.post("/api/v1/mfa/totp/setup", json!({}), Some(&token));
    assert_eq!(setup.status, 200, "{setup:?}");
    let secret = base32_decode(setup.json["secret"].as_str().unwrap());
    // A name that is not one is refused before the code is looked at.
    let unnamed = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "code": totp_now(&secret), "name": "x".repeat(41) }),
        Some(&token),
    );
    assert_eq!(unnamed.status, 400, "{unnamed:?}");
    let confirm = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "code": totp_now(&secret), "name": " Work  phone " }),
        Some(&token),
    );
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert_eq!(confirm.json["recovery_codes"].as_array().unwrap().len(), 10);
    assert_eq!(
        server.login(&email, PASSWORD).json["status"],
        "mfa_required"
    );
    let factor = &server.get("/api/v1/me", Some(&token)).json["mfa"]["factors"][0];
    assert_eq!(factor["label"], "Work phone");

    // Renamed later; only one's own, and only with a name.
    let path = format!("/api/v1/me/factors/{}", factor["id"]);
    let renamed = server.call(
        "PATCH",
        &path,
        Some(json!({ "name": "Old iPhone" })),
        Some(&token),
    );
    assert_eq!(renamed.status, 200, "{renamed:?}");
    assert_eq!(renamed.json["label"], "Old iPhone");
    for bad in ["", "   ", "a\u{202E}"] {
        let reply = server.call("PATCH", &path, Some(json!({ "name": bad })), Some(&token));
        if bad == "a\u{202E}" {
            // The invisible override is dropped: "a" is a name.
            assert_eq!(reply.status, 200, "{reply:?}");
            continue;
        }
        assert_eq!(reply.status, 400, "{bad:?}: {reply:?}");
    }
    let (_, _, _, other) = server.enrolled_user();
    let foreign = server.call(
        "PATCH",
        &path,
        Some(json!({ "name": "Mine now" })),
        Some(&other),
    );
    assert_eq!(foreign.status, 404, "{foreign:?}");
    assert_eq!(audited(&server, &["mfa.factor_renamed"]), 2);
}
