//! The JSON API under `/api/v1` for the mobile app and scripts. Same services
//! as the browser; bearer tokens instead of cookies. Errors — a malformed
//! body, query string or path included — are `{"error": CODE, "message": TEXT}`.

use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use gatehouse_core::audit::Origin;
use gatehouse_core::rules::policy::Operation;
use gatehouse_core::service::{CodeOutcome, OobKind, PasswordOutcome};
use gatehouse_core::{AuthError, Gatehouse};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::web::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/mfa", post(mfa))
        .route("/auth/mfa/send", post(send))
        .route("/auth/logout", post(logout))
        .route("/mfa/totp/setup", post(totp_setup))
        .route("/mfa/totp/confirm", post(totp_confirm))
        .route("/mfa/recovery-codes", post(recovery_codes))
        .route("/mfa/reset", post(reset))
        .route("/me", get(me))
        .merge(crate::admin_api::routes())
        .fallback(|| async {
            error_response(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")
        })
        .method_not_allowed_fallback(|| async {
            error_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This endpoint does not take that method.",
            )
        })
}

pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

pub struct ApiError(AuthError);

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AuthError::Storage(e) = &self.0 {
            tracing::error!(error = %e, "storage error");
        }
        let code = self.0.code();
        let status =
            StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = error_response(status, code.as_str(), &self.0.to_string());
        if let Some(seconds) = self.0.retry_after() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type ApiResult = Result<Response, ApiError>;

/// An extractor's refusal as an API error: 413 for a body over the limit,
/// else its own 4xx status, as `invalid_request`.
pub fn rejected(status: StatusCode, text: &str) -> Response {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => error_response(status, "payload_too_large", text),
        s if s.is_client_error() => {
            error_response(StatusCode::BAD_REQUEST, "invalid_request", text)
        }
        s => error_response(s, "internal", text),
    }
}

/// A character no text sent to Gatehouse may hold: a control character other
/// than tab and line breaks. None belongs in an email, a name or a token, and
/// PostgreSQL cannot even store NUL.
pub fn forbidden_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn has_forbidden_char(value: &Value) -> bool {
    match value {
        Value::String(text) => text.chars().any(forbidden_char),
        Value::Array(items) => items.iter().any(has_forbidden_char),
        Value::Object(fields) => fields
            .iter()
            .any(|(name, v)| name.chars().any(forbidden_char) || has_forbidden_char(v)),
        _ => false,
    }
}

/// `Json` whose rejection is an API error body rather than plain text, and
/// which refuses control characters in any string before a service sees them.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<Value>::from_request(req, state)
            .await
            .map_err(|r| rejected(r.status(), &r.body_text()))?;
        if has_forbidden_char(&value) {
            return Err(error_response(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The body contains a control character.",
            ));
        }
        serde_json::from_value(value).map(Self).map_err(|e| {
            error_response(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Failed to deserialize the JSON body into the target type: {e}"),
            )
        })
    }
}

/// `Query` whose rejection is an API error body rather than plain text.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|r| rejected(r.status(), &r.body_text()))
    }
}

/// `Path` whose rejection is an API error body rather than plain text.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|r| rejected(r.status(), &r.body_text()))
    }
}

/// The user behind `Authorization: Bearer …`, and when the token was issued.
pub struct Bearer {
    pub user_id: i64,
    pub issued_at: i64,
    pub token: String,
}

fn bearer_token(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl FromRequestParts<AppState> for Bearer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            error_response(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "A valid bearer token is required.",
            )
        };
        let token = bearer_token(parts).ok_or_else(unauthorized)?;
        match state.gatehouse.api_token_user(&token).await {
            Ok(Some((user_id, issued_at))) => Ok(Self {
                user_id,
                issued_at,
                token,
            }),
            Ok(None) => Err(unauthorized()),
            Err(e) => Err(ApiError(e).into_response()),
        }
    }
}

/// The optional bearer of calls that also accept an `mfa_token`.
pub struct MaybeBearer(Option<Bearer>);

impl FromRequestParts<AppState> for MaybeBearer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if bearer_token(parts).is_none() {
            return Ok(Self(None));
        }
        Bearer::from_request_parts(parts, state)
            .await
            .map(|b| Self(Some(b)))
    }
}

async fn authenticated(gh: &Gatehouse, user_id: i64, extra: Value) -> ApiResult {
    let (access_token, expires_in) = gh.issue_api_token(user_id).await?;
    let mut body = json!({
        "status": "authenticated",
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
    });
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        body.extend(extra);
    }
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

async fn login(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<LoginBody>,
) -> ApiResult {
    match s
        .gatehouse
        .login_password(&b.email, &b.password, &origin)
        .await?
    {
        PasswordOutcome::Authenticated { user_id } => {
            authenticated(&s.gatehouse, user_id, Value::Null).await
        }
        PasswordOutcome::MfaRequired { mfa_token, methods } => {
            // Only what an API client can finish: not a link that opens in a browser.
            let methods: Vec<&str> = methods
                .into_iter()
                .filter(|m| !OobKind::parse(m).is_some_and(OobKind::browser_only))
                .collect();
            Ok(Json(
                json!({ "status": "mfa_required", "mfa_token": mfa_token, "methods": methods }),
            )
            .into_response())
        }
        PasswordOutcome::EnrollmentRequired { mfa_token, reason } => Ok(Json(
            json!({ "status": "enrollment_required", "mfa_token": mfa_token, "reason": reason }),
        )
        .into_response()),
    }
}

#[derive(Deserialize)]
struct MfaBody {
    mfa_token: String,
    method: String,
    code: String,
}

async fn mfa(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<MfaBody>,
) -> ApiResult {
    let gh = &s.gatehouse;
    match gh
        .verify_second_factor(&b.mfa_token, &b.method, &b.code, &origin)
        .await?
    {
        // Email is a recovery channel: it leads to setting up a new authenticator.
        CodeOutcome::Recovery(mfa_token) => Ok(Json(
            json!({ "status": "enrollment_required", "mfa_token": mfa_token, "reason": "recovery" }),
        )
        .into_response()),
        CodeOutcome::SignedIn(signed_in) => {
            let extra = match signed_in.recovery_codes_left {
                Some(left) => json!({ "recovery_codes_left": left }),
                None => Value::Null,
            };
            authenticated(gh, signed_in.user_id, extra).await
        }
    }
}

#[derive(Deserialize)]
struct SendBody {
    mfa_token: String,
    method: String,
}

async fn send(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    Body(b): Body<SendBody>,
) -> ApiResult {
    let kind = OobKind::parse(&b.method)
        .filter(|k| !k.browser_only())
        .ok_or_else(|| {
            AuthError::Invalid(
                "method must be \"email_otp\" or \"sms_otp\" (a sign-in link is for browsers)"
                    .into(),
            )
        })?;
    let retry_after = s
        .gatehouse
        .send_challenge(&b.mfa_token, kind, &origin)
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "retry_after": retry_after })),
    )
        .into_response())
}

async fn logout(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
) -> ApiResult {
    s.gatehouse.revoke_api_token(&bearer.token, &origin).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Default)]
struct SetupBody {
    mfa_token: Option<String>,
}

/// Asks core whether the operation needs a more recent sign-in than the
/// token's (tokens are issued by a completed sign-in).
pub fn require_recent(
    gh: &Gatehouse,
    bearer: &Bearer,
    operation: Operation,
) -> Result<(), ApiError> {
    Ok(gh.require_recent_sign_in(operation, bearer.issued_at)?)
}

async fn totp_setup(
    State(s): State<AppState>,
    MaybeBearer(bearer): MaybeBearer,
    raw: axum::body::Bytes,
) -> ApiResult {
    // With a bearer token the body may be empty.
    let body: SetupBody = if raw.iter().all(u8::is_ascii_whitespace) {
        SetupBody::default()
    } else {
        serde_json::from_slice(&raw)
            .map_err(|e| AuthError::Invalid(format!("invalid JSON body: {e}")))?
    };
    let setup = match (bearer, body.mfa_token) {
        (Some(bearer), _) => {
            require_recent(&s.gatehouse, &bearer, Operation::AddFactor)?;
            s.gatehouse.totp_setup(bearer.user_id).await?
        }
        (None, Some(token)) => s.gatehouse.totp_setup_for_attempt(&token).await?.0,
        (None, None) => {
            return Ok(error_response(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Send a bearer token or the mfa_token from sign-in.",
            ))
        }
    };
    Ok(Json(
        json!({ "secret": setup.secret, "otpauth_uri": setup.otpauth_uri, "qr_svg": setup.qr_svg }),
    )
    .into_response())
}

#[derive(Deserialize)]
struct ConfirmBody {
    code: String,
    mfa_token: Option<String>,
}

async fn totp_confirm(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    MaybeBearer(bearer): MaybeBearer,
    Body(b): Body<ConfirmBody>,
) -> ApiResult {
    match (bearer, b.mfa_token) {
        (Some(bearer), _) => {
            require_recent(&s.gatehouse, &bearer, Operation::AddFactor)?;
            let codes = s
                .gatehouse
                .totp_confirm_for_user(bearer.user_id, &b.code, &origin)
                .await?;
            Ok(Json(json!({ "recovery_codes": codes.unwrap_or_default() })).into_response())
        }
        (None, Some(token)) => {
            let (user_id, codes) = s
                .gatehouse
                .totp_confirm_for_attempt(&token, &b.code, &origin)
                .await?;
            authenticated(&s.gatehouse, user_id, json!({ "recovery_codes": codes })).await
        }
        (None, None) => Ok(error_response(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Send a bearer token or the mfa_token from sign-in.",
        )),
    }
}

async fn me(State(s): State<AppState>, bearer: Bearer) -> ApiResult {
    let p = s.gatehouse.profile(bearer.user_id).await?;
    let factors: Vec<Value> = p
        .factors
        .iter()
        .map(
            |f| json!({ "id": f.id, "kind": f.kind, "label": f.label, "created_at": f.created_at }),
        )
        .collect();
    Ok(Json(json!({
        "email": p.email,
        "name": p.name,
        "organization": p.organization,
        "role": p.role,
        "mfa": { "required": p.mfa_required, "factors": factors, "recovery_codes_left": p.recovery_codes_left },
        "phone": match (&p.phone, &p.pending_phone) {
            (Some(number), _) => json!({ "number": number, "verified": true }),
            (None, Some(number)) => json!({ "number": number, "verified": false }),
            (None, None) => Value::Null,
        },
    }))
    .into_response())
}

#[derive(Deserialize)]
struct PasswordBody {
    password: String,
}

async fn recovery_codes(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<PasswordBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::RegenerateRecoveryCodes)?;
    s.gatehouse
        .check_password(bearer.user_id, &b.password, &origin)
        .await?;
    let codes = s
        .gatehouse
        .regenerate_recovery_codes(bearer.user_id, &origin)
        .await?;
    Ok(Json(json!({ "recovery_codes": codes })).into_response())
}

async fn reset(
    State(s): State<AppState>,
    Extension(origin): Extension<Origin>,
    bearer: Bearer,
    Body(b): Body<PasswordBody>,
) -> ApiResult {
    require_recent(&s.gatehouse, &bearer, Operation::ResetOwnMfa)?;
    s.gatehouse
        .check_password(bearer.user_id, &b.password, &origin)
        .await?;
    s.gatehouse
        .reset_mfa(bearer.user_id, Some(bearer.user_id), &origin)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
