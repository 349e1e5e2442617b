//! The browser's side of the server over plain HTTP (no JavaScript): session
//! cookies and their rotation, CSRF/Origin checks, security headers.

mod common;

use common::*;

on_both_databases!(
    sign_in_rotates_the_session_id_at_each_stage,
    session_cookie_has_the_right_flags,
    secure_deployments_use_host_prefixed_secure_cookies,
    cross_origin_posts_are_refused,
    pages_carry_security_headers,
    wrong_code_without_javascript_returns_to_the_form_with_the_error,
    reset_from_my_profile_signs_out_everywhere,
    changing_factors_needs_a_recent_sign_in,
    server_functions_answer_a_refusal_as_the_callers_and_authenticators_are_named,
    pages_ship_no_webassembly,
    a_strangers_refused_post_keeps_nothing_in_the_session_store,
);

fn sign_in_rotates_the_session_id_at_each_stage(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, _, _) = server.enrolled_user();

    let password = form(
        &server,
        "/sfn/login",
        None,
        &[("email", &email), ("password", PASSWORD)],
    );
    assert_eq!(password.status, 302, "{password:?}");
    assert_eq!(password.header("location"), Some("/login/mfa"));
    let pending = session_cookie(&password).expect("a session for the second stage");
    assert_eq!(
        page(&server, "/profile", Some(&pending)).header("location"),
        Some("/login"),
        "not signed in yet"
    );

    let code = totp_next(&secret);
    let verified = form(
        &server,
        "/sfn/verify_code",
        Some(&pending),
        &[("method", "totp"), ("code", &code)],
    );
    assert_eq!(verified.status, 302, "{verified:?}");
    assert_eq!(verified.header("location"), Some("/"));
    let full = session_cookie(&verified).expect("a new session id after the second factor");
    assert_ne!(full, pending);

    let profile = page(&server, "/profile", Some(&full));
    assert_eq!(profile.status, 200);
    assert!(profile.text.contains("My profile") && profile.text.contains(&email));
    assert_eq!(
        page(&server, "/profile", Some(&pending)).header("location"),
        Some("/login"),
        "the old id stopped working"
    );

    let out = form(&server, "/sfn/logout", Some(&full), &[]);
    assert_eq!(out.header("location"), Some("/login?notice=signed_out"));
    assert_eq!(
        page(&server, "/profile", Some(&full)).header("location"),
        Some("/login"),
        "sign-out deletes the session"
    );
}

fn session_cookie_has_the_right_flags(backend: Backend) {
    let server = Server::start(backend);
    let email = server.user("member");
    let reply = form(
        &server,
        "/sfn/login",
        None,
        &[("email", &email), ("password", PASSWORD)],
    );
    let cookie = reply
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("gatehouse="))
        .expect("session cookie")
        .to_string();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http on loopback");
    let id = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("gatehouse=");
    assert!(id.len() >= 22, "at least 128 bits: {id}");
}

fn secure_deployments_use_host_prefixed_secure_cookies(backend: Backend) {
    let server = Server::start_with(
        backend,
        &[("GATEHOUSE_PUBLIC_URL", "https://mfa.example.com")],
    );
    let email = server.user("member");
    let reply = Reply::from(
        agent()
            .post(&server.url("/sfn/login"))
            .set("Origin", "https://mfa.example.com")
            .set("Accept", "text/html")
            .send_form(&[("email", &email), ("password", PASSWORD)]),
    );
    let cookie = reply.all("set-cookie").join("\n");
    assert!(cookie.starts_with("__Host-gatehouse="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    assert!(reply.header("strict-transport-security").is_some());
}

fn cross_origin_posts_are_refused(backend: Backend) {
    let server = Server::start(backend);
    let email = server.user("member");
    let fields = [("email", email.as_str()), ("password", PASSWORD)];
    let evil = Reply::from(
        agent()
            .post(&server.url("/sfn/login"))
            .set("Origin", "https://evil.example")
            .send_form(&fields),
    );
    assert_eq!(evil.status, 403);
    assert!(session_cookie(&evil).is_none());
    let cross_site = Reply::from(
        agent()
            .post(&server.url("/sfn/login"))
            .set("Sec-Fetch-Site", "cross-site")
            .send_form(&fields),
    );
    assert_eq!(cross_site.status, 403);
    let headerless = Reply::from(agent().post(&server.url("/sfn/login")).send_form(&fields));
    assert_eq!(
        headerless.status, 403,
        "cookie endpoints need Origin or Sec-Fetch-Site"
    );
    let api = Reply::from(
        agent()
            .post(&server.url("/api/v1/auth/login"))
            .set("Origin", "https://evil.example")
            .send_json(serde_json::json!({ "email": email, "password": PASSWORD })),
    );
    assert_eq!(
        (api.status, api.json["error"].as_str()),
        (403, Some("forbidden"))
    );
}

fn pages_carry_security_headers(backend: Backend) {
    let server = Server::start(backend);
    let login = page(&server, "/login", None);
    assert_eq!(login.status, 200);
    let csp = login.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("script nonce");
    assert!(
        login.text.contains(&format!("nonce=\"{nonce}\"")),
        "inline scripts carry the nonce"
    );
    // The page carries the same policy in a <meta>, before any script.
    let head = login.text.split("<script").next().unwrap();
    assert!(
        head.contains(r#"<meta http-equiv="Content-Security-Policy""#)
            && head.contains(&format!("'nonce-{nonce}'")),
        "{head}"
    );
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    assert_eq!(login.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(login.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(login.header("cache-control"), Some("no-store"));
    assert_ne!(
        page(&server, "/login", None).header("content-security-policy"),
        Some(csp),
        "a fresh nonce per page"
    );
    // The form works without JavaScript: labelled fields posting to the server function.
    assert!(login.text.contains(r#"<label for="email">Email</label>"#));
    assert!(login.text.contains(r#"action="/sfn/login""#));

    let api = server.login("x@example.com", "whatever whatever");
    assert_eq!(api.header("cache-control"), Some("no-store"));
    assert_eq!(api.header("x-content-type-options"), Some("nosniff"));
}

fn wrong_code_without_javascript_returns_to_the_form_with_the_error(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, _, _) = server.enrolled_user();
    let bad = form(
        &server,
        "/sfn/login",
        None,
        &[("email", &email), ("password", "wrong password")],
    );
    assert_eq!(
        bad.header("location"),
        Some("/login?error=invalid_credentials&form=login")
    );
    let shown = page(&server, "/login?error=invalid_credentials", None);
    assert!(shown.text.contains("The email or password is not correct."));

    let pending = password_stage(&server, &email);
    let wrong = form(
        &server,
        "/sfn/verify_code",
        Some(&pending),
        &[("method", "totp"), ("code", &wrong_code(&secret))],
    );
    assert_sent_back(&wrong, "/login/mfa?error=invalid_code&form=verify_code");
    let back = wrong.header("location").unwrap();
    let page_html = page(&server, back, Some(&pending)).text;
    assert!(page_html.contains("That code is not correct."));
    // Leptos's text markers (`<!>`) aside, the field has its visible label.
    assert!(page_html
        .replace("<!>", "")
        .contains(r#"<label for="code">Authentication code</label>"#));
}

fn reset_from_my_profile_signs_out_everywhere(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, _, token) = server.enrolled_user();
    let session = browser_session(&server, &email, &secret);

    let refused = form(
        &server,
        "/sfn/reset_mfa",
        Some(&session),
        &[("password", "not my password")],
    );
    assert_eq!(
        refused.header("location"),
        Some("/profile?reset=1&error=invalid_password&form=reset_mfa")
    );
    assert_eq!(
        page(&server, "/profile", Some(&session)).status,
        200,
        "nothing changed"
    );

    let reset = form(
        &server,
        "/sfn/reset_mfa",
        Some(&session),
        &[("password", PASSWORD)],
    );
    assert_eq!(reset.header("location"), Some("/login?notice=mfa_reset"));
    assert_eq!(
        page(&server, "/profile", Some(&session)).header("location"),
        Some("/login")
    );
    assert_eq!(
        server.get("/api/v1/me", Some(&token)).status,
        401,
        "API tokens end too"
    );
    assert_eq!(
        server.login(&email, PASSWORD).json["status"],
        "enrollment_required"
    );
}

fn changing_factors_needs_a_recent_sign_in(backend: Backend) {
    let server = Server::start_with(backend, &[("GATEHOUSE_STEP_UP_SECONDS", "1")]);
    let (email, secret, codes, token) = server.enrolled_user();
    let session = browser_session(&server, &email, &secret);
    std::thread::sleep(std::time::Duration::from_millis(2100));

    let stale = form(&server, "/sfn/regenerate_codes", Some(&session), &[]);
    // Back to the dialog of "Generate new codes" once confirmed.
    assert_eq!(
        stale.header("location"),
        Some("/confirm-identity?next=/profile%3Fconfirm%3Dregenerate_codes")
    );
    assert!(
        page(&server, "/confirm-identity?next=/profile", Some(&session))
            .text
            .contains("Confirm it’s you")
    );

    let wrong = form(
        &server,
        "/sfn/confirm_identity",
        Some(&session),
        &[
            ("password", PASSWORD),
            ("code", "000000"),
            ("next", "/profile"),
        ],
    );
    assert!(
        wrong.header("location").unwrap().contains("error="),
        "{wrong:?}"
    );
    let confirmed = form(
        &server,
        "/sfn/confirm_identity",
        Some(&session),
        &[
            ("password", PASSWORD),
            ("code", &codes[0]),
            ("next", "https://evil.example/"),
        ],
    );
    assert_eq!(
        confirmed.header("location"),
        Some("/"),
        "next never leaves the site"
    );
    let fresh = session_cookie(&confirmed).expect("step-up gives a new session id");
    assert_ne!(fresh, session);

    let regenerated = form(&server, "/sfn/regenerate_codes", Some(&fresh), &[]);
    assert_eq!(regenerated.header("location"), Some("/recovery-codes"));
    let codes_page = page(&server, "/recovery-codes", Some(&fresh));
    assert_eq!(codes_page.header("cache-control"), Some("no-store"));
    assert_eq!(codes_page.text.matches("<li><code>").count(), 10);

    // The API's equivalent: a bearer token older than the window cannot add a factor.
    let api = server.post(
        "/api/v1/mfa/totp/setup",
        serde_json::json!({}),
        Some(&token),
    );
    assert_eq!(
        (api.status, api.json["error"].as_str()),
        (403, Some("step_up_required"))
    );
}

fn server_functions_answer_a_refusal_as_the_callers_and_authenticators_are_named(backend: Backend) {
    let server = Server::start(backend);
    // Nobody signing in: the stage is gone (401), not a server error.
    let stage = script_call(&server, "/sfn/sign_in_stage", None, &[]);
    assert_eq!(stage.status, 401, "{stage:?}");
    assert_eq!(stage.json["code"], "mfa_token_invalid");
    // A form that is not what the function takes: the sender's mistake (400).
    let malformed = script_call(
        &server,
        "/sfn/rename_factor",
        None,
        &[("factor_id", "not a number"), ("name", "x")],
    );
    assert_eq!(malformed.status, 400, "{malformed:?}");
    assert_eq!(malformed.json["code"], "invalid_request");
    // No such function: a 404 in the same shape, not the framework's text.
    let unknown = script_call(&server, "/sfn/no_such_function", None, &[]);
    assert_eq!(unknown.status, 404, "{unknown:?}");
    assert_eq!(unknown.json["code"], "not_found");

    // An authenticator is renamed from My profile; the notice names it.
    let (email, secret, _, token) = server.enrolled_user();
    let session = browser_session(&server, &email, &secret);
    let factor = server.get("/api/v1/me", Some(&token)).json["mfa"]["factors"][0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let renamed = form(
        &server,
        "/sfn/rename_factor",
        Some(&session),
        &[("factor_id", &factor), ("name", "  Work   phone ")],
    );
    let notice = renamed.header("location").unwrap_or_default().to_string();
    assert!(notice.starts_with("/profile?flash="), "{renamed:?}");
    let profile = page(&server, &notice, Some(&session)).text;
    assert!(profile.contains("Renamed the authenticator to “Work phone”."));
    assert!(
        profile.contains("Rename Work phone"),
        "the row's buttons name it"
    );
    // Too long: back to the dialog, with the error, nothing changed.
    let long = "x".repeat(41);
    let refused = form(
        &server,
        "/sfn/rename_factor",
        Some(&session),
        &[("factor_id", &factor), ("name", &long)],
    );
    assert!(
        refused
            .header("location")
            .unwrap_or_default()
            .starts_with(&format!(
                "/profile?confirm=rename_factor&factor={factor}&error="
            )),
        "{refused:?}"
    );
    assert_eq!(
        server.get("/api/v1/me", Some(&token)).json["mfa"]["factors"][0]["label"],
        "Work phone"
    );
}

/// No page ships WebAssembly: the sign-in pages and the signed-in screens
/// alike are plain forms with a small script (issue 13's bundle budget), and
/// the page's own inline scripts carry the CSP nonce, nothing else runs.
fn pages_ship_no_webassembly(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, _, _) = server.enrolled_user();
    let light = |reply: &Reply, what: &str| {
        assert_eq!(reply.status, 200, "{what}: {reply:?}");
        assert!(
            reply.text.contains("/js/forms.js"),
            "{what} loads its script"
        );
        assert!(!reply.text.contains("/pkg/"), "{what} loads no WebAssembly");
        assert!(!reply.text.contains(".wasm"), "{what} loads no WebAssembly");
    };
    light(&page(&server, "/login", None), "the password page");
    light(&page(&server, "/locked-out", None), "Locked out");
    let pending = password_stage(&server, &email);
    light(
        &page(&server, "/login/mfa", Some(&pending)),
        "the code page",
    );

    let signed_in = browser_session(&server, &email, &secret);
    for path in ["/profile", "/support", "/"] {
        light(&page(&server, path, Some(&signed_in)), path);
    }
    // A page's data is drawn once: nothing writes it into the page a second
    // time for a client to hydrate from (the enrollment page carried its
    // QR image and secret twice, half its weight).
    let enrolling = password_stage(&server, &server.user("owner"));
    let enroll = page(&server, "/enroll", Some(&enrolling));
    light(&enroll, "the enrollment page");
    assert_eq!(
        enroll.text.matches("data:image/svg+xml;base64,").count(),
        1,
        "the QR image once"
    );
    let policy = page(&server, "/profile", Some(&signed_in));
    assert!(
        !policy.text.contains("wasm-unsafe-eval"),
        "the policy no longer lets WebAssembly compile"
    );

    // The page's script travels compressed.
    let reply = agent()
        .get(&server.url("/js/forms.js"))
        .set("Accept-Encoding", "gzip")
        .call()
        .unwrap_or_else(|e| panic!("/js/forms.js: {e}"));
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
}

/// A refusal's own words are kept only in a session that holds a sign-in:
/// a stranger's refused posts, with a made-up cookie or none, write no
/// session and name no kept words — the store cannot be filled from outside.
fn a_strangers_refused_post_keeps_nothing_in_the_session_store(backend: Backend) {
    let server = Server::start(backend);
    let too_long = "x".repeat(3000);
    for cookie in [None, Some("gatehouse=madeUpByAStranger0000000")] {
        let refused = form(
            &server,
            "/sfn/locked_out",
            cookie,
            &[("email", "someone@example.com"), ("description", &too_long)],
        );
        assert_sent_back(
            &refused,
            "/locked-out?error=invalid_request&form=locked_out",
        );
        let back = refused.header("location").unwrap_or_default();
        assert!(!back.contains("said="), "{cookie:?}: {refused:?}");
        // No new session: at most the made-up cookie is cleared.
        assert!(
            session_cookie(&refused).is_none_or(|set| set == "gatehouse="),
            "{cookie:?}: {refused:?}"
        );
    }
    // A form that makes no sense is refused only to someone signed in.
    let stranger = form(
        &server,
        "/sfn/desk_last_resort",
        None,
        &[("id", "1"), ("result", "maybe"), ("note", "n")],
    );
    assert_eq!(stranger.header("location"), Some("/login"), "{stranger:?}");
    assert_eq!(server.number("SELECT COUNT(*) FROM sessions"), 0);
}
