//! Passkeys against a real server on both databases, with webauthn-rs's
//! software authenticator (`tools/softkey`) as the device: adding one,
//! signing in with it and its counter, the ceremonies that must be refused
//! (replayed, expired, another origin, no user verification), removing one,
//! and the resets that take passkeys away with the other factors (their
//! own, an administrator's, recovery by email, a partner's grant; a support
//! pass ends in the same enrollment step as the last two), and
//! roles that require a passkey (the platform's support desk by default).

mod common;
#[path = "../../tools/softkey/client.rs"]
mod softkey;

use common::*;
use serde_json::{json, Value};
use softkey::SoftKey;

on_both_databases!(
    add_sign_in_and_count,
    refused_ceremonies,
    remove_and_the_last_factor,
    ten_at_most,
    confirm_it_is_you_with_a_passkey,
    resets_take_passkeys_away,
    passkeys_need_a_domain,
    the_support_desk_signs_in_with_passkeys,
    a_role_can_require_a_passkey,
);

/// A server whose public URL has a domain (localhost), as passkeys need.
fn start(backend: Backend) -> (Server, String) {
    let port = free_port();
    let origin = format!("http://localhost:{port}");
    let server = Server::start_with(
        backend,
        &[
            ("LEPTOS_SITE_ADDR", &format!("127.0.0.1:{port}")),
            ("GATEHOUSE_PUBLIC_URL", &origin),
        ],
    );
    (server, origin)
}

/// The options for a new passkey of the account of `bearer`.
fn registration_options(server: &Server, bearer: &str) -> Reply {
    server.post(
        "/api/v1/me/passkeys/registration/options",
        json!({}),
        Some(bearer),
    )
}

/// The options of the second stage of the sign-in `mfa_token`.
fn sign_in_options(server: &Server, mfa_token: &str) -> Reply {
    server.post(
        "/api/v1/auth/mfa/passkey/options",
        json!({ "mfa_token": mfa_token }),
        None,
    )
}

/// Adds a passkey to the account of `bearer`: its id.
fn add_passkey(server: &Server, origin: &str, key: &mut SoftKey, bearer: &str, name: &str) -> i64 {
    let options = registration_options(server, bearer);
    assert_eq!(options.status, 200, "{options:?}");
    let credential = key.register(origin, &options.json["publicKey"]);
    let added = server.post(
        "/api/v1/me/passkeys/registration",
        json!({ "ceremony_id": options.json["ceremony_id"], "name": name, "credential": credential }),
        Some(bearer),
    );
    assert_eq!(added.status, 201, "{added:?}");
    added.json["id"].as_i64().unwrap()
}

/// The second stage's options and the key's answer to them.
fn sign_in_answer(server: &Server, origin: &str, key: &mut SoftKey, mfa_token: &str) -> Value {
    let options = sign_in_options(server, mfa_token);
    assert_eq!(options.status, 200, "{options:?}");
    let credential = key.sign(origin, &options.json["publicKey"]);
    json!({
        "mfa_token": mfa_token,
        "method": "passkey",
        "ceremony_id": options.json["ceremony_id"],
        "credential": credential,
    })
}

fn passkeys_of(server: &Server, user_id: i64) -> i64 {
    server.number(&format!(
        "SELECT COUNT(*) FROM mfa_factors WHERE user_id = {user_id} AND kind = 'passkey'"
    ))
}

fn add_sign_in_and_count(backend: Backend) {
    let (server, origin) = start(backend);
    let account = server.account("platform", "owner");
    let mut key = SoftKey::new();

    // The options name this site and ask for user verification.
    let options = registration_options(&server, &account.token);
    assert_eq!(options.status, 200, "{options:?}");
    assert_eq!(options.json["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(
        options.json["publicKey"]["authenticatorSelection"]["userVerification"],
        "required"
    );
    let id = add_passkey(&server, &origin, &mut key, &account.token, " Work  laptop ");
    let list = server.get("/api/v1/me/passkeys", Some(&account.token));
    assert_eq!(list.status, 200, "{list:?}");
    assert_eq!(list.json[0]["id"], id);
    assert_eq!(list.json[0]["label"], "Work laptop");
    eventually("the added-passkey mail", || {
        mail_to(&server, &account.email)
            .iter()
            .any(|m| m.contains("The passkey “Work laptop” was added"))
    });
    assert_eq!(audited(&server, &["mfa.factor_added"]), 2);

    // At sign-in the passkey is offered first, and signs in.
    let login = server.login(&account.email, PASSWORD);
    assert_eq!(login.json["methods"][0], "passkey", "{login:?}");
    let token = login.json["mfa_token"].as_str().unwrap().to_string();
    let answer = sign_in_answer(&server, &origin, &mut key, &token);
    let signed_in = server.post("/api/v1/auth/mfa", answer.clone(), None);
    assert_eq!(signed_in.status, 200, "{signed_in:?}");
    assert_eq!(signed_in.json["status"], "authenticated");
    let counter = server.number(&format!(
        "SELECT sign_count FROM mfa_factors WHERE id = {id}"
    ));
    assert!(counter >= 1, "the counter moved: {counter}");
    let used = server.number(&format!(
        "SELECT COUNT(*) FROM mfa_factors WHERE id = {id} AND last_used_at IS NOT NULL"
    ));
    assert_eq!(used, 1);

    // The same answer for a new sign-in: its ceremony is gone.
    let token = server.mfa_token(&account.email);
    let mut replay = answer.clone();
    replay["mfa_token"] = json!(token);
    let refused = server.post("/api/v1/auth/mfa", replay, None);
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(refused.json["error"], "passkey_rejected");
    assert_eq!(refused.json["tries_left"], 4);

    // A second sign-in moves the counter on; an answer cannot be reused
    // after the attempt that used it either. Options asked for again and
    // again: the newest still works.
    for _ in 0..6 {
        let options = sign_in_options(&server, &token);
        assert_eq!(options.status, 200, "{options:?}");
    }
    let answer = sign_in_answer(&server, &origin, &mut key, &token);
    let second = server.post("/api/v1/auth/mfa", answer.clone(), None);
    assert_eq!(second.status, 200, "{second:?}");
    let later = server.number(&format!(
        "SELECT sign_count FROM mfa_factors WHERE id = {id}"
    ));
    assert!(later > counter, "{later} > {counter}");
    let again = server.post("/api/v1/auth/mfa", answer, None);
    assert_eq!(again.json["error"], "mfa_token_invalid", "{again:?}");

    // A counter that goes backwards (a cloned key) is refused.
    server.sql_exec(&format!(
        "UPDATE mfa_factors SET sign_count = 1000000 WHERE id = {id}"
    ));
    let token = server.mfa_token(&account.email);
    let answer = sign_in_answer(&server, &origin, &mut key, &token);
    let cloned = server.post("/api/v1/auth/mfa", answer, None);
    assert_eq!(cloned.json["error"], "passkey_rejected", "{cloned:?}");

    // Thirty copies of one answer at once sign in once at most (the losers
    // may use up the attempt first, or lock the second factor).
    server.sql_exec(&format!(
        "UPDATE mfa_factors SET sign_count = {later} WHERE id = {id}"
    ));
    let token = server.mfa_token(&account.email);
    let answer = sign_in_answer(&server, &origin, &mut key, &token);
    let replies = at_once(30, |_| {
        server.post("/api/v1/auth/mfa", answer.clone(), None)
    });
    let signed_in = replies.iter().filter(|r| r.status == 200).count();
    assert!(signed_in <= 1, "{replies:?}");
    assert!(
        replies.iter().all(|r| [200, 401, 429].contains(&r.status)),
        "{replies:?}"
    );
}

fn refused_ceremonies(backend: Backend) {
    let (server, origin) = start(backend);
    let account = server.account("platform", "owner");
    let mut key = SoftKey::new();

    // A device without user verification cannot be added.
    let mut lazy = SoftKey::without_user_verification();
    let options = registration_options(&server, &account.token);
    let credential = lazy.register(&origin, &options.json["publicKey"]);
    let refused = server.post(
        "/api/v1/me/passkeys/registration",
        json!({ "ceremony_id": options.json["ceremony_id"], "credential": credential }),
        Some(&account.token),
    );
    assert_eq!(refused.status, 400, "{refused:?}");

    // A registration ceremony answers once.
    let options = registration_options(&server, &account.token);
    let credential = key.register(&origin, &options.json["publicKey"]);
    let body = json!({ "ceremony_id": options.json["ceremony_id"], "credential": credential });
    let first = server.post(
        "/api/v1/me/passkeys/registration",
        body.clone(),
        Some(&account.token),
    );
    assert_eq!(first.status, 201, "{first:?}");
    let twice = server.post(
        "/api/v1/me/passkeys/registration",
        body,
        Some(&account.token),
    );
    assert_eq!(twice.status, 400, "{twice:?}");
    assert_eq!(passkeys_of(&server, account.id), 1);

    // Another account cannot answer this account's ceremony.
    let other = server.account("platform", "owner");
    let options = registration_options(&server, &account.token);
    let credential = SoftKey::new().register(&origin, &options.json["publicKey"]);
    let stolen = server.post(
        "/api/v1/me/passkeys/registration",
        json!({ "ceremony_id": options.json["ceremony_id"], "credential": credential }),
        Some(&other.token),
    );
    assert_eq!(stolen.status, 400, "{stolen:?}");
    assert_eq!(passkeys_of(&server, other.id), 0);

    // A sign-in answer made for another origin (a phishing page relaying
    // the options) is refused and counted.
    let token = server.mfa_token(&account.email);
    let options = sign_in_options(&server, &token);
    let phished = key.ask(
        "authenticate",
        "http://localhost.evil.example",
        &options.json["publicKey"],
        false,
    );
    assert!(phished.get("error").is_none(), "{phished}");
    let refused = server.post(
        "/api/v1/auth/mfa",
        json!({ "mfa_token": token, "method": "passkey", "ceremony_id": options.json["ceremony_id"], "credential": phished }),
        None,
    );
    assert_eq!(refused.json["error"], "passkey_rejected", "{refused:?}");
    assert_eq!(refused.json["tries_left"], 4);

    // An expired ceremony is refused, and used up.
    let options = sign_in_options(&server, &token);
    let credential = key.sign(&origin, &options.json["publicKey"]);
    server.sql_exec("UPDATE passkey_ceremonies SET expires_at = 0");
    let body = json!({ "mfa_token": token, "method": "passkey", "ceremony_id": options.json["ceremony_id"], "credential": credential });
    let expired = server.post("/api/v1/auth/mfa", body, None);
    assert_eq!(expired.json["error"], "passkey_rejected", "{expired:?}");
    let open = "SELECT COUNT(*) FROM passkey_ceremonies WHERE purpose = 'sign_in'";
    assert_eq!(server.number(open), 0);

    // Nonsense in every field is a refusal, never a fault.
    for credential in [
        json!(null),
        json!("x"),
        json!({ "id": "\u{7}", "response": 1 }),
    ] {
        let body = json!({ "mfa_token": token, "method": "passkey", "ceremony_id": "\u{0}", "credential": credential });
        let reply = server.post("/api/v1/auth/mfa", body, None);
        assert!(reply.status < 500, "{reply:?}");
    }

    // Asking for options again and again keeps a bounded number of ceremonies.
    for _ in 0..20 {
        registration_options(&server, &account.token);
    }
    let open = server.number(&format!(
        "SELECT COUNT(*) FROM passkey_ceremonies WHERE user_id = {}",
        account.id
    ));
    assert!(open <= 5, "{open} ceremonies kept");

    // Options need a recent sign-in, like every new factor.
    server.sql_exec(&format!(
        "UPDATE api_tokens SET created_at = created_at - 3600 WHERE user_id = {}",
        account.id
    ));
    let stale = registration_options(&server, &account.token);
    assert_eq!(stale.json["error"], "step_up_required", "{stale:?}");
}

fn remove_and_the_last_factor(backend: Backend) {
    let (server, origin) = start(backend);
    let account = server.account("platform", "owner");
    let mut key = SoftKey::new();
    let id = add_passkey(&server, &origin, &mut key, &account.token, "Phone");

    let renamed = server.call(
        "PATCH",
        &format!("/api/v1/me/passkeys/{id}"),
        Some(json!({ "name": "Old phone" })),
        Some(&account.token),
    );
    assert_eq!(renamed.json["label"], "Old phone", "{renamed:?}");

    // Another account's passkey is not found; nor is an authenticator app.
    let other = server.account("platform", "owner");
    let foreign = server.call(
        "DELETE",
        &format!("/api/v1/me/passkeys/{id}"),
        None,
        Some(&other.token),
    );
    assert_eq!(foreign.status, 404, "{foreign:?}");
    let app = server.number(&format!(
        "SELECT id FROM mfa_factors WHERE user_id = {} AND kind = 'totp'",
        account.id
    ));
    let not_a_passkey = server.call(
        "DELETE",
        &format!("/api/v1/me/passkeys/{app}"),
        None,
        Some(&account.token),
    );
    assert_eq!(not_a_passkey.status, 404, "{not_a_passkey:?}");

    // The last factor of a role that requires MFA stays.
    server.sql_exec(&format!("DELETE FROM mfa_factors WHERE id = {app}"));
    let last = server.call(
        "DELETE",
        &format!("/api/v1/me/passkeys/{id}"),
        None,
        Some(&account.token),
    );
    assert_eq!(last.json["error"], "last_factor", "{last:?}");

    let second = add_passkey(&server, &origin, &mut key, &account.token, "");
    let removed = server.call(
        "DELETE",
        &format!("/api/v1/me/passkeys/{id}"),
        None,
        Some(&account.token),
    );
    assert_eq!(removed.status, 204, "{removed:?}");
    assert_eq!(passkeys_of(&server, account.id), 1);
    eventually("the removed-passkey mail", || {
        mail_to(&server, &account.email)
            .iter()
            .any(|m| m.contains("The passkey “Old phone” was removed"))
    });
    // The token that removed it still works; the removed key no longer signs in.
    let me = server.get("/api/v1/me/passkeys", Some(&account.token));
    assert_eq!(me.json[0]["id"], second);
    assert_eq!(me.json[0]["label"], "Passkey 2", "{me:?}");
}

fn ten_at_most(backend: Backend) {
    let (server, origin) = start(backend);
    let account = server.account("platform", "owner");
    let mut key = SoftKey::new();
    for n in 1..=10 {
        add_passkey(
            &server,
            &origin,
            &mut key,
            &account.token,
            &format!("Key {n}"),
        );
    }
    let options = registration_options(&server, &account.token);
    assert_eq!(options.status, 400, "{options:?}");
    assert!(options.json["message"]
        .as_str()
        .unwrap()
        .contains("remove one you no longer use"));
    assert_eq!(passkeys_of(&server, account.id), 10);
}

/// Posts "Confirm it's you" with the password and a passkey's answer to `options`.
fn confirm_identity(
    server: &Server,
    session: &str,
    password: &str,
    options: &Reply,
    credential: &Value,
) -> Reply {
    form(
        server,
        "/sfn/confirm_identity",
        Some(session),
        &[
            ("password", password),
            ("ceremony_id", options.json["ceremony_id"].as_str().unwrap()),
            ("credential", &credential.to_string()),
            ("next", "/profile"),
        ],
    )
}

/// "Confirm it's you" in a browser: the password and a passkey, instead of a code.
fn confirm_it_is_you_with_a_passkey(backend: Backend) {
    let (server, origin) = start(backend);
    let account = server.account("platform", "owner");
    let mut key = SoftKey::new();
    add_passkey(&server, &origin, &mut key, &account.token, "");
    let session = browser_session(&server, &account.email, &account.secret);
    let confirm = |password: &str, key: &mut SoftKey| {
        let options = script_call(&server, "/sfn/step_up_passkey_options", Some(&session), &[]);
        assert_eq!(options.status, 200, "{options:?}");
        let credential = key.sign(&origin, &options.json["publicKey"]);
        confirm_identity(&server, &session, password, &options, &credential)
    };
    let wrong = confirm("not the password at all", &mut key);
    assert!(
        wrong
            .header("location")
            .unwrap()
            .contains("error=invalid_password"),
        "{wrong:?}"
    );
    let right = confirm(PASSWORD, &mut key);
    assert_eq!(right.header("location"), Some("/profile"), "{right:?}");
    assert_eq!(audited(&server, &["login.step_up"]), 1);

    // A sign-in ceremony does not confirm a step-up.
    let token = server.mfa_token(&account.email);
    let options = sign_in_options(&server, &token);
    let credential = key.sign(&origin, &options.json["publicKey"]);
    let session = session_cookie(&right).unwrap_or(session.clone());
    let crossed = confirm_identity(&server, &session, PASSWORD, &options, &credential);
    assert!(
        crossed
            .header("location")
            .unwrap()
            .contains("error=passkey_rejected"),
        "{crossed:?}"
    );
}

fn resets_take_passkeys_away(backend: Backend) {
    let (server, origin) = start(backend);
    let mut key = SoftKey::new();

    // The person resets their own MFA.
    let own = server.account("platform", "owner");
    add_passkey(&server, &origin, &mut key, &own.token, "");
    let reset = server.post(
        "/api/v1/mfa/reset",
        json!({ "password": PASSWORD }),
        Some(&own.token),
    );
    assert!(reset.status < 300, "{reset:?}");
    assert_eq!(passkeys_of(&server, own.id), 0);

    // An administrator removes a member's factors.
    let admin = server.account("platform", "owner");
    let member = server.account("platform", "member");
    add_passkey(&server, &origin, &mut key, &member.token, "");
    let disabled = server.post(
        &format!("/api/v1/admin/users/{}/mfa/disable", member.id),
        json!({}),
        Some(&admin.token),
    );
    assert_eq!(disabled.status, 204, "{disabled:?}");
    assert_eq!(passkeys_of(&server, member.id), 0);

    // Recovery by email ends in a new authenticator, which replaces them all.
    let lost = server.account("platform", "owner");
    add_passkey(&server, &origin, &mut key, &lost.token, "");
    let recovery = recover_by_email(&server, &lost.email);
    let (_, confirm) = server.enroll_at_sign_in(&recovery);
    assert_eq!(confirm.status, 200, "{confirm:?}");
    assert_eq!(passkeys_of(&server, lost.id), 0);

    // A partner's grant ends in a new authenticator, which replaces them too.
    server.org("partner", "msp", None);
    server.org("company", "acme", Some("msp"));
    let partner = server.account("msp", "admin");
    let covered = server.account("acme", "member");
    add_passkey(&server, &origin, &mut key, &covered.token, "");
    let acme = server.number("SELECT id FROM organizations WHERE slug = 'acme'");
    let grant = server.post(
        &format!("/api/v1/msp/customers/{acme}/grants"),
        json!({ "duration_minutes": 60, "reason": "Lost phone", "user_ids": [covered.id] }),
        Some(&partner.token),
    );
    assert_eq!(grant.status, 201, "{grant:?}");
    server.reset_at_sign_in(&covered.email, "reset_permission");
    assert_eq!(passkeys_of(&server, covered.id), 0);
    assert_eq!(
        server.number("SELECT COUNT(*) FROM mfa_factors WHERE kind = 'passkey'"),
        0
    );
}

fn passkeys_need_a_domain(backend: Backend) {
    // The default public URL is an IP address: no relying party, so no
    // passkeys are offered, and asking for options says why.
    let server = Server::start(backend);
    let account = server.account("platform", "owner");
    let options = registration_options(&server, &account.token);
    assert_eq!(options.status, 400, "{options:?}");
    assert!(options.json["message"]
        .as_str()
        .unwrap()
        .contains("GATEHOUSE_PUBLIC_URL"));
    let login = server.login(&account.email, PASSWORD);
    assert_eq!(login.json["methods"][0], "totp", "{login:?}");
}

/// Adds a passkey at a sign-in that waits for a new factor (`mfa_token`):
/// the answer of the confirmation.
fn enroll_passkey(server: &Server, origin: &str, key: &mut SoftKey, mfa_token: &str) -> Reply {
    let options = server.post(
        "/api/v1/mfa/passkey/setup",
        json!({ "mfa_token": mfa_token }),
        None,
    );
    assert_eq!(options.status, 200, "{options:?}");
    let credential = key.register(origin, &options.json["publicKey"]);
    server.post(
        "/api/v1/mfa/passkey/confirm",
        json!({ "mfa_token": mfa_token, "ceremony_id": options.json["ceremony_id"], "credential": credential }),
        None,
    )
}

/// Signs in by email (an emailed code at the second stage): the mfa_token
/// of the recovery that must set up a new factor.
fn recover_by_email(server: &Server, email: &str) -> String {
    let token = server.mfa_token(email);
    let sent = server.post(
        "/api/v1/auth/mfa/send",
        json!({ "mfa_token": token, "method": "email_otp" }),
        None,
    );
    assert_eq!(sent.status, 202, "{sent:?}");
    let mail = mail_to(server, email)
        .into_iter()
        .find(|m| m.contains("Your sign-in code is"))
        .expect("a code mail");
    let code = &mail.split("Your sign-in code is ").nth(1).unwrap()[..6];
    let recovered = server.mfa(&token, "email_otp", code);
    assert_eq!(recovered.json["reason"], "recovery", "{recovered:?}");
    recovered.json["mfa_token"].as_str().unwrap().to_string()
}

/// An authenticator offered where only a passkey will do is refused.
fn totp_refused(server: &Server, mfa_token: &str) {
    let setup = server.post(
        "/api/v1/mfa/totp/setup",
        json!({ "mfa_token": mfa_token }),
        None,
    );
    assert_eq!(setup.status, 403, "{setup:?}");
    assert_eq!(setup.json["error"], "passkey_required");
    let confirm = server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "mfa_token": mfa_token, "code": "123456" }),
        None,
    );
    assert_eq!(confirm.json["error"], "passkey_required", "{confirm:?}");
}

fn role_named<'a>(roles: &'a Value, name: &str) -> &'a Value {
    roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no role {name}: {roles}"))
}

fn the_support_desk_signs_in_with_passkeys(backend: Backend) {
    let (server, origin) = start(backend);
    let owner = server.account("platform", "owner");
    // On by default for the support desk only.
    let roles = server.get("/api/v1/admin/roles", Some(&owner.token));
    assert_eq!(roles.status, 200, "{roles:?}");
    for (name, required) in [
        ("support", true),
        ("manager", true),
        ("owner", false),
        ("member", false),
    ] {
        assert_eq!(role_named(&roles.json, name)["passkey_required"], required);
    }

    // A new agent's first factor is a passkey: an authenticator is refused.
    let agent = server.user_in("platform", "support");
    let agent_id = server.user_id(&agent);
    let login = server.login(&agent, PASSWORD);
    assert_eq!(login.json["status"], "enrollment_required", "{login:?}");
    assert_eq!(login.json["reason"], "mfa_required");
    let token = login.json["mfa_token"].as_str().unwrap().to_string();
    totp_refused(&server, &token);
    let mut key = SoftKey::new();
    let enrolled = enroll_passkey(&server, &origin, &mut key, &token);
    assert_eq!(enrolled.status, 200, "{enrolled:?}");
    assert_eq!(enrolled.json["status"], "authenticated");
    let codes: Vec<String> = enrolled.json["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    // The attempt is used: the same token cannot enroll another.
    let again = server.post(
        "/api/v1/mfa/passkey/setup",
        json!({ "mfa_token": token }),
        None,
    );
    assert_eq!(again.json["error"], "mfa_token_invalid", "{again:?}");

    // The passkey signs the agent in.
    let token = server.mfa_token(&agent);
    let answer = sign_in_answer(&server, &origin, &mut key, &token);
    let signed_in = server.post("/api/v1/auth/mfa", answer, None);
    assert_eq!(signed_in.json["status"], "authenticated", "{signed_in:?}");

    // With a passkey, codes are neither offered nor accepted — not even a
    // right one, which a fake page could have relayed — and a refusal
    // costs no try.
    let login = server.login(&agent, PASSWORD);
    assert_eq!(
        login.json["methods"],
        json!(["passkey", "email_otp"]),
        "{login:?}"
    );
    let token = login.json["mfa_token"].as_str().unwrap().to_string();
    for _ in 0..6 {
        let refused = server.mfa(&token, "recovery_code", &codes[0]);
        assert_eq!(refused.status, 403, "{refused:?}");
        assert_eq!(refused.json["error"], "passkey_required");
    }
    assert_eq!(audited(&server, &["login.refused_passkey_required"]), 6);
    let answer = sign_in_answer(&server, &origin, &mut key, &token);
    let signed_in = server.post("/api/v1/auth/mfa", answer, None);
    assert_eq!(signed_in.json["status"], "authenticated", "{signed_in:?}");
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = {agent_id} AND used_at IS NULL"
        )),
        10,
        "the refused code was not used"
    );

    // Recovery by email ends in a passkey too, which replaces the others.
    let recovery = recover_by_email(&server, &agent);
    totp_refused(&server, &recovery);
    let mut new_key = SoftKey::new();
    let enrolled = enroll_passkey(&server, &origin, &mut new_key, &recovery);
    assert_eq!(enrolled.status, 200, "{enrolled:?}");
    assert_eq!(
        enrolled.json["recovery_codes"].as_array().unwrap().len(),
        10
    );
    assert_eq!(passkeys_of(&server, agent_id), 1);

    // The operator can turn it off (a desk without passkeys yet): a
    // recovery code then signs the agent in.
    let code = enrolled.json["recovery_codes"][0].as_str().unwrap();
    server.cli_ok(
        &[
            "role",
            "passkey-required",
            "--org",
            "platform",
            "--role",
            "support",
            "off",
        ],
        None,
    );
    assert_eq!(audited(&server, &["role.passkey_required_changed"]), 1);
    let token = server.mfa_token(&agent);
    let signed_in = server.mfa(&token, "recovery_code", code);
    assert_eq!(signed_in.json["status"], "authenticated", "{signed_in:?}");
}

fn a_role_can_require_a_passkey(backend: Backend) {
    let (server, origin) = start(backend);
    let owner = server.account("platform", "owner");
    let member = server.account("platform", "member");
    let roles = server.get("/api/v1/admin/roles", Some(&owner.token));
    let member_role = role_named(&roles.json, "member")["id"].as_i64().unwrap();
    let path = format!("/api/v1/admin/roles/{member_role}");
    let set = |required: bool| {
        let reply = server.call(
            "PATCH",
            &path,
            Some(json!({ "passkey_required": required })),
            Some(&owner.token),
        );
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.json["passkey_required"], required);
        assert_eq!(reply.json["mfa_required"], true, "the other switch stays");
    };
    // Only someone who manages roles turns it on.
    let refused = server.call(
        "PATCH",
        &path,
        Some(json!({ "passkey_required": true })),
        Some(&member.token),
    );
    assert_eq!(refused.status, 403, "{refused:?}");
    // Managing roles is not enough to lower the support desk's guard: a
    // custom role must hold every permission of a role it changes, and only
    // owners and admins change a built-in one. Refused whole, nothing written.
    let support = role_named(&roles.json, "support")["id"].as_i64().unwrap();
    for (name, permissions) in [
        ("keeper", json!(["roles.manage"])),
        (
            "desklead",
            json!(["roles.manage", "users.read", "audit.read"]),
        ),
    ] {
        let created = server.post(
            "/api/v1/admin/roles",
            json!({ "name": name, "permissions": permissions, "mfa_required": false }),
            Some(&owner.token),
        );
        assert_eq!(created.status, 201, "{created:?}");
        let keeper = server.user_in("platform", name);
        let login = server.login(&keeper, PASSWORD);
        let token = login.json["access_token"].as_str().unwrap();
        for body in [
            json!({ "passkey_required": false }),
            json!({ "mfa_required": false }),
            json!({ "passkey_required": false, "name": "Desk" }),
        ] {
            let lowered = server.call(
                "PATCH",
                &format!("/api/v1/admin/roles/{support}"),
                Some(body),
                Some(token),
            );
            assert_eq!(lowered.status, 403, "{name}: {lowered:?}");
        }
    }
    let roles = server.get("/api/v1/admin/roles", Some(&owner.token));
    let desk = role_named(&roles.json, "support");
    assert_eq!(desk["passkey_required"], true);
    assert_eq!(desk["mfa_required"], true);
    assert_eq!(
        audited(
            &server,
            &["role.passkey_required_changed", "role.mfa_required_changed"]
        ),
        0
    );
    set(true);
    set(true);
    assert_eq!(audited(&server, &["role.passkey_required_changed"]), 1);

    // The member still signs in with their authenticator, then adds a passkey.
    let token = server.mfa_token(&member.email);
    let owed = server.mfa(&token, "totp", &totp_next(&member.secret));
    assert_eq!(owed.json["status"], "enrollment_required", "{owed:?}");
    assert_eq!(owed.json["reason"], "passkey_required");
    // Not signed in yet: the token of the attempt is no bearer token.
    let owed_token = owed.json["mfa_token"].as_str().unwrap().to_string();
    assert_eq!(
        server.get("/api/v1/me", Some(&owed_token)).status,
        401,
        "an attempt is not a sign-in"
    );
    totp_refused(&server, &owed_token);
    // Thirty answers to one ceremony at once: one passkey is added.
    let options = server.post(
        "/api/v1/mfa/passkey/setup",
        json!({ "mfa_token": owed_token }),
        None,
    );
    assert_eq!(options.status, 200, "{options:?}");
    let mut key = SoftKey::new();
    let credential = key.register(&origin, &options.json["publicKey"]);
    let body = json!({ "mfa_token": owed_token, "ceremony_id": options.json["ceremony_id"], "credential": credential });
    let replies = at_once(30, |_| {
        server.post("/api/v1/mfa/passkey/confirm", body.clone(), None)
    });
    let done: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(done.len(), 1, "{replies:?}");
    assert!(replies.iter().all(|r| r.status < 500), "{replies:?}");
    let enrolled = done[0];
    assert_eq!(enrolled.json["status"], "authenticated", "{enrolled:?}");
    // The member keeps their authenticator and recovery codes.
    assert!(
        enrolled.json.get("recovery_codes").is_none(),
        "{enrolled:?}"
    );
    assert_eq!(passkeys_of(&server, member.id), 1);
    assert_eq!(
        server.number(&format!(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = {} AND used_at IS NULL",
            member.id
        )),
        10
    );
    let bearer = enrolled.json["access_token"].as_str().unwrap().to_string();

    // The last passkey stays while the role requires one.
    let list = server.get("/api/v1/me/passkeys", Some(&bearer));
    let id = list.json[0]["id"].as_i64().unwrap();
    let removed = server.call(
        "DELETE",
        &format!("/api/v1/me/passkeys/{id}"),
        None,
        Some(&bearer),
    );
    assert_eq!(removed.status, 403, "{removed:?}");
    assert_eq!(removed.json["error"], "last_factor");
    assert!(removed.json["message"]
        .as_str()
        .unwrap()
        .contains("passkey"));

    // Turned off, the authenticator signs in again, and the passkey may go.
    set(false);
    assert_eq!(audited(&server, &["role.passkey_required_changed"]), 2);
    // (Each time step signs in once: the authenticator's last one is
    // forgotten rather than waiting half a minute for the next.)
    server.sql_exec(&format!(
        "UPDATE mfa_factors SET last_step = -1 WHERE user_id = {}",
        member.id
    ));
    let token = server.mfa_token(&member.email);
    let signed_in = server.mfa(&token, "totp", &totp_now(&member.secret));
    assert_eq!(signed_in.json["status"], "authenticated", "{signed_in:?}");
    let bearer = signed_in.json["access_token"].as_str().unwrap();
    let removed = server.call(
        "DELETE",
        &format!("/api/v1/me/passkeys/{id}"),
        None,
        Some(bearer),
    );
    assert_eq!(removed.status, 204, "{removed:?}");
}
