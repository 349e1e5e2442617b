//! Setting up an authenticator app (`/enroll`) — during sign-in when it is
//! required or replaces lost ones, or from My profile — or, at sign-in where
//! the role requires one, a passkey; and the recovery codes shown once
//! afterwards (`/recovery-codes`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::form::{error_signal, CopyButton, ErrorBox, Submit};
use crate::header::Me;
use crate::page::{DataPage, Viewer};
use crate::profile::passkeys::{AddPasskey, PasskeyNameForm};
#[cfg(feature = "ssr")]
use crate::session::{
    establish, form_action, get, stash_codes, stashed_codes, Ctx, Operation, FRESH_CODES,
    PENDING_ENROLL,
};
use crate::sign_in::SigningInAs;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentView {
    /// Present when a signed-in user adds a factor; absent during sign-in.
    pub me: Option<Me>,
    /// Why sign-in asks for a new factor: `mfa_required`, `recovery`
    /// (email got the user in), `reset_permission` (a partner's grant),
    /// `reset_pass` (the support desk) — these three replace the old factors
    /// — or `passkey_required`. None when signed in.
    pub reason: Option<String>,
    /// Only a passkey will do (the role requires one): no authenticator
    /// setup is shown, and its fields are empty.
    pub passkey_only: bool,
    pub account: String,
    /// The key and settings as an `otpauth://` link, which a phone's
    /// authenticator app opens (the same as the QR code).
    pub otpauth_uri: String,
    pub secret: String,
    pub secret_display: String,
    pub qr_data_uri: String,
}

impl Viewer for EnrollmentView {
    fn viewer(&self) -> Option<Me> {
        self.me.clone()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodesView {
    pub me: Me,
    pub codes: Vec<String>,
    pub download_href: String,
}

crate::signed_in_view!(CodesView);

#[server(prefix = "/sfn", endpoint = "enrollment")]
pub async fn enrollment() -> Result<EnrollmentView, AppError> {
    let cx = Ctx::new().await?;
    let (setup, me, reason) =
        if let Some(token) = get::<String>(&cx.session, PENDING_ENROLL).await? {
            let ask = cx
                .gh
                .enrollment_ask(&token)
                .await
                .inspect_err(|_| leptos_axum::redirect("/login?error=mfa_token_invalid"))?;
            let reason = Some(ask.reason.as_str().to_string());
            if ask.passkey_only {
                return Ok(EnrollmentView {
                    me: None,
                    reason,
                    passkey_only: true,
                    account: ask.email,
                    otpauth_uri: String::new(),
                    secret: String::new(),
                    secret_display: String::new(),
                    qr_data_uri: String::new(),
                });
            }
            let (setup, _) = cx.gh.totp_setup_for_attempt(&token).await?;
            (setup, None, reason)
        } else {
            let uid = cx.user().await?;
            let me = Me::load(&cx.gh, uid).await?;
            cx.recent_user(Operation::AddFactor, "/enroll").await?;
            (cx.gh.totp_setup(uid).await?, Some(me), None)
        };
    let account = setup
        .otpauth_uri
        .split(':')
        .nth(2)
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_default();
    Ok(EnrollmentView {
        me,
        reason,
        passkey_only: false,
        account: account.replace("%40", "@"),
        otpauth_uri: setup.otpauth_uri.clone(),
        secret: setup.secret,
        secret_display: setup.secret_display,
        qr_data_uri: format!(
            "data:image/svg+xml;base64,{}",
            gatehouse_core::crypto::base64_encode(setup.qr_svg.as_bytes())
        ),
    })
}

#[server(prefix = "/sfn", endpoint = "confirm_enrollment")]
pub async fn confirm_enrollment(code: String, name: Option<String>) -> Result<(), AppError> {
    let name = name.unwrap_or_default();
    form_action("/enroll", |cx| async move {
        let codes = if let Some(token) = get::<String>(&cx.session, PENDING_ENROLL).await? {
            let (uid, codes) = cx
                .gh
                .totp_confirm_for_attempt(&token, &code, &name, &cx.origin)
                .await?;
            establish(&cx.session, uid).await?;
            Some(codes)
        } else {
            let uid = cx.recent_user(Operation::AddFactor, "/enroll").await?;
            cx.gh
                .totp_confirm_for_user(uid, &code, &name, &cx.origin)
                .await?
        };
        match codes {
            Some(codes) => {
                stash_codes(&cx.session, &codes).await?;
                leptos_axum::redirect("/recovery-codes");
            }
            None => leptos_axum::redirect("/profile?notice=factor_added"),
        }
        Ok(())
    })
    .await
}

#[server(prefix = "/sfn", endpoint = "fresh_codes")]
pub async fn fresh_codes() -> Result<CodesView, AppError> {
    let cx = Ctx::new().await?;
    let uid = cx.user().await?;
    let Some(codes) = stashed_codes(&cx.session).await? else {
        leptos_axum::redirect("/profile");
        return Err(AppError::new(
            "not_found",
            "There are no new recovery codes to show.",
        ));
    };
    let me = Me::load(&cx.gh, uid).await?;
    let text = gatehouse_core::rules::recovery::download_text(&codes, &me.email);
    let download_href = format!(
        "data:text/plain;charset=utf-8;base64,{}",
        gatehouse_core::crypto::base64_encode(text.as_bytes())
    );
    Ok(CodesView {
        me,
        codes,
        download_href,
    })
}

#[server(prefix = "/sfn", endpoint = "acknowledge_codes")]
pub async fn acknowledge_codes(saved: Option<String>) -> Result<(), AppError> {
    form_action("/recovery-codes", |cx| async move {
        cx.user().await?;
        if saved.is_none() {
            return Err(AppError::new(
                "not_saved",
                "Tick “I have saved my recovery codes” first: you will not see these codes again.",
            ));
        }
        cx.session
            .remove_value(FRESH_CODES)
            .await
            .map_err(crate::request::internal)?;
        leptos_axum::redirect("/profile?notice=codes_saved");
        Ok(())
    })
    .await
}

#[component]
pub fn EnrollPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| enrollment());
    view! {
        <DataPage title="Set up your authenticator" data let:view>
            <EnrollScreen view/>
        </DataPage>
    }
}

#[component]
fn EnrollScreen(view: EnrollmentView) -> impl IntoView {
    if view.passkey_only {
        return view! { <PasskeyEnrollScreen view/> }.into_any();
    }
    view! { <TotpEnrollScreen view/> }.into_any()
}

/// Enrollment at sign-in where only a passkey will do.
#[component]
fn PasskeyEnrollScreen(view: EnrollmentView) -> impl IntoView {
    let action = ServerAction::<AddPasskey>::new();
    let text = match view.reason.as_deref() {
        Some("passkey_required") => "Your role requires a passkey. Add one now to finish signing in; next time, sign in with it.",
        Some("mfa_required") => "Your organization requires two-step verification with a passkey. Add one now to finish signing in.",
        _ => "Your role requires a passkey. Add a new one to finish: your old authenticators, passkeys and recovery codes stop working, and you get new recovery codes.",
    };
    view! {
        <section class="card" aria-labelledby="page-title">
            <SigningInAs email=view.account.clone()/>
            <h1 id="page-title">"Add a passkey"</h1>
            <p class="alert info">{text}</p>
            <p>"A passkey uses this device's screen lock, your phone or a security key. It only works on this site, so a fake sign-in page cannot use it."</p>
            <div class="passkey-only">
                <PasskeyNameForm action/>
            </div>
            <p class="no-passkeys alert warning">"This browser cannot make a passkey. Open this page in a recent Chrome, Edge, Safari or Firefox (or on your phone), or ask your administrator for help."</p>
        </section>
    }
}

#[component]
fn TotpEnrollScreen(view: EnrollmentView) -> impl IntoView {
    let action = ServerAction::<ConfirmEnrollment>::new();
    let error = error_signal(action);
    let signing_in = view.me.is_none();
    view! {
        <section class="card" aria-labelledby="page-title">
            {signing_in.then(|| view! { <SigningInAs email=view.account.clone()/> })}
            <h1 id="page-title">"Set up your authenticator app"</h1>
            {view.reason.as_deref().map(|reason| {
                let text = match reason {
                    "recovery" => "You signed in with your email. Set up your authenticator app again to finish: your old authenticator and recovery codes stop working.",
                    "reset_permission" => "You are resetting your two-step verification. Set up your new authenticator app to finish: your old authenticators and recovery codes stop working, and you get new recovery codes.",
                    _ => "Your organization requires two-step verification. Set it up now to finish signing in.",
                };
                view! { <p class="alert info">{text}</p> }
            })}
            <ol class="steps">
                <li>
                    <h2>"Install an authenticator app"</h2>
                    <p>"Google Authenticator, Microsoft Authenticator, Authy and 1Password all work."</p>
                </li>
                <li>
                    <h2>"Scan this QR code"</h2>
                    <img class="qr" src=view.qr_data_uri alt="QR code for your authenticator app" width="200" height="200"/>
                    <p class="on-phone"><a class="button secondary" href=view.otpauth_uri>"Open in authenticator app"</a></p>
                    <p>"Can’t scan it? Add an account by hand with this key (time-based) for "<strong>{view.account}</strong>":"</p>
                    <p class="secret-row">
                        <code class="secret" id="secret" aria-label="Setup key">{view.secret_display}</code>
                        " "<CopyButton text=view.secret label="Copy key"/>
                    </p>
                </li>
                <li>
                    <h2>"Enter the code the app shows"</h2>
                    <ErrorBox message=error id="code-error"/>
                    <ActionForm action=action>
                        <div class="field">
                            <label for="code">"Authentication code"</label>
                            <p class="hint" id="code-hint">"6 digits, as the app shows them now."</p>
                            <input id="code" name="code" type="text" inputmode="numeric" pattern="[0-9 ]*" maxlength="7"
                                autocomplete="one-time-code" aria-describedby="code-hint code-error"
                                aria-invalid=move || error.get().is_some().then_some("true") required/>
                        </div>
                        <div class="field">
                            <label for="factor-name">"Name this authenticator (optional)"</label>
                            <p class="hint" id="factor-name-hint">"So you can tell your devices apart later, for example “Work phone”. You can change it on My profile."</p>
                            <input id="factor-name" name="name" type="text" maxlength="40" autocomplete="off"
                                aria-describedby="factor-name-hint"/>
                        </div>
                        <Submit label="Verify"/>
                        {(!signing_in).then(|| view! { " "<a href="/profile">"Cancel"</a> })}
                    </ActionForm>
                </li>
            </ol>
        </section>
    }
}

#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| fresh_codes());
    view! {
        <DataPage title="Your recovery codes" data let:view>
            <CodesScreen view/>
        </DataPage>
    }
}

#[component]
fn CodesScreen(view: CodesView) -> impl IntoView {
    let action = ServerAction::<AcknowledgeCodes>::new();
    let error = error_signal(action);
    let all_codes = view.codes.join("\n");
    view! {
        <section class="card" aria-labelledby="page-title">
            <h1 id="page-title">"Save your recovery codes"</h1>
            <p>"If you lose your phone, each of these codes lets you sign in once. Store them in a password manager or print them. "
               <strong>"They will not be shown again."</strong></p>
            <ol class="codes" aria-label="Recovery codes">
                {view.codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ol>
            <p class="code-actions">
                <a class="button secondary small" role="button" href=view.download_href download="gatehouse-recovery-codes.txt">"Download"</a>
                " "<CopyButton text=all_codes label="Copy"/>
                " "<button type="button" class="button secondary small" data-print="" hidden>"Print"</button>
            </p>
            <ErrorBox message=error/>
            <ActionForm action=action>
                <div class="check">
                    <input id="saved" name="saved" type="checkbox" value="yes" required/>
                    <label for="saved">"I have saved my recovery codes"</label>
                </div>
                <Submit label="Continue"/>
            </ActionForm>
        </section>
    }
}
