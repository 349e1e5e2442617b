//! Every rule that depends on time, run through the services with a manual
//! clock: each test stops one second before the boundary (still the old
//! answer) and at it (the new one), so a changed constant or an off-by-one
//! fails here.

mod common;

use common::{code_in, link_param, Flow, Person, PASSWORD};
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::{Answer, OobKind, OobOutcome, PasswordOutcome};
use gatehouse_core::session_store::DbSessionStore;
use gatehouse_core::store::AttemptReason;
use gatehouse_core::AuthError;
use tower_sessions::session::{Id, Record};
use tower_sessions::SessionStore;

// The figures of DESIGN.md and SECURITY.md, written out rather than imported,
// so a changed constant fails here.
const MFA_LOCK_SECONDS: i64 = 5 * 60;
const MFA_TOKEN_TTL: i64 = 5 * 60;
const OOB_LINK_TTL: i64 = 15 * 60;
const INVITATION_TTL: i64 = 7 * 24 * 3600;
const API_TOKEN_TTL: i64 = 12 * 3600;
const PASSWORD_LINK_TTL: i64 = 30 * 60;
const PASSWORD_LINKS_PER_HOUR: usize = 3;
const NOT_ME_LINK_TTL: i64 = 7 * 24 * 3600;

/// A six-digit code that is not `right`.
fn wrong(right: &str) -> String {
    let n: u32 = right.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

async fn verify(flow: &Flow, token: &str, person: &Person) -> Result<(), AuthError> {
    let code = flow.code(person.secret.as_deref().unwrap());
    flow.gh
        .verify_mfa(token, Answer::Totp(&code), &flow.origin())
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_second_factor_lock_lifts_after_five_minutes() {
    let flow = Flow::new().await;
    let ann = flow.enrolled("acme", "member", "ann@acme.example").await;
    let token = flow.mfa_token(&ann).await;
    let bad = wrong(&flow.code(ann.secret.as_deref().unwrap()));
    for _ in 0..5 {
        let refused = flow
            .gh
            .verify_mfa(&token, Answer::Totp(&bad), &flow.origin())
            .await;
        assert!(refused.is_err(), "a wrong code was accepted");
    }
    // Five failures in five minutes: even the right code is refused, with the wait.
    let token = flow.mfa_token(&ann).await;
    match verify(&flow, &token, &ann).await {
        Err(AuthError::RateLimited { retry_after }) => assert_eq!(retry_after, MFA_LOCK_SECONDS),
        other => panic!("expected the lock, got {other:?}"),
    }
    flow.advance(MFA_LOCK_SECONDS - 1);
    let token = flow.mfa_token(&ann).await;
    assert!(matches!(
        verify(&flow, &token, &ann).await,
        Err(AuthError::RateLimited { retry_after: 1 })
    ));
    flow.advance(1);
    verify(&flow, &token, &ann)
        .await
        .expect("the lock has lifted");
}

#[tokio::test]
async fn wrong_passwords_start_a_delay_that_doubles() {
    let flow = Flow::new().await;
    let bob = flow.person("acme", "member", "bob@acme.example").await;
    let login = |password: &'static str| {
        let flow = &flow;
        let email = bob.email.clone();
        async move {
            flow.gh
                .login_password(&email, password, &flow.origin())
                .await
        }
    };
    for _ in 0..10 {
        assert!(matches!(
            login("not the password").await,
            Err(AuthError::InvalidCredentials)
        ));
    }
    // Ten in a row: a minute's pause, for the right password too.
    assert!(matches!(
        login(PASSWORD).await,
        Err(AuthError::RateLimited { retry_after: 60 })
    ));
    flow.advance(59);
    assert!(matches!(
        login(PASSWORD).await,
        Err(AuthError::RateLimited { retry_after: 1 })
    ));
    flow.advance(1);
    assert!(matches!(
        login("not the password").await,
        Err(AuthError::InvalidCredentials)
    ));
    // The eleventh failure doubles the pause.
    assert!(matches!(
        login(PASSWORD).await,
        Err(AuthError::RateLimited { retry_after: 120 })
    ));
    flow.advance(120);
    assert!(matches!(
        login(PASSWORD).await,
        Ok(PasswordOutcome::Authenticated { .. })
    ));
}

#[tokio::test]
async fn a_sign_in_in_progress_ends_after_five_minutes() {
    let flow = Flow::new().await;
    let cat = flow.enrolled("acme", "member", "cat@acme.example").await;
    let token = flow.mfa_token(&cat).await;
    flow.advance(MFA_TOKEN_TTL);
    assert!(matches!(
        verify(&flow, &token, &cat).await,
        Err(AuthError::MfaTokenInvalid)
    ));
    let token = flow.mfa_token(&cat).await;
    flow.advance(MFA_TOKEN_TTL - 1);
    verify(&flow, &token, &cat)
        .await
        .expect("still within five minutes");
}

#[tokio::test]
async fn an_emailed_code_is_resent_after_thirty_seconds_and_replaces_the_first() {
    let flow = Flow::new().await;
    let dan = flow.enrolled("acme", "member", "dan@acme.example").await;
    let token = flow.mfa_token(&dan).await;
    let origin = flow.origin();
    let send = || flow.gh.send_challenge(&token, OobKind::EmailCode, &origin);
    assert_eq!(send().await.unwrap(), 30);
    let first = code_in(&flow.last_message_to(&dan.email).await, 6);
    flow.advance(29);
    assert!(matches!(
        send().await,
        Err(AuthError::RateLimited { retry_after: 1 })
    ));
    flow.advance(1);
    send()
        .await
        .expect("thirty seconds later a new code goes out");
    let second = code_in(&flow.last_message_to(&dan.email).await, 6);
    if first != second {
        assert!(matches!(
            flow.gh
                .verify_oob_code(&token, OobKind::EmailCode, &first, &flow.origin())
                .await,
            Err(AuthError::WrongCode { .. })
        ));
    }
    let outcome = flow
        .gh
        .verify_oob_code(&token, OobKind::EmailCode, &second, &flow.origin())
        .await
        .unwrap();
    assert!(matches!(outcome, OobOutcome::Recovery(_)), "{outcome:?}");
}

#[tokio::test]
async fn a_sign_in_link_works_for_fifteen_minutes() {
    let flow = Flow::new().await;
    let eve = flow.enrolled("acme", "member", "eve@acme.example").await;
    let token = flow.mfa_token(&eve).await;
    flow.gh
        .send_challenge(&token, OobKind::EmailLink, &flow.origin())
        .await
        .unwrap();
    let link = link_param(&flow.last_message_to(&eve.email).await, "token");
    flow.advance(OOB_LINK_TTL - 1);
    assert!(flow.gh.link_is_live(&link).await.unwrap());
    flow.advance(1);
    assert!(!flow.gh.link_is_live(&link).await.unwrap());
    assert!(matches!(
        flow.gh
            .complete_link(&link, Some(&token), &flow.origin())
            .await,
        Err(AuthError::LinkInvalid)
    ));
}

#[tokio::test]
async fn a_reset_permission_ends_when_its_time_is_up() {
    let flow = Flow::new().await;
    let msp = flow.person("msp", "owner", "tech@msp.example").await;
    let fay = flow.enrolled("acme", "member", "fay@acme.example").await;
    let acme = flow.gh.admin_user(msp.id, fay.id).await.unwrap().org_id;
    flow.gh
        .msp_grant(msp.id, acme, 60, "Ticket 4711", &[], &flow.origin())
        .await
        .unwrap();
    let origin = flow.origin();
    let login = || flow.gh.login_password(&fay.email, PASSWORD, &origin);
    flow.advance(60 * 60 - 1);
    assert!(matches!(
        login().await.unwrap(),
        PasswordOutcome::EnrollmentRequired {
            reason: AttemptReason::ResetPermission,
            ..
        }
    ));
    flow.advance(1);
    assert!(flow.gh.reset_permission(fay.id).await.unwrap().is_none());
    assert!(matches!(
        login().await.unwrap(),
        PasswordOutcome::MfaRequired { .. }
    ));
}

#[tokio::test]
async fn an_invitation_can_be_accepted_for_seven_days() {
    let flow = Flow::new().await;
    let admin = flow.person("acme", "admin", "admin@acme.example").await;
    let member = flow
        .gh
        .admin_role_named(admin.id, None, "member")
        .await
        .unwrap();
    flow.gh
        .admin_invite(admin.id, member, "gus@acme.example", "Gus", &flow.origin())
        .await
        .unwrap();
    let token = link_param(&flow.last_message_to("gus@acme.example").await, "token");
    flow.advance(INVITATION_TTL - 1);
    assert_eq!(
        flow.gh.invitation_email(&token).await.unwrap().as_deref(),
        Some("gus@acme.example")
    );
    flow.advance(1);
    assert_eq!(flow.gh.invitation_email(&token).await.unwrap(), None);
    assert!(matches!(
        flow.gh
            .accept_invitation(&token, PASSWORD, &flow.origin())
            .await,
        Err(AuthError::LinkInvalid)
    ));
}

#[tokio::test]
async fn an_api_token_lasts_twelve_hours() {
    let flow = Flow::new().await;
    let hal = flow.person("acme", "member", "hal@acme.example").await;
    let (token, _) = flow.gh.issue_api_token(hal.id).await.unwrap();
    flow.advance(API_TOKEN_TTL - 1);
    assert_eq!(
        flow.gh
            .api_token_user(&token)
            .await
            .unwrap()
            .map(|(id, _)| id),
        Some(hal.id)
    );
    flow.advance(1);
    assert_eq!(flow.gh.api_token_user(&token).await.unwrap(), None);
}

#[tokio::test]
async fn protective_changes_need_a_sign_in_from_the_last_five_minutes() {
    let flow = Flow::new().await;
    let signed_in_at = flow.gh.now();
    let window = flow.gh.settings.step_up_seconds;
    flow.advance(window);
    flow.gh
        .require_recent_sign_in(Operation::RemoveFactor, signed_in_at)
        .expect("exactly at the window's edge is still recent");
    flow.advance(1);
    assert!(matches!(
        flow.gh
            .require_recent_sign_in(Operation::RemoveFactor, signed_in_at),
        Err(AuthError::StepUpRequired)
    ));
}

#[tokio::test]
async fn a_browser_session_ends_at_its_expiry() {
    let flow = Flow::new().await;
    let store = DbSessionStore::with_clock(flow.gh.db.clone(), flow.clock.clone());
    let mut record = Record {
        id: Id::default(),
        data: Default::default(),
        expiry_date: time::OffsetDateTime::from_unix_timestamp(flow.gh.now() + 3600).unwrap(),
    };
    store.create(&mut record).await.unwrap();
    flow.advance(3599);
    assert!(store.load(&record.id).await.unwrap().is_some());
    flow.advance(1);
    assert!(store.load(&record.id).await.unwrap().is_none());
}

#[tokio::test]
async fn a_support_code_lasts_an_hour_and_is_replaced_on_demand() {
    let flow = Flow::new().await;
    let ida = flow.person("acme", "member", "ida@acme.example").await;
    let origin = flow.origin();
    let first = flow.gh.support_code(ida.id, &origin).await.unwrap();
    assert_eq!(first.code.len(), 8);
    assert!(first.code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(first.expires_at, flow.gh.now() + 60 * 60);
    flow.advance(60 * 60 - 1);
    assert_eq!(flow.gh.support_code(ida.id, &origin).await.unwrap(), first);
    flow.advance(1);
    let second = flow.gh.support_code(ida.id, &origin).await.unwrap();
    assert_eq!(second.expires_at, flow.gh.now() + 60 * 60);
    let third = flow.gh.new_support_code(ida.id, &origin).await.unwrap();
    assert_eq!(flow.gh.support_code(ida.id, &origin).await.unwrap(), third);
    assert_ne!(
        (first.expires_at, &first.code),
        (third.expires_at, &second.code)
    );
}

#[tokio::test]
async fn new_support_codes_are_limited_to_five_in_ten_minutes_and_end_with_the_sessions() {
    let flow = Flow::new().await;
    let jo = flow.person("acme", "member", "jo@acme.example").await;
    let origin = flow.origin();
    for _ in 0..5 {
        flow.gh.new_support_code(jo.id, &origin).await.unwrap();
    }
    assert!(matches!(
        flow.gh.new_support_code(jo.id, &origin).await,
        Err(AuthError::RateLimited { retry_after: 600 })
    ));
    flow.advance(10 * 60 - 1);
    assert!(matches!(
        flow.gh.new_support_code(jo.id, &origin).await,
        Err(AuthError::RateLimited { retry_after: 1 })
    ));
    flow.advance(1);
    let live = flow.gh.new_support_code(jo.id, &origin).await.unwrap();
    // Ending every session (here: a reset of the user's MFA) ends the code too.
    flow.gh
        .reset_mfa(jo.id, Some(jo.id), &origin)
        .await
        .unwrap();
    let after = flow.gh.support_code(jo.id, &origin).await.unwrap();
    assert_eq!(after.expires_at, flow.gh.now() + 60 * 60);
    assert_ne!(after.code, live.code, "a fresh code after the reset");
}

#[tokio::test]
async fn a_password_link_works_for_thirty_minutes() {
    let flow = Flow::new().await;
    flow.person("acme", "member", "ida@acme.example").await;
    flow.gh
        .send_password_link("ida@acme.example", &flow.origin())
        .await
        .unwrap();
    let token = link_param(&flow.last_message_to("ida@acme.example").await, "token");
    flow.advance(PASSWORD_LINK_TTL - 1);
    assert_eq!(
        flow.gh
            .password_link(&token)
            .await
            .unwrap()
            .map(|link| link.email)
            .as_deref(),
        Some("ida@acme.example")
    );
    flow.advance(1);
    assert_eq!(flow.gh.password_link(&token).await.unwrap(), None);
    assert!(matches!(
        flow.gh
            .reset_password_with_link(&token, "a brand new passphrase", "", &flow.origin())
            .await,
        Err(AuthError::LinkInvalid)
    ));
}

#[tokio::test]
async fn three_password_links_an_hour_per_account() {
    let flow = Flow::new().await;
    flow.person("acme", "member", "jon@acme.example").await;
    let links = || async {
        let mails = flow.messages_to("jon@acme.example").await;
        mails
            .iter()
            .filter(|m| m.contains("/password/reset?token="))
            .count()
    };
    for _ in 0..PASSWORD_LINKS_PER_HOUR + 2 {
        flow.gh
            .send_password_link("jon@acme.example", &flow.origin())
            .await
            .unwrap();
    }
    assert_eq!(links().await, PASSWORD_LINKS_PER_HOUR);
    flow.advance(3600);
    flow.gh
        .send_password_link("jon@acme.example", &flow.origin())
        .await
        .unwrap();
    assert_eq!(links().await, PASSWORD_LINKS_PER_HOUR + 1);
}

#[tokio::test]
async fn a_this_wasnt_me_link_works_for_seven_days() {
    let flow = Flow::new().await;
    let kim = flow.enrolled("acme", "member", "kim@acme.example").await;
    flow.gh
        .reset_mfa(kim.id, Some(kim.id), &flow.origin())
        .await
        .unwrap();
    let token = link_param(&flow.last_message_to("kim@acme.example").await, "token");
    flow.advance(NOT_ME_LINK_TTL - 1);
    let link = flow
        .gh
        .not_me_link(&token)
        .await
        .unwrap()
        .expect("still valid");
    assert_eq!((link.reset.as_str(), link.reported), ("self_reset", false));
    flow.advance(1);
    assert_eq!(flow.gh.not_me_link(&token).await.unwrap(), None);
    // A day after it stopped working, the link itself is deleted.
    let links = || async {
        let mut c = flow.gh.db.pool.acquire().await.unwrap();
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM account_links")
            .fetch_one(&mut *c)
            .await
            .unwrap()
    };
    flow.gh.delete_expired().await.unwrap();
    assert_eq!(links().await, 1, "kept for a day");
    flow.advance(86_400);
    flow.gh.delete_expired().await.unwrap();
    assert_eq!(links().await, 0);
    assert!(matches!(
        flow.gh.report_reset(&token, &flow.origin()).await,
        Err(AuthError::LinkInvalid)
    ));
}
