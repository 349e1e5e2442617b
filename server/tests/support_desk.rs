//! The support desk's assisted reset over HTTP, on SQLite and PostgreSQL:
//! who may ask, proving the requester, who may decide, the reset pass, its
//! cooling-off, "This wasn't me", and what customers see. Times that need
//! hours to pass are core's flow tests (core/tests/support_desk.rs).

mod common;

use std::thread;

use common::*;
use serde_json::{json, Value};

on_both_databases!(
    only_authorized_contacts_ask_and_only_for_their_own_people,
    owners_name_the_contacts_and_everyone_hears_of_it,
    a_support_code_proves_the_requester_once_and_the_agent_issues_a_pass,
    three_failed_checks_end_the_checking_even_when_sent_at_once,
    weak_proof_privileged_targets_and_flags_need_a_manager,
    escalations_are_decided_by_a_manager_who_did_not_work_them,
    nobody_works_a_request_that_names_them,
    a_contact_removed_since_filing_asks_for_nothing,
    a_stolen_session_cannot_use_a_pass,
    this_wasnt_me_cancels_before_and_after_the_pass_is_used,
    a_sign_in_with_an_old_factor_cancels_the_pass,
    customers_see_what_the_desk_did_to_their_people,
    desk_input_is_bounded_and_checked,
    a_cooling_off_of_zero_makes_an_approved_pass_work_at_once,
);

/// A company under the platform with its first owner (the authorized
/// officer), an admin, a member and a technical contact, all with
/// authenticators, and the platform's desk: two agents and a manager.
///
/// Everyone here set up their authenticator a moment ago, which raises the
/// "requester's MFA changed" flag whenever they ask; the technical contact's
/// was made to look eight days old, so their requests are the ones an agent
/// may issue alone.
struct Desk {
    server: Server,
    officer: Account,
    tech: Account,
    admin: Account,
    member: Account,
    agent: Account,
    agent2: Account,
    manager: Account,
}

const COMPANY: &str = "acme";

impl Desk {
    fn new(backend: Backend) -> Self {
        Self::with(Server::start(backend))
    }

    fn with(server: Server) -> Self {
        server.org("company", COMPANY, None);
        let officer = server.account(COMPANY, "owner");
        let tech = server.account(COMPANY, "member");
        age_mfa(&server, &tech, 8);
        let named = server.call(
            "PUT",
            "/api/v1/admin/contacts",
            Some(json!({ "officer_email": officer.email, "technical_emails": [tech.email] })),
            Some(&officer.token),
        );
        assert_eq!(named.status, 200, "{named:?}");
        Self {
            officer,
            tech,
            admin: server.account(COMPANY, "admin"),
            member: server.account(COMPANY, "member"),
            agent: server.account("platform", "support"),
            agent2: server.account("platform", "support"),
            manager: server.account("platform", "manager"),
            server,
        }
    }

    fn post(&self, path: &str, body: Value, by: &Account) -> Reply {
        self.server.post(path, body, Some(&by.token))
    }

    fn get(&self, path: &str, by: &Account) -> Reply {
        self.server.get(path, Some(&by.token))
    }

    /// The agent files a phone request from `requester` about `user`; its id.
    fn file(&self, requester: &Account, user: &Account) -> i64 {
        let filed = self.post(
            "/api/v1/support/requests",
            json!({ "requester_email": requester.email, "user_email": user.email, "channel": "phone", "reference": "T-100" }),
            &self.agent,
        );
        assert_eq!(filed.status, 201, "{filed:?}");
        assert_eq!(filed.json["state"], "open");
        filed.json["id"].as_i64().unwrap()
    }

    fn path(id: i64, action: &str) -> String {
        format!("/api/v1/support/requests/{id}/{action}")
    }

    fn check(&self, id: i64, body: Value, by: &Account) -> Reply {
        self.post(&Self::path(id, "checks"), body, by)
    }

    /// The requester reads out their support code and `by` checks it.
    fn prove_by_code(&self, id: i64, requester: &Account, by: &Account) {
        let code = self.get("/api/v1/support/code", requester).json["code"]
            .as_str()
            .unwrap()
            .to_string();
        let checked = self.check(id, json!({ "method": "support_code", "code": code }), by);
        assert_eq!(checked.status, 200, "{checked:?}");
        assert_eq!(checked.json["passed"], true);
    }

    fn request(&self, id: i64) -> Value {
        let reply = self.get(&format!("/api/v1/support/requests/{id}"), &self.agent);
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json
    }

    fn count(&self, table: &str) -> i64 {
        self.server.number(&format!("SELECT COUNT(*) FROM {table}"))
    }

    fn card_on_file(&self) {
        self.server.cli_ok(
            &[
                "org",
                "billing",
                "--org",
                COMPANY,
                "--card-last4",
                "4242",
                "--card-expiry",
                "12/29",
            ],
            None,
        );
    }

    /// An agent-issued, active pass for `user`, proven by the technical contact's code.
    fn active_pass_for(&self, user: &Account) -> i64 {
        let id = self.file(&self.tech, user);
        self.prove_by_code(id, &self.tech, &self.agent);
        let issued = self.post(&Self::path(id, "issue"), json!({}), &self.agent);
        assert_eq!(issued.status, 200, "{issued:?}");
        assert_eq!(issued.json["state"], "active");
        id
    }

    /// A manager-approved pass for the member, cooling off; the request's id.
    fn approved_pass_for_member(&self) -> i64 {
        let id = self.file(&self.officer, &self.member);
        let escalated = self.post(
            &Self::path(id, "escalate"),
            json!({ "reason": "Caller could not read a code" }),
            &self.agent,
        );
        assert_eq!(escalated.json["state"], "escalated", "{escalated:?}");
        let approved = self.post(
            &Self::path(id, "decision"),
            json!({ "approve": true, "reason": "Known caller, ticket T-100" }),
            &self.manager,
        );
        assert_eq!(approved.status, 200, "{approved:?}");
        assert_eq!(approved.json["state"], "cooling_off");
        id
    }
}

/// Makes the person's authenticator and recovery codes look `days` old.
fn age_mfa(server: &Server, who: &Account, days: i64) {
    for table in [
        "mfa_factors SET confirmed_at = confirmed_at",
        "recovery_codes SET created_at = created_at",
    ] {
        server.sql_exec(&format!(
            "UPDATE {table} - {} WHERE user_id = {}",
            days * 24 * 3600,
            who.id
        ));
    }
}

/// A member who never set up MFA, signed in with the password alone.
fn signed_in_without_mfa(server: &Server, org: &str) -> Account {
    let email = server.user_in(org, "member");
    let login = server.login(&email, PASSWORD);
    assert_eq!(login.json["status"], "authenticated", "{login:?}");
    Account {
        id: server.user_id(&email),
        email,
        secret: Vec::new(),
        token: login.json["access_token"].as_str().unwrap().to_string(),
    }
}

fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.json["error"], code, "{reply:?}");
}

/// The "This wasn't me" token in the newest pass mail to `recipient`.
fn cancel_token(server: &Server, recipient: &str) -> String {
    let mail = mail_to(server, recipient)
        .into_iter()
        .find(|m| m.contains("/support/cancel?token="))
        .unwrap_or_else(|| panic!("no pass mail to {recipient}"));
    mail.split("/support/cancel?token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn only_authorized_contacts_ask_and_only_for_their_own_people(backend: Backend) {
    let d = Desk::new(backend);
    d.server.org("company", "globex", None);
    let outsider = d.server.account("globex", "member");

    // A member who is not a contact cannot ask, in the app or by phone.
    let refused = d.post(
        "/api/v1/support/requests",
        json!({ "user_email": d.admin.email }),
        &d.member,
    );
    assert_error(&refused, 403, "not_a_contact");
    let by_phone = d.post(
        "/api/v1/support/requests",
        json!({ "requester_email": d.member.email, "user_email": d.admin.email, "channel": "phone" }),
        &d.agent,
    );
    assert_error(&by_phone, 403, "not_a_contact");
    // The officer asks for someone of another company: nobody there, to them.
    let elsewhere = d.post(
        "/api/v1/support/requests",
        json!({ "user_email": outsider.email }),
        &d.officer,
    );
    assert_error(&elsewhere, 404, "not_found");
    // Nor may the desk take it from them.
    let elsewhere = d.post(
        "/api/v1/support/requests",
        json!({ "requester_email": d.officer.email, "user_email": outsider.email, "channel": "ticket" }),
        &d.agent,
    );
    assert_error(&elsewhere, 403, "not_a_contact");
    // Only the desk files for someone else.
    let not_desk = d.post(
        "/api/v1/support/requests",
        json!({ "requester_email": d.officer.email, "user_email": d.member.email, "channel": "phone" }),
        &d.admin,
    );
    assert_error(&not_desk, 403, "forbidden");
    assert_eq!(d.count("support_requests"), 0);

    // Signed in, nobody asks the desk about themselves: My profile is theirs.
    let own = d.post(
        "/api/v1/support/requests",
        json!({ "user_email": d.officer.email }),
        &d.officer,
    );
    assert_error(&own, 400, "invalid_request");
    // The officer files for their member.
    let filed = d.post(
        "/api/v1/support/requests",
        json!({ "user_email": d.member.email, "note": "Phone lost" }),
        &d.officer,
    );
    assert_eq!(filed.status, 201, "{filed:?}");
    assert_eq!(filed.json["channel"], "in_app");
    assert_eq!(filed.json["requester"]["email"], d.officer.email);
    let id = filed.json["id"].as_i64().unwrap();
    // One open request per person.
    let again = d.post(
        "/api/v1/support/requests",
        json!({ "requester_email": d.officer.email, "user_email": d.member.email, "channel": "phone" }),
        &d.agent,
    );
    assert_error(&again, 409, "request_open");
    assert_eq!(d.count("support_requests"), 1);

    // The requester reads their own request; other people find nothing.
    let own = d.get("/api/v1/support/requests", &d.officer);
    assert_eq!(own.json["requests"].as_array().unwrap().len(), 1, "{own:?}");
    assert_eq!(own.json["requests"][0]["actions"]["issue"], false);
    let path = format!("/api/v1/support/requests/{id}");
    assert_error(&d.get(&path, &outsider), 404, "not_found");
    assert_eq!(
        d.get("/api/v1/support/requests", &outsider).json["requests"],
        json!([])
    );
    // Nobody outside the desk works it.
    let check = d.check(
        id,
        json!({ "method": "last_resort", "passed": true, "note": "x" }),
        &d.officer,
    );
    assert_error(&check, 403, "forbidden");
    // The desk sees it, with what it may do.
    let seen = d.request(id);
    assert_eq!(seen["actions"]["check"], true);
    assert_eq!(seen["timeline"][0]["event"], "request_filed");
    assert_eq!(seen["timeline"][0]["actor"], d.officer.email);
    let listed = d.get("/api/v1/support/requests?state=open", &d.agent);
    assert_eq!(listed.json["requests"][0]["id"], id, "{listed:?}");
    assert_eq!(
        d.get("/api/v1/support/requests?state=active", &d.agent)
            .json["requests"],
        json!([])
    );
    assert_eq!(
        d.server
            .number("SELECT COUNT(*) FROM audit_log WHERE action = 'support.request_filed'"),
        1
    );
}

fn owners_name_the_contacts_and_everyone_hears_of_it(backend: Backend) {
    let server = Server::start(backend);
    server.org("company", COMPANY, None);
    let officer = server.account(COMPANY, "owner");
    let admin = server.account(COMPANY, "admin");
    let member = server.account(COMPANY, "member");
    let shown = server.get("/api/v1/admin/contacts", Some(&admin.token));
    assert_eq!(shown.status, 200, "{shown:?}");
    assert_eq!(shown.json["officer"]["email"], officer.email);
    assert_eq!(shown.json["officer_is_default"], true);
    assert_eq!(shown.json["may_change"], false);
    let put = |body: &Value, by: &Account| {
        server.call(
            "PUT",
            "/api/v1/admin/contacts",
            Some(body.clone()),
            Some(&by.token),
        )
    };

    let body = json!({ "officer_email": officer.email, "technical_emails": [member.email] });
    // Admins are not owners.
    assert_error(&put(&body, &admin), 403, "forbidden");
    // Four technical contacts, someone of another company, or one named twice: refused.
    server.org("company", "globex", None);
    let outsider = server.user_in("globex", "member");
    for bad in [
        json!({ "officer_email": officer.email, "technical_emails": [member.email, admin.email, "a@example.com", "b@example.com"] }),
        json!({ "officer_email": officer.email, "technical_emails": [outsider] }),
        json!({ "officer_email": officer.email, "technical_emails": [officer.email] }),
    ] {
        assert_error(&put(&bad, &officer), 400, "invalid_request");
    }
    assert_eq!(server.number("SELECT COUNT(*) FROM authorized_contacts"), 0);
    // Another company's owner finds nothing here.
    let other_owner = server.account("globex", "owner");
    let org_id = server.number(&format!(
        "SELECT id FROM organizations WHERE slug = '{COMPANY}'"
    ));
    let elsewhere = server.call(
        "PUT",
        &format!("/api/v1/admin/contacts?org={org_id}"),
        Some(body.clone()),
        Some(&other_owner.token),
    );
    assert_error(&elsewhere, 404, "not_found");

    let saved = put(&body, &officer);
    assert_eq!(saved.status, 200, "{saved:?}");
    assert_eq!(saved.json["officer_is_default"], false);
    assert_eq!(saved.json["technical"][0]["email"], member.email);
    for told in [&admin.email, &officer.email, &member.email] {
        assert!(
            mail_to(&server, told)[0].contains("authorized officer"),
            "{told} was not told"
        );
    }
    assert_eq!(
        server.number("SELECT COUNT(*) FROM audit_log WHERE action = 'contacts.changed'"),
        1
    );
    // The technical contact may now ask, for the admin.
    let filed = server.post(
        "/api/v1/support/requests",
        json!({ "user_email": admin.email }),
        Some(&member.token),
    );
    assert_eq!(filed.status, 201, "{filed:?}");
}

fn a_support_code_proves_the_requester_once_and_the_agent_issues_a_pass(backend: Backend) {
    let d = Desk::new(backend);
    let id = d.file(&d.tech, &d.member);
    let seen = d.request(id);
    assert_eq!(seen["needs_manager"], true, "no proof yet");
    assert_eq!(seen["actions"]["issue"], false);
    // Issuing without proof changes nothing.
    assert_error(
        &d.post(&Desk::path(id, "issue"), json!({}), &d.agent),
        403,
        "forbidden",
    );

    let code = d.get("/api/v1/support/code", &d.tech).json["code"]
        .as_str()
        .unwrap()
        .to_string();
    let wrong = format!("{:08}", (code.parse::<u64>().unwrap() + 1) % 100_000_000);
    let failed = d.check(
        id,
        json!({ "method": "support_code", "code": wrong }),
        &d.agent,
    );
    assert_eq!(
        failed.json,
        json!({ "passed": false, "checks_left": 2 }),
        "{failed:?}"
    );
    let passed = d.check(
        id,
        json!({ "method": "support_code", "code": code }),
        &d.agent,
    );
    assert_eq!(
        passed.json,
        json!({ "passed": true, "checks_left": 2 }),
        "{passed:?}"
    );
    // Used once: the same code no longer matches.
    let replay = d.check(
        id,
        json!({ "method": "support_code", "code": code }),
        &d.agent2,
    );
    assert_eq!(replay.json["passed"], false, "{replay:?}");
    assert!(mail_to(&d.server, &d.tech.email)[0].contains(&format!(
        "your support code to confirm it was you asking for reset request #{id}"
    )));
    // Checks show method, result, agent and time — never the value typed.
    let seen = d.request(id);
    assert_eq!(seen["checks"].as_array().unwrap().len(), 3);
    assert_eq!(seen["checks"][1]["method"], "support_code");
    assert_eq!(seen["checks"][1]["by"], d.agent.email);
    assert!(!seen.to_string().contains(&code));
    assert_eq!(
        d.server.number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE details LIKE '%{code}%' OR details LIKE '%{wrong}%'"
        )),
        0
    );
    assert_eq!(seen["needs_manager"], false);

    let issued = d.post(&Desk::path(id, "issue"), json!({}), &d.agent);
    assert_eq!(issued.status, 200, "{issued:?}");
    assert_eq!(issued.json["state"], "active");
    let pass = &issued.json["pass"];
    assert!((pass["active_at"].as_i64().unwrap() - now() as i64).abs() < 30);
    assert_eq!(
        pass["expires_at"].as_i64().unwrap() - pass["active_at"].as_i64().unwrap(),
        24 * 3600
    );
    // Issued twice: the second changes nothing.
    assert_error(
        &d.post(&Desk::path(id, "issue"), json!({}), &d.agent),
        403,
        "forbidden",
    );
    // The target, the requester and the admins are told, each with their own link;
    // the pass itself is not in anyone's hands but the target's password.
    let target_mail = &mail_to(&d.server, &d.member.email)[0];
    assert!(target_mail.contains("sign in at"), "{target_mail}");
    let tokens: Vec<String> = [&d.member.email, &d.tech.email, &d.admin.email]
        .iter()
        .map(|who| cancel_token(&d.server, who))
        .collect();
    assert!(tokens[0] != tokens[1] && tokens[1] != tokens[2]);

    // The member signs in with the password alone, once, and sets up a new authenticator.
    let old_session = d.member.token.clone();
    let new_secret = d.server.reset_at_sign_in(&d.member.email, "reset_pass");
    assert_eq!(d.server.get("/api/v1/me", Some(&old_session)).status, 401);
    // Like every reset, the person hears of it with their own "This wasn't me" link.
    assert!(mail_to(&d.server, &d.member.email).iter().any(|m| m
        .contains("with the permission the support desk granted")
        && m.contains("/not-me?token=")));
    assert_eq!(d.request(id)["state"], "used");
    assert_eq!(
        d.server.number(&format!(
            "SELECT COUNT(*) FROM mfa_factors WHERE user_id = {} AND confirmed_at IS NOT NULL",
            d.member.id
        )),
        1
    );
    // Used once: the next sign-in asks for the new authenticator.
    let again = d.server.login(&d.member.email, PASSWORD);
    assert_eq!(again.json["status"], "mfa_required", "{again:?}");
    let signed_in = d.server.mfa(
        again.json["mfa_token"].as_str().unwrap(),
        "totp",
        &totp_next(&new_secret),
    );
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    // The person is free for a new request once the pass is used.
    d.file(&d.tech, &d.member);
}

fn three_failed_checks_end_the_checking_even_when_sent_at_once(backend: Backend) {
    let d = Desk::new(backend);
    let id = d.file(&d.officer, &d.member);
    // Without a card on file the check is refused and not counted.
    let no_card = d.check(
        id,
        json!({ "method": "card", "last4": "4242", "expiry": "12/29" }),
        &d.agent,
    );
    assert_error(&no_card, 400, "invalid_request");
    d.card_on_file();
    let replies: Vec<Reply> = thread::scope(|scope| {
        let running: Vec<_> = (0..30)
            .map(|_| {
                scope.spawn(|| {
                    d.check(
                        id,
                        json!({ "method": "card", "last4": "1111", "expiry": "12/29" }),
                        &d.agent,
                    )
                })
            })
            .collect();
        running.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let failed = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(failed, 3, "{replies:?}");
    assert!(replies
        .iter()
        .filter(|r| r.status != 200)
        .all(|r| r.status == 403 && r.json["error"] == "checks_exhausted"));
    assert_eq!(d.count("support_checks"), 3);
    // Even the right card is no longer checked; the request can only be escalated.
    let right = d.check(
        id,
        json!({ "method": "card", "last4": "4242", "expiry": "12/29" }),
        &d.agent,
    );
    assert_error(&right, 403, "checks_exhausted");
    let seen = d.request(id);
    assert_eq!(seen["checks_left"], 0);
    assert_eq!(seen["actions"]["check"], false);
    assert_eq!(seen["actions"]["escalate"], true);
    let escalated = d.post(
        &Desk::path(id, "escalate"),
        json!({ "reason": "All checks failed" }),
        &d.agent,
    );
    assert_eq!(escalated.json["state"], "escalated", "{escalated:?}");
}

fn weak_proof_privileged_targets_and_flags_need_a_manager(backend: Backend) {
    let d = Desk::new(backend);
    d.card_on_file();
    // The card alone is knowledge others can learn: a manager decides.
    let id = d.file(&d.officer, &d.member);
    let card = d.check(
        id,
        json!({ "method": "card", "last4": "4242", "expiry": "12/2029" }),
        &d.agent,
    );
    assert_eq!(card.json["passed"], true, "{card:?}");
    let events = d.count("support_events");
    let refused = d.post(&Desk::path(id, "issue"), json!({}), &d.agent);
    assert_error(&refused, 403, "approval_required");
    assert_eq!(d.request(id)["state"], "open");
    assert_eq!(
        d.count("support_events"),
        events,
        "a refusal changes nothing"
    );
    // The agent who verified cannot approve; an agent cannot decide at all.
    let by_agent = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": true, "reason": "ok" }),
        &d.agent2,
    );
    assert_error(&by_agent, 403, "forbidden");
    let approved = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": true, "reason": "Card matches, known caller" }),
        &d.manager,
    );
    assert_eq!(approved.status, 200, "{approved:?}");
    assert_eq!(approved.json["state"], "cooling_off");
    let active_at = approved.json["pass"]["active_at"].as_i64().unwrap();
    assert!(
        (active_at - now() as i64 - 24 * 3600).abs() < 30,
        "{approved:?}"
    );
    // While it cools off, the password alone does nothing.
    assert_eq!(
        d.server.login(&d.member.email, PASSWORD).json["status"],
        "mfa_required"
    );

    // An admin target needs a manager even with a support code.
    let id = d.file(&d.tech, &d.admin);
    d.prove_by_code(id, &d.tech, &d.agent);
    assert_eq!(d.request(id)["needs_manager"], true);
    assert_error(
        &d.post(&Desk::path(id, "issue"), json!({}), &d.agent),
        403,
        "approval_required",
    );
    // A manager who verified it themselves cannot approve it.
    let id2 = {
        d.server.org("company", "initech", None);
        let owner = d.server.account("initech", "owner");
        let member = d.server.account("initech", "member");
        let id2 = d.file(&owner, &member);
        d.prove_by_code(id2, &owner, &d.manager);
        id2
    };
    let own = d.post(
        &Desk::path(id2, "decision"),
        json!({ "approve": true, "reason": "mine" }),
        &d.manager,
    );
    assert_error(&own, 403, "forbidden");

    // A contact without MFA proves no more than their password: a flag.
    let no_mfa = signed_in_without_mfa(&d.server, COMPANY);
    let named = d.server.call(
        "PUT",
        "/api/v1/admin/contacts",
        Some(json!({ "officer_email": d.officer.email, "technical_emails": [d.tech.email, no_mfa.email] })),
        Some(&d.officer.token),
    );
    assert_eq!(named.status, 200, "{named:?}");
    let someone = d.server.account(COMPANY, "member");
    let filed = d.post(
        "/api/v1/support/requests",
        json!({ "user_email": someone.email }),
        &no_mfa,
    );
    // The requester sees neither the flags nor that a manager must decide.
    assert_eq!(filed.json["flags"], json!([]), "{filed:?}");
    assert_eq!(filed.json["needs_manager"], false);
    let seen = d.request(filed.json["id"].as_i64().unwrap());
    assert_eq!(seen["flags"], json!(["requester_without_mfa"]), "{seen}");
    assert_eq!(seen["needs_manager"], true);
    // The officer set up MFA a moment ago: a flag on what they ask.
    let someone = d.server.account(COMPANY, "member");
    let id = d.file(&d.officer, &someone);
    assert_eq!(
        d.request(id)["flags"],
        json!(["company_burst", "requester_mfa_changed"])
    );
    // (That was the fourth for the company in a day: the burst flag is up too.)
    let someone = d.server.account(COMPANY, "member");
    let id = d.file(&d.tech, &someone);
    let seen = d.request(id);
    assert_eq!(seen["flags"], json!(["company_burst"]), "{seen}");
    d.prove_by_code(id, &d.tech, &d.agent);
    assert_error(
        &d.post(&Desk::path(id, "issue"), json!({}), &d.agent),
        403,
        "approval_required",
    );
}

fn escalations_are_decided_by_a_manager_who_did_not_work_them(backend: Backend) {
    let d = Desk::new(backend);
    let manager2 = d.server.account("platform", "manager");
    let id = d.file(&d.officer, &d.member);
    let no_reason = d.post(
        &Desk::path(id, "escalate"),
        json!({ "reason": "  " }),
        &manager2,
    );
    assert_error(&no_reason, 400, "invalid_request");
    let escalated = d.post(
        &Desk::path(id, "escalate"),
        json!({ "reason": "Unsure" }),
        &manager2,
    );
    assert_eq!(escalated.json["state"], "escalated", "{escalated:?}");
    // Not by whoever escalated; the agent's "Issue reset" is not a decision.
    let own = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": true, "reason": "x" }),
        &manager2,
    );
    assert_error(&own, 403, "forbidden");
    assert_error(
        &d.post(&Desk::path(id, "issue"), json!({}), &d.agent),
        403,
        "approval_required",
    );
    // A decision needs a reason; denying ends the request and frees the person.
    let no_reason = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": false, "reason": "" }),
        &d.manager,
    );
    assert_error(&no_reason, 400, "invalid_request");
    let denied = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": false, "reason": "Caller hung up" }),
        &d.manager,
    );
    assert_eq!(denied.json["state"], "denied", "{denied:?}");
    assert_eq!(
        denied.json["timeline"].as_array().unwrap().last().unwrap()["event"],
        "denied"
    );
    let twice = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": true, "reason": "x" }),
        &d.manager,
    );
    assert_error(&twice, 403, "forbidden");
    // Whoever took the call or checked the caller does not decide, even if
    // another agent's check passed.
    let other = d.server.account(COMPANY, "member");
    let id2 = d.file(&d.tech, &other);
    let failed = d.check(
        id2,
        json!({ "method": "last_resort", "passed": false, "note": "Wrong answers" }),
        &d.manager,
    );
    assert_eq!(failed.json["passed"], false, "{failed:?}");
    d.prove_by_code(id2, &d.tech, &d.agent);
    let mine = d.post(
        &Desk::path(id2, "decision"),
        json!({ "approve": true, "reason": "x" }),
        &d.manager,
    );
    assert_error(&mine, 403, "forbidden");
    let by_filer = d.server.account("platform", "manager");
    let third = d.server.account(COMPANY, "member");
    let filed = d.post(
        "/api/v1/support/requests",
        json!({ "requester_email": d.tech.email, "user_email": third.email, "channel": "ticket" }),
        &by_filer,
    );
    let id3 = filed.json["id"].as_i64().unwrap();
    d.prove_by_code(id3, &d.tech, &d.agent);
    let filer = d.post(
        &Desk::path(id3, "decision"),
        json!({ "approve": true, "reason": "x" }),
        &by_filer,
    );
    assert_error(&filer, 403, "forbidden");
    // An open request with no passed check is not the manager's to approve.
    let id = d.file(&d.officer, &d.member);
    let early = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": true, "reason": "x" }),
        &d.manager,
    );
    assert_error(&early, 403, "forbidden");
    // A second person's request shows the repeat flag.
    assert!(d.request(id)["flags"]
        .as_array()
        .unwrap()
        .contains(&json!("repeat_target")));
    let cancelled = d.post(
        &Desk::path(id, "cancel"),
        json!({ "reason": "Duplicate" }),
        &d.agent,
    );
    assert_eq!(cancelled.json["state"], "cancelled", "{cancelled:?}");
}

fn nobody_works_a_request_that_names_them(backend: Backend) {
    let d = Desk::new(backend);
    // The platform's owner names the agent a technical contact of the platform.
    let platform_owner = d.server.account("platform", "owner");
    let named = d.server.call(
        "PUT",
        "/api/v1/admin/contacts",
        Some(json!({ "officer_email": platform_owner.email, "technical_emails": [d.agent.email] })),
        Some(&platform_owner.token),
    );
    assert_eq!(named.status, 200, "{named:?}");
    // The platform's contacts never reach into a tenant's people.
    let tenant = d.post(
        "/api/v1/support/requests",
        json!({ "user_email": d.member.email }),
        &d.agent,
    );
    assert_error(&tenant, 404, "not_found");
    // For a colleague at the desk: the agent asks, so another agent works it,
    // and a reset for the desk's own people always needs a manager.
    let filed = d.post(
        "/api/v1/support/requests",
        json!({ "user_email": d.agent2.email }),
        &d.agent,
    );
    assert_eq!(filed.status, 201, "{filed:?}");
    let id = filed.json["id"].as_i64().unwrap();
    for refused in [
        d.check(
            id,
            json!({ "method": "last_resort", "passed": true, "note": "me" }),
            &d.agent,
        ),
        d.post(&Desk::path(id, "issue"), json!({}), &d.agent),
        d.post(
            &Desk::path(id, "cancel"),
            json!({ "reason": "x" }),
            &d.agent,
        ),
    ] {
        assert_error(&refused, 403, "forbidden");
    }
    assert_eq!(d.request(id)["actions"]["check"], false, "the agent asked");
    // Nor does the person to reset work it.
    let by_target = d.get(&format!("/api/v1/support/requests/{id}"), &d.agent2);
    assert_eq!(by_target.json["actions"]["check"], false, "{by_target:?}");
    let third = d.server.account("platform", "support");
    let seen = d
        .get(&format!("/api/v1/support/requests/{id}"), &third)
        .json;
    assert_eq!(seen["actions"]["check"], true, "{seen}");
    assert_eq!(seen["needs_manager"], true);
    assert_error(
        &d.post(&Desk::path(id, "issue"), json!({}), &third),
        403,
        "approval_required",
    );
}

fn a_contact_removed_since_filing_asks_for_nothing(backend: Backend) {
    let d = Desk::new(backend);
    let id = d.file(&d.tech, &d.member);
    d.prove_by_code(id, &d.tech, &d.agent);
    let named = d.server.call(
        "PUT",
        "/api/v1/admin/contacts",
        Some(json!({ "officer_email": d.officer.email, "technical_emails": [] })),
        Some(&d.officer.token),
    );
    assert_eq!(named.status, 200, "{named:?}");
    assert_error(
        &d.post(&Desk::path(id, "issue"), json!({}), &d.agent),
        403,
        "not_a_contact",
    );
    let approve = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": true, "reason": "x" }),
        &d.manager,
    );
    assert_error(&approve, 403, "not_a_contact");
    assert_eq!(d.request(id)["state"], "open");
}

fn a_stolen_session_cannot_use_a_pass(backend: Backend) {
    let d = Desk::new(backend);
    // A session taken before the pass was issued (an infostealer's cookie).
    let stolen = browser_session(&d.server, &d.member.email, &d.member.secret);
    let id = d.active_pass_for(&d.member);
    let start = form(&d.server, "/sfn/start_account_reset", Some(&stolen), &[]);
    assert!(
        start
            .header("location")
            .unwrap_or_default()
            .contains("error=grant_ended"),
        "{start:?}"
    );
    assert_eq!(d.request(id)["state"], "active");
    // The password at sign-in is what the pass lets through.
    d.server.reset_at_sign_in(&d.member.email, "reset_pass");
    assert_eq!(d.request(id)["state"], "used");
}

fn this_wasnt_me_cancels_before_and_after_the_pass_is_used(backend: Backend) {
    let d = Desk::new(backend);
    // Before activation: the requester's link cancels; the password alone stays useless.
    let id = d.approved_pass_for_member();
    let token = cancel_token(&d.server, &d.officer.email);
    assert_error(
        &d.post(
            "/api/v1/support/not-me",
            json!({ "token": "nonsense" }),
            &d.agent,
        ),
        401,
        "link_invalid",
    );
    let reported = d
        .server
        .post("/api/v1/support/not-me", json!({ "token": token }), None);
    assert_eq!(reported.status, 200, "{reported:?}");
    assert_eq!(
        reported.json,
        json!({ "request_id": id, "state": "cancelled", "reported": true })
    );
    // Again: nothing more happens.
    let events = d.count("support_events");
    assert_eq!(
        d.server
            .post("/api/v1/support/not-me", json!({ "token": token }), None)
            .status,
        200
    );
    assert_eq!(d.count("support_events"), events);
    let seen = d.request(id);
    assert_eq!(seen["reported"], true);
    assert_eq!(
        seen["timeline"].as_array().unwrap().last().unwrap()["event"],
        "reported"
    );
    assert!(mail_to(&d.server, &d.manager.email)[0].contains("This wasn't me"));
    assert_eq!(
        d.server.login(&d.member.email, PASSWORD).json["status"],
        "mfa_required"
    );

    // After use, someone told about it (an admin) says nobody asked: whoever
    // signed in is out, and the person decides with their own link.
    let other = d.server.account(COMPANY, "member");
    let id = d.active_pass_for(&other);
    let secret = d.server.reset_at_sign_in(&other.email, "reset_pass");
    let login = d.server.login(&other.email, PASSWORD);
    let session = d.server.mfa(
        login.json["mfa_token"].as_str().unwrap(),
        "totp",
        &totp_next(&secret),
    );
    let session_token = session.json["access_token"].as_str().unwrap().to_string();
    assert_eq!(d.server.get("/api/v1/me", Some(&session_token)).status, 200);
    let token = cancel_token(&d.server, &d.admin.email);
    let reported = d
        .server
        .post("/api/v1/support/not-me", json!({ "token": token }), None);
    assert_eq!(reported.json["state"], "cancelled", "{reported:?}");
    assert_eq!(d.server.get("/api/v1/me", Some(&session_token)).status, 401);
    assert_eq!(
        d.server.login(&other.email, PASSWORD).json["status"],
        "mfa_required",
        "an admin's word alone wipes nobody's account"
    );
    let own_link = mail_to(&d.server, &other.email)[0]
        .lines()
        .find(|l| l.contains("/not-me?token="))
        .map(|l| l.split("token=").nth(1).unwrap().trim().to_string())
        .expect("the person gets their own link");
    let pressed = form(
        &d.server,
        "/sfn/report_reset",
        None,
        &[("token", &own_link)],
    );
    assert!(
        pressed.header("location").unwrap().starts_with("/not-me"),
        "{pressed:?}"
    );
    // The person's own word: what the pass set up is gone, and the account
    // waits for an administrator.
    assert_error(
        &d.server.login(&other.email, PASSWORD),
        401,
        "invalid_credentials",
    );
    let _ = secret;
    assert_eq!(
        d.server.number(&format!(
            "SELECT COUNT(*) FROM mfa_factors WHERE user_id = {}",
            other.id
        )),
        0
    );
    assert!(d.request(id)["timeline"]
        .to_string()
        .contains("\"pass_was_used\":true"));
}

fn a_sign_in_with_an_old_factor_cancels_the_pass(backend: Backend) {
    let d = Desk::new(backend);
    let id = d.approved_pass_for_member();
    // The "lost" phone works: the member signs in with it during the cooling-off.
    let token = d.server.mfa_token(&d.member.email);
    let signed_in = d.server.mfa(&token, "totp", &totp_next(&d.member.secret));
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    let seen = d.request(id);
    assert_eq!(seen["state"], "cancelled", "{seen}");
    assert_eq!(
        seen["timeline"].as_array().unwrap().last().unwrap()["event"],
        "cancelled_by_sign_in"
    );
    assert!(seen["user"]["last_factor_sign_in_at"].as_i64().is_some());
    assert!(mail_to(&d.server, &d.manager.email)[0]
        .contains("signed in with an authenticator they still have"));
    // A new request for them now carries nothing about that, and the pass stays gone.
    assert_eq!(
        d.server.login(&d.member.email, PASSWORD).json["status"],
        "mfa_required"
    );
}

fn customers_see_what_the_desk_did_to_their_people(backend: Backend) {
    let d = Desk::new(backend);
    d.server.org("company", "globex", None);
    let other_admin = d.server.account("globex", "admin");
    let id = d.file(&d.officer, &d.member);
    d.check(
        id,
        json!({ "method": "last_resort", "passed": false, "note": "Could not answer question 2" }),
        &d.agent,
    );

    let seen = d.get("/api/v1/admin/support", &d.admin);
    assert_eq!(seen.status, 200, "{seen:?}");
    let request = &seen.json["requests"][0];
    assert_eq!(request["id"], id);
    assert_eq!(request["checks"][0]["passed"], false);
    // The procedure's notes stay at the desk; customers cannot act.
    assert_eq!(request["checks"][0]["note"], "");
    assert_eq!(request["actions"]["check"], false);
    assert_eq!(
        d.get(&format!("/api/v1/support/requests/{id}"), &d.admin)
            .json["id"],
        id
    );
    assert_eq!(
        d.get("/api/v1/admin/support", &other_admin).json["requests"],
        json!([])
    );
    assert_error(
        &d.get(&format!("/api/v1/support/requests/{id}"), &other_admin),
        404,
        "not_found",
    );
    assert_error(&d.get("/api/v1/admin/support", &d.member), 403, "forbidden");
    // Audited in the company's own chain.
    assert_eq!(
        d.server.number(&format!(
            "SELECT COUNT(*) FROM audit_log a JOIN organizations o ON o.id = a.org_id \
             WHERE o.slug = '{COMPANY}' AND a.action LIKE 'support.%'"
        )),
        2
    );
    d.server.cli_ok(&["audit", "verify"], None);
}

fn desk_input_is_bounded_and_checked(backend: Backend) {
    let d = Desk::new(backend);
    // Bodies over the server's limit are refused before any handler (tests/input.rs).
    let long = d.post(
        "/api/v1/support/requests",
        json!({ "requester_email": d.officer.email, "user_email": d.member.email, "channel": "phone", "note": "n".repeat(2001) }),
        &d.agent,
    );
    assert_error(&long, 400, "invalid_request");
    let control = d.post(
        "/api/v1/support/requests",
        json!({ "requester_email": d.officer.email, "user_email": d.member.email, "channel": "phone", "reference": "T-1\u{7}" }),
        &d.agent,
    );
    assert_error(&control, 400, "invalid_request");
    for channel in ["fax", "in_app"] {
        let reply = d.post(
            "/api/v1/support/requests",
            json!({ "requester_email": d.officer.email, "user_email": d.member.email, "channel": channel }),
            &d.agent,
        );
        assert_error(&reply, 400, "invalid_request");
    }
    assert_eq!(d.count("support_requests"), 0);
    let id = d.file(&d.officer, &d.member);
    assert_error(
        &d.get("/api/v1/support/requests/99999999999999", &d.agent),
        404,
        "not_found",
    );
    assert_error(
        &d.get("/api/v1/support/requests?state=lost", &d.agent),
        400,
        "invalid_request",
    );
    for bad in [
        json!({ "method": "support_code", "code": "1234" }),
        json!({ "method": "support_code" }),
        json!({ "method": "card", "last4": "42", "expiry": "12/29" }),
        json!({ "method": "card", "last4": "4242", "expiry": "13/29" }),
        json!({ "method": "last_resort", "passed": true, "note": "" }),
        json!({ "method": "sms" }),
    ] {
        assert_error(&d.check(id, bad, &d.agent), 400, "invalid_request");
    }
    assert_eq!(
        d.request(id)["checks_left"],
        3,
        "malformed checks are not counted"
    );
    assert_eq!(d.server.get("/api/v1/support/requests", None).status, 401);
}

fn a_cooling_off_of_zero_makes_an_approved_pass_work_at_once(backend: Backend) {
    let server = Server::start_with(backend, &[("GATEHOUSE_SUPPORT_COOLING_OFF_SECONDS", "0")]);
    let d = Desk::with(server);
    let id = d.file(&d.officer, &d.member);
    d.post(
        &Desk::path(id, "escalate"),
        json!({ "reason": "No code" }),
        &d.agent,
    );
    let approved = d.post(
        &Desk::path(id, "decision"),
        json!({ "approve": true, "reason": "Verified by a call back" }),
        &d.manager,
    );
    assert_eq!(approved.json["state"], "active", "{approved:?}");
    d.server.reset_at_sign_in(&d.member.email, "reset_pass");
    assert_eq!(d.request(id)["state"], "used");
}
