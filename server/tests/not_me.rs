//! "This wasn't me" on every reset, over HTTP on SQLite and PostgreSQL: each
//! way a second factor is removed or replaced mails the person a link; the
//! link, pressed once, shuts out whoever did it and locks the account until
//! an administrator reviews it (an owner's from above the organization).
//! The link's 7 days are core's flow test (core/tests/time_rules.rs).

mod common;

use common::*;
use serde_json::json;

on_both_databases!(
    every_reset_path_mails_a_this_wasnt_me_link,
    this_wasnt_me_shuts_out_whoever_reset_until_an_admin_reviews,
    a_reported_owner_is_reviewed_from_above_the_organization,
);

/// The newest "This wasn't me" link mailed to `email`, as a path.
fn not_me_link(server: &Server, email: &str) -> Option<String> {
    mailed_path(server, email, "/not-me?token=")
}

fn not_me_links(server: &Server, email: &str) -> usize {
    mailed_links(server, email, "/not-me?token=")
}

fn report(server: &Server, link: &str) -> Reply {
    let token = link.split("token=").nth(1).unwrap();
    form(server, "/sfn/report_reset", None, &[("token", token)])
}

fn every_reset_path_mails_a_this_wasnt_me_link(backend: Backend) {
    let server = Server::start(backend);
    server.org("partner", "msp", None);
    server.org("company", "acme", Some("msp"));
    let owner = server.account("acme", "owner");
    let msp = server.account("msp", "admin");

    // The person's own reset, with the password.
    let me = server.account("acme", "member");
    let reset = server.post(
        "/api/v1/mfa/reset",
        json!({ "password": PASSWORD }),
        Some(&me.token),
    );
    assert_eq!(reset.status, 204, "{reset:?}");
    assert_eq!(not_me_links(&server, &me.email), 1);
    assert!(mail_to(&server, &me.email)[0].contains("You reset your two-step verification"));

    // An administrator's Disable MFA.
    let member = server.account("acme", "member");
    let disabled = server.post(
        &format!("/api/v1/admin/users/{}/mfa/disable", member.id),
        json!({}),
        Some(&owner.token),
    );
    assert_eq!(disabled.status, 204, "{disabled:?}");
    assert_eq!(not_me_links(&server, &member.email), 1);
    assert!(mail_to(&server, &member.email)[0].contains("An administrator reset"));

    // A new authenticator after an emailed code.
    let lost = server.account("acme", "member");
    let token = server.mfa_token(&lost.email);
    let sent = server.post(
        "/api/v1/auth/mfa/send",
        json!({ "mfa_token": token, "method": "email_otp" }),
        None,
    );
    assert_eq!(sent.status, 202, "{sent:?}");
    let code = mail_to(&server, &lost.email)[0]
        .split("code is ")
        .nth(1)
        .unwrap()[..6]
        .to_string();
    let recovered = server.mfa(&token, "email_otp", &code);
    assert_eq!(recovered.json["reason"], "recovery", "{recovered:?}");
    assert_eq!(
        not_me_links(&server, &lost.email),
        0,
        "not before the new authenticator"
    );
    let recovery = recovered.json["mfa_token"].as_str().unwrap();
    let (_, confirm) = server.enroll_at_sign_in(recovery);
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert_eq!(not_me_links(&server, &lost.email), 1);
    assert!(mail_to(&server, &lost.email)
        .iter()
        .any(|m| m.contains("after signing in with a code or link sent to this address")));

    // A partner's reset permission, used.
    let covered = server.account("acme", "member");
    let grant = server.post(
        &format!(
            "/api/v1/msp/customers/{}/grants",
            server.number("SELECT id FROM organizations WHERE slug = 'acme'")
        ),
        json!({ "duration_minutes": 60, "reason": "Lost phone, ticket 7", "user_ids": [covered.id] }),
        Some(&msp.token),
    );
    assert_eq!(grant.status, 201, "{grant:?}");
    assert_eq!(
        not_me_links(&server, &covered.email),
        0,
        "not for the grant itself"
    );
    server.reset_at_sign_in(&covered.email, "reset_permission");
    assert_eq!(not_me_links(&server, &covered.email), 1);
    assert!(mail_to(&server, &covered.email)
        .iter()
        .any(|m| m.contains("with the permission msp granted")));

    // (The support desk's pass: server/tests/support_desk.rs.)
    // Each link is the person's own: four different tokens.
    let links: std::collections::HashSet<String> = [&me, &member, &lost, &covered]
        .iter()
        .map(|a| not_me_link(&server, &a.email).unwrap())
        .collect();
    assert_eq!(links.len(), 4);
}

fn this_wasnt_me_shuts_out_whoever_reset_until_an_admin_reviews(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "acme", None);
    let owner = server.account("acme", "owner");
    let second_admin = server.account("acme", "admin");
    // An admin's account (MFA required) is reset by a fooled owner; whoever
    // holds the password sets up their own authenticator.
    let victim = server.account("acme", "admin");
    let disabled = server.post(
        &format!("/api/v1/admin/users/{}/mfa/disable", victim.id),
        json!({}),
        Some(&owner.token),
    );
    assert_eq!(disabled.status, 204);
    let attacker_login = server.login(&victim.email, PASSWORD);
    assert_eq!(attacker_login.json["status"], "enrollment_required");
    let attacker = server.post(
        "/api/v1/mfa/totp/setup",
        json!({ "mfa_token": attacker_login.json["mfa_token"] }),
        None,
    );
    let attacker_secret = base32_decode(attacker.json["secret"].as_str().unwrap());
    let enrolled = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "mfa_token": attacker_login.json["mfa_token"], "code": totp_now(&attacker_secret) }),
        None,
    );
    let attacker_token = enrolled.json["access_token"].as_str().unwrap().to_string();
    assert_eq!(server.get("/api/v1/me", Some(&attacker_token)).status, 200);

    // The victim reads their mail. Opening the page changes nothing.
    let link = not_me_link(&server, &victim.email).unwrap();
    for _ in 0..2 {
        let shown = page(&server, &link, None);
        assert!(shown
            .text
            .contains("An administrator turned off your two-step verification"));
        assert!(shown.text.contains("This wasn&#39;t me") || shown.text.contains("This wasn't me"));
    }
    assert_eq!(server.get("/api/v1/me", Some(&attacker_token)).status, 200);

    let pressed = report(&server, &link);
    assert_eq!(
        pressed.header("location"),
        Some(link.as_str()),
        "{pressed:?}"
    );
    assert!(page(&server, &link, None)
        .text
        .contains("account is locked"));

    // Whoever reset it is out, and the password they know is gone.
    assert_eq!(server.get("/api/v1/me", Some(&attacker_token)).status, 401);
    assert_eq!(server.login(&victim.email, PASSWORD).status, 401);
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM mfa_factors WHERE user_id = {}",
            victim.id
        )),
        0
    );
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE subject_id = {} AND action = 'account.reported_not_me'",
            victim.id
        )),
        1
    );
    for admin in [&owner, &second_admin] {
        assert!(
            mail_to(&server, &admin.email)[0].contains("answered “This wasn't me”"),
            "{} is told",
            admin.email
        );
    }
    assert!(mail_to(&server, &victim.email)[0]
        .contains("The account is locked until your administrator"));

    // Once: pressing again changes nothing more.
    let again = report(&server, &link);
    assert!(
        again
            .header("location")
            .unwrap()
            .contains("error=link_invalid"),
        "{again:?}"
    );

    // Admins see the account at the top of their list.
    let list = server.get("/api/v1/admin/users", Some(&owner.token));
    assert_eq!(list.json["users"][0]["id"], victim.id, "{list:?}");
    assert_eq!(list.json["users"][0]["reported_not_me"], true);
    assert_eq!(list.json["users"][0]["active"], false);

    // The review: reactivated, the person chooses a new password by email
    // and sets up a new authenticator.
    let reviewed = server.post(
        &format!("/api/v1/admin/users/{}/reactivate", victim.id),
        json!({}),
        Some(&second_admin.token),
    );
    assert_eq!(reviewed.status, 204, "{reviewed:?}");
    let list = server.get("/api/v1/admin/users", Some(&owner.token));
    let row = list.json["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == victim.id)
        .unwrap()
        .clone();
    assert_eq!(row["reported_not_me"], false);
    assert_eq!(
        server.login(&victim.email, PASSWORD).status,
        401,
        "still no password"
    );
    server.post(
        "/api/v1/auth/password/forgot",
        json!({ "email": victim.email }),
        None,
    );
    eventually("the password link mailed", || {
        mail_to(&server, &victim.email)
            .iter()
            .any(|m| m.contains("/password/reset?token="))
    });
    let reset_link = mail_to(&server, &victim.email)
        .into_iter()
        .find_map(|m| {
            m.lines()
                .find(|l| l.contains("/password/reset?token="))
                .map(|l| l.trim().to_string())
        })
        .unwrap();
    let token = reset_link.split("token=").nth(1).unwrap();
    let set = form(
        &server,
        "/sfn/reset_password",
        None,
        &[
            ("token", token),
            ("password", "the victim's new passphrase"),
            ("code", ""),
        ],
    );
    assert_eq!(set.header("location"), Some("/login?notice=password_reset"));
    let back = server.login(&victim.email, "the victim's new passphrase");
    assert_eq!(back.json["status"], "enrollment_required", "{back:?}");
}

fn a_reported_owner_is_reviewed_from_above_the_organization(backend: Backend) {
    let server = Server::start(backend);
    server.org("partner", "msp", None);
    server.org("company", "acme", Some("msp"));
    let owner = server.account("acme", "owner");
    let co_owner = server.account("acme", "owner");
    let msp = server.account("msp", "admin");
    let reset = server.post(
        "/api/v1/mfa/reset",
        json!({ "password": PASSWORD }),
        Some(&owner.token),
    );
    assert_eq!(reset.status, 204);
    let link = not_me_link(&server, &owner.email).unwrap();
    report(&server, &link);
    assert!(mail_to(&server, &co_owner.email)[0].contains("answered “This wasn't me”"));

    // Nor around the rule: a flagged account's role does not change before the review.
    let demoted = server.post(
        &format!("/api/v1/admin/users/{}/role", owner.id),
        json!({ "role": "admin" }),
        Some(&co_owner.token),
    );
    assert_eq!(demoted.status, 403, "{demoted:?}");
    let inside = server.post(
        &format!("/api/v1/admin/users/{}/reactivate", owner.id),
        json!({}),
        Some(&co_owner.token),
    );
    assert_eq!(
        (inside.status, inside.json["error"].as_str()),
        (403, Some("forbidden")),
        "{inside:?}"
    );
    let above = server.post(
        &format!("/api/v1/admin/users/{}/reactivate", owner.id),
        json!({}),
        Some(&msp.token),
    );
    assert_eq!(above.status, 204, "{above:?}");
}
