//! Abuse signals over HTTP, on SQLite and PostgreSQL: a burst of resets in
//! one company mails the platform's managers and the partner's admins, is
//! audited, and shows as a banner to the desk and the partner but not to the
//! customer; thirty resets at once raise exactly one alert per scope. The
//! sliding windows, one alert per burst and every kind of reset are core's
//! flow tests (core/tests/abuse_signals.rs).

mod common;

use std::thread;

use common::*;
use serde_json::Value;

on_both_databases!(
    a_burst_of_admin_resets_alerts_the_desk_and_the_partner,
    thirty_resets_at_once_raise_one_alert_per_scope,
);

/// A partner with a customer, the customer's admin, the partner's admin and
/// the platform's manager and agent, all signed in through the API.
struct Scene {
    server: Server,
    manager: Account,
    agent: Account,
    partner_admin: Account,
    customer_admin: Account,
}

impl Scene {
    fn new(backend: Backend, env: &[(&str, &str)]) -> Self {
        // Creating thirty people by the command line takes a while: the
        // admin's sign-in must still count as recent afterwards.
        let mut env = env.to_vec();
        env.push(("GATEHOUSE_STEP_UP_SECONDS", "3600"));
        let server = Server::start_with(backend, &env);
        server.org("partner", "northwind", None);
        server.org("company", "acme", Some("northwind"));
        Self {
            manager: server.account("platform", "manager"),
            agent: server.account("platform", "support"),
            partner_admin: server.account("northwind", "admin"),
            customer_admin: server.account("acme", "admin"),
            server,
        }
    }

    /// `n` members of Acme (no MFA); their ids.
    fn members(&self, n: usize) -> Vec<i64> {
        (0..n)
            .map(|_| self.server.user_id(&self.server.user_in("acme", "member")))
            .collect()
    }

    /// Acme's admin presses "Disable MFA" for `user_id` (the API).
    fn disable(&self, user_id: i64) -> Reply {
        self.server.post(
            &format!("/api/v1/admin/users/{user_id}/mfa/disable"),
            serde_json::json!({}),
            Some(&self.customer_admin.token),
        )
    }

    fn alerts(&self, viewer: &Account) -> Vec<Value> {
        let reply = self
            .server
            .get("/api/v1/support/alerts", Some(&viewer.token));
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.json["alerts"].as_array().unwrap().clone()
    }

    /// The alert mails queued for `email`.
    fn alert_mails(&self, email: &str) -> Vec<String> {
        mail_to(&self.server, email)
            .into_iter()
            .filter(|text| text.contains("resets of two-step verification took effect"))
            .collect()
    }

    fn count(&self, query: &str) -> i64 {
        self.server.number(query)
    }
}

fn a_burst_of_admin_resets_alerts_the_desk_and_the_partner(backend: Backend) {
    // More than 2 in a day alerts; the platform's threshold stays out of the way.
    let s = Scene::new(
        backend,
        &[
            ("GATEHOUSE_ABUSE_COMPANY_RESETS", "2"),
            ("GATEHOUSE_ABUSE_PLATFORM_RESETS", "1000"),
        ],
    );
    let members = s.members(3);
    for id in &members[..2] {
        let reply = s.disable(*id);
        assert_eq!(reply.status, 204, "{reply:?}");
    }
    assert!(
        s.alerts(&s.manager).is_empty(),
        "two resets: at the threshold"
    );
    assert!(s.alert_mails(&s.manager.email).is_empty());

    let reply = s.disable(members[2]);
    assert_eq!(reply.status, 204, "{reply:?}");

    // The JSON API: the desk and the partner see it, the customer does not.
    let alerts = s.alerts(&s.manager);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert["scope"], "company");
    assert_eq!(alert["organization"]["name"], "acme");
    assert_eq!(alert["resets"], 3);
    assert_eq!(alert["resets_so_far"], 3);
    assert_eq!(alert["threshold"], 2);
    assert_eq!(alert["window_seconds"], 86_400);
    assert_eq!(alert["kinds"]["admin_disable"], 3);
    assert_eq!(s.alerts(&s.agent), alerts);
    assert_eq!(s.alerts(&s.partner_admin), alerts);
    assert!(s.alerts(&s.customer_admin).is_empty());

    // Mail to the manager and to the partner's admin, each with their advice.
    let to_manager = s.alert_mails(&s.manager.email);
    assert_eq!(to_manager.len(), 1, "{to_manager:?}");
    assert!(
        to_manager[0]
            .contains("3 resets of two-step verification took effect at acme within 24 hours"),
        "{}",
        to_manager[0]
    );
    assert!(to_manager[0].contains("3 by an administrator (Disable MFA)"));
    assert!(to_manager[0].contains("/support/requests"));
    let to_partner = s.alert_mails(&s.partner_admin.email);
    assert_eq!(to_partner.len(), 1, "{to_partner:?}");
    assert!(
        to_partner[0].contains("/msp/customers"),
        "{}",
        to_partner[0]
    );
    assert!(s.alert_mails(&s.customer_admin.email).is_empty());
    assert!(s.alert_mails(&s.agent.email).is_empty());

    // Audited in the platform's log and the partner's, which the chain check accepts.
    let audit = s.server.get(
        "/api/v1/audit?action=abuse.alert",
        Some(&s.partner_admin.token),
    );
    assert_eq!(audit.status, 200, "{audit:?}");
    let entries = audit.json["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit:?}");
    assert_eq!(entries[0]["organization"], "northwind");
    assert_eq!(entries[0]["details"]["resets"], 3);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'abuse.alert'"),
        2
    );
    s.server.cli_ok(&["audit", "verify"], None);

    // The banners: the desk's queue and the partner's customers.
    let desk = browser_session(&s.server, &s.manager.email, &s.manager.secret);
    let queue = page(&s.server, "/support/requests", Some(&desk));
    assert_eq!(queue.status, 200, "{queue:?}");
    for words in [
        "role=\"alert\"",
        "Unusual number of MFA resets",
        "3 MFA resets within 24 hours",
        "/audit?from=",
    ] {
        assert!(queue.text.contains(words), "{words:?} on /support/requests");
    }
    let partner = browser_session(&s.server, &s.partner_admin.email, &s.partner_admin.secret);
    let customers = page(&s.server, "/msp/customers", Some(&partner));
    assert_eq!(customers.status, 200, "{customers:?}");
    assert!(customers.text.contains("Unusual number of MFA resets"));
    assert!(customers.text.contains("3 MFA resets within 24 hours"));

    // A fourth reset is the same burst: no new alert, the count goes on.
    let more = s.members(1);
    assert_eq!(s.disable(more[0]).status, 204);
    let alerts = s.alerts(&s.manager);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["resets_so_far"], 4);
    assert_eq!(s.alert_mails(&s.manager.email).len(), 1);
}

fn thirty_resets_at_once_raise_one_alert_per_scope(backend: Backend) {
    // The defaults: more than 3 a day per company, more than 10 an hour in all.
    let s = Scene::new(backend, &[]);
    let members = s.members(30);
    let scene = &s;
    thread::scope(|threads| {
        let handles: Vec<_> = members
            .iter()
            .map(|id| threads.spawn(move || scene.disable(*id).status))
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), 204);
        }
    });
    assert_eq!(s.count("SELECT COUNT(*) FROM reset_events"), 30);
    assert_eq!(
        s.count("SELECT COUNT(*) FROM abuse_alerts WHERE scope = 'company'"),
        1
    );
    assert_eq!(
        s.count("SELECT COUNT(*) FROM abuse_alerts WHERE scope = 'platform'"),
        1
    );
    // Raised when the 4th and the 11th were counted, not later.
    assert_eq!(
        s.count("SELECT resets FROM abuse_alerts WHERE scope = 'company'"),
        4
    );
    assert_eq!(
        s.count("SELECT resets FROM abuse_alerts WHERE scope = 'platform'"),
        11
    );
    // The manager hears of each once; the partner of the company's only.
    assert_eq!(s.alert_mails(&s.manager.email).len(), 2);
    assert_eq!(s.alert_mails(&s.partner_admin.email).len(), 1);
    assert_eq!(s.alerts(&s.manager).len(), 2);
    assert_eq!(s.alerts(&s.partner_admin).len(), 1);
    // Platform's log: both alerts; the partner's: the company's.
    assert_eq!(
        s.count("SELECT COUNT(*) FROM audit_log WHERE action = 'abuse.alert'"),
        3
    );
    s.server.cli_ok(&["audit", "verify"], None);
}

#[test]
fn thresholds_out_of_bounds_stop_the_server() {
    let dir = std::env::temp_dir().join(format!("gatehouse-abuse-{}", now()));
    for (var, value) in [
        ("GATEHOUSE_ABUSE_COMPANY_RESETS", "0"),
        ("GATEHOUSE_ABUSE_PLATFORM_WINDOW_SECONDS", "10"),
    ] {
        let out = std::process::Command::new(binary())
            .arg("migrate")
            .env(
                "GATEHOUSE_DATABASE_URL",
                format!("sqlite://{}/g.db", dir.display()),
            )
            .env(var, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value}");
        assert!(
            stderr.starts_with(&format!("gatehouse: {var}: must be a whole number from")),
            "{stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
