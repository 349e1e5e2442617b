//! Confirmations in the browser over plain HTTP: where a step-up sends the
//! browser and where it comes back to, the return-path rule, and the last
//! authenticator of a role that requires MFA.

mod common;

use common::*;

on_both_databases!(
    confirming_identity_never_leaves_the_site,
    a_stale_sign_in_is_refused_with_403_and_comes_back_to_the_dialog,
    the_last_authenticator_of_a_role_that_requires_mfa_stays,
    two_removals_at_once_keep_the_last_authenticator,
);

/// A call from the page's script (the server-function client): no `text/html`.
fn script(server: &Server, path: &str, cookie: &str, fields: &[(&str, &str)]) -> Reply {
    Reply::from(
        agent()
            .post(&server.url(path))
            .set("Origin", &server.base)
            .set("Accept", "application/json")
            .set("Cookie", cookie)
            .send_form(fields),
    )
}

/// A second authenticator through the API (the account's token is fresh); its id.
fn second_factor(server: &Server, who: &Account) -> i64 {
    let setup = server.post(
        "/api/v1/mfa/totp/setup",
        serde_json::json!({}),
        Some(&who.token),
    );
    assert_eq!(setup.status, 200, "{setup:?}");
    let secret = base32_decode(setup.json["secret"].as_str().unwrap());
    let confirm = server.post(
        "/api/v1/mfa/totp/confirm",
        serde_json::json!({ "code": totp_now(&secret) }),
        Some(&who.token),
    );
    assert_eq!(confirm.status, 200, "{confirm:?}");
    server.number(&format!(
        "SELECT MAX(id) FROM mfa_factors WHERE user_id = {}",
        who.id
    ))
}

fn factor_ids(server: &Server, who: &Account) -> Vec<i64> {
    let count = server.number(&format!(
        "SELECT COUNT(*) FROM mfa_factors WHERE user_id = {} AND confirmed_at IS NOT NULL",
        who.id
    ));
    (0..count)
        .map(|i| {
            server.number(&format!(
                "SELECT id FROM mfa_factors WHERE user_id = {} AND confirmed_at IS NOT NULL ORDER BY id LIMIT 1 OFFSET {i}",
                who.id
            ))
        })
        .collect()
}

fn confirming_identity_never_leaves_the_site(backend: Backend) {
    let server = Server::start(backend);
    let (email, secret, codes, _) = server.enrolled_user();
    let session = browser_session(&server, &email, &secret);

    // What the page's hidden field holds for `?next=/%09/evil.example` (decoded), and
    // what an attacker can post directly (still encoded).
    let hostile = [
        "/\t/evil.example",
        "/%09/evil.example",
        "/\n/evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%20/evil.example",
        "/%252F%252Fevil.example",
    ];
    let mut session = session;
    for (next, code) in hostile.iter().zip(&codes) {
        let confirmed = form(
            &server,
            "/sfn/confirm_identity",
            Some(&session),
            &[("password", PASSWORD), ("code", code), ("next", next)],
        );
        if next.chars().any(char::is_control) {
            // A raw control character is refused before any handler runs.
            assert_eq!(confirmed.status, 400, "{next:?}: {confirmed:?}");
            continue;
        }
        assert_eq!(confirmed.status, 302, "{next:?}: {confirmed:?}");
        assert_eq!(
            confirmed.header("location"),
            Some("/"),
            "{next:?} goes home"
        );
        session = session_cookie(&confirmed).expect("step-up gives a new session id");
    }

    // A plain path of this site, with its dialog, is kept.
    let next = "/profile?confirm=regenerate_codes";
    let confirmed = form(
        &server,
        "/sfn/confirm_identity",
        Some(&session),
        &[
            ("password", PASSWORD),
            ("code", &codes[hostile.len()]),
            ("next", next),
        ],
    );
    assert_eq!(confirmed.header("location"), Some(next));

    // A wrong code returns to the form with a `next` that is safe to show again.
    let session = session_cookie(&confirmed).unwrap();
    let wrong = form(
        &server,
        "/sfn/confirm_identity",
        Some(&session),
        &[
            ("password", PASSWORD),
            ("code", "000000"),
            ("next", "/%09/evil.example"),
        ],
    );
    assert_sent_back(
        &wrong,
        "/confirm-identity?next=/&error=invalid_code&form=confirm_identity",
    );
}

/// A server function, the session that calls it, its fields, and the page with
/// the dialog to come back to.
type StaleCall<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, String);

fn a_stale_sign_in_is_refused_with_403_and_comes_back_to_the_dialog(backend: Backend) {
    let server = Server::start_with(backend, &[("GATEHOUSE_STEP_UP_SECONDS", "1")]);
    server.org("partner", "north", None);
    server.org("company", "acme", Some("north"));
    let msp = server.account("north", "admin");
    let owner = server.account("acme", "owner");
    let member = server.account("acme", "member");
    let msp_session = browser_session(&server, &msp.email, &msp.secret);
    let owner_session = browser_session(&server, &owner.email, &owner.secret);
    std::thread::sleep(std::time::Duration::from_millis(2100));

    let factor = factor_ids(&server, &owner)[0].to_string();
    let member_id = member.id.to_string();
    let acme = server
        .number("SELECT id FROM organizations WHERE slug = 'acme'")
        .to_string();
    let admin_role = server
        .number(&format!(
            "SELECT id FROM roles WHERE org_id = {acme} AND name = 'admin'"
        ))
        .to_string();
    let owner_role = server
        .number(&format!(
            "SELECT id FROM roles WHERE org_id = {acme} AND name = 'owner'"
        ))
        .to_string();
    let calls: Vec<StaleCall> = vec![
        (
            "/sfn/remove_factor",
            owner_session.as_str(),
            vec![("factor_id", factor.as_str())],
            format!("/profile?confirm=remove_factor&factor={factor}"),
        ),
        (
            "/sfn/regenerate_codes",
            owner_session.as_str(),
            vec![],
            "/profile?confirm=regenerate_codes".into(),
        ),
        (
            "/sfn/add_factor",
            owner_session.as_str(),
            vec![],
            "/profile".into(),
        ),
        (
            "/sfn/set_role_requirement",
            owner_session.as_str(),
            vec![
                ("role_id", owner_role.as_str()),
                ("requirement", "mfa"),
                ("required", "false"),
            ],
            format!("/admin/roles?confirm=mfa_off&role={owner_role}"),
        ),
        (
            "/sfn/set_role_requirement",
            owner_session.as_str(),
            vec![
                ("role_id", owner_role.as_str()),
                ("requirement", "passkey"),
                ("required", "false"),
            ],
            format!("/admin/roles?confirm=passkey_off&role={owner_role}"),
        ),
        (
            "/sfn/admin_user_action",
            owner_session.as_str(),
            vec![
                ("action", "disable_mfa"),
                ("user_id", member_id.as_str()),
                ("back", "/admin?q=acme"),
            ],
            format!("/admin?q=acme&confirm=disable_mfa&user={member_id}"),
        ),
        (
            "/sfn/admin_user_action",
            owner_session.as_str(),
            vec![
                ("action", "change_role"),
                ("user_id", member_id.as_str()),
                ("role_id", admin_role.as_str()),
                ("back", "/admin"),
            ],
            format!("/admin?confirm=change_role&user={member_id}"),
        ),
        (
            "/sfn/grant_reset",
            msp_session.as_str(),
            vec![
                ("org_id", acme.as_str()),
                ("duration_minutes", "60"),
                ("reason", "Ticket 1"),
                ("who", "company"),
            ],
            format!("/msp/customers?grant={acme}"),
        ),
    ];
    for (path, session, fields, dialog) in calls {
        // The page's script: a refusal it can act on, never a 500.
        let refused = script(&server, path, session, &fields);
        assert_eq!(refused.status, 403, "{path}: {refused:?}");
        assert_eq!(refused.json["code"], "step_up_required", "{path}");
        // A plain form post: on to confirm, then back to the same dialog.
        let plain = form(&server, path, Some(session), &fields);
        assert_eq!(plain.status, 302, "{path}: {plain:?}");
        let expected = format!(
            "/confirm-identity?next={}",
            dialog
                .replace('?', "%3F")
                .replace('=', "%3D")
                .replace('&', "%26")
        );
        assert_eq!(plain.header("location"), Some(expected.as_str()), "{path}");
    }
    // Nothing happened.
    assert_eq!(factor_ids(&server, &owner).len(), 1);
    assert_eq!(factor_ids(&server, &member).len(), 1);
    assert_eq!(server.number("SELECT COUNT(*) FROM reset_grants"), 0);
}

fn the_last_authenticator_of_a_role_that_requires_mfa_stays(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "acme", None);
    let owner = server.account("acme", "owner");
    let second = second_factor(&server, &owner);
    let session = browser_session(&server, &owner.email, &owner.secret);
    let first = factor_ids(&server, &owner)[0];

    // One of two goes.
    let removed = form(
        &server,
        "/sfn/remove_factor",
        Some(&session),
        &[("factor_id", &first.to_string())],
    );
    assert_eq!(
        removed.header("location"),
        Some("/profile?notice=factor_removed"),
        "{removed:?}"
    );
    let session = session_cookie(&removed).expect("a new session id");

    // The last one stays, for the page's script and for a plain form alike.
    let refused = script(
        &server,
        "/sfn/remove_factor",
        &session,
        &[("factor_id", &second.to_string())],
    );
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(refused.json["code"], "last_factor");
    let message = refused.json["message"].as_str().unwrap();
    assert!(
        message.contains("Add another authenticator first, or ask an administrator"),
        "{message}"
    );
    let plain = form(
        &server,
        "/sfn/remove_factor",
        Some(&session),
        &[("factor_id", &second.to_string())],
    );
    assert_eq!(
        plain.header("location"),
        Some(
            format!(
                "/profile?confirm=remove_factor&factor={second}&error=last_factor&form=remove_factor"
            )
            .as_str()
        )
    );
    assert_eq!(factor_ids(&server, &owner), vec![second]);
    assert!(
        page(
            &server,
            &format!("/profile?confirm=remove_factor&factor={second}"),
            Some(&session)
        )
        .text
        .contains("Add another authenticator first"),
        "the dialog says what to do"
    );
    assert_eq!(
        page(&server, "/profile", Some(&session)).status,
        200,
        "the session carries on"
    );
    let me = server.get("/api/v1/me", Some(&owner.token));
    assert_eq!(
        me.status, 401,
        "removing the first one ended the API tokens"
    );
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE subject_id = {} AND action = 'mfa.factor_removed'",
            owner.id
        )),
        1
    );

    // A role without the requirement may turn MFA off.
    let member = server.account("acme", "member");
    let member_session = browser_session(&server, &member.email, &member.secret);
    let only = factor_ids(&server, &member)[0];
    let removed = form(
        &server,
        "/sfn/remove_factor",
        Some(&member_session),
        &[("factor_id", &only.to_string())],
    );
    assert_eq!(
        removed.header("location"),
        Some("/profile?notice=factor_removed")
    );
    assert!(factor_ids(&server, &member).is_empty());
}

fn two_removals_at_once_keep_the_last_authenticator(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "acme", None);
    let owner = server.account("acme", "owner");
    second_factor(&server, &owner);
    let session = browser_session(&server, &owner.email, &owner.secret);
    let ids = factor_ids(&server, &owner);
    assert_eq!(ids.len(), 2);

    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let calls: Vec<_> = ids
            .iter()
            .map(|id| {
                let (server, session) = (&server, &session);
                scope.spawn(move || {
                    script(
                        server,
                        "/sfn/remove_factor",
                        session,
                        &[("factor_id", &id.to_string())],
                    )
                    .status
                })
            })
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    // One wins; the other is refused as the last one, or — when it starts only
    // after the winner renewed the session id — as signed out. Never both, never a 5xx.
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|s| *s == 403 || *s == 401),
        "{statuses:?}"
    );
    assert_eq!(factor_ids(&server, &owner).len(), 1);
}
