//! The support desk's rules that hang on time, run through the services with
//! a manual clock: the cooling-off, the pass's day, the risk flags' windows,
//! the support code's hour, and a finished request freeing its person.

mod common;

use common::{Flow, Person, PASSWORD};
use gatehouse_core::rules::support::{RequestChannel, RequestState, RiskFlag};
use gatehouse_core::service::Answer;
use gatehouse_core::service::{Check, NewResetRequest, PasswordOutcome, ResetRequest};
use gatehouse_core::store::{self, AttemptReason};
use gatehouse_core::AuthError;

// DESIGN.md's figures, written out so a changed constant fails here.
const COOLING_OFF: i64 = 24 * 3600;
const PASS_LIFETIME: i64 = 24 * 3600;
const SUPPORT_CODE_TTL: i64 = 3600;
const DAY: i64 = 24 * 3600;

/// Acme's officer (its first owner) and a member, with authenticators set up
/// eight days ago, and the desk.
struct Desk {
    flow: Flow,
    officer: Person,
    member: Person,
    agent: Person,
    manager: Person,
}

impl Desk {
    async fn new() -> Self {
        let flow = Flow::new().await;
        let officer = flow.enrolled("acme", "owner", "officer@acme.example").await;
        let member = flow.enrolled("acme", "member", "member@acme.example").await;
        // Long enough ago that the officer's new authenticator raises no flag.
        flow.advance(8 * DAY);
        let agent = flow
            .person("platform", "support", "agent@desk.example")
            .await;
        let manager = flow
            .person("platform", "manager", "manager@desk.example")
            .await;
        Self {
            flow,
            officer,
            member,
            agent,
            manager,
        }
    }

    async fn file(&self, requester: &Person, user: &Person) -> Result<ResetRequest, AuthError> {
        let new = NewResetRequest {
            requester_email: Some(&requester.email),
            user_email: &user.email,
            channel: Some(RequestChannel::Phone),
            ..NewResetRequest::default()
        };
        self.flow
            .gh
            .file_reset_request(self.agent.id, new, &self.flow.origin())
            .await
    }

    async fn view(&self, id: i64) -> ResetRequest {
        self.flow.gh.reset_request(self.agent.id, id).await.unwrap()
    }

    /// A request for the member escalated and approved by the manager; its id.
    async fn approved(&self) -> i64 {
        let id = self.file(&self.officer, &self.member).await.unwrap().id;
        let origin = self.flow.origin();
        let gh = &self.flow.gh;
        gh.escalate_reset(self.agent.id, id, "No code", &origin)
            .await
            .unwrap();
        let approved = gh
            .decide_reset(self.manager.id, id, true, "Known caller", &origin)
            .await
            .unwrap();
        assert_eq!(approved.state, RequestState::CoolingOff);
        id
    }

    async fn sign_in(&self, person: &Person) -> PasswordOutcome {
        self.flow
            .gh
            .login_password(&person.email, PASSWORD, &self.flow.origin())
            .await
            .unwrap()
    }
}

fn is_reset_pass(outcome: &PasswordOutcome) -> bool {
    matches!(
        outcome,
        PasswordOutcome::EnrollmentRequired {
            reason: AttemptReason::ResetPass,
            ..
        }
    )
}

#[tokio::test]
async fn an_approved_pass_cools_off_for_a_day_then_works_for_a_day() {
    let desk = Desk::new().await;
    let id = desk.approved().await;
    desk.flow.advance(COOLING_OFF - 1);
    assert!(!is_reset_pass(&desk.sign_in(&desk.member).await));
    assert_eq!(desk.view(id).await.state, RequestState::CoolingOff);
    desk.flow.advance(1);
    assert!(is_reset_pass(&desk.sign_in(&desk.member).await));
    assert_eq!(desk.view(id).await.state, RequestState::Active);
    // Unfinished, it keeps the person's one request open.
    assert!(matches!(
        desk.file(&desk.officer, &desk.member).await,
        Err(AuthError::RequestOpen)
    ));
    desk.flow.advance(PASS_LIFETIME - 1);
    assert!(is_reset_pass(&desk.sign_in(&desk.member).await));
    desk.flow.advance(1);
    assert!(!is_reset_pass(&desk.sign_in(&desk.member).await));
    assert_eq!(desk.view(id).await.state, RequestState::Expired);
    // Expired, it frees the person for a new request.
    desk.file(&desk.officer, &desk.member).await.unwrap();
}

#[tokio::test]
async fn an_expired_pass_does_nothing_even_halfway_through_the_reset() {
    let desk = Desk::new().await;
    desk.approved().await;
    desk.flow.advance(COOLING_OFF + PASS_LIFETIME - 60);
    let PasswordOutcome::EnrollmentRequired { mfa_token, .. } = desk.sign_in(&desk.member).await
    else {
        panic!("the pass should let the password through");
    };
    let gh = &desk.flow.gh;
    let setup = gh.totp_setup_for_attempt(&mfa_token).await.unwrap().0;
    let secret = totp_rs::Secret::Encoded(setup.secret).to_bytes().unwrap();
    desk.flow.advance(60);
    let code = desk.flow.code(&secret);
    let refused = gh
        .totp_confirm_for_attempt(&mfa_token, &code, "", &desk.flow.origin())
        .await;
    assert!(matches!(refused, Err(AuthError::GrantEnded)), "{refused:?}");
    // The old authenticator still works: nothing was removed.
    let token = desk.flow.mfa_token(&desk.member).await;
    let code = desk.flow.code(desk.member.secret.as_deref().unwrap());
    desk.flow
        .gh
        .verify_mfa(&token, Answer::Totp(&code), &desk.flow.origin())
        .await
        .unwrap();
}

#[tokio::test]
async fn risk_flags_go_down_when_their_windows_pass() {
    let desk = Desk::new().await;
    let first = desk.file(&desk.officer, &desk.member).await.unwrap();
    assert_eq!(desk.view(first.id).await.flags, vec![]);
    desk.flow
        .gh
        .cancel_reset(desk.agent.id, first.id, "Duplicate", &desk.flow.origin())
        .await
        .unwrap();
    // Another request for the same person within 30 days.
    desk.flow.advance(30 * DAY - 1);
    let second = desk.file(&desk.officer, &desk.member).await.unwrap();
    assert_eq!(second.flags, vec![RiskFlag::RepeatTarget]);
    desk.flow.advance(1);
    assert_eq!(desk.view(second.id).await.flags, vec![]);
    // The "lost" phone signs in after the request was filed.
    let token = desk.flow.mfa_token(&desk.member).await;
    let code = desk.flow.code(desk.member.secret.as_deref().unwrap());
    desk.flow
        .gh
        .verify_mfa(&token, Answer::Totp(&code), &desk.flow.origin())
        .await
        .unwrap();
    assert_eq!(
        desk.view(second.id).await.flags,
        vec![RiskFlag::TargetSignedIn]
    );
}

#[tokio::test]
async fn a_requester_whose_mfa_changed_this_week_raises_a_flag() {
    let desk = Desk::new().await;
    let tech = desk
        .flow
        .enrolled("acme", "owner", "second-owner@acme.example")
        .await;
    // The first owner stays the officer; name the new owner a technical contact.
    let mut c = desk.flow.gh.db.pool.acquire().await.unwrap();
    let acme = store::org_by_slug(&mut c, "acme").await.unwrap().unwrap();
    store::replace_contacts(
        &mut c,
        acme.id,
        desk.officer.id,
        &[tech.id],
        desk.flow.gh.now(),
    )
    .await
    .unwrap();
    drop(c);
    let id = desk.file(&tech, &desk.member).await.unwrap().id;
    assert_eq!(
        desk.view(id).await.flags,
        vec![RiskFlag::RequesterMfaChanged]
    );
    desk.flow.advance(7 * DAY);
    assert_eq!(desk.view(id).await.flags, vec![]);
}

#[tokio::test]
async fn a_support_code_proves_for_an_hour() {
    let desk = Desk::new().await;
    let gh = &desk.flow.gh;
    let origin = desk.flow.origin();
    let id = desk.file(&desk.officer, &desk.member).await.unwrap().id;
    let code = gh.support_code(desk.officer.id, &origin).await.unwrap();
    desk.flow.advance(SUPPORT_CODE_TTL);
    let late = gh
        .check_requester(desk.agent.id, id, Check::SupportCode(&code.code), &origin)
        .await
        .unwrap();
    assert!(!late.passed);
    let fresh = gh.support_code(desk.officer.id, &origin).await.unwrap();
    assert_ne!(fresh.code, code.code);
    desk.flow.advance(SUPPORT_CODE_TTL - 1);
    let in_time = gh
        .check_requester(desk.agent.id, id, Check::SupportCode(&fresh.code), &origin)
        .await
        .unwrap();
    assert!(in_time.passed);
    assert_eq!(in_time.checks_left, 2);
}
