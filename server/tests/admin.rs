//! Administration over the JSON API, on SQLite and PostgreSQL: company admins,
//! partners' reset grants, the audit log — and, for every operation, the same
//! call against another tenant refused with nothing changed.

mod common;

use common::*;
use serde_json::{json, Value};

on_both_databases!(
    user_list_shows_the_subtree_and_searches_filters_and_pages,
    disable_mfa_ends_access_and_the_user_enrolls_again,
    disable_mfa_is_refused_across_tenants_and_above_ones_role,
    role_changes_stay_within_scope_and_rank,
    unlock_lifts_the_lock_only_within_scope,
    sign_out_and_deactivation_end_every_token_within_scope,
    mfa_required_switch_forces_enrollment_and_is_scoped,
    partner_sees_only_its_customers_and_their_recovery_risk,
    grant_lets_a_covered_user_reset_once,
    whole_company_grant_covers_everyone_until_revoked,
    expired_or_revoked_grant_does_nothing_even_mid_reset,
    grants_are_refused_across_tenants_and_change_nothing,
    audit_log_is_scoped_filtered_and_exported_as_csv,
    invitations_create_users_only_within_scope,
    invitations_are_sent_again_or_withdrawn_within_limits,
    names_that_only_look_different_are_one_name,
    partner_creates_a_customer_with_its_first_owner,
    custom_roles_are_renamed_and_deleted_within_scope,
    custom_roles_hold_only_the_creators_permissions,
    browser_forms_send_lists_and_admins_see_their_partners_grant,
    user_list_filters_naming_another_tenant_are_not_found,
    long_lists_page_from_row_to_row_and_search_through_the_index,
);

/// Two partners and their customers:
/// platform → msp-a → {acme, globex}; platform → msp-b → {initech}.
struct World {
    server: Server,
    msp_a: Account,
    msp_b: Account,
    acme_admin: Account,
    acme_admin2: Account,
    acme_member: Account,
    globex_member: Account,
    initech_member: Account,
}

impl World {
    fn new(backend: Backend) -> Self {
        let server = Server::start(backend);
        server.org("partner", "msp-a", None);
        server.org("partner", "msp-b", None);
        server.org("company", "acme", Some("msp-a"));
        server.org("company", "globex", Some("msp-a"));
        server.org("company", "initech", Some("msp-b"));
        Self {
            msp_a: server.account("msp-a", "admin"),
            msp_b: server.account("msp-b", "admin"),
            acme_admin: server.account("acme", "admin"),
            acme_admin2: server.account("acme", "admin"),
            acme_member: server.account("acme", "member"),
            globex_member: server.account("globex", "member"),
            initech_member: server.account("initech", "member"),
            server,
        }
    }

    fn org_id(&self, slug: &str) -> i64 {
        self.server.number(&format!(
            "SELECT id FROM organizations WHERE slug = '{slug}'"
        ))
    }

    fn role_id(&self, org: &str, role: &str) -> i64 {
        self.server.number(&format!(
            "SELECT r.id FROM roles r JOIN organizations o ON o.id = r.org_id WHERE o.slug = '{org}' AND r.name = '{role}'"
        ))
    }

    fn factors(&self, who: &Account) -> i64 {
        self.server.number(&format!(
            "SELECT COUNT(*) FROM mfa_factors WHERE user_id = {} AND confirmed_at IS NOT NULL",
            who.id
        ))
    }

    fn audit_count(&self, action: &str) -> i64 {
        self.server.number(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}'"
        ))
    }

    fn post(&self, path: &str, body: Value, by: &Account) -> Reply {
        self.server.post(path, body, Some(&by.token))
    }

    fn get(&self, path: &str, by: &Account) -> Reply {
        self.server.get(path, Some(&by.token))
    }

    fn emails(reply: &Reply) -> Vec<String> {
        reply.json["users"]
            .as_array()
            .unwrap_or_else(|| panic!("a user list: {reply:?}"))
            .iter()
            .map(|u| u["email"].as_str().unwrap().to_string())
            .collect()
    }
}

fn user_list_filters_naming_another_tenant_are_not_found(backend: Backend) {
    let w = World::new(backend);
    let initech = w.org_id("initech");
    let initech_member = w.role_id("initech", "member");
    for path in [
        format!("/api/v1/admin/users?org={initech}"),
        format!("/api/v1/admin/users?role={initech_member}"),
        "/api/v1/admin/users?org=999999".to_string(),
    ] {
        assert_refused(&w.get(&path, &w.acme_admin), 404);
        assert_refused(&w.get(&path, &w.msp_a), 404);
    }
    // Within the subtree the same filters work.
    let acme = w.org_id("acme");
    let listed = w.get(&format!("/api/v1/admin/users?org={acme}"), &w.msp_a);
    assert_eq!(listed.status, 200, "{listed:?}");
    assert!(World::emails(&listed).contains(&w.acme_member.email));
    let own = w.get(&format!("/api/v1/admin/users?org={initech}"), &w.msp_b);
    assert!(World::emails(&own).contains(&w.initech_member.email));
}

/// Refused, and as the contract says: 404 where existence must not leak, else 403.
fn assert_refused(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "{reply:?}");
    let code = if status == 404 {
        "not_found"
    } else {
        "forbidden"
    };
    assert_eq!(reply.json["error"], code, "{reply:?}");
}

fn user_list_shows_the_subtree_and_searches_filters_and_pages(backend: Backend) {
    let w = World::new(backend);
    let list = w.get("/api/v1/admin/users", &w.acme_admin);
    assert_eq!(list.status, 200, "{list:?}");
    let mut emails = World::emails(&list);
    emails.sort();
    let mut acme = vec![
        w.acme_admin.email.clone(),
        w.acme_admin2.email.clone(),
        w.acme_member.email.clone(),
    ];
    acme.sort();
    assert_eq!(emails, acme, "only Acme's people");
    assert_eq!(list.json["total"], 3);
    let row = &list.json["users"].as_array().unwrap()[0];
    for field in ["mfa", "role", "organization", "locked", "last_sign_in_at"] {
        assert!(row.get(field).is_some(), "{field} in {row}");
    }
    assert_eq!(row["mfa"]["recovery_codes_left"], 10);
    // Each row says what the caller may do to that person, and nothing to themself.
    let actions_of = |email: &str| {
        list.json["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["actions"].clone())
            .unwrap()
    };
    assert_eq!(
        actions_of(&w.acme_member.email),
        json!(["disable_mfa", "change_role", "sign_out", "deactivate"])
    );
    assert_eq!(actions_of(&w.acme_admin.email), json!([]));
    assert!(row["mfa"]["required"].is_boolean(), "{row}");

    let search = w.get(
        &format!(
            "/api/v1/admin/users?q={}",
            &w.acme_member.email[..10].to_uppercase()
        ),
        &w.acme_admin,
    );
    assert_eq!(World::emails(&search), vec![w.acme_member.email.clone()]);
    let wildcard = w.get("/api/v1/admin/users?q=%25", &w.acme_admin);
    assert_eq!(wildcard.json["total"], 0, "% is matched literally");

    // The partner sees its own people and both customers, never the other partner's.
    let partner = w.get("/api/v1/admin/users?q=member", &w.msp_a);
    let found = World::emails(&partner);
    assert!(found.contains(&w.acme_member.email) && found.contains(&w.globex_member.email));
    assert!(!found.contains(&w.initech_member.email), "{found:?}");
    let globex_only = w.get(
        &format!("/api/v1/admin/users?org={}", w.org_id("globex")),
        &w.msp_a,
    );
    assert_eq!(
        World::emails(&globex_only),
        vec![w.globex_member.email.clone()]
    );
    let sideways = w.get(
        &format!("/api/v1/admin/users?org={}", w.org_id("initech")),
        &w.msp_a,
    );
    // A filter cannot widen the scope: another tenant's organization is not found.
    assert_refused(&sideways, 404);

    // Filters and pages.
    let admin_role = w.role_id("acme", "admin");
    let admins = w.get(
        &format!("/api/v1/admin/users?role={admin_role}"),
        &w.acme_admin,
    );
    assert_eq!(admins.json["total"], 2);
    let fresh = w.server.user_in("acme", "member");
    let no_mfa = w.get("/api/v1/admin/users?mfa=off", &w.acme_admin);
    assert_eq!(World::emails(&no_mfa), vec![fresh.clone()]);
    assert_eq!(
        w.get("/api/v1/admin/users?mfa=on", &w.acme_admin).json["total"],
        3
    );
    let page2 = w.get("/api/v1/admin/users?page=2", &w.acme_admin);
    assert_eq!(page2.json["users"], json!([]));
    assert_eq!(page2.json["page"], 2);
    assert_eq!(page2.json["pages"], 1);

    // One user, by id: in scope or "not found".
    let one = w.get(
        &format!("/api/v1/admin/users/{}", w.acme_member.id),
        &w.acme_admin,
    );
    assert_eq!(one.json["email"], w.acme_member.email.as_str());
    assert_refused(
        &w.get(
            &format!("/api/v1/admin/users/{}", w.globex_member.id),
            &w.acme_admin,
        ),
        404,
    );

    // A member may not list anyone; without a token nobody may.
    assert_refused(&w.get("/api/v1/admin/users", &w.acme_member), 403);
    assert_eq!(w.server.get("/api/v1/admin/users", None).status, 401);
}

fn disable_mfa_ends_access_and_the_user_enrolls_again(backend: Backend) {
    let w = World::new(backend);
    let target = &w.acme_admin2;
    let path = format!("/api/v1/admin/users/{}/mfa/disable", target.id);
    let done = w.post(&path, json!({}), &w.acme_admin);
    assert_eq!(done.status, 204, "{done:?}");
    assert_eq!(w.factors(target), 0);
    assert_eq!(
        w.server.get("/api/v1/me", Some(&target.token)).status,
        401,
        "their tokens end"
    );
    let mail = mail_to(&w.server, &target.email);
    assert!(
        mail[0].contains("An administrator reset your two-step verification"),
        "{mail:?}"
    );
    // Admins must use MFA: they enroll again at the next sign-in.
    let login = w.server.login(&target.email, PASSWORD);
    assert_eq!(login.json["status"], "enrollment_required", "{login:?}");
    assert_eq!(login.json["reason"], "mfa_required");
    assert_eq!(w.audit_count("mfa.reset"), 1);

    // A partner admin may do it for a customer's member; the member (MFA optional) signs in.
    let member = format!("/api/v1/admin/users/{}/mfa/disable", w.globex_member.id);
    assert_eq!(w.post(&member, json!({}), &w.msp_a).status, 204);
    let login = w.server.login(&w.globex_member.email, PASSWORD);
    assert_eq!(login.json["status"], "authenticated", "{login:?}");
}

fn disable_mfa_is_refused_across_tenants_and_above_ones_role(backend: Backend) {
    let w = World::new(backend);
    let path = |who: &Account| format!("/api/v1/admin/users/{}/mfa/disable", who.id);
    // Sibling company, another partner's customer, the parent partner: not found.
    for other in [&w.globex_member, &w.initech_member, &w.msp_a] {
        assert_refused(&w.post(&path(other), json!({}), &w.acme_admin), 404);
        assert_eq!(w.factors(other), 1, "nothing changed for {}", other.email);
    }
    assert_refused(&w.post(&path(&w.initech_member), json!({}), &w.msp_a), 404);
    assert_refused(&w.post(&path(&w.acme_member), json!({}), &w.msp_b), 404);
    // A member has no such right; nobody does it to themselves here; nobody above their role.
    assert_refused(
        &w.post(&path(&w.acme_admin), json!({}), &w.acme_member),
        403,
    );
    assert_refused(&w.post(&path(&w.acme_admin), json!({}), &w.acme_admin), 403);
    let owner = w.server.account("acme", "owner");
    assert_refused(&w.post(&path(&owner), json!({}), &w.acme_admin), 403);
    assert_eq!(w.factors(&owner), 1);
    assert_eq!(w.factors(&w.acme_admin), 1);
    assert_eq!(w.audit_count("mfa.reset"), 0);
    // Not a user at all: the same answer as another tenant's.
    assert_refused(
        &w.post(
            "/api/v1/admin/users/999999/mfa/disable",
            json!({}),
            &w.acme_admin,
        ),
        404,
    );
}

fn role_changes_stay_within_scope_and_rank(backend: Backend) {
    let w = World::new(backend);
    let path = |who: &Account| format!("/api/v1/admin/users/{}/role", who.id);
    let promoted = w.post(
        &path(&w.acme_member),
        json!({ "role": "admin" }),
        &w.acme_admin,
    );
    assert_eq!(promoted.status, 200, "{promoted:?}");
    assert_eq!(promoted.json["role"]["name"], "admin");
    assert!(mail_to(&w.server, &w.acme_member.email)[0].contains("changed your role to “admin”"));
    // Not above one's own role, not oneself.
    assert_refused(
        &w.post(
            &path(&w.acme_admin2),
            json!({ "role": "owner" }),
            &w.acme_admin,
        ),
        403,
    );
    assert_refused(
        &w.post(
            &path(&w.acme_admin),
            json!({ "role": "member" }),
            &w.acme_admin,
        ),
        403,
    );
    // Another tenant's user, or a role of another organization.
    assert_refused(
        &w.post(
            &path(&w.globex_member),
            json!({ "role": "admin" }),
            &w.acme_admin,
        ),
        404,
    );
    assert_refused(
        &w.post(
            &path(&w.initech_member),
            json!({ "role": "admin" }),
            &w.msp_a,
        ),
        404,
    );
    let globex_admin = w.role_id("globex", "admin");
    assert_refused(
        &w.post(
            &path(&w.acme_admin2),
            json!({ "role": globex_admin }),
            &w.acme_admin,
        ),
        404,
    );
    let bad = w.post(
        &path(&w.acme_admin2),
        json!({ "role": "wizard" }),
        &w.acme_admin,
    );
    assert_eq!(bad.status, 400, "{bad:?}");
    // The partner may make a customer's member its owner.
    let owner = w.post(
        &path(&w.globex_member),
        json!({ "role": "owner" }),
        &w.msp_a,
    );
    assert_eq!(owner.status, 200, "{owner:?}");
    assert_eq!(w.audit_count("user.role_changed"), 2);
    let initech_role = w.server.number(&format!(
        "SELECT CASE WHEN r.name = 'member' THEN 1 ELSE 0 END FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id = {}",
        w.initech_member.id
    ));
    assert_eq!(initech_role, 1, "untouched");
}

/// Five wrong codes lock the second factor.
fn lock(server: &Server, who: &Account) {
    let token = server.mfa_token(&who.email);
    for _ in 0..5 {
        server.mfa(&token, "totp", &wrong_code(&who.secret));
    }
    let again = server.mfa_token(&who.email);
    let refused = server.mfa(&again, "totp", &totp_now(&who.secret));
    assert_eq!(refused.status, 429, "{refused:?}");
}

fn unlock_lifts_the_lock_only_within_scope(backend: Backend) {
    let w = World::new(backend);
    lock(&w.server, &w.acme_member);
    lock(&w.server, &w.globex_member);
    let locked = w.get("/api/v1/admin/users?locked=true", &w.acme_admin);
    assert_eq!(World::emails(&locked), vec![w.acme_member.email.clone()]);

    let path = |who: &Account| format!("/api/v1/admin/users/{}/unlock", who.id);
    assert_refused(
        &w.post(&path(&w.globex_member), json!({}), &w.acme_admin),
        404,
    );
    assert_refused(&w.post(&path(&w.globex_member), json!({}), &w.msp_b), 404);
    assert_refused(
        &w.post(&path(&w.acme_admin), json!({}), &w.acme_member),
        403,
    );
    assert_eq!(
        w.post(&path(&w.acme_member), json!({}), &w.acme_admin)
            .status,
        204
    );

    let token = w.server.mfa_token(&w.acme_member.email);
    let signed_in = w
        .server
        .mfa(&token, "totp", &totp_next(&w.acme_member.secret));
    assert_eq!(signed_in.status, 200, "unlocked: {signed_in:?}");
    let still = w.server.mfa_token(&w.globex_member.email);
    assert_eq!(
        w.server
            .mfa(&still, "totp", &totp_now(&w.globex_member.secret))
            .status,
        429,
        "the other tenant's user stays locked"
    );
    assert_eq!(w.audit_count("user.unlocked"), 1);
}

fn sign_out_and_deactivation_end_every_token_within_scope(backend: Backend) {
    let w = World::new(backend);
    let path = |who: &Account, what: &str| format!("/api/v1/admin/users/{}/{what}", who.id);
    for what in ["sign-out", "deactivate", "reactivate"] {
        assert_refused(
            &w.post(&path(&w.globex_member, what), json!({}), &w.acme_admin),
            404,
        );
        assert_refused(
            &w.post(&path(&w.acme_member, what), json!({}), &w.msp_b),
            404,
        );
    }
    assert_eq!(
        w.server
            .get("/api/v1/me", Some(&w.globex_member.token))
            .status,
        200
    );

    assert_eq!(
        w.post(&path(&w.acme_member, "sign-out"), json!({}), &w.acme_admin)
            .status,
        204
    );
    assert_eq!(
        w.server
            .get("/api/v1/me", Some(&w.acme_member.token))
            .status,
        401
    );

    assert_eq!(
        w.post(
            &path(&w.acme_admin2, "deactivate"),
            json!({}),
            &w.acme_admin
        )
        .status,
        204
    );
    assert_eq!(
        w.server
            .get("/api/v1/me", Some(&w.acme_admin2.token))
            .status,
        401
    );
    let login = w.server.login(&w.acme_admin2.email, PASSWORD);
    assert_eq!(login.json["error"], "invalid_credentials", "{login:?}");
    let listed = w.get(
        &format!("/api/v1/admin/users/{}", w.acme_admin2.id),
        &w.acme_admin,
    );
    assert_eq!(listed.json["active"], false);
    assert_eq!(
        w.post(
            &path(&w.acme_admin2, "reactivate"),
            json!({}),
            &w.acme_admin
        )
        .status,
        204
    );
    assert_eq!(
        w.server.login(&w.acme_admin2.email, PASSWORD).json["status"],
        "mfa_required"
    );
}

fn mfa_required_switch_forces_enrollment_and_is_scoped(backend: Backend) {
    let w = World::new(backend);
    let roles = w.get("/api/v1/admin/roles", &w.acme_admin);
    assert_eq!(roles.status, 200, "{roles:?}");
    let names: Vec<&str> = roles.json["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["owner", "admin", "member"]);
    assert_eq!(roles.json["roles"][2]["mfa_required"], false);
    let member_role = roles.json["roles"][2]["id"].as_i64().unwrap();

    let newcomer = w.server.user_in("acme", "member");
    assert_eq!(
        w.server.login(&newcomer, PASSWORD).json["status"],
        "authenticated"
    );
    let path = format!("/api/v1/admin/roles/{member_role}");
    let on = w.server.call(
        "PATCH",
        &path,
        Some(json!({ "mfa_required": true })),
        Some(&w.acme_admin.token),
    );
    assert_eq!(on.status, 200, "{on:?}");
    assert_eq!(on.json["mfa_required"], true);
    let login = w.server.login(&newcomer, PASSWORD);
    assert_eq!(login.json["status"], "enrollment_required", "{login:?}");
    assert_eq!(login.json["reason"], "mfa_required");

    let off = w.server.call(
        "PATCH",
        &path,
        Some(json!({ "mfa_required": false })),
        Some(&w.acme_admin.token),
    );
    assert_eq!(off.json["mfa_required"], false);
    assert_eq!(
        w.server.login(&newcomer, PASSWORD).json["status"],
        "authenticated"
    );
    assert_eq!(
        w.audit_count("role.mfa_required_changed"),
        2,
        "on and off are both audited"
    );

    // Another tenant's role, a role above one's own, a member: refused, unchanged.
    let globex_member_role = w.role_id("globex", "member");
    let cross = w.server.call(
        "PATCH",
        &format!("/api/v1/admin/roles/{globex_member_role}"),
        Some(json!({ "mfa_required": true })),
        Some(&w.acme_admin.token),
    );
    assert_refused(&cross, 404);
    assert_refused(
        &w.server.call(
            "PATCH",
            &format!("/api/v1/admin/roles/{}", w.role_id("initech", "member")),
            Some(json!({ "mfa_required": true })),
            Some(&w.msp_a.token),
        ),
        404,
    );
    let owner_role = w.role_id("acme", "owner");
    assert_refused(
        &w.server.call(
            "PATCH",
            &format!("/api/v1/admin/roles/{owner_role}"),
            Some(json!({ "mfa_required": false })),
            Some(&w.acme_admin.token),
        ),
        403,
    );
    assert_refused(
        &w.server.call(
            "PATCH",
            &path,
            Some(json!({ "mfa_required": true })),
            Some(&w.acme_member.token),
        ),
        403,
    );
    assert_eq!(
        w.server.number(&format!(
            "SELECT mfa_required FROM roles WHERE id = {globex_member_role}"
        )),
        0
    );
    assert_eq!(
        w.server.number(&format!(
            "SELECT mfa_required FROM roles WHERE id = {owner_role}"
        )),
        1
    );
    assert_refused(
        &w.get(
            &format!("/api/v1/admin/roles?org={}", w.org_id("globex")),
            &w.acme_admin,
        ),
        404,
    );
}

fn partner_sees_only_its_customers_and_their_recovery_risk(backend: Backend) {
    let w = World::new(backend);
    // Acme's member uses up every recovery code: one factor, nothing left.
    w.server.sql_exec(&format!(
        "UPDATE recovery_codes SET used_at = 1 WHERE user_id = {}",
        w.acme_member.id
    ));
    let list = w.get("/api/v1/msp/customers", &w.msp_a);
    assert_eq!(list.status, 200, "{list:?}");
    let customers = list.json["customers"].as_array().unwrap();
    let names: Vec<&str> = customers
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme", "globex"]);
    assert_eq!(customers[0]["users"], 3);
    assert_eq!(customers[0]["users_with_mfa"], 3);
    assert_eq!(customers[0]["users_who_cannot_recover_alone"], 1);
    assert_eq!(customers[0]["active_grants"], json!([]));
    let other = w.get("/api/v1/msp/customers", &w.msp_b);
    assert_eq!(other.json["customers"].as_array().unwrap().len(), 1);
    assert_eq!(other.json["customers"][0]["name"], "initech");
    // A company has no customers.
    assert_refused(&w.get("/api/v1/msp/customers", &w.acme_admin), 403);
}

fn grant_path(w: &World, org: &str) -> String {
    format!("/api/v1/msp/customers/{}/grants", w.org_id(org))
}

/// Signs in under a grant and sets up a new authenticator; the new secret.
fn reset_under_grant(server: &Server, who: &Account) -> Vec<u8> {
    server.reset_at_sign_in(&who.email, "reset_permission")
}

fn grant_lets_a_covered_user_reset_once(backend: Backend) {
    let w = World::new(backend);
    let grant = w.post(
        &grant_path(&w, "acme"),
        json!({ "duration_minutes": 60, "reason": "Lost phone, ticket 4411", "user_ids": [w.acme_member.id] }),
        &w.msp_a,
    );
    assert_eq!(grant.status, 201, "{grant:?}");
    let expires_at = grant.json["expires_at"].as_i64().unwrap();
    assert!((expires_at - now() as i64 - 3600).abs() < 30, "{grant:?}");
    assert!(grant.json["id"].as_i64().is_some());
    assert!(mail_to(&w.server, &w.acme_member.email)[0].contains("allowed you to reset"));
    // Visible to the customer's admins and the partner.
    let customers = w.get("/api/v1/msp/customers", &w.msp_a);
    assert_eq!(
        customers.json["customers"][0]["active_grants"][0]["reason"],
        "Lost phone, ticket 4411"
    );

    // Not covered: another Acme user still needs the authenticator.
    assert_eq!(
        w.server.login(&w.acme_admin2.email, PASSWORD).json["status"],
        "mfa_required"
    );

    let old_token = w.acme_member.token.clone();
    let new_secret = reset_under_grant(&w.server, &w.acme_member);
    assert_eq!(
        w.factors(&w.acme_member),
        1,
        "the new authenticator replaced the old one"
    );
    assert_eq!(
        w.server.get("/api/v1/me", Some(&old_token)).status,
        401,
        "old sessions end"
    );
    let mail = mail_to(&w.server, &w.acme_member.email);
    assert!(
        mail.iter()
            .any(|m| m.contains("with the permission msp-a granted")),
        "{mail:?}"
    );

    // Used up: the next sign-in asks for the (new) authenticator, and the old one fails.
    let token = w.server.mfa_token(&w.acme_member.email);
    assert_eq!(
        w.server
            .mfa(&token, "totp", &totp_now(&w.acme_member.secret))
            .status,
        401
    );
    assert_eq!(
        w.server.mfa(&token, "totp", &totp_next(&new_secret)).status,
        200
    );
    assert_eq!(w.audit_count("grant.created"), 1);
    assert_eq!(w.audit_count("grant.used"), 1);
}

fn whole_company_grant_covers_everyone_until_revoked(backend: Backend) {
    let w = World::new(backend);
    let grant = w.post(
        &grant_path(&w, "acme"),
        json!({ "reason": "Office phones wiped" }),
        &w.msp_a,
    );
    assert_eq!(grant.status, 201, "{grant:?}");
    let id = grant.json["id"].as_i64().unwrap();
    let expires_at = grant.json["expires_at"].as_i64().unwrap();
    assert!(
        (expires_at - now() as i64 - 4 * 3600).abs() < 30,
        "four hours by default"
    );
    assert!(mail_to(&w.server, &w.acme_admin.email)[0].contains("allowed everyone in your company"));

    reset_under_grant(&w.server, &w.acme_member);
    assert_eq!(
        w.server.login(&w.acme_member.email, PASSWORD).json["status"],
        "mfa_required",
        "once per user"
    );
    assert_eq!(
        w.server.login(&w.acme_admin2.email, PASSWORD).json["reason"],
        "reset_permission",
        "still open for the others"
    );
    assert_eq!(
        w.server.login(&w.globex_member.email, PASSWORD).json["status"],
        "mfa_required"
    );

    let revoked = w.server.call(
        "DELETE",
        &format!("/api/v1/msp/grants/{id}"),
        None,
        Some(&w.msp_a.token),
    );
    assert_eq!(revoked.status, 204, "{revoked:?}");
    assert_eq!(
        w.server.login(&w.acme_admin2.email, PASSWORD).json["status"],
        "mfa_required"
    );
    let again = w.server.call(
        "DELETE",
        &format!("/api/v1/msp/grants/{id}"),
        None,
        Some(&w.msp_a.token),
    );
    assert_eq!(again.status, 400, "{again:?}");
    assert!(mail_to(&w.server, &w.acme_admin.email)[0].contains("withdrew"));
    assert_eq!(w.audit_count("grant.revoked"), 1);
}

fn expired_or_revoked_grant_does_nothing_even_mid_reset(backend: Backend) {
    let w = World::new(backend);
    let grant = w.post(
        &grant_path(&w, "acme"),
        json!({ "duration_minutes": 60, "reason": "Ticket 1", "user_ids": [w.acme_member.id, w.acme_admin2.id] }),
        &w.msp_a,
    );
    let id = grant.json["id"].as_i64().unwrap();
    // Revoked between the password and the new authenticator: the reset fails, the old factor stays.
    let login = w.server.login(&w.acme_member.email, PASSWORD);
    let token = login.json["mfa_token"].as_str().unwrap().to_string();
    let setup = w.server.post(
        "/api/v1/mfa/totp/setup",
        json!({ "mfa_token": token }),
        None,
    );
    let secret = base32_decode(setup.json["secret"].as_str().unwrap());
    w.server.call(
        "DELETE",
        &format!("/api/v1/msp/grants/{id}"),
        None,
        Some(&w.msp_a.token),
    );
    let confirm = w.server.post(
        "/api/v1/mfa/totp/confirm",
        json!({ "mfa_token": token, "code": totp_now(&secret) }),
        None,
    );
    assert_eq!(confirm.status, 403, "{confirm:?}");
    assert_eq!(confirm.json["error"], "grant_ended");
    assert_eq!(w.factors(&w.acme_member), 1);
    assert_eq!(
        w.server
            .get("/api/v1/me", Some(&w.acme_member.token))
            .status,
        200
    );

    // Expired: the same as none.
    let grant = w.post(
        &grant_path(&w, "acme"),
        json!({ "duration_minutes": 60, "reason": "Ticket 2", "user_ids": [w.acme_admin2.id] }),
        &w.msp_a,
    );
    assert_eq!(grant.status, 201);
    assert_eq!(
        w.server.login(&w.acme_admin2.email, PASSWORD).json["reason"],
        "reset_permission"
    );
    w.server.sql_exec("UPDATE reset_grants SET expires_at = 1");
    assert_eq!(
        w.server.login(&w.acme_admin2.email, PASSWORD).json["status"],
        "mfa_required"
    );
    let customers = w.get("/api/v1/msp/customers", &w.msp_a);
    assert_eq!(customers.json["customers"][0]["active_grants"], json!([]));
}

fn grants_are_refused_across_tenants_and_change_nothing(backend: Backend) {
    let w = World::new(backend);
    let body = json!({ "duration_minutes": 60, "reason": "Ticket" });
    // Another partner's customer, one's own partner organization, the platform.
    assert_refused(
        &w.post(&grant_path(&w, "initech"), body.clone(), &w.msp_a),
        404,
    );
    assert_refused(
        &w.post(&grant_path(&w, "msp-a"), body.clone(), &w.msp_a),
        404,
    );
    assert_refused(
        &w.post("/api/v1/msp/customers/1/grants", body.clone(), &w.msp_a),
        404,
    );
    // A company admin cannot grant; a partner cannot list another customer's user.
    assert_refused(
        &w.post(&grant_path(&w, "globex"), body.clone(), &w.acme_admin),
        403,
    );
    let wrong_user =
        json!({ "duration_minutes": 60, "reason": "x", "user_ids": [w.globex_member.id] });
    assert_refused(&w.post(&grant_path(&w, "acme"), wrong_user, &w.msp_a), 404);
    // Out-of-range durations and empty reasons are refused with a clear message.
    for bad in [
        json!({ "duration_minutes": 30, "reason": "x" }),
        json!({ "duration_minutes": 10081, "reason": "x" }),
        json!({ "reason": " " }),
    ] {
        let reply = w.post(&grant_path(&w, "acme"), bad, &w.msp_a);
        assert_eq!(reply.status, 400, "{reply:?}");
        assert!(reply.json["message"].as_str().unwrap().len() > 10);
    }
    assert_eq!(
        w.server.number("SELECT COUNT(*) FROM reset_grants"),
        0,
        "nothing was created"
    );

    // Another partner cannot revoke (or learn of) msp-a's grant.
    let grant = w.post(&grant_path(&w, "acme"), body, &w.msp_a);
    let id = grant.json["id"].as_i64().unwrap();
    let path = format!("/api/v1/msp/grants/{id}");
    assert_refused(
        &w.server.call("DELETE", &path, None, Some(&w.msp_b.token)),
        404,
    );
    assert_refused(
        &w.server
            .call("DELETE", &path, None, Some(&w.acme_admin.token)),
        403,
    );
    assert_eq!(
        w.server
            .number("SELECT COUNT(*) FROM reset_grants WHERE revoked_at IS NULL"),
        1
    );
}

fn audit_log_is_scoped_filtered_and_exported_as_csv(backend: Backend) {
    let w = World::new(backend);
    w.post(
        &format!("/api/v1/admin/users/{}/unlock", w.acme_member.id),
        json!({}),
        &w.acme_admin,
    );
    w.post(
        &format!("/api/v1/admin/users/{}/unlock", w.initech_member.id),
        json!({}),
        &w.msp_b,
    );

    let log = w.get("/api/v1/audit", &w.acme_admin);
    assert_eq!(log.status, 200, "{log:?}");
    let entries = log.json["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    assert!(
        entries.iter().all(|e| e["organization"] == "acme"),
        "only Acme's chain: {entries:?}"
    );
    let first = &entries[0];
    assert_eq!(first["action"], "user.unlocked", "newest first");
    assert_eq!(first["actor"], w.acme_admin.email.as_str());
    assert_eq!(first["subject"], w.acme_member.email.as_str());
    assert!(first["ip"].as_str().unwrap().starts_with("127.0.0.1"));
    assert!(first["user_agent"].as_str().is_some());

    let partner = w.get("/api/v1/audit?action=login.succeeded", &w.msp_a);
    let orgs: std::collections::BTreeSet<&str> = partner.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["organization"].as_str().unwrap())
        .collect();
    assert_eq!(
        orgs.into_iter().collect::<Vec<_>>(),
        ["acme", "globex", "msp-a"]
    );
    let by_user = w.get(
        &format!("/api/v1/audit?user={}", w.acme_member.email),
        &w.acme_admin,
    );
    let entries = by_user.json["entries"].as_array().unwrap();
    assert!(!entries.is_empty(), "{by_user:?}");
    assert!(entries
        .iter()
        .all(|e| e["actor"] == w.acme_member.email.as_str()
            || e["subject"] == w.acme_member.email.as_str()));
    // Two characters are shorter than a trigram: the list then tests each
    // entry's people's addresses, which it joins only for that search.
    let pair: String = w.acme_member.email.chars().take(2).collect();
    let by_pair = w.get(&format!("/api/v1/audit?user={pair}"), &w.acme_admin);
    assert_eq!(by_pair.status, 200, "{by_pair:?}");
    let entries = by_pair.json["entries"].as_array().unwrap();
    assert!(!entries.is_empty(), "{by_pair:?}");
    let holds_pair = |who: &Value| who.as_str().is_some_and(|e| e.contains(&pair));
    assert!(entries
        .iter()
        .all(|e| holds_pair(&e["actor"]) || holds_pair(&e["subject"])));
    // A text nobody's address holds finds nothing (not everything).
    let nobody = w.get("/api/v1/audit?user=zzq-nobody-zzq", &w.acme_admin);
    assert_eq!(nobody.json["total"], 0, "{nobody:?}");
    let none = w.get("/api/v1/audit?from=2000-01-01&to=2000-01-02", &w.acme_admin);
    assert_eq!(none.json["total"], 0);
    let bad = w.get("/api/v1/audit?from=yesterday", &w.acme_admin);
    assert_eq!(bad.status, 400, "{bad:?}");

    let today = w.get(
        "/api/v1/audit?format=csv&from=2000-01-01&to=2100-01-01",
        &w.acme_admin,
    );
    assert_eq!(today.status, 200);
    assert_eq!(
        today.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(today
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    let mut lines = today.text.lines();
    assert_eq!(
        lines.next(),
        Some("time_utc,unix_time,organization,actor,subject,action,ip,browser,details")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as i64, log.json["total"].as_i64().unwrap());
    assert!(rows[0].contains("user.unlocked"));
    assert!(!today.text.contains("initech"));

    assert_refused(&w.get("/api/v1/audit", &w.acme_member), 403);
    let verify = w.server.cli_ok(&["audit", "verify"], None);
    assert!(verify.contains("intact"), "{verify}");
}

fn invitations_create_users_only_within_scope(backend: Backend) {
    let w = World::new(backend);
    let invited = w.post(
        "/api/v1/admin/users",
        json!({ "email": "New.Person@Acme.example", "name": "New Person", "role": "member" }),
        &w.acme_admin,
    );
    assert_eq!(invited.status, 201, "{invited:?}");
    let mail = mail_to(&w.server, "new.person@acme.example");
    let link = mail[0]
        .split_whitespace()
        .find(|word| word.contains("/invite?token="))
        .expect("an invitation link")
        .to_string();
    // Until the password is chosen, the account cannot sign in (and looks like any wrong password).
    let login = w.server.login("new.person@acme.example", "");
    assert_eq!(login.json["error"], "invalid_credentials");
    let listed = w.get(
        &format!("/api/v1/admin/users/{}", invited.json["id"]),
        &w.acme_admin,
    );
    assert_eq!(listed.json["invited"], true);

    // The page, then the form; the link works once.
    let path = link.trim_start_matches(&w.server.base).to_string();
    let token = path.split("token=").nth(1).unwrap().to_string();
    let page = page(&w.server, &path, None);
    assert_eq!(page.status, 200);
    assert!(page.text.contains("new.person@acme.example"));
    let weak = form(
        &w.server,
        "/sfn/accept_invitation",
        None,
        &[("token", &token), ("password", "password")],
    );
    assert!(
        weak.header("location").unwrap().contains("error="),
        "{weak:?}"
    );
    let set = form(
        &w.server,
        "/sfn/accept_invitation",
        None,
        &[("token", &token), ("password", PASSWORD)],
    );
    assert_eq!(
        set.header("location"),
        Some("/login?notice=password_set"),
        "{set:?}"
    );
    assert_eq!(
        w.server.login("new.person@acme.example", PASSWORD).json["status"],
        "authenticated"
    );
    let again = form(
        &w.server,
        "/sfn/accept_invitation",
        None,
        &[("token", &token), ("password", "another long password")],
    );
    assert!(
        again
            .header("location")
            .unwrap()
            .contains("error=link_invalid"),
        "{again:?}"
    );

    // Into another tenant, or above one's own role: refused, nobody created.
    let globex = w.role_id("globex", "member");
    let cross = w.post(
        "/api/v1/admin/users",
        json!({ "email": "x@globex.example", "role": globex }),
        &w.acme_admin,
    );
    assert_refused(&cross, 404);
    let above = w.post(
        "/api/v1/admin/users",
        json!({ "email": "y@acme.example", "role": "owner" }),
        &w.acme_admin,
    );
    assert_refused(&above, 403);
    let duplicate = w.post(
        "/api/v1/admin/users",
        json!({ "email": w.acme_member.email, "role": "member" }),
        &w.acme_admin,
    );
    // An address in use answers like a new one (it must not tell who has an
    // account) and changes nothing.
    assert_eq!(duplicate.status, 201, "{duplicate:?}");
    assert_eq!(
        w.server.number(&format!(
            "SELECT COUNT(*) FROM users WHERE email = '{}'",
            w.acme_member.email
        )),
        1
    );
    assert_eq!(
        w.server.number(
            "SELECT COUNT(*) FROM users WHERE email IN ('x@globex.example', 'y@acme.example')"
        ),
        0
    );
}

fn partner_creates_a_customer_with_its_first_owner(backend: Backend) {
    let w = World::new(backend);
    let created = w.post(
        "/api/v1/msp/customers",
        json!({ "name": "Umbrella Corp", "admin_email": "boss@umbrella.example", "admin_name": "Boss" }),
        &w.msp_a,
    );
    assert_eq!(created.status, 201, "{created:?}");
    let list = w.get("/api/v1/msp/customers", &w.msp_a);
    let names: Vec<&str> = list.json["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["acme", "globex", "Umbrella Corp"]);
    let owner = w.get(
        &format!("/api/v1/admin/users/{}", created.json["admin_user_id"]),
        &w.msp_a,
    );
    assert_eq!(owner.json["role"]["name"], "owner");
    assert_eq!(owner.json["organization"]["name"], "Umbrella Corp");
    assert!(mail_to(&w.server, "boss@umbrella.example")[0].contains("/invite?token="));
    // One name once per partner, whatever its case, even when the requests race;
    // another partner may use it.
    let twins: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let w = &w;
                scope.spawn(move || {
                    w.post(
                        "/api/v1/msp/customers",
                        json!({ "name": "Initrode", "admin_email": format!("owner{i}@initrode.example") }),
                        &w.msp_a,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        twins.iter().filter(|r| r.status == 201).count(),
        1,
        "{twins:?}"
    );
    assert!(twins
        .iter()
        .filter(|r| r.status != 201)
        .all(|r| r.status == 400
            && r.json["message"]
                .as_str()
                .unwrap()
                .contains("already have a customer")));
    let again = w.post(
        "/api/v1/msp/customers",
        json!({ "name": "umbrella corp", "admin_email": "other@umbrella.example" }),
        &w.msp_a,
    );
    assert_eq!(again.status, 400, "{again:?}");
    let elsewhere = w.post(
        "/api/v1/msp/customers",
        json!({ "name": "Umbrella Corp", "admin_email": "boss@umbrella-b.example" }),
        &w.msp_b,
    );
    assert_eq!(elsewhere.status, 201, "{elsewhere:?}");
    // The other partner does not see it; a company cannot create customers.
    assert_eq!(
        w.get("/api/v1/msp/customers", &w.msp_b).json["customers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let refused = w.post(
        "/api/v1/msp/customers",
        json!({ "name": "Evil", "admin_email": "e@evil.example" }),
        &w.acme_admin,
    );
    assert_refused(&refused, 403);
    assert_eq!(
        w.server
            .number("SELECT COUNT(*) FROM organizations WHERE name = 'Evil'"),
        0
    );
}

fn custom_roles_hold_only_the_creators_permissions(backend: Backend) {
    let w = World::new(backend);
    let made = w.post(
        "/api/v1/admin/roles",
        json!({ "name": "Helpdesk", "permissions": ["users.read", "audit.read"] }),
        &w.acme_admin,
    );
    assert_eq!(made.status, 201, "{made:?}");
    let roles = w.get("/api/v1/admin/roles", &w.acme_admin);
    let helpdesk = roles.json["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Helpdesk")
        .cloned()
        .expect("listed with its name as typed");
    assert_eq!(helpdesk["builtin"], false);
    assert_eq!(helpdesk["mfa_required"], true);
    assert_eq!(helpdesk["permissions"], json!(["users.read", "audit.read"]));
    // A helpdesk member sees users but cannot change them.
    let agent = w.server.account("acme", "member");
    w.post(
        &format!("/api/v1/admin/users/{}/role", agent.id),
        json!({ "role": "helpdesk" }),
        &w.acme_admin,
    );
    let agent_token = w.server.mfa(
        &w.server.mfa_token(&agent.email),
        "totp",
        &totp_next(&agent.secret),
    );
    let agent_token = agent_token.json["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        w.server
            .get("/api/v1/admin/users", Some(&agent_token))
            .status,
        200
    );
    let refused = w.server.post(
        &format!("/api/v1/admin/users/{}/unlock", w.acme_member.id),
        json!({}),
        Some(&agent_token),
    );
    assert_refused(&refused, 403);
    // Nobody hands out permissions they lack; names are unique; members cannot create roles.
    let escalate = w.server.post(
        "/api/v1/admin/roles",
        json!({ "name": "boss", "permissions": ["users.manage"] }),
        Some(&agent_token),
    );
    assert_refused(&escalate, 403);
    let twice = w.post(
        "/api/v1/admin/roles",
        json!({ "name": "HELPDESK" }),
        &w.acme_admin,
    );
    assert_eq!(
        twice.status, 400,
        "names differ in more than case: {twice:?}"
    );
    // A company has no customers: a partner's permissions are refused in its roles.
    let partner_only = w.post(
        "/api/v1/admin/roles",
        json!({ "name": "Resellers", "permissions": ["customers.manage"] }),
        &w.acme_admin,
    );
    assert_eq!(partner_only.status, 400, "{partner_only:?}");
    let unknown = w.post(
        "/api/v1/admin/roles",
        json!({ "name": "x1", "permissions": ["root"] }),
        &w.acme_admin,
    );
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert_refused(
        &w.post(
            "/api/v1/admin/roles",
            json!({ "name": "mine" }),
            &w.acme_member,
        ),
        403,
    );
    assert_eq!(
        w.server
            .number("SELECT COUNT(*) FROM roles WHERE builtin = 0"),
        1
    );
}

fn browser_forms_send_lists_and_admins_see_their_partners_grant(backend: Backend) {
    let w = World::new(backend);
    let member_session = browser_session(&w.server, &w.acme_member.email, &w.acme_member.secret);
    // The grant form posts the chosen people as users[0], users[2]… (unticked boxes leave gaps).
    let msp = browser_session(&w.server, &w.msp_a.email, &w.msp_a.secret);
    let org = w.org_id("acme").to_string();
    let member = w.acme_member.id.to_string();
    let admin2 = w.acme_admin2.id.to_string();
    let granted = form(
        &w.server,
        "/sfn/grant_reset",
        Some(&msp),
        &[
            ("org_id", &org),
            ("duration_minutes", "120"),
            ("reason", "Ticket 9"),
            ("who", "users"),
            ("users[0]", &member),
            ("users[2]", &admin2),
        ],
    );
    // The notice names the company, from the session (not the URL).
    let notice = granted.header("location").unwrap_or_default().to_string();
    assert!(notice.starts_with("/msp/customers?flash="), "{granted:?}");
    assert!(page(&w.server, &notice, Some(&msp))
        .text
        .contains("acme may reset MFA until"));
    assert_eq!(w.server.number("SELECT COUNT(*) FROM reset_grant_users"), 2);

    // The customer's admin sees it on the Users page; another company's people do not.
    let acme = browser_session(&w.server, &w.acme_admin.email, &w.acme_admin.secret);
    let users_page = page(&w.server, "/admin", Some(&acme));
    assert!(
        users_page.text.contains("MFA reset permission active"),
        "visible to the customer's admins"
    );
    assert!(users_page.text.contains("Ticket 9"));
    assert!(
        !page(&w.server, "/profile", Some(&acme))
            .text
            .contains("allowed you to reset your two-step verification"),
        "My profile offers the grant's reset only to covered people"
    );

    // Download CSV with a range that ends before it starts goes back to the
    // form, which says so, rather than answering with an error body.
    let reversed = page(
        &w.server,
        "/audit/export.csv?from=2026-02-01&to=2026-01-01",
        Some(&acme),
    );
    assert_eq!(
        (reversed.status, reversed.header("location")),
        (303, Some("/audit?from=2026-02-01&to=2026-01-01"))
    );

    // Signed in, `/account` leads to My profile: the one place for one's account.
    assert_eq!(
        page(&w.server, "/account", Some(&acme)).header("location"),
        Some("/profile")
    );

    // A covered user who is already signed in starts the reset from My profile.
    let account = page(&w.server, "/profile", Some(&member_session));
    assert!(
        account
            .text
            .contains("allowed you to reset your two-step verification"),
        "{}",
        account.text
    );
    let started = form(
        &w.server,
        "/sfn/start_account_reset",
        Some(&member_session),
        &[],
    );
    assert_eq!(started.header("location"), Some("/enroll"), "{started:?}");
    let globex_admin = w.server.account("globex", "admin");
    let globex = browser_session(&w.server, &globex_admin.email, &globex_admin.secret);
    assert!(!page(&w.server, "/admin", Some(&globex))
        .text
        .contains("Ticket 9"));

    // The custom-role form posts permissions[i] the same way.
    let created = form(
        &w.server,
        "/sfn/create_role",
        Some(&acme),
        &[
            ("name", "Auditor"),
            ("permissions[1]", "audit.read"),
            ("mfa_required", "yes"),
        ],
    );
    // The notice names the role; it waits in the session, not in the URL.
    let flashed = created.header("location").unwrap_or_default().to_string();
    assert!(flashed.starts_with("/admin/roles?flash="), "{created:?}");
    assert!(page(&w.server, &flashed, Some(&acme))
        .text
        .contains("Added the role “Auditor”."));
    assert!(!page(&w.server, &flashed, Some(&member_session))
        .text
        .contains("Added the role"));
    let roles = w.get("/api/v1/admin/roles", &w.acme_admin);
    assert!(roles.text.contains("\"Auditor\""), "{roles:?}");
    // A refusal in words of its own comes back with them, kept by the
    // session: the URL names them (`said=`) but carries none, so neither
    // another session nor a made-up id shows anything but the code's message.
    let refused = form(
        &w.server,
        "/sfn/create_role",
        Some(&acme),
        &[("name", "auditor"), ("permissions[1]", "audit.read")],
    );
    let back = refused.header("location").unwrap_or_default().to_string();
    assert!(
        back.starts_with("/admin/roles?error=invalid_request&form=create_role&said="),
        "{refused:?}"
    );
    let own_words = "There is already a role named “auditor”.";
    assert!(page(&w.server, &back, Some(&acme)).text.contains(own_words));
    let generic = "Check what you entered and try again.";
    let (owner, owner_secret, _, _) = w.server.enrolled_user();
    let another_session = browser_session(&w.server, &owner, &owner_secret);
    for (url, cookie) in [
        (back.clone(), &another_session),
        (
            "/admin/roles?error=invalid_request&form=create_role&said=0011223344556677".into(),
            &acme,
        ),
    ] {
        let shown = page(&w.server, &url, Some(cookie)).text;
        assert!(!shown.contains(own_words), "{url}");
        assert!(shown.contains(generic), "{url}");
    }
    // A browser admin action on another tenant's user: refused, nothing changed.
    let cross = form(
        &w.server,
        "/sfn/admin_user_action",
        Some(&acme),
        &[
            ("action", "disable_mfa"),
            ("user_id", &w.globex_member.id.to_string()),
            ("back", "/admin"),
        ],
    );
    assert_sent_back(&cross, "/admin?error=not_found&form=admin_user_action");
    assert_eq!(w.factors(&w.globex_member), 1);
}

fn custom_roles_are_renamed_and_deleted_within_scope(backend: Backend) {
    let w = World::new(backend);
    let made = w.post(
        "/api/v1/admin/roles",
        json!({ "name": "Night shift", "permissions": ["users.read"] }),
        &w.acme_admin,
    );
    assert_eq!(made.status, 201, "{made:?}");
    let id = made.json["id"].as_i64().unwrap();
    let role = |path: &str| format!("/api/v1/admin/roles/{path}");

    let renamed = w.server.call(
        "PATCH",
        &role(&id.to_string()),
        Some(json!({ "name": "  Night Desk " })),
        Some(&w.acme_admin.token),
    );
    assert_eq!(renamed.status, 200, "{renamed:?}");
    assert_eq!(renamed.json["name"], "Night Desk");
    assert_eq!(audited(&w.server, &["role.renamed"]), 1);
    // Built-in roles keep their names; nobody renames or deletes another tenant's roles.
    let owner_role = w.server.number(&format!(
        "SELECT id FROM roles WHERE org_id = {} AND name = 'owner'",
        w.org_id("acme")
    ));
    let builtin = w.server.call(
        "PATCH",
        &role(&owner_role.to_string()),
        Some(json!({ "name": "boss" })),
        Some(&w.acme_admin.token),
    );
    assert_refused(&builtin, 403);
    let foreign = w.server.call(
        "PATCH",
        &role(&id.to_string()),
        Some(json!({ "name": "Mine now" })),
        Some(&w.msp_b.token),
    );
    assert_refused(&foreign, 404);
    let foreign_delete =
        w.server
            .call("DELETE", &role(&id.to_string()), None, Some(&w.msp_b.token));
    assert_refused(&foreign_delete, 404);
    let empty = w.server.call(
        "PATCH",
        &role(&id.to_string()),
        Some(json!({})),
        Some(&w.acme_admin.token),
    );
    assert_eq!(empty.status, 400, "{empty:?}");

    // Held by someone: not deleted, and it says why.
    w.post(
        &format!("/api/v1/admin/users/{}/role", w.acme_member.id),
        json!({ "role": "night desk" }),
        &w.acme_admin,
    );
    let held = w.server.call(
        "DELETE",
        &role(&id.to_string()),
        None,
        Some(&w.acme_admin.token),
    );
    assert_eq!(held.status, 400, "{held:?}");
    assert!(held.json["message"]
        .as_str()
        .unwrap()
        .contains("give them another role first"));
    w.post(
        &format!("/api/v1/admin/users/{}/role", w.acme_member.id),
        json!({ "role": "member" }),
        &w.acme_admin,
    );
    let deleted = w.server.call(
        "DELETE",
        &role(&id.to_string()),
        None,
        Some(&w.acme_admin.token),
    );
    assert_eq!(deleted.status, 204, "{deleted:?}");
    assert_eq!(
        w.server
            .number(&format!("SELECT COUNT(*) FROM roles WHERE id = {id}")),
        0
    );
    assert_eq!(audited(&w.server, &["role.deleted"]), 1);
    let builtin_delete = w.server.call(
        "DELETE",
        &role(&owner_role.to_string()),
        None,
        Some(&w.acme_admin.token),
    );
    assert_refused(&builtin_delete, 403);
}

/// Chooses a password with the invitation link at `path`; the redirect's location.
fn accept(w: &World, path: &str) -> String {
    let token = path.split("token=").nth(1).expect("a token in the link");
    let reply = form(
        &w.server,
        "/sfn/accept_invitation",
        None,
        &[("token", token), ("password", PASSWORD)],
    );
    reply.header("location").unwrap_or_default().to_string()
}

fn invitations_are_sent_again_or_withdrawn_within_limits(backend: Backend) {
    let w = World::new(backend);
    let address = "late@acme.example";
    let invited = w.post(
        "/api/v1/admin/users",
        json!({ "email": address, "role": "member" }),
        &w.acme_admin,
    );
    assert_eq!(invited.status, 201, "{invited:?}");
    let id = invited.json["id"].as_i64().unwrap();
    let listed = w.get("/api/v1/admin/users?q=late%40acme", &w.acme_admin);
    assert_eq!(
        listed.json["users"][0]["actions"],
        json!(["resend_invitation", "withdraw_invitation", "change_role"]),
        "{listed:?}"
    );
    let link = |w: &World| mailed_path(&w.server, address, "/invite?token=").unwrap();
    let first = link(&w);
    let invitation = format!("/api/v1/admin/users/{id}/invitation");

    // Sent again: a new link, and the one before stops working.
    let resent = w.post(&invitation, json!({}), &w.acme_admin);
    assert_eq!(resent.status, 204, "{resent:?}");
    let second = link(&w);
    assert_ne!(first, second);
    assert!(accept(&w, &first).contains("error=link_invalid"));

    // Five a day in all (the first one included), even when thirty clicks race.
    let raced = at_once(30, |_| w.post(&invitation, json!({}), &w.acme_admin));
    let sent = raced.iter().filter(|r| r.status == 204).count();
    assert_eq!(sent, 3, "{raced:?}");
    let limited: Vec<&Reply> = raced.iter().filter(|r| r.status == 429).collect();
    assert_eq!(limited.len(), 27);
    assert!(
        limited[0].header("retry-after").is_some(),
        "{:?}",
        limited[0]
    );
    assert_eq!(mailed_links(&w.server, address, "/invite?token="), 5);
    assert_eq!(audited(&w.server, &["user.invitation_resent"]), 4);

    // Nobody outside the company, nor a member, sends or withdraws it.
    assert_refused(&w.post(&invitation, json!({}), &w.msp_b), 404);
    assert_refused(&w.post(&invitation, json!({}), &w.acme_member), 403);
    let foreign_withdraw =
        w.server
            .call("DELETE", &invitation, None, Some(&w.initech_member.token));
    assert_eq!(foreign_withdraw.status, 404, "{foreign_withdraw:?}");
    // Someone who signed in has no invitation left to send or withdraw.
    let member = format!("/api/v1/admin/users/{}/invitation", w.acme_member.id);
    assert_eq!(w.post(&member, json!({}), &w.acme_admin).status, 400);
    let kept = w
        .server
        .call("DELETE", &member, None, Some(&w.acme_admin.token));
    assert_eq!(kept.status, 400, "{kept:?}");
    assert_eq!(
        w.server.number(&format!(
            "SELECT COUNT(*) FROM users WHERE id = {}",
            w.acme_member.id
        )),
        1
    );

    // Withdrawn: the account goes, its link stops working, and the
    // address may be invited again.
    let latest = link(&w);
    let withdrawn = w
        .server
        .call("DELETE", &invitation, None, Some(&w.acme_admin.token));
    assert_eq!(withdrawn.status, 204, "{withdrawn:?}");
    assert_eq!(
        w.server
            .number("SELECT COUNT(*) FROM users WHERE email = 'late@acme.example'"),
        0
    );
    assert!(accept(&w, &latest).contains("error=link_invalid"));
    let again = w
        .server
        .call("DELETE", &invitation, None, Some(&w.acme_admin.token));
    assert_eq!(again.status, 404, "{again:?}");
    assert_eq!(audited(&w.server, &["user.invitation_withdrawn"]), 1);
    // Withdrawing and inviting again does not start the day's count over.
    let flood = w.post(
        "/api/v1/admin/users",
        json!({ "email": address, "role": "member" }),
        &w.acme_admin,
    );
    assert_eq!(flood.status, 429, "{flood:?}");
    assert_eq!(
        w.server
            .number("SELECT COUNT(*) FROM users WHERE email = 'late@acme.example'"),
        0,
        "a refused invitation leaves no account behind"
    );
    // Another address, withdrawn, is invited again and accepted.
    let other = "early@acme.example";
    let first_id = w.post(
        "/api/v1/admin/users",
        json!({ "email": other, "role": "member" }),
        &w.acme_admin,
    );
    let withdrawn = w.server.call(
        "DELETE",
        &format!("/api/v1/admin/users/{}/invitation", first_id.json["id"]),
        None,
        Some(&w.acme_admin.token),
    );
    assert_eq!(withdrawn.status, 204, "{withdrawn:?}");
    let reinvited = w.post(
        "/api/v1/admin/users",
        json!({ "email": other, "role": "member" }),
        &w.acme_admin,
    );
    assert_eq!(reinvited.status, 201, "{reinvited:?}");
    assert_ne!(reinvited.json["id"], first_id.json["id"]);
    let path = mailed_path(&w.server, other, "/invite?token=").unwrap();
    assert_eq!(accept(&w, &path), "/login?notice=password_set");
}

fn names_that_only_look_different_are_one_name(backend: Backend) {
    let w = World::new(backend);
    let role = |name: &str| {
        w.post(
            "/api/v1/admin/roles",
            json!({ "name": name, "permissions": ["users.read"] }),
            &w.acme_admin,
        )
    };
    let name_of = |reply: &Reply| {
        let id = reply.json["id"].clone();
        let roles = w.get("/api/v1/admin/roles", &w.acme_admin);
        roles.json["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["name"].as_str().unwrap().to_string())
            .unwrap()
    };
    let made = role("Ärzte\u{200B} desk\u{AD}");
    assert_eq!(made.status, 201, "{made:?}");
    // Kept in one written form: the invisible characters are gone.
    assert_eq!(name_of(&made), "Ärzte desk");
    // The same name in another case (beyond ASCII), with more spaces, a
    // decomposed accent, an invisible character or a look-alike letter is
    // the same name; a name that mixes alphabets is refused outright.
    for twin in [
        "ÄRZTE DESK",
        "ärzte  desk",
        "A\u{308}rzte desk",
        "Ärzte\u{3164} desk",
        "Ärzte desk\u{E0020}",
    ] {
        let reply = role(twin);
        assert_eq!(reply.status, 400, "{twin}: {reply:?}");
    }
    let mixed = role("Неlpdesk");
    assert_eq!(mixed.status, 400, "{mixed:?}");
    assert!(mixed.json["message"]
        .as_str()
        .unwrap()
        .contains("one alphabet"));
    assert_eq!(role("Straße desk").status, 201);
    assert_eq!(role("STRASSE DESK").status, 400);
    assert_eq!(role("Modem").status, 201);
    assert_eq!(role("Modern").status, 400, "“rn” reads as “m”");
    // Full-width letters are the letters they look like.
    let wide = role("Ｄｅｓｋ");
    assert_eq!(wide.status, 201, "{wide:?}");
    assert_eq!(name_of(&wide), "Desk");
    assert_eq!(role("desk").status, 400);

    let customer = |name: &str, owner: &str| {
        w.post(
            "/api/v1/msp/customers",
            json!({ "name": name, "admin_email": owner }),
            &w.msp_a,
        )
    };
    let oil = customer("Öl GmbH", "one@umlaut.example");
    assert_eq!(oil.status, 201, "{oil:?}");
    let twin = customer("ÖL\u{200D} GMBH", "two@umlaut.example");
    assert_eq!(twin.status, 400, "{twin:?}");
    let soft = customer("Öl GmbH\u{AD}", "four@umlaut.example");
    assert_eq!(soft.status, 400, "{soft:?}");
    assert_eq!(customer("Bad\u{7}Name", "three@umlaut.example").status, 400);

    // A role deleted before it is given: not found, never a server error.
    let gone = w.post(
        "/api/v1/admin/roles",
        json!({ "name": "Short lived", "permissions": [] }),
        &w.acme_admin,
    );
    let gone_id = gone.json["id"].as_i64().unwrap();
    let deleted = w.server.call(
        "DELETE",
        &format!("/api/v1/admin/roles/{gone_id}"),
        None,
        Some(&w.acme_admin.token),
    );
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let given = w.post(
        &format!("/api/v1/admin/users/{}/role", w.acme_member.id),
        json!({ "role": gone_id }),
        &w.acme_admin,
    );
    assert_refused(&given, 404);
}

/// `count` people of `org`'s member role, `{prefix}{i:05}@{org}.test` named
/// "{Prefix} Person {i:05}", straight into the database (no password: they
/// only need to be listed).
fn insert_people(w: &World, org: &str, prefix: &str, count: usize) {
    let (org_id, role) = (w.org_id(org), w.role_id(org, "member"));
    let rows: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "({org_id}, {role}, '{prefix}{i:05}@{org}.test', '{prefix} Person {i:05}', '', 0)"
            )
        })
        .collect();
    for chunk in rows.chunks(500) {
        w.server.sql_exec(&format!(
            "INSERT INTO users (org_id, role_id, email, name, password_hash, created_at) VALUES {}",
            chunk.join(", ")
        ));
    }
}

/// Every page of a list from `path`, following `next_after`: the rows' `key`
/// (email, or entry id) per page.
fn follow(w: &World, path: &str, rows: &str, key: &str, by: &Account) -> Vec<Reply> {
    let mut pages = vec![w.get(path, by)];
    while let Some(after) = pages.last().unwrap().json["next_after"].as_i64() {
        let number = pages.len() + 1;
        let sep = if path.contains('?') { '&' } else { '?' };
        pages.push(w.get(&format!("{path}{sep}page={number}&after={after}"), by));
        assert!(pages.len() < 50, "a list that never ends");
    }
    for page in &pages {
        assert_eq!(page.status, 200, "{page:?}");
        assert!(page.json[rows].is_array(), "{key} rows in {page:?}");
    }
    pages
}

fn keys(reply: &Reply, rows: &str, key: &str) -> Vec<Value> {
    reply.json[rows]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[key].clone())
        .collect()
}

fn long_lists_page_from_row_to_row_and_search_through_the_index(backend: Backend) {
    let w = World::new(backend);
    insert_people(&w, "acme", "pager", 130);
    // One of them reported "This wasn't me": first on every list.
    w.server
        .sql_exec("UPDATE users SET flagged_at = 1 WHERE email = 'pager00077@acme.test'");

    // Next page after next page: every person once, flagged first, then by email.
    let pages = follow(&w, "/api/v1/admin/users", "users", "email", &w.acme_admin);
    assert_eq!(pages.len(), 3);
    let listed: Vec<Value> = pages
        .iter()
        .flat_map(|p| keys(p, "users", "email"))
        .collect();
    assert_eq!(listed.len(), 133);
    assert_eq!(listed[0], "pager00077@acme.test");
    let mut rest: Vec<String> = listed[1..]
        .iter()
        .map(|e| e.as_str().unwrap().into())
        .collect();
    let unsorted = rest.clone();
    rest.sort();
    rest.dedup();
    assert_eq!(rest, unsorted, "sorted by email, none twice");
    for (n, page) in pages.iter().enumerate() {
        assert_eq!(page.json["page"], n as i64 + 1);
        assert_eq!(
            (page.json["total"].clone(), page.json["pages"].clone()),
            (json!(133), json!(3))
        );
        assert_eq!(page.json["total_capped"], false);
        assert_eq!(
            page.json.get("previous_before").is_some(),
            n > 0,
            "{:?}",
            page.json
        );
    }
    // The same pages by number, and back again from the last.
    let by_number = w.get("/api/v1/admin/users?page=2", &w.acme_admin);
    assert_eq!(
        keys(&by_number, "users", "email"),
        keys(&pages[1], "users", "email")
    );
    let before = pages[2].json["previous_before"].as_i64().unwrap();
    let back = w.get(
        &format!("/api/v1/admin/users?page=2&before={before}"),
        &w.acme_admin,
    );
    assert_eq!(
        keys(&back, "users", "email"),
        keys(&pages[1], "users", "email")
    );
    assert_eq!(back.json["page"], 2);
    let before = back.json["previous_before"].as_i64().unwrap();
    let first = w.get(
        &format!("/api/v1/admin/users?page=1&before={before}"),
        &w.acme_admin,
    );
    assert_eq!(
        keys(&first, "users", "email"),
        keys(&pages[0], "users", "email")
    );
    assert!(
        first.json.get("previous_before").is_none(),
        "{:?}",
        first.json
    );

    // Another tenant's person is no place to start from: the page number
    // decides, so nothing about where their email sorts shows.
    for edge in ["after", "before"] {
        let sideways = w.get(
            &format!("/api/v1/admin/users?page=2&{edge}={}", w.initech_member.id),
            &w.acme_admin,
        );
        assert_eq!(sideways.status, 200, "{sideways:?}");
        assert_eq!(
            keys(&sideways, "users", "email"),
            keys(&by_number, "users", "email")
        );
    }
    for bad in ["after=x", "before=99999999999999999999", "page=2&after=-1"] {
        let reply = w.get(&format!("/api/v1/admin/users?{bad}"), &w.acme_admin);
        assert!(
            reply.status == 400 || reply.json["page"] == 2,
            "{bad}: {reply:?}"
        );
    }

    // Search: three characters or more through the index, shorter by reading.
    let search = |q: &str| {
        let reply = w.get(&format!("/api/v1/admin/users?q={q}"), &w.acme_admin);
        let mut found: Vec<String> = World::emails(&reply)
            .into_iter()
            .filter(|e| e.starts_with("pager"))
            .collect();
        found.sort();
        found
    };
    let tens: Vec<String> = (120..130)
        .map(|i| format!("pager{i:05}@acme.test"))
        .collect();
    assert_eq!(
        search("R%20PERSON%200012"),
        tens,
        "part of a name, any case"
    );
    assert_eq!(search("r0012"), tens, "part of an email");
    assert_eq!(search("0012").len(), 11, "00012 and 00120 to 00129");
    assert_eq!(search("12").len(), 12, "and 00112, read row by row");
    assert_eq!(
        search("%22%20OR%20x"),
        Vec::<String>::new(),
        "quotes are text"
    );
    // Renamed, deleted: the index follows.
    w.server
        .sql_exec("UPDATE users SET name = 'Renamed Someone' WHERE email = 'pager00120@acme.test'");
    assert_eq!(
        search("renamed%20some"),
        vec!["pager00120@acme.test".to_string()]
    );
    assert_eq!(search("r%20person%200012").len(), 9);
    w.server
        .sql_exec("DELETE FROM users WHERE email = 'pager00121@acme.test'");
    assert_eq!(search("r0012").len(), 9);

    // Past 1,000 the count stops: "more than", and the pages still follow.
    insert_people(&w, "globex", "many", 1_050);
    let many = w.get(
        &format!("/api/v1/admin/users?org={}", w.org_id("globex")),
        &w.msp_a,
    );
    assert_eq!(many.status, 200, "{many:?}");
    assert_eq!(
        (
            many.json["total"].clone(),
            many.json["total_capped"].clone()
        ),
        (json!(1_000), json!(true))
    );
    let after = many.json["next_after"].as_i64().unwrap();
    let second = w.get(
        &format!(
            "/api/v1/admin/users?org={}&page=2&after={after}",
            w.org_id("globex")
        ),
        &w.msp_a,
    );
    assert_eq!(keys(&second, "users", "email").len(), 50);
    assert_eq!(second.json["users"][0]["email"], "many00050@globex.test");

    // The audit log pages from entry to entry too, newest first.
    for id in w
        .server
        .numbers("SELECT id FROM users WHERE email LIKE 'pager%' ORDER BY id LIMIT 120")
    {
        let reply = w.post(
            &format!("/api/v1/admin/users/{id}/sign-out"),
            json!({}),
            &w.acme_admin,
        );
        assert_eq!(reply.status, 204, "{reply:?}");
    }
    let pages = follow(&w, "/api/v1/audit", "entries", "id", &w.acme_admin);
    let ids: Vec<i64> = pages
        .iter()
        .flat_map(|p| keys(p, "entries", "id"))
        .map(|v| v.as_i64().unwrap())
        .collect();
    let total = pages[0].json["total"].as_i64().unwrap();
    assert!(
        total > 120 && ids.len() as i64 == total,
        "{total} entries, {} listed",
        ids.len()
    );
    let mut newest_first = ids.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    newest_first.dedup();
    assert_eq!(ids, newest_first);
    let before = pages[1].json["previous_before"].as_i64().unwrap();
    let back = w.get(
        &format!("/api/v1/audit?page=1&before={before}"),
        &w.acme_admin,
    );
    assert_eq!(
        keys(&back, "entries", "id"),
        keys(&pages[0], "entries", "id")
    );
    let sideways = w.get(
        &format!("/api/v1/audit?page=2&after={}", w.server.number("SELECT MAX(id) FROM audit_log WHERE org_id <> (SELECT id FROM organizations WHERE slug = 'acme')")),
        &w.acme_admin,
    );
    assert_eq!(
        keys(&sideways, "entries", "id"),
        keys(&pages[1], "entries", "id")
    );
    // (Signing in below adds entries: after the pages above are compared.)
    // The action filter lists each action of the caller's log once, in order.
    let cookie = browser_session(&w.server, &w.acme_admin.email, &w.acme_admin.secret);
    let audit_page = page(&w.server, "/audit", Some(&cookie));
    let options: Vec<&str> = audit_page
        .text
        .split("<option value=\"")
        .skip(2)
        .filter_map(|o| o.split('"').next())
        .collect();
    let expected: Vec<String> = w
        .server
        .strings("SELECT DISTINCT action FROM audit_log WHERE org_id = (SELECT id FROM organizations WHERE slug = 'acme') ORDER BY action");
    assert_eq!(options, expected, "{}", audit_page.text);
    assert!(options.contains(&"user.signed_out_everywhere"));
}
