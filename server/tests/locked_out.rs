//! "Locked out?" over HTTP, on SQLite and PostgreSQL: one answer for every
//! address; the mail says who can help, or — for the owner nobody inside can
//! reset — carries a link that, with the password, files a request with the
//! support desk; a caller who cannot prove the mailbox needs a check, a
//! manager and a longer cooling-off, and everyone who should know hears of it;
//! owners and partners are warned while one lost phone would lock a company out.

mod common;

use common::*;
use serde_json::{json, Value};

on_both_databases!(
    locked_out_answers_alike_and_mails_who_can_help,
    a_confirmed_owner_request_goes_through_the_desk_to_a_new_authenticator,
    an_unconfirmed_caller_needs_a_check_a_manager_and_a_longer_wait,
    owners_and_partners_are_warned_about_a_single_administrator,
);

fn locked_out(server: &Server, email: &str) -> Reply {
    server.post(
        "/api/v1/auth/locked-out",
        json!({ "email": email, "description": "Phone stolen on Monday.\nNo recovery codes." }),
        None,
    )
}

/// The confirmation link in the newest mail to `email`, as a path.
fn confirm_link(server: &Server, email: &str) -> Option<String> {
    mailed_path(server, email, "/locked-out/confirm?token=")
}

fn confirm_links(server: &Server, email: &str) -> usize {
    mailed_links(server, email, "/locked-out/confirm?token=")
}

/// Sends the form and waits for the confirmation link; its path.
fn request_confirm_link(server: &Server, email: &str) -> String {
    let before = confirm_links(server, email);
    assert_eq!(locked_out(server, email).status, 202);
    eventually("the link mailed", || confirm_links(server, email) > before);
    confirm_link(server, email).unwrap()
}

/// Every "Locked out?" form handled, mailed or not.
fn handled(server: &Server) -> i64 {
    audited(server, &["locked_out.answered", "locked_out.not_sent"])
}

fn token_of(path: &str) -> &str {
    path.split("token=").nth(1).unwrap()
}

fn locked_out_answers_alike_and_mails_who_can_help(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "solo", None);
    server.org("company", "duo", None);
    let alone = server.account("solo", "owner");
    let first = server.account("duo", "owner");
    let second = server.account("duo", "owner");
    let member = server.account("duo", "member");

    let answers: Vec<(u16, String)> = [
        alone.email.as_str(),
        first.email.as_str(),
        member.email.as_str(),
        "nobody@example.com",
    ]
    .iter()
    .map(|email| {
        let reply = locked_out(&server, email);
        (reply.status, reply.json.to_string())
    })
    .collect();
    assert_eq!(answers[0].0, 202, "{answers:?}");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    let known = form(
        &server,
        "/sfn/locked_out",
        None,
        &[("email", &member.email), ("description", "")],
    );
    let unknown = form(
        &server,
        "/sfn/locked_out",
        None,
        &[("email", "nobody@example.com"), ("description", "")],
    );
    assert_eq!(
        known.header("location"),
        Some("/locked-out?notice=locked_out_sent")
    );
    assert_eq!(known.header("location"), unknown.header("location"));
    // The mail goes after the answer.
    eventually("six forms handled", || handled(&server) == 6);
    assert!(mail_to(&server, "nobody@example.com").is_empty());

    // The only owner: a link to the desk.
    assert!(confirm_link(&server, &alone.email).is_some());
    // An owner with a co-owner, and a member: who can help, no link.
    for (who, helper) in [(&first, &second), (&member, &first)] {
        let mail = &mail_to(&server, &who.email)[0];
        assert!(confirm_link(&server, &who.email).is_none(), "{mail}");
        assert!(mail.contains(&helper.email), "names who can help: {mail}");
        assert!(mail.contains("support desk cannot reset"), "{mail}");
    }

    // At most 3 an hour per account; the answer stays the same.
    for _ in 0..4 {
        assert_eq!(locked_out(&server, &alone.email).status, 202);
    }
    eventually("ten forms handled", || handled(&server) == 10);
    assert_eq!(confirm_links(&server, &alone.email), 3);
    let long = server.post(
        "/api/v1/auth/locked-out",
        json!({ "email": alone.email, "description": "x".repeat(1001) }),
        None,
    );
    assert_eq!(long.status, 400, "{long:?}");
}

fn desk_request(server: &Server, agent: &Account, user_id: i64) -> Value {
    let list = server.get("/api/v1/support/requests", Some(&agent.token));
    list.json["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user"]["id"] == user_id)
        .cloned()
        .unwrap_or(Value::Null)
}

fn a_confirmed_owner_request_goes_through_the_desk_to_a_new_authenticator(backend: Backend) {
    let server = Server::start_with(backend, &[("GATEHOUSE_SUPPORT_COOLING_OFF_SECONDS", "0")]);
    server.org("company", "solo", None);
    let owner = server.account("solo", "owner");
    let agent = server.account("platform", "support");
    let manager = server.account("platform", "manager");
    let link = request_confirm_link(&server, &owner.email);

    // Opening the page changes nothing; a wrong password files nothing.
    let shown = page(&server, &link, None);
    assert!(shown.text.contains(&owner.email) && shown.text.contains("Send to the support desk"));
    let wrong = form(
        &server,
        "/sfn/confirm_locked_out",
        None,
        &[("token", token_of(&link)), ("password", "not the password")],
    );
    assert!(
        wrong
            .header("location")
            .unwrap()
            .contains("error=invalid_password"),
        "{wrong:?}"
    );
    assert_eq!(desk_request(&server, &agent, owner.id), Value::Null);

    let sent = form(
        &server,
        "/sfn/confirm_locked_out",
        None,
        &[("token", token_of(&link)), ("password", PASSWORD)],
    );
    assert_eq!(
        sent.header("location"),
        Some("/locked-out?notice=locked_out_filed"),
        "{sent:?}"
    );
    let again = form(
        &server,
        "/sfn/confirm_locked_out",
        None,
        &[("token", token_of(&link)), ("password", PASSWORD)],
    );
    assert!(again
        .header("location")
        .unwrap()
        .contains("error=link_invalid"));

    // Told at once: the person, and every authorized contact (here the owner).
    assert!(mail_to(&server, &owner.email)[0].contains("told the support desk they are locked out"));
    let request = desk_request(&server, &agent, owner.id);
    assert_eq!(request["requester"]["id"], owner.id, "{request}");
    assert_eq!(request["channel"], "email");
    assert!(request["reference"]
        .as_str()
        .unwrap()
        .contains("confirmed from the primary email"));
    assert!(request["note"].as_str().unwrap().contains("Phone stolen"));
    let id = request["id"].as_i64().unwrap();

    // An owner: the agent cannot issue alone; a manager decides.
    let issue = server.post(
        &format!("/api/v1/support/requests/{id}/issue"),
        json!({}),
        Some(&agent.token),
    );
    assert_eq!(issue.json["error"], "approval_required", "{issue:?}");
    let escalated = server.post(
        &format!("/api/v1/support/requests/{id}/escalate"),
        json!({ "reason": "Owner locked out, confirmed by email and password" }),
        Some(&agent.token),
    );
    assert_eq!(escalated.status, 200, "{escalated:?}");
    let approved = server.post(
        &format!("/api/v1/support/requests/{id}/decision"),
        json!({ "approve": true, "reason": "Called back on the number on file" }),
        Some(&manager.token),
    );
    assert_eq!(approved.json["state"], "active", "{approved:?}");
    server.reset_at_sign_in(&owner.email, "reset_pass");

    // An expired link (aged in the database) files nothing.
    let late = request_confirm_link(&server, &owner.email);
    server.sql_exec("UPDATE account_links SET expires_at = 1 WHERE used_at IS NULL");
    assert!(page(&server, &late, None)
        .text
        .contains("expired or was already used"));
}

fn an_unconfirmed_caller_needs_a_check_a_manager_and_a_longer_wait(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", "solo", None);
    server.org("company", "duo", None);
    let owner = server.account("solo", "owner");
    let tech = server.account("solo", "member");
    let named = server.call(
        "PUT",
        "/api/v1/admin/contacts",
        Some(json!({ "officer_email": owner.email, "technical_emails": [tech.email] })),
        Some(&owner.token),
    );
    assert_eq!(named.status, 200, "{named:?}");
    let duo_owner = server.account("duo", "owner");
    server.account("duo", "owner");
    let agent = server.account("platform", "support");
    let agent2 = server.account("platform", "support");
    let manager = server.account("platform", "manager");
    let file = |email: &str| {
        server.post(
            "/api/v1/support/requests",
            json!({ "requester_email": email, "user_email": email, "channel": "phone", "reference": "call 17:02" }),
            Some(&agent.token),
        )
    };

    // Only for an owner or officer nobody inside can reset.
    for ordinary in [&tech.email, &duo_owner.email] {
        assert_eq!(file(ordinary).json["error"], "not_a_contact", "{ordinary}");
    }
    let filed = file(&owner.email);
    assert_eq!(filed.status, 201, "{filed:?}");
    let id = filed.json["id"].as_i64().unwrap();
    // Told at once: the person's own address and every authorized contact.
    for told in [&owner.email, &tech.email] {
        assert!(
            mail_to(&server, told)[0].contains("could not confirm it"),
            "{told} is told"
        );
    }

    let escalated = server.post(
        &format!("/api/v1/support/requests/{id}/escalate"),
        json!({ "reason": "Caller could not prove the mailbox" }),
        Some(&agent.token),
    );
    assert_eq!(escalated.status, 200);
    let decide = |id: i64| {
        server.post(
            &format!("/api/v1/support/requests/{id}/decision"),
            json!({ "approve": true, "reason": "Verified" }),
            Some(&manager.token),
        )
    };
    let unchecked = decide(id);
    assert_eq!(
        unchecked.status, 403,
        "no card or last-resort check yet: {unchecked:?}"
    );
    // Checks are made on open requests: the agent starts again and checks first.
    let cancelled = server.post(
        &format!("/api/v1/support/requests/{id}/cancel"),
        json!({ "reason": "Check the card first" }),
        Some(&agent.token),
    );
    assert_eq!(cancelled.status, 200, "{cancelled:?}");
    let id = file(&owner.email).json["id"].as_i64().unwrap();
    server.cli_ok(
        &[
            "org",
            "billing",
            "--org",
            "solo",
            "--card-last4",
            "4242",
            "--card-expiry",
            "12/29",
        ],
        None,
    );
    let checked = server.post(
        &format!("/api/v1/support/requests/{id}/checks"),
        json!({ "method": "card", "last4": "4242", "expiry": "12/29" }),
        Some(&agent2.token),
    );
    assert_eq!(checked.json["passed"], true, "{checked:?}");
    let approved = decide(id);
    assert_eq!(approved.json["state"], "cooling_off", "{approved:?}");
    let wait = approved.json["pass"]["active_at"].as_i64().unwrap() - now() as i64;
    assert!(
        (72 * 3600 - 60..=72 * 3600).contains(&wait),
        "72 hours: {wait}"
    );
}

fn owners_and_partners_are_warned_about_a_single_administrator(backend: Backend) {
    let server = Server::start(backend);
    server.org("partner", "msp", None);
    server.org("company", "acme", Some("msp"));
    let owner = server.account("acme", "owner");
    let msp = server.account("msp", "admin");
    let session = browser_session(&server, &owner.email, &owner.secret);
    let warning = "Add a second administrator";
    assert!(page(&server, "/", Some(&session)).text.contains(warning));
    assert!(page(&server, "/admin", Some(&session))
        .text
        .contains(warning));
    let customers = server.get("/api/v1/msp/customers", Some(&msp.token));
    assert_eq!(
        customers.json["customers"][0]["needs_second_administrator"],
        true
    );

    // A second administrator with MFA ends the warning.
    server.account("acme", "admin");
    assert!(!page(&server, "/", Some(&session)).text.contains(warning));
    let customers = server.get("/api/v1/msp/customers", Some(&msp.token));
    assert_eq!(
        customers.json["customers"][0]["needs_second_administrator"],
        false
    );
}
