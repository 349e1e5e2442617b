//! What every page after the password shows around its form: whose sign-in
//! this is (with "Not you? Start over"), how many codes may still be tried,
//! and — before anything is typed — a lock or the end of the sign-in, each
//! with what to do next.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::Submit;
#[cfg(feature = "ssr")]
use crate::session::{get, Ctx, PENDING_ENROLL, PENDING_MFA};

/// The sign-in in progress as its pages show it (core's `SecondStage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    /// `timed_out` or `tries_used_up` once no code can be tried any more.
    pub ended: Option<String>,
    pub email: String,
    pub has_phone: bool,
    /// "Use a passkey" is offered first.
    pub has_passkey: bool,
    /// Only the passkey signs in (the role requires one): no code or
    /// recovery code is offered; email replaces a lost passkey.
    pub passkey_only: bool,
    /// The authenticator app's code field is shown.
    pub has_authenticator: bool,
    pub tries_left: i64,
    /// Whole minutes until the second factor unlocks by itself, while locked.
    pub locked_minutes: Option<i64>,
    pub admin_locked: bool,
    /// Seconds between two codes sent by email or text message.
    pub resend_wait: i64,
    /// Seconds until another code of the page's kind may be sent.
    pub resend_in: i64,
}

/// The codes a sign-in allows before it ends (core's `MAX_CODE_FAILURES_PER_ATTEMPT`).
const TRIES_PER_SIGN_IN: i64 = 5;

/// The sign-in in progress; `method` (`email_otp`, `sms_otp`) asks for the wait before a resend.
#[server(prefix = "/sfn", endpoint = "sign_in_stage")]
pub async fn sign_in_stage(method: Option<String>) -> Result<Stage, AppError> {
    use gatehouse_core::service::{OobKind, StageEnded};
    let cx = Ctx::new().await?;
    // No redirect when there is none: the page says so (and a page whose
    // sign-in just succeeded is on its way home).
    let token = get::<String>(&cx.session, PENDING_MFA)
        .await?
        .ok_or_else(|| AppError::from(gatehouse_core::AuthError::MfaTokenInvalid))?;
    let kind = method.as_deref().and_then(OobKind::parse);
    let stage = cx.gh.second_stage(&token, kind).await?;
    Ok(Stage {
        ended: stage.ended.map(|ended| {
            match ended {
                StageEnded::TimedOut => "timed_out",
                StageEnded::TriesUsedUp => "tries_used_up",
            }
            .to_string()
        }),
        email: stage.email,
        has_phone: stage.has_phone,
        has_passkey: stage.has_passkey,
        passkey_only: stage.passkey_only,
        has_authenticator: stage.has_authenticator,
        tries_left: stage.tries_left,
        locked_minutes: stage.locked_for.map(|s| (s + 59) / 60),
        admin_locked: stage.admin_locked,
        resend_wait: stage.resend_wait,
        resend_in: stage.resend_in,
    })
}

/// "Not you? Start over": forgets the sign-in in progress and goes back to the password.
#[server(prefix = "/sfn", endpoint = "start_over")]
pub async fn start_over() -> Result<(), AppError> {
    let cx = Ctx::new().await?;
    for key in [PENDING_MFA, PENDING_ENROLL] {
        cx.session
            .remove_value(key)
            .await
            .map_err(crate::request::internal)?;
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// The account a sign-in is for, and the way out of it.
#[component]
pub fn SigningInAs(email: String) -> impl IntoView {
    let action = ServerAction::<StartOver>::new();
    view! {
        <div class="signing-in">
            <p>"Signing in as "<strong>{email}</strong></p>
            <ActionForm action=action>
                <button type="submit" class="link-button">"Not you? Start over"</button>
            </ActionForm>
        </div>
    }
}

/// The card of a page after the password: the account line, then either
/// the form (`children`, given the stage) or, when no code can be tried, why
/// and what next.
#[component]
pub fn SignInStage<F, V>(method: Option<&'static str>, children: F) -> impl IntoView
where
    F: Fn(Stage) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let stage = Resource::new(|| (), move |_| sign_in_stage(method.map(str::to_string)));
    view! {
        <section class="card narrow" aria-labelledby="page-title">
            <Suspense fallback=crate::page::Loading>
                {move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match stage.await {
                            Ok(stage) => {
                                let body = if let Some(ended) = stage.ended.clone() {
                                    view! { <SignInEnded ended stage=stage.clone()/> }.into_any()
                                } else if stage.admin_locked || stage.locked_minutes.is_some() {
                                    view! { <CodesLocked stage=stage.clone()/> }.into_any()
                                } else {
                                    children(stage.clone()).into_any()
                                };
                                view! { <SigningInAs email=stage.email/> {body} }.into_any()
                            }
                            Err(error) => view! { <SignInGone error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

/// The hint under a code field once a wrong code was typed.
pub fn tries_hint(stage: &Stage) -> Option<String> {
    match stage.tries_left {
        n if n >= TRIES_PER_SIGN_IN => None,
        1 => Some("1 try left before this sign-in ends.".to_string()),
        n => Some(format!("{n} tries left before this sign-in ends.")),
    }
}

fn minutes(n: i64) -> String {
    if n == 1 {
        "1 minute".to_string()
    } else {
        format!("{n} minutes")
    }
}

/// What to do while codes are locked: wait, then the other ways in.
#[component]
fn WhileLocked(stage: Stage) -> impl IntoView {
    let wait = match (stage.admin_locked, stage.locked_minutes) {
        (true, _) => "An administrator must unlock it: ask yours, or your IT provider.".to_string(),
        (false, Some(n)) => format!(
            "It unlocks by itself in about {}. Then start over: sign in again and enter a new code from your authenticator app, or use a recovery code.",
            minutes(n)
        ),
        (false, None) => "Start over: sign in again and enter a new code from your authenticator app, or use a recovery code.".to_string(),
    };
    view! {
        <p>{wait}</p>
        <ul class="next-steps">
            {(!stage.admin_locked).then(|| view! {
                <li>"Can’t wait? Your administrator can unlock it now."</li>
            })}
            <li>"Lost your phone and your recovery codes? "<a href="/locked-out">"Locked out?"</a>" tells you who can help."</li>
        </ul>
    }
}

/// Too many wrong codes lately: shown before any code is typed.
#[component]
fn CodesLocked(stage: Stage) -> impl IntoView {
    view! {
        <h1 id="page-title">"Your codes are locked"</h1>
        <p class="alert warning" role="alert">
            "Too many wrong codes were typed for this account, so no code is checked for now. This protects your account from someone guessing."
        </p>
        <WhileLocked stage/>
    }
}

/// The sign-in timed out or ran out of tries: its own screen, with a way to start over.
#[component]
fn SignInEnded(ended: String, stage: Stage) -> impl IntoView {
    let action = ServerAction::<StartOver>::new();
    let (title, why) = if ended == "tries_used_up" {
        (
            "Too many wrong codes",
            format!("This sign-in ended after {TRIES_PER_SIGN_IN} wrong codes."),
        )
    } else {
        (
            "This sign-in timed out",
            "A sign-in waits 5 minutes for its second step, to keep your account safe.".to_string(),
        )
    };
    let locked = stage.admin_locked || stage.locked_minutes.is_some();
    view! {
        <h1 id="page-title">{title}</h1>
        <p class="alert warning" role="alert">{why}</p>
        {if locked {
            view! { <WhileLocked stage/> }.into_any()
        } else {
            view! {
                <p>"Start over: sign in again with your email and password. Can’t use your authenticator app? Choose "<strong>"Try another method"</strong>" after the password."</p>
            }.into_any()
        }}
        <ActionForm action=action>
            <Submit label="Start over"/>
        </ActionForm>
    }
}

/// No sign-in in progress here (signed in meanwhile, or never started).
#[component]
fn SignInGone(error: AppError) -> impl IntoView {
    view! {
        <h1 id="page-title">"This sign-in has ended"</h1>
        <p class="alert error" role="alert">{error.message}</p>
        <p><a class="button" href="/login">"Sign in again"</a></p>
    }
}
