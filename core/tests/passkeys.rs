//! Passkey ceremonies in-process, on a manual clock, with the software
//! passkey (`tools/softkey`) as the device: a ceremony answered one second
//! before its 5 minutes works, at 5 minutes it does not; a sign-in that owes
//! a passkey (its role requires one) waits 15 minutes for it; and a
//! credential registered to one account cannot be registered to another.

mod common;
#[path = "../../tools/softkey/client.rs"]
mod softkey;

use common::Flow;
use gatehouse_core::service::{Answer, CodeOutcome, PasswordOutcome};
use gatehouse_core::store::AttemptReason;
use gatehouse_core::{store, AuthError, Settings};
use softkey::SoftKey;

/// Written out rather than imported, so a changed constant fails here.
const CEREMONY_TTL: i64 = 5 * 60;
const ENROLL_TTL: i64 = 15 * 60;
const ORIGIN: &str = "http://localhost:3000";

async fn flow() -> Flow {
    Flow::with_settings(Settings {
        public_url: ORIGIN.into(),
        ..Settings::default()
    })
    .await
}

/// Adds a passkey to `user_id`, answering the options `wait` seconds later.
async fn add(flow: &Flow, key: &mut SoftKey, user_id: i64, wait: i64) -> Result<i64, AuthError> {
    let options = flow.gh.passkey_registration_options(user_id).await?;
    let credential = key.register(ORIGIN, &options.public_key);
    flow.advance(wait);
    flow.gh
        .register_passkey(
            user_id,
            &options.ceremony_id,
            "",
            &credential,
            &flow.origin(),
        )
        .await
        .map(|added| added.id)
}

#[tokio::test]
async fn a_ceremony_lasts_five_minutes() {
    let flow = flow().await;
    let ann = flow.enrolled("acme", "member", "ann@acme.example").await;
    let mut key = SoftKey::new();

    let late = add(&flow, &mut key, ann.id, CEREMONY_TTL).await;
    assert!(
        matches!(late, Err(AuthError::Invalid(_))),
        "answered at 5 minutes: {late:?}"
    );
    add(&flow, &mut key, ann.id, CEREMONY_TTL - 1)
        .await
        .expect("answered a second before 5 minutes");

    // At sign-in the attempt itself lasts 5 minutes too: a late answer finds
    // it ended, and one a second before signs in.
    let token = match flow
        .gh
        .login_password(&ann.email, common::PASSWORD, &flow.origin())
        .await
        .unwrap()
    {
        PasswordOutcome::MfaRequired { mfa_token, methods } => {
            assert_eq!(methods[0], "passkey");
            mfa_token
        }
        other => panic!("expected the second stage, got {other:?}"),
    };
    let options = flow.gh.passkey_sign_in_options(&token).await.unwrap();
    let answer = key.sign(ORIGIN, &options.public_key);
    flow.advance(CEREMONY_TTL);
    let late = flow
        .gh
        .verify_passkey(&token, &options.ceremony_id, &answer, &flow.origin())
        .await;
    assert!(
        matches!(late, Err(AuthError::MfaTokenInvalid)),
        "the sign-in itself ended with the ceremony: {late:?}"
    );
    let token = flow.mfa_token(&ann).await;
    let options = flow.gh.passkey_sign_in_options(&token).await.unwrap();
    let answer = key.sign(ORIGIN, &options.public_key);
    flow.advance(CEREMONY_TTL - 1);
    flow.gh
        .verify_passkey(&token, &options.ceremony_id, &answer, &flow.origin())
        .await
        .expect("answered a second before 5 minutes");
}

#[tokio::test]
async fn a_credential_belongs_to_one_account() {
    let flow = flow().await;
    let ann = flow.person("acme", "member", "ann@acme.example").await;
    let bob = flow.person("acme", "member", "bob@acme.example").await;
    let mut c = flow.gh.db.acquire().await.unwrap();
    let passkey = |user_id| store::NewPasskey {
        user_id,
        label: "Passkey",
        credential_id: "c2FtZS1jcmVkZW50aWFs",
        sealed: b"sealed",
        now: common::START,
    };
    let first = store::insert_passkey(&mut c, &passkey(ann.id))
        .await
        .unwrap();
    assert!(first.is_some());
    let again = store::insert_passkey(&mut c, &passkey(bob.id))
        .await
        .unwrap();
    assert_eq!(again, None, "the same credential for a second account");
    let twice = store::insert_passkey(&mut c, &passkey(ann.id))
        .await
        .unwrap();
    assert_eq!(twice, None, "the same credential twice for one account");
}

/// The authenticator's code still proves the second step of a person whose
/// role requires a passkey; the sign-in then waits for one: its token.
async fn owed(flow: &Flow, person: &common::Person) -> String {
    let token = flow.mfa_token(person).await;
    let code = flow.code(person.secret.as_deref().unwrap());
    match flow
        .gh
        .verify_mfa(&token, Answer::Totp(&code), &flow.origin())
        .await
        .unwrap()
    {
        CodeOutcome::Enroll { mfa_token, reason } => {
            assert_eq!(reason, AttemptReason::PasskeyRequired);
            mfa_token
        }
        other => panic!("signed in without a passkey: {other:?}"),
    }
}

#[tokio::test]
async fn a_sign_in_owing_a_passkey_waits_fifteen_minutes_for_it() {
    let flow = flow().await;
    let ann = flow.enrolled("acme", "member", "ann@acme.example").await;
    let mut c = flow.gh.db.acquire().await.unwrap();
    sqlx::query("UPDATE roles SET passkey_required = 1 WHERE name = 'member'")
        .execute(&mut *c)
        .await
        .unwrap();
    drop(c);
    let token = owed(&flow, &ann).await;
    flow.advance(ENROLL_TTL);
    let late = flow.gh.passkey_enrollment_options(&token).await;
    assert!(
        matches!(late, Err(AuthError::MfaTokenInvalid)),
        "15 minutes later: {late:?}"
    );

    flow.advance(30);
    let token = owed(&flow, &ann).await;
    flow.advance(ENROLL_TTL - 60);
    let options = flow.gh.passkey_enrollment_options(&token).await.unwrap();
    let mut key = SoftKey::new();
    let credential = key.register(ORIGIN, &options.public_key);
    let (user_id, codes) = flow
        .gh
        .register_passkey_at_sign_in(
            &token,
            &options.ceremony_id,
            "Laptop",
            &credential,
            &flow.origin(),
        )
        .await
        .expect("a minute before 15 minutes");
    assert_eq!(user_id, ann.id);
    assert!(codes.is_empty(), "the recovery codes stay");
}
