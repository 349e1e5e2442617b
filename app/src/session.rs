//! What the session remembers between requests (server only), and [`Ctx`],
//! the request context every server function starts from.

use std::future::Future;

use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy;
pub use gatehouse_core::rules::policy::Operation;
use gatehouse_core::rules::return_path;
use gatehouse_core::session_store::{id_hash, USER_KEY};
use gatehouse_core::Gatehouse;
use tower_sessions::Session;

use crate::error::AppError;
use crate::messages::own_words_say_more;
use crate::request::{accepts_html, back_on_error, gatehouse, internal, origin, refuse_towards};
use crate::urls::url_encode;

/// The mfa_token of a sign-in waiting for its second factor.
pub const PENDING_MFA: &str = "pending_mfa";
/// The mfa_token of a sign-in that must set up an authenticator first.
pub const PENDING_ENROLL: &str = "pending_enroll";
/// When the user last proved who they are (sign-in or step-up).
pub const AUTH_AT: &str = "auth_at";
/// When the full sign-in happened; the absolute limit counts from it.
const SIGNED_IN_AT: &str = "signed_in_at";
/// New recovery codes, sealed, until the user says they saved them.
pub const FRESH_CODES: &str = "fresh_codes";

/// What a server function works with: the session, the Gatehouse and where
/// the request came from.
pub struct Ctx {
    pub session: Session,
    pub gh: Gatehouse,
    pub origin: Origin,
}

impl Ctx {
    pub async fn new() -> Result<Self, AppError> {
        Ok(Self {
            session: leptos_axum::extract::<Session>().await.map_err(internal)?,
            gh: gatehouse(),
            origin: origin(),
        })
    }

    /// The signed-in user, or a redirect to the sign-in page.
    pub async fn user(&self) -> Result<i64, AppError> {
        require_user(&self.session).await
    }

    /// The signed-in user with a sign-in recent enough for `operation`, or a
    /// detour through `/confirm-identity` that comes back to `next`.
    pub async fn recent_user(&self, operation: Operation, next: &str) -> Result<i64, AppError> {
        require_recent_auth(&self.session, operation, next).await
    }

    /// A new session id, after privilege changed.
    pub async fn cycle_id(&self) -> Result<(), AppError> {
        self.session.cycle_id().await.map_err(internal)
    }
}

/// The body of a form's server function: runs `work` with the request's
/// [`Ctx`]; if it fails, a plain form post goes back to `page` with the error
/// ([`refuse_back`]) and a script call gets the error's status.
pub async fn form_action<T, F, Fut>(page: &str, work: F) -> Result<T, AppError>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    let result = async { work(Ctx::new().await?).await }.await;
    refuse_back(page, result).await
}

/// [`back_on_error`], keeping a refusal's own words ("There is already a
/// role named …") when they say more than its code's message
/// ([`own_words_say_more`]): the page it goes back to shows them (`?said=ID`). Kept like a [`flash`] — the words
/// stay on the server — and only in a session that holds a sign-in,
/// finished or under way, so a stranger's refused posts (with or without a
/// made-up cookie) write nothing.
pub async fn refuse_back<T>(page: &str, result: Result<T, AppError>) -> Result<T, AppError> {
    let mut said = None;
    if let Err(e) = &result {
        if own_words_say_more(&e.code, &e.message) && accepts_html() {
            if let Ok(s) = leptos_axum::extract::<Session>().await {
                if holds_sign_in(&s).await {
                    said = remember(&s, REFUSAL, e.message.clone()).await.ok();
                }
            }
        }
    }
    back_on_error(page, said.as_deref(), result)
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

/// The signed-in user, honouring the absolute limit of a sign-in
/// ([`policy::sign_in_is_current`]; the idle limit is the session's own expiry).
pub async fn current_user(gh: &Gatehouse, s: &Session) -> Result<Option<i64>, AppError> {
    let Some(uid) = get::<i64>(s, USER_KEY).await? else {
        return Ok(None);
    };
    let signed_in_at = get::<i64>(s, SIGNED_IN_AT).await?.unwrap_or(0);
    if !policy::sign_in_is_current(signed_in_at, gh.now()) {
        s.flush().await.map_err(internal)?;
        return Ok(None);
    }
    Ok(Some(uid))
}

/// The signed-in user, or a redirect to the sign-in page (401 for the page's script).
async fn require_user(s: &Session) -> Result<i64, AppError> {
    match current_user(&gatehouse(), s).await? {
        Some(uid) => {
            // The request's log lines name the user (the server's request span).
            tracing::Span::current().record("user_id", uid);
            Ok(uid)
        }
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
/// itself (`form::error_signal`).
async fn require_recent_auth(
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
    let next = url_encode(return_path::or_home(next));
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
    let now = gatehouse().now();
    put(s, USER_KEY, uid).await?;
    put(s, SIGNED_IN_AT, now).await?;
    put(s, AUTH_AT, now).await
}

/// The hash the store keeps for this session, so a service can spare it when
/// it signs the user's other sessions out.
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

/// Whether the session holds a sign-in, finished or under way. (Not
/// `Session::is_empty`: before its record is loaded, any cookie counts.)
async fn holds_sign_in(s: &Session) -> bool {
    for key in [USER_KEY, PENDING_MFA, PENDING_ENROLL] {
        if matches!(s.get_value(key).await, Ok(Some(_))) {
            return true;
        }
    }
    false
}

/// The last notice that names who or what an action was about.
const FLASH: &str = "flash";
/// The words of the last refusal that said more than its code.
const REFUSAL: &str = "refusal";

/// Keeps a notice such as "Disabled MFA for Mia Member" for this session and
/// returns its id, for `?flash=ID` in the URL. The words stay on the server:
/// a URL that carried them would let anyone write a link that puts their
/// own words on Gatehouse's page.
pub async fn flash(s: &Session, text: String) -> Result<String, AppError> {
    remember(s, FLASH, text).await
}

/// The notice kept under `id`, while it is the session's latest.
pub async fn flashed(s: &Session, id: &str) -> Result<Option<String>, AppError> {
    recall(s, FLASH, id).await
}

/// The refusal's words kept under `id` ([`refuse_back`]), while they are the session's latest.
pub async fn recalled_refusal(s: &Session, id: &str) -> Option<String> {
    recall(s, REFUSAL, id).await.ok().flatten()
}

/// Keeps `text` under `key` with a fresh random id, replacing the last one.
async fn remember(s: &Session, key: &str, text: String) -> Result<String, AppError> {
    let id = gatehouse_core::crypto::hex_encode(&gatehouse_core::crypto::random_bytes::<8>());
    put(s, key, (&id, text)).await?;
    Ok(id)
}

async fn recall(s: &Session, key: &str, id: &str) -> Result<Option<String>, AppError> {
    Ok(get::<(String, String)>(s, key)
        .await?
        .filter(|(kept, _)| kept == id)
        .map(|(_, text)| text))
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

/// The sign-in now waits for a new factor (email got the user back in, or
/// the role requires a passkey): new session id, and only enrollment is
/// reachable.
pub async fn begin_enrollment(s: &Session, enrollment_token: String) -> Result<(), AppError> {
    s.cycle_id().await.map_err(internal)?;
    s.remove_value(PENDING_MFA).await.map_err(internal)?;
    put(s, PENDING_ENROLL, enrollment_token).await?;
    leptos_axum::redirect("/enroll");
    Ok(())
}
