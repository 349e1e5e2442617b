//! Abuse signals through the services with a manual clock: resets counted
//! in a sliding window per organization and across the platform, one alert
//! per burst, who is mailed, what is audited, who sees the banner.

mod common;

use common::{code_in, Flow, Person};
use gatehouse_core::rules::abuse::{AlertScope, ResetKind};
use gatehouse_core::rules::filters::AuditFilter;
use gatehouse_core::rules::scope::OrgKind;
use gatehouse_core::service::{AbuseAlert, OobKind, OobOutcome, PageRequest, PasswordOutcome};
use gatehouse_core::store;

// The documented defaults, written out so a changed constant fails here.
const COMPANY_RESETS: usize = 3;
const COMPANY_WINDOW: i64 = 24 * 3600;
const PLATFORM_RESETS: usize = 10;
const PLATFORM_WINDOW: i64 = 3600;

/// The platform's manager and agent, the partner's admin, Acme's admin and
/// a customer admin of another company, who must see nothing.
struct Scene {
    flow: Flow,
    manager: Person,
    agent: Person,
    partner_admin: Person,
    acme_admin: Person,
}

impl Scene {
    async fn new() -> Self {
        let flow = Flow::new().await;
        let manager = flow
            .person("platform", "manager", "manager@desk.example")
            .await;
        let agent = flow
            .person("platform", "support", "agent@desk.example")
            .await;
        let partner_admin = flow.person("msp", "admin", "admin@msp.example").await;
        let acme_admin = flow.person("acme", "admin", "admin@acme.example").await;
        Self {
            flow,
            manager,
            agent,
            partner_admin,
            acme_admin,
        }
    }

    /// `n` members of `org`, without MFA.
    async fn members(&self, org: &str, n: usize) -> Vec<Person> {
        let mut out = Vec::new();
        for i in 0..n {
            out.push(
                self.flow
                    .person(org, "member", &format!("m{i}@{org}.example"))
                    .await,
            );
        }
        out
    }

    /// "Disable MFA" by `admin` on `user`, then a minute passes.
    async fn disable(&self, admin: &Person, user: &Person) {
        self.flow
            .gh
            .admin_disable_mfa(admin.id, user.id, &self.flow.origin())
            .await
            .unwrap();
        self.flow.advance(60);
    }

    async fn alerts(&self, viewer: &Person) -> Vec<AbuseAlert> {
        self.flow.gh.abuse_alerts_for(viewer.id).await.unwrap()
    }

    /// The alert mails queued for `email`, newest first.
    async fn alert_mails(&self, email: &str) -> Vec<String> {
        let mut c = self.flow.gh.db.pool.acquire().await.unwrap();
        store::outbox_recent(&mut c, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.recipient == email && m.subject.starts_with("Alert:"))
            .map(|m| format!("{}\n{}", m.subject, m.body_text))
            .collect()
    }

    /// The `abuse.alert` entries `viewer` reads in the audit log (details).
    async fn audited(&self, viewer: &Person) -> Vec<serde_json::Value> {
        let filter = AuditFilter {
            action: "abuse.alert".into(),
            ..AuditFilter::default()
        };
        self.flow
            .gh
            .audit_page(viewer.id, &filter, PageRequest::number(1))
            .await
            .unwrap()
            .entries
            .into_iter()
            .filter(|e| e.action == "abuse.alert")
            .map(|e| serde_json::from_str(&e.details).unwrap())
            .collect()
    }

    async fn count(&self, table: &str) -> i64 {
        let mut c = self.flow.gh.db.pool.acquire().await.unwrap();
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *c)
            .await
            .unwrap()
    }

    /// The person signs in, has an email code sent, and replaces their
    /// authenticator with it (email recovery).
    async fn email_recovery(&self, person: &Person) {
        let flow = &self.flow;
        let origin = flow.origin();
        let token = flow.mfa_token(person).await;
        flow.gh
            .send_challenge(&token, OobKind::EmailCode, &origin)
            .await
            .unwrap();
        let code = code_in(&flow.last_message_to(&person.email).await, 6);
        let OobOutcome::Recovery(recovery) = flow
            .gh
            .verify_oob_code(&token, OobKind::EmailCode, &code, &origin)
            .await
            .unwrap()
        else {
            panic!("an emailed code recovers");
        };
        let setup = flow.gh.totp_setup_for_attempt(&recovery).await.unwrap().0;
        let secret = totp_rs::Secret::Encoded(setup.secret).to_bytes().unwrap();
        flow.gh
            .totp_confirm_for_attempt(&recovery, &flow.code(&secret), "", &origin)
            .await
            .unwrap();
        flow.advance(60);
    }
}

#[tokio::test]
async fn a_company_burst_alerts_once_and_again_after_the_window_slides() {
    let s = Scene::new().await;
    let gh = &s.flow.gh;
    let origin = s.flow.origin();
    let members = s.members("acme", 4).await;
    let enrolled = s
        .flow
        .enrolled("acme", "member", "phone@acme.example")
        .await;
    gh.create_org(OrgKind::Company, "globex", "Globex", Some("msp"))
        .await
        .unwrap();
    let other_admin = s
        .flow
        .person("globex", "admin", "admin@globex.example")
        .await;

    // Three resets of three kinds: at the threshold, not above it.
    s.disable(&s.acme_admin, &members[0]).await;
    s.disable(&s.acme_admin, &members[1]).await;
    gh.reset_mfa(members[2].id, Some(members[2].id), &origin)
        .await
        .unwrap();
    assert_eq!(s.count("reset_events").await, COMPANY_RESETS as i64);
    assert!(s.alerts(&s.manager).await.is_empty());
    assert!(s.alert_mails(&s.manager.email).await.is_empty());
    assert!(s.audited(&s.manager).await.is_empty());

    // The fourth (an email recovery, at sign-in) tips it: one alert.
    s.email_recovery(&enrolled).await;
    let alerts = s.alerts(&s.manager).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert.scope, AlertScope::Company);
    assert_eq!(alert.org_name.as_deref(), Some("Acme"));
    assert_eq!((alert.resets, alert.resets_so_far), (4, 4));
    assert_eq!(alert.window_seconds, COMPANY_WINDOW);
    assert_eq!(alert.threshold, COMPANY_RESETS as i64);
    assert_eq!(
        alert.kinds,
        vec![
            (ResetKind::SelfReset, 1),
            (ResetKind::AdminDisable, 2),
            (ResetKind::EmailRecovery, 1)
        ]
    );
    assert_eq!(s.alerts(&s.agent).await, alerts, "the whole desk sees it");
    assert_eq!(
        s.alerts(&s.partner_admin).await,
        alerts,
        "Acme's partner too"
    );
    assert!(
        s.alerts(&s.acme_admin).await.is_empty(),
        "not the company's own admin"
    );
    assert!(s.alerts(&other_admin).await.is_empty());
    assert!(s.alerts(&members[3]).await.is_empty());

    let to_manager = s.alert_mails(&s.manager.email).await;
    assert_eq!(to_manager.len(), 1, "{to_manager:?}");
    let mail = &to_manager[0];
    for words in [
        "Alert: 4 MFA resets at Acme within 24 hours",
        "4 resets of two-step verification took effect at Acme within 24 hours",
        "more than the alert threshold of 3",
        "1 by the user themselves (My profile), 2 by an administrator (Disable MFA), 1 by email recovery",
        "/support/requests",
        "/audit",
        "call Acme's authorized officer",
    ] {
        assert!(mail.contains(words), "{words:?} in {mail}");
    }
    let to_partner = s.alert_mails(&s.partner_admin.email).await;
    assert_eq!(to_partner.len(), 1, "{to_partner:?}");
    assert!(
        to_partner[0].contains("/msp/customers"),
        "{}",
        to_partner[0]
    );
    assert!(to_partner[0].contains("revoke any MFA reset permission"));
    for nobody in [&s.agent.email, &s.acme_admin.email, &other_admin.email] {
        assert!(s.alert_mails(nobody).await.is_empty(), "{nobody}");
    }

    // Audited in the platform's log and in the partner's: counts and ids only.
    let seen_by_desk = s.audited(&s.manager).await;
    assert_eq!(seen_by_desk.len(), 2, "{seen_by_desk:?}");
    let seen_by_partner = s.audited(&s.partner_admin).await;
    assert_eq!(seen_by_partner.len(), 1, "{seen_by_partner:?}");
    let details = &seen_by_partner[0];
    assert_eq!(details["scope"], "company");
    assert_eq!(details["resets"], 4);
    assert_eq!(details["kinds"]["admin_disable"], 2);
    assert_eq!(details["window_seconds"], COMPANY_WINDOW);
    assert_eq!(details["notified"], 2);
    assert!(
        !details.to_string().contains("@"),
        "no addresses: {details}"
    );

    // A fifth inside the window is the same burst: no second alert.
    s.disable(&s.acme_admin, &members[3]).await;
    let alerts = s.alerts(&s.manager).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!((alerts[0].resets, alerts[0].resets_so_far), (4, 5));
    assert_eq!(s.alert_mails(&s.manager.email).await.len(), 1);
    assert_eq!(s.count("abuse_alerts").await, 1);

    // A day after the alert the banner is gone and the window has slid past
    // the burst: one reset raises nothing, a new burst alerts again.
    s.flow.advance(COMPANY_WINDOW);
    assert!(s.alerts(&s.manager).await.is_empty());
    for m in &members {
        s.disable(&s.acme_admin, m).await;
        if m.id != members[3].id {
            assert_eq!(s.count("abuse_alerts").await, 1);
        }
    }
    assert_eq!(s.count("abuse_alerts").await, 2);
    let alerts = s.alerts(&s.manager).await;
    assert_eq!(alerts.len(), 1, "only the new one is inside its window");
    assert_eq!(alerts[0].kinds, vec![(ResetKind::AdminDisable, 4)]);
    assert_eq!(s.alert_mails(&s.manager.email).await.len(), 2);
    assert_eq!(s.alert_mails(&s.partner_admin.email).await.len(), 2);
}

#[tokio::test]
async fn the_window_counts_resets_not_alerts() {
    // Resets spread out so that no 24 hours hold four raise nothing.
    let s = Scene::new().await;
    let members = s.members("acme", 8).await;
    for m in &members {
        s.disable(&s.acme_admin, m).await;
        s.flow.advance(COMPANY_WINDOW / 3);
    }
    assert_eq!(s.count("reset_events").await, 8);
    assert_eq!(s.count("abuse_alerts").await, 0);
}

#[tokio::test]
async fn the_platform_threshold_counts_across_companies() {
    let s = Scene::new().await;
    let gh = &s.flow.gh;
    // Four customers of the partner; the partner's admin resets in all of them,
    // three at most per company (never a company alert).
    let mut people = Vec::new();
    for (slug, n) in [("co1", 3), ("co2", 3), ("co3", 3), ("co4", 3)] {
        gh.create_org(OrgKind::Company, slug, slug, Some("msp"))
            .await
            .unwrap();
        people.extend(s.members(slug, n).await);
    }
    for (i, p) in people.iter().take(PLATFORM_RESETS).enumerate() {
        gh.admin_disable_mfa(s.partner_admin.id, p.id, &s.flow.origin())
            .await
            .unwrap();
        s.flow.advance(60);
        assert_eq!(s.count("abuse_alerts").await, 0, "after {}", i + 1);
    }
    gh.admin_disable_mfa(s.partner_admin.id, people[10].id, &s.flow.origin())
        .await
        .unwrap();
    let alerts = s.alerts(&s.manager).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert.scope, AlertScope::Platform);
    assert_eq!((alert.org_id, alert.organizations), (None, 4));
    assert_eq!(alert.resets, 11);
    assert_eq!(alert.window_seconds, PLATFORM_WINDOW);
    let mails = s.alert_mails(&s.manager.email).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains(
            "11 resets of two-step verification took effect across the platform within 1 hour"
        ),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("in 4 organizations"), "{}", mails[0]);
    // The platform's alert is the desk's: no partner sees or hears of it.
    assert!(s.alerts(&s.partner_admin).await.is_empty());
    assert!(s.alert_mails(&s.partner_admin.email).await.is_empty());
    let audited = s.audited(&s.manager).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0]["scope"], "platform");
    assert_eq!(audited[0]["org_id"], serde_json::Value::Null);

    // The twelfth within the hour: the same burst.
    gh.admin_disable_mfa(s.partner_admin.id, people[11].id, &s.flow.origin())
        .await
        .unwrap();
    assert_eq!(s.count("abuse_alerts").await, 1);
    // An hour later the platform's window has moved on: the banner is gone.
    s.flow.advance(PLATFORM_WINDOW);
    assert!(s.alerts(&s.manager).await.is_empty());
}

#[tokio::test]
async fn a_first_authenticator_is_not_a_reset() {
    let s = Scene::new().await;
    // An owner must set up MFA at first sign-in: enrollment, not a reset.
    let owner = s.flow.person("acme", "owner", "owner@acme.example").await;
    let PasswordOutcome::EnrollmentRequired { mfa_token, .. } = s
        .flow
        .gh
        .login_password(&owner.email, common::PASSWORD, &s.flow.origin())
        .await
        .unwrap()
    else {
        panic!("an owner without MFA enrolls");
    };
    let setup = s
        .flow
        .gh
        .totp_setup_for_attempt(&mfa_token)
        .await
        .unwrap()
        .0;
    let secret = totp_rs::Secret::Encoded(setup.secret).to_bytes().unwrap();
    s.flow
        .gh
        .totp_confirm_for_attempt(&mfa_token, &s.flow.code(&secret), "", &s.flow.origin())
        .await
        .unwrap();
    assert_eq!(s.count("reset_events").await, 0);
}
