//! Server functions: thin adapters from the browser to `gatehouse_core`.
//! Each one reads the session, calls one service, and says where to go next.
//!
//! Without JavaScript a form posts here directly; on failure we send the
//! browser back to the form's page with `?error=CODE` (pages render the
//! message), because `Referrer-Policy: no-referrer` leaves Leptos's own
//! referer-based fallback nowhere to go.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role: String,
    pub mfa_on: bool,
    pub recovery_codes_left: i64,
    /// May see the administration screens (users, roles).
    pub can_admin: bool,
    /// A partner who manages customer companies.
    pub can_manage_customers: bool,
    pub can_read_audit: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorView {
    pub id: i64,
    pub label: String,
    pub added: String,
    pub last_used: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub me: Me,
    pub mfa_required: bool,
    pub factors: Vec<FactorView>,
    /// The verified phone for SMS codes, masked.
    pub phone: Option<String>,
    /// A number waiting for its verification code, masked.
    pub pending_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentView {
    /// Present when a signed-in user adds a factor; absent during sign-in.
    pub me: Option<Me>,
    /// Why sign-in asks for an authenticator: `mfa_required`, `recovery`
    /// (email got the user in) or `reset_permission` (a partner's grant);
    /// the last two replace the old authenticators. None when signed in.
    pub reason: Option<String>,
    pub account: String,
    pub secret_display: String,
    pub qr_data_uri: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodesView {
    pub me: Me,
    pub codes: Vec<String>,
    pub download_href: String,
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Session handling shared by the server functions.
    use gatehouse_core::audit::Origin;
    pub use gatehouse_core::rules::policy::Operation;
    use gatehouse_core::rules::return_path;
    use gatehouse_core::session_store::{id_hash, USER_KEY};
    pub use gatehouse_core::AuthError;
    use gatehouse_core::{unix_now, Gatehouse};
    use leptos::prelude::*;
    use tower_sessions::Session;

    use super::Me;
    use crate::error::AppError;

    pub const PENDING_MFA: &str = "pending_mfa";
    pub const PENDING_ENROLL: &str = "pending_enroll";
    pub const AUTH_AT: &str = "auth_at";
    pub const SIGNED_IN_AT: &str = "signed_in_at";
    pub const FRESH_CODES: &str = "fresh_codes";
    pub const ABSOLUTE_TIMEOUT: i64 = 12 * 3600;

    pub fn gatehouse() -> Gatehouse {
        expect_context::<Gatehouse>()
    }

    pub fn internal(e: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %e, "session error");
        AppError::new(
            "internal",
            "Something went wrong on our side. Try again in a moment.",
        )
    }

    pub async fn session() -> Result<Session, AppError> {
        leptos_axum::extract::<Session>().await.map_err(internal)
    }

    /// IP and browser of the request, as the server's middleware resolved them.
    pub fn origin() -> Origin {
        use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Origin>().cloned())
            .unwrap_or_default()
    }

    fn accepts_html() -> bool {
        use_context::<http::request::Parts>()
            .and_then(|p| {
                p.headers
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.contains("text/html"))
            })
            .unwrap_or(false)
    }

    /// For plain (no-JavaScript) form posts, return to `page` with the error
    /// code; for script calls, answer with a status that matches the error.
    pub fn back_on_error<T>(page: &str, result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(e) = &result {
            let response = use_context::<leptos_axum::ResponseOptions>();
            // The failing function may already have chosen where to go (sign-in, step-up).
            let redirecting = response.as_ref().is_some_and(|r| {
                r.0.read().is_ok_and(|parts| {
                    parts.headers.contains_key(http::header::LOCATION)
                        || parts
                            .headers
                            .contains_key(server_fn::redirect::REDIRECT_HEADER)
                })
            });
            if redirecting {
                return result;
            }
            if accepts_html() {
                let sep = if page.contains('?') { '&' } else { '?' };
                // `form` names the form that failed, so only its error box shows the message.
                let from = use_context::<http::request::Parts>()
                    .and_then(|p| p.uri.path().rsplit('/').next().map(str::to_string))
                    .unwrap_or_default();
                leptos_axum::redirect(&format!("{page}{sep}error={}&form={from}", e.code));
            } else if let Some(response) = response {
                response.set_status(status_of(&e.code));
            }
        }
        result
    }

    fn status_of(code: &str) -> http::StatusCode {
        gatehouse_core::ErrorCode::parse(code)
            .and_then(|c| http::StatusCode::from_u16(c.http_status()).ok())
            .unwrap_or(http::StatusCode::BAD_REQUEST)
    }

    pub async fn get<T: serde::de::DeserializeOwned>(
        s: &Session,
        key: &str,
    ) -> Result<Option<T>, AppError> {
        s.get::<T>(key).await.map_err(internal)
    }

    pub async fn put(s: &Session, key: &str, value: impl serde::Serialize) -> Result<(), AppError> {
        s.insert(key, value).await.map_err(internal)
    }

    /// The signed-in user, honouring the 12-hour absolute limit (the 30-minute
    /// idle limit is the session's own expiry).
    pub async fn current_user(s: &Session) -> Result<Option<i64>, AppError> {
        let Some(uid) = get::<i64>(s, USER_KEY).await? else {
            return Ok(None);
        };
        let signed_in_at = get::<i64>(s, SIGNED_IN_AT).await?.unwrap_or(0);
        if unix_now() - signed_in_at > ABSOLUTE_TIMEOUT {
            s.flush().await.map_err(internal)?;
            return Ok(None);
        }
        Ok(Some(uid))
    }

    /// Sends a plain form post or a page load on to `target`. A call from the
    /// page's script answers `status` instead of 500: its client does not follow
    /// a redirect that comes with an error (the page acts on the error code).
    fn refuse_towards(target: &str, status: http::StatusCode) {
        leptos_axum::redirect(target);
        if !accepts_html() {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(status);
            }
        }
    }

    /// The signed-in user, or a redirect to the sign-in page (401 for the page's script).
    pub async fn require_user(s: &Session) -> Result<i64, AppError> {
        match current_user(s).await? {
            Some(uid) => Ok(uid),
            None => {
                refuse_towards("/login", http::StatusCode::UNAUTHORIZED);
                Err(AppError::new("not_signed_in", "Sign in to continue."))
            }
        }
    }

    /// The signed-in user, if their sign-in (or step-up) is recent enough for
    /// `operation` (core decides which operations need it). Otherwise the
    /// refusal is 403 `step_up_required`: a plain form post or page load is
    /// sent on to `/confirm-identity?next=…`, where `next` is the page to come
    /// back to with its dialog open (`?confirm=…`); a script call cannot follow
    /// a redirect that comes with an error, so the page's script goes there
    /// itself (`components::error_signal`).
    pub async fn require_recent_auth(
        s: &Session,
        operation: Operation,
        next: &str,
    ) -> Result<i64, AppError> {
        let uid = require_user(s).await?;
        let auth_at = get::<i64>(s, AUTH_AT).await?.unwrap_or(0);
        if gatehouse()
            .require_recent_sign_in(operation, auth_at)
            .is_ok()
        {
            return Ok(uid);
        }
        let next = crate::components::url_encode(return_path::or_home(next));
        refuse_towards(
            &format!("/confirm-identity?next={next}"),
            http::StatusCode::FORBIDDEN,
        );
        Err(AppError::new(
            "step_up_required",
            "Confirm it is you to make this change.",
        ))
    }

    /// A full sign-in: new session id, the user, the times that limit it.
    pub async fn establish(s: &Session, uid: i64) -> Result<(), AppError> {
        s.cycle_id().await.map_err(internal)?;
        for key in [PENDING_MFA, PENDING_ENROLL] {
            s.remove_value(key).await.map_err(internal)?;
        }
        let now = unix_now();
        put(s, USER_KEY, uid).await?;
        put(s, SIGNED_IN_AT, now).await?;
        put(s, AUTH_AT, now).await
    }

    pub fn session_key(s: &Session) -> Option<String> {
        s.id().map(|id| id_hash(&id))
    }

    /// Fresh recovery codes wait in the session, sealed with the server key,
    /// until the user confirms they saved them.
    pub async fn stash_codes(s: &Session, codes: &[String]) -> Result<(), AppError> {
        let sealed = gatehouse()
            .keys()
            .seal(codes.join("\n").as_bytes(), b"fresh-codes");
        put(s, FRESH_CODES, gatehouse_core::crypto::hex_encode(&sealed)).await
    }

    pub async fn stashed_codes(s: &Session) -> Result<Option<Vec<String>>, AppError> {
        let Some(hex) = get::<String>(s, FRESH_CODES).await? else {
            return Ok(None);
        };
        let codes = gatehouse_core::crypto::hex_decode(&hex)
            .and_then(|sealed| gatehouse().keys().open(&sealed, b"fresh-codes"))
            .and_then(|plain| String::from_utf8(plain).ok())
            .map(|text| text.lines().map(str::to_string).collect());
        Ok(codes)
    }

    pub async fn me(uid: i64) -> Result<Me, AppError> {
        use gatehouse_core::rules::scope::Permission;
        let gh = gatehouse();
        let p = gh.profile(uid).await?;
        let actor = gh.actor(uid).await?;
        let may = |permission| actor.permissions.has(permission);
        Ok(Me {
            can_admin: may(Permission::UsersRead),
            can_manage_customers: may(Permission::CustomersManage) && actor.org_kind != "company",
            can_read_audit: may(Permission::AuditRead),
            email: p.email,
            name: p.name,
            organization: p.organization,
            role: p.role,
            mfa_on: !p.factors.is_empty(),
            recovery_codes_left: p.recovery_codes_left,
        })
    }

    /// The mfa_token of the sign-in in progress, or a redirect to the sign-in page.
    pub async fn pending_mfa(s: &Session) -> Result<String, AppError> {
        match get::<String>(s, PENDING_MFA).await? {
            Some(token) => Ok(token),
            None => {
                leptos_axum::redirect("/login?error=mfa_token_invalid");
                Err(AppError::new(
                    "mfa_token_invalid",
                    "This sign-in has expired. Sign in again.",
                ))
            }
        }
    }

    /// Email got the user back in: new session id, and only enrollment is reachable.
    pub async fn begin_recovery(s: &Session, recovery_token: String) -> Result<(), AppError> {
        s.cycle_id().await.map_err(internal)?;
        s.remove_value(PENDING_MFA).await.map_err(internal)?;
        put(s, PENDING_ENROLL, recovery_token).await?;
        leptos_axum::redirect("/enroll");
        Ok(())
    }
}

#[cfg(feature = "ssr")]
use ssr::*;

// ------------------------------------------------------------------ sign-in

#[server(prefix = "/sfn", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use gatehouse_core::service::PasswordOutcome;
    let result = async {
        let s = session().await?;
        match gatehouse()
            .login_password(&email, &password, &origin())
            .await?
        {
            PasswordOutcome::Authenticated { user_id } => {
                establish(&s, user_id).await?;
                leptos_axum::redirect("/");
            }
            PasswordOutcome::MfaRequired { mfa_token, .. } => {
                s.cycle_id().await.map_err(internal)?;
                put(&s, PENDING_MFA, mfa_token).await?;
                leptos_axum::redirect("/login/mfa");
            }
            PasswordOutcome::EnrollmentRequired { mfa_token, reason } => {
                s.cycle_id().await.map_err(internal)?;
                put(&s, PENDING_ENROLL, mfa_token).await?;
                // A partner's grant let the password through: My Account offers the reset.
                leptos_axum::redirect(if reason == "reset_permission" {
                    "/account"
                } else {
                    "/enroll"
                });
            }
        }
        Ok(())
    }
    .await;
    back_on_error("/login", result)
}

/// Second factor at sign-in: `method` is `totp` or `recovery_code`.
#[server(prefix = "/sfn", endpoint = "verify_code")]
pub async fn verify_code(method: String, code: String) -> Result<(), AppError> {
    use gatehouse_core::service::CodeOutcome;
    let page = match method.as_str() {
        "recovery_code" => "/login/recovery",
        "email_otp" => "/login/code?method=email_otp",
        "sms_otp" => "/login/code?method=sms_otp",
        _ => "/login/mfa",
    };
    let result = async {
        let s = session().await?;
        let token = pending_mfa(&s).await?;
        let gh = gatehouse();
        match gh
            .verify_second_factor(&token, &method, &code, &origin())
            .await?
        {
            CodeOutcome::Recovery(recovery_token) => begin_recovery(&s, recovery_token).await?,
            CodeOutcome::SignedIn(signed_in) => {
                establish(&s, signed_in.user_id).await?;
                match signed_in.recovery_codes_left {
                    Some(left) => leptos_axum::redirect(&format!("/?codes_left={left}")),
                    None => leptos_axum::redirect("/"),
                }
            }
        }
        Ok(())
    }
    .await;
    back_on_error(page, result)
}

#[server(prefix = "/sfn", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let s = session().await?;
    if let Some(uid) = current_user(&s).await? {
        gatehouse().sign_out_audit(uid, &origin()).await?;
    }
    s.flush().await.map_err(internal)?;
    leptos_axum::redirect("/login?notice=signed_out");
    Ok(())
}

/// Emails a code or a sign-in link for the sign-in in progress (`email_otp`, `email_link`).
#[server(prefix = "/sfn", endpoint = "send_challenge")]
pub async fn send_challenge(method: String) -> Result<(), AppError> {
    use gatehouse_core::service::OobKind;
    let page = match method.as_str() {
        "email_otp" | "sms_otp" => format!("/login/code?method={method}"),
        _ => "/login/other".to_string(),
    };
    let result = async {
        let s = session().await?;
        let token = pending_mfa(&s).await?;
        let kind = OobKind::parse(&method)
            .ok_or_else(|| AppError::new("invalid_request", "Unknown method."))?;
        gatehouse().send_challenge(&token, kind, &origin()).await?;
        leptos_axum::redirect(&match kind {
            OobKind::EmailLink => "/login/other?notice=link_sent".to_string(),
            _ => format!("/login/code?method={}&notice=code_sent", kind.name()),
        });
        Ok(())
    }
    .await;
    back_on_error(&page, result)
}

/// Which other methods the sign-in in progress can use (SMS only with a verified phone).
#[server(prefix = "/sfn", endpoint = "sign_in_options")]
pub async fn sign_in_options() -> Result<bool, AppError> {
    let s = session().await?;
    let token = pending_mfa(&s).await?;
    Ok(gatehouse().attempt_has_phone(&token).await?)
}

/// Texts a verification code to a new phone number (needs a recent sign-in).
#[server(prefix = "/sfn", endpoint = "start_phone")]
pub async fn start_phone(phone: String) -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::ChangePhone, "/profile").await?;
        gatehouse()
            .start_phone_verification(uid, &phone, &origin())
            .await?;
        leptos_axum::redirect("/profile?notice=phone_code_sent");
        Ok(())
    }
    .await;
    back_on_error("/profile", result)
}

#[server(prefix = "/sfn", endpoint = "verify_phone")]
pub async fn verify_phone(code: String) -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::ChangePhone, "/profile").await?;
        gatehouse().verify_phone(uid, &code, &origin()).await?;
        leptos_axum::redirect("/profile?notice=phone_verified");
        Ok(())
    }
    .await;
    back_on_error("/profile", result)
}

#[server(prefix = "/sfn", endpoint = "remove_phone")]
pub async fn remove_phone() -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::ChangePhone, "/profile").await?;
        gatehouse().remove_phone(uid, &origin()).await?;
        leptos_axum::redirect("/profile?notice=phone_removed");
        Ok(())
    }
    .await;
    back_on_error("/profile", result)
}

/// Whether the sign-in link in the URL can still be used.
#[server(prefix = "/sfn", endpoint = "link_status")]
pub async fn link_status(token: String) -> Result<bool, AppError> {
    Ok(gatehouse().link_is_live(&token).await?)
}

/// The button of the sign-in link page: completes the link in the browser that asked for it.
#[server(prefix = "/sfn", endpoint = "complete_link")]
pub async fn complete_link(token: String) -> Result<(), AppError> {
    let page = format!("/login/link?token={token}");
    let result = async {
        let s = session().await?;
        let pending = get::<String>(&s, PENDING_MFA).await?;
        let recovery_token = gatehouse()
            .complete_link(&token, pending.as_deref(), &origin())
            .await?;
        begin_recovery(&s, recovery_token).await
    }
    .await;
    back_on_error(&page, result)
}

#[server(prefix = "/sfn", endpoint = "enrollment")]
pub async fn enrollment() -> Result<EnrollmentView, AppError> {
    let s = session().await?;
    let gh = gatehouse();
    let (setup, me, reason) = if let Some(token) = get::<String>(&s, PENDING_ENROLL).await? {
        let (setup, reason) = gh
            .totp_setup_for_attempt(&token)
            .await
            .inspect_err(|_| leptos_axum::redirect("/login?error=mfa_token_invalid"))?;
        (setup, None, Some(reason))
    } else {
        let uid = require_user(&s).await?;
        let me = ssr::me(uid).await?;
        require_recent_auth(&s, Operation::AddFactor, "/enroll").await?;
        (gh.totp_setup(uid).await?, Some(me), None)
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
        account: account.replace("%40", "@"),
        secret_display: setup.secret_display,
        qr_data_uri: format!(
            "data:image/svg+xml;base64,{}",
            gatehouse_core::crypto::base64_encode(setup.qr_svg.as_bytes())
        ),
    })
}

#[server(prefix = "/sfn", endpoint = "confirm_enrollment")]
pub async fn confirm_enrollment(code: String) -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let gh = gatehouse();
        let codes = if let Some(token) = get::<String>(&s, PENDING_ENROLL).await? {
            let (uid, codes) = gh
                .totp_confirm_for_attempt(&token, &code, &origin())
                .await?;
            establish(&s, uid).await?;
            Some(codes)
        } else {
            let uid = require_recent_auth(&s, Operation::AddFactor, "/enroll").await?;
            gh.totp_confirm_for_user(uid, &code, &origin()).await?
        };
        match codes {
            Some(codes) => {
                stash_codes(&s, &codes).await?;
                leptos_axum::redirect("/recovery-codes");
            }
            None => leptos_axum::redirect("/profile?notice=factor_added"),
        }
        Ok(())
    }
    .await;
    back_on_error("/enroll", result)
}

// ---------------------------------------------------------- recovery codes

#[server(prefix = "/sfn", endpoint = "fresh_codes")]
pub async fn fresh_codes() -> Result<CodesView, AppError> {
    let s = session().await?;
    let uid = require_user(&s).await?;
    let Some(codes) = stashed_codes(&s).await? else {
        leptos_axum::redirect("/profile");
        return Err(AppError::new(
            "not_found",
            "There are no new recovery codes to show.",
        ));
    };
    let me = ssr::me(uid).await?;
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
    let result = async {
        let s = session().await?;
        require_user(&s).await?;
        if saved.is_none() {
            return Err(AppError::new(
                "not_saved",
                "Tick “I have saved my recovery codes” first: you will not see these codes again.",
            ));
        }
        s.remove_value(FRESH_CODES).await.map_err(internal)?;
        leptos_axum::redirect("/profile?notice=codes_saved");
        Ok(())
    }
    .await;
    back_on_error("/recovery-codes", result)
}

/// "Generate new codes", confirmed in the dialog of `/profile?confirm=regenerate_codes`.
#[server(prefix = "/sfn", endpoint = "regenerate_codes")]
pub async fn regenerate_codes() -> Result<(), AppError> {
    let page = "/profile?confirm=regenerate_codes";
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::RegenerateRecoveryCodes, page).await?;
        let codes = gatehouse()
            .regenerate_recovery_codes(uid, &origin())
            .await?;
        stash_codes(&s, &codes).await?;
        leptos_axum::redirect("/recovery-codes");
        Ok(())
    }
    .await;
    back_on_error(page, result)
}

// ----------------------------------------------------------------- profile

#[server(prefix = "/sfn", endpoint = "me")]
pub async fn current_me() -> Result<Me, AppError> {
    let s = session().await?;
    let uid = require_user(&s).await?;
    ssr::me(uid).await
}

#[server(prefix = "/sfn", endpoint = "profile")]
pub async fn profile() -> Result<ProfileView, AppError> {
    let s = session().await?;
    let uid = require_user(&s).await?;
    let p = gatehouse().profile(uid).await?;
    let me = ssr::me(uid).await?;
    Ok(ProfileView {
        me,
        phone: p.phone,
        pending_phone: p.pending_phone,
        mfa_required: p.mfa_required,
        factors: p
            .factors
            .into_iter()
            .map(|f| FactorView {
                id: f.id,
                label: f.label,
                added: gatehouse_core::format_time(f.created_at),
                last_used: f.last_used_at.map(gatehouse_core::format_time),
            })
            .collect(),
    })
}

#[server(prefix = "/sfn", endpoint = "add_factor")]
pub async fn add_factor() -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        require_recent_auth(&s, Operation::AddFactor, "/profile").await?;
        leptos_axum::redirect("/enroll");
        Ok(())
    }
    .await;
    back_on_error("/profile", result)
}

/// "Remove", confirmed in the dialog of `/profile?confirm=remove_factor&factor=ID`.
#[server(prefix = "/sfn", endpoint = "remove_factor")]
pub async fn remove_factor(factor_id: i64) -> Result<(), AppError> {
    let page = format!("/profile?confirm=remove_factor&factor={factor_id}");
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::RemoveFactor, &page).await?;
        gatehouse()
            .remove_factor(uid, factor_id, session_key(&s).as_deref(), &origin())
            .await?;
        s.cycle_id().await.map_err(internal)?;
        leptos_axum::redirect("/profile?notice=factor_removed");
        Ok(())
    }
    .await;
    back_on_error(&page, result)
}

#[server(prefix = "/sfn", endpoint = "reset_mfa")]
pub async fn reset_mfa(password: String) -> Result<(), AppError> {
    let result = async {
        let s = session().await?;
        let uid = require_recent_auth(&s, Operation::ResetOwnMfa, "/profile?reset=1").await?;
        let gh = gatehouse();
        gh.check_password(uid, &password, &origin()).await?;
        gh.reset_mfa(uid, Some(uid), &origin()).await?;
        s.flush().await.map_err(internal)?;
        leptos_axum::redirect("/login?notice=mfa_reset");
        Ok(())
    }
    .await;
    back_on_error("/profile?reset=1", result)
}

#[server(prefix = "/sfn", endpoint = "confirm_identity")]
pub async fn confirm_identity(
    password: String,
    code: Option<String>,
    next: String,
) -> Result<(), AppError> {
    use gatehouse_core::rules::return_path;
    let next = return_path::or_home(&next);
    let page = format!(
        "/confirm-identity?next={}",
        crate::components::url_encode(next)
    );
    let result = async {
        let s = session().await?;
        let uid = require_user(&s).await?;
        gatehouse()
            .step_up(
                uid,
                &password,
                code.as_deref().unwrap_or_default(),
                &origin(),
            )
            .await?;
        s.cycle_id().await.map_err(internal)?;
        put(&s, AUTH_AT, gatehouse_core::unix_now()).await?;
        leptos_axum::redirect(next);
        Ok(())
    }
    .await;
    back_on_error(&page, result)
}
