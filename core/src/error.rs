//! The one error of Gatehouse's services, and its stable code.
//!
//! Every refusal a person or a program can see is an [`AuthError`]. Its
//! [`ErrorCode`] is what the browser's error boxes, the redirect's `?error=`
//! and the JSON API's `"error"` carry, and it decides the HTTP status, so the
//! transports translate without deciding anything. The message (`Display`) is
//! written for the person at the screen; a storage error's cause is logged,
//! never shown.

use crate::rules::password::PolicyError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("The email or password is not correct.")]
    InvalidCredentials,
    /// A signed-in user re-typed their password wrongly (reset, new codes).
    #[error("That password is not correct.")]
    WrongPassword,
    #[error("Too many attempts. Try again in {retry_after} seconds.")]
    RateLimited { retry_after: i64 },
    #[error("That code is not correct. Check it and try again.")]
    InvalidCode,
    /// A wrong code where the tries are counted: at sign-in, and when a
    /// signed-in user confirms it is them.
    #[error("{}", wrong_code_message(*tries_left))]
    WrongCode { tries_left: i64 },
    /// A right code that was already used (an authenticator's code signs in
    /// once; so does each recovery code); it counts as a wrong one.
    #[error("That code is already used or too old. Wait for your authenticator app to show the next one, or use another recovery code.")]
    CodeUsed { tries_left: i64 },
    /// A passkey answer that proved nothing: a signature, origin or
    /// challenge that does not match, no user verification, or a ceremony
    /// that expired or was used. It counts as a wrong code.
    #[error("{}", passkey_rejected_message(*tries_left))]
    PasskeyRejected { tries_left: i64 },
    #[error("This sign-in has expired or was used up. Sign in again.")]
    MfaTokenInvalid,
    #[error(
        "Too many wrong codes: the second factor is locked. Ask an administrator to unlock it."
    )]
    AdminLocked,
    #[error(
        "This sign-in link has expired or was already used. Sign in again and ask for a new one."
    )]
    LinkInvalid,
    #[error("Open this link in the browser where you started signing in, or sign in again here and ask for a new link.")]
    LinkOtherBrowser,
    #[error("Confirm it is you: sign in again to make this change.")]
    StepUpRequired,
    #[error("Start the authenticator setup again: there is no setup in progress.")]
    NoEnrollment,
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found.")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("Your role requires two-step verification, so your last authenticator or passkey cannot be removed. Add another authenticator first, or ask an administrator.")]
    LastFactor,
    /// Where the role requires a passkey, the last one stays.
    #[error("Your role requires a passkey, so your last passkey cannot be removed. Add another passkey first, or ask an administrator.")]
    LastPasskey,
    /// A code at the second step of someone whose role requires a passkey
    /// and who has one.
    #[error("Your role requires signing in with your passkey: codes are not accepted. Lost your passkey? Choose “Try another method” and get back in by email, which ends in adding a new one.")]
    SignInWithPasskey,
    /// An authenticator app offered where only a passkey will do.
    #[error("Your role requires a passkey: add one to finish signing in. An authenticator app is not enough for this account.")]
    PasskeyRequired,
    #[error("The permission to reset your two-step verification has ended. Sign in with your authenticator, or ask your administrator.")]
    GrantEnded,
    #[error("A manager must approve this reset: the requester's proof, the person's role or a risk flag needs one. Escalate it to management.")]
    ApprovalRequired,
    #[error("Three checks failed on this request: no more checks. Escalate it to management or cancel it.")]
    ChecksExhausted,
    #[error("Only an authorized contact of the person's organization (or one above it) may ask for an MFA reset.")]
    NotAContact,
    #[error("This person already has an open reset request. Work that one, or cancel it first.")]
    RequestOpen,
    #[error("Gatehouse is busy right now. Try again in {retry_after} seconds.")]
    Overloaded { retry_after: i64 },
    #[error("The service is temporarily unavailable. Try again in a moment.")]
    Storage(#[from] sqlx::Error),
}

pub type Result<T, E = AuthError> = std::result::Result<T, E>;

fn passkey_rejected_message(tries_left: i64) -> String {
    let tries = match tries_left {
        0 => "That was the last try.".to_string(),
        1 => "1 try left.".to_string(),
        n => format!("{n} tries left."),
    };
    format!("The passkey was not accepted. Try again, or use another way to sign in. {tries}")
}

fn wrong_code_message(tries_left: i64) -> String {
    match tries_left {
        0 => "That code is not correct, and that was the last try.".to_string(),
        1 => "That code is not correct. Check it and try again: 1 try left.".to_string(),
        n => format!("That code is not correct. Check it and try again: {n} tries left."),
    }
}

impl AuthError {
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Self::InvalidCredentials => C::InvalidCredentials,
            Self::WrongPassword => C::InvalidPassword,
            // A hard lock answers like a rate limit: the caller learns nothing more.
            Self::RateLimited { .. } | Self::AdminLocked => C::RateLimited,
            Self::InvalidCode | Self::WrongCode { .. } => C::InvalidCode,
            Self::PasskeyRejected { .. } => C::PasskeyRejected,
            Self::CodeUsed { .. } => C::CodeUsed,
            Self::MfaTokenInvalid => C::MfaTokenInvalid,
            Self::LinkInvalid => C::LinkInvalid,
            Self::LinkOtherBrowser => C::LinkOtherBrowser,
            Self::StepUpRequired => C::StepUpRequired,
            Self::NoEnrollment => C::NoEnrollment,
            Self::Policy(_) => C::WeakPassword,
            Self::Invalid(_) => C::InvalidRequest,
            Self::NotFound(_) => C::NotFound,
            Self::Forbidden(_) => C::Forbidden,
            Self::LastFactor | Self::LastPasskey => C::LastFactor,
            Self::PasskeyRequired | Self::SignInWithPasskey => C::PasskeyRequired,
            Self::GrantEnded => C::GrantEnded,
            Self::ApprovalRequired => C::ApprovalRequired,
            Self::ChecksExhausted => C::ChecksExhausted,
            Self::NotAContact => C::NotAContact,
            Self::RequestOpen => C::RequestOpen,
            Self::Overloaded { .. } | Self::Storage(_) => C::Unavailable,
        }
    }

    /// How many more codes may be tried before the sign-in ends or the second
    /// factor locks, after a wrong one.
    pub fn tries_left(&self) -> Option<i64> {
        match self {
            Self::WrongCode { tries_left }
            | Self::CodeUsed { tries_left }
            | Self::PasskeyRejected { tries_left } => Some(*tries_left),
            _ => None,
        }
    }

    /// Seconds to wait before trying again, for a `Retry-After` header.
    pub fn retry_after(&self) -> Option<i64> {
        match self {
            Self::RateLimited { retry_after } | Self::Overloaded { retry_after } => {
                Some((*retry_after).max(1))
            }
            _ => None,
        }
    }
}

/// What went wrong, as the transports name it: the `error` of the JSON API,
/// the `?error=` of a page, the key of the browser's message table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    InvalidCredentials,
    InvalidPassword,
    RateLimited,
    InvalidCode,
    CodeUsed,
    PasskeyRejected,
    MfaTokenInvalid,
    LinkInvalid,
    LinkOtherBrowser,
    StepUpRequired,
    NoEnrollment,
    InvalidRequest,
    /// A new password the policy refuses (`rules::password`): its own code,
    /// so a form posted without a script can still say why.
    WeakPassword,
    NotSignedIn,
    Unauthorized,
    NotFound,
    Forbidden,
    LastFactor,
    PasskeyRequired,
    GrantEnded,
    ApprovalRequired,
    ChecksExhausted,
    NotAContact,
    RequestOpen,
    Unavailable,
    Internal,
}

impl ErrorCode {
    pub const ALL: [Self; 26] = [
        Self::InvalidCredentials,
        Self::InvalidPassword,
        Self::RateLimited,
        Self::InvalidCode,
        Self::CodeUsed,
        Self::PasskeyRejected,
        Self::MfaTokenInvalid,
        Self::LinkInvalid,
        Self::LinkOtherBrowser,
        Self::StepUpRequired,
        Self::NoEnrollment,
        Self::InvalidRequest,
        Self::WeakPassword,
        Self::NotSignedIn,
        Self::Unauthorized,
        Self::NotFound,
        Self::Forbidden,
        Self::LastFactor,
        Self::PasskeyRequired,
        Self::GrantEnded,
        Self::ApprovalRequired,
        Self::ChecksExhausted,
        Self::NotAContact,
        Self::RequestOpen,
        Self::Unavailable,
        Self::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidPassword => "invalid_password",
            Self::RateLimited => "rate_limited",
            Self::InvalidCode => "invalid_code",
            Self::CodeUsed => "code_used",
            Self::PasskeyRejected => "passkey_rejected",
            Self::MfaTokenInvalid => "mfa_token_invalid",
            Self::LinkInvalid => "link_invalid",
            Self::LinkOtherBrowser => "link_other_browser",
            Self::StepUpRequired => "step_up_required",
            Self::NoEnrollment => "no_enrollment",
            Self::InvalidRequest => "invalid_request",
            Self::WeakPassword => "weak_password",
            Self::NotSignedIn => "not_signed_in",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::LastFactor => "last_factor",
            Self::PasskeyRequired => "passkey_required",
            Self::GrantEnded => "grant_ended",
            Self::ApprovalRequired => "approval_required",
            Self::ChecksExhausted => "checks_exhausted",
            Self::NotAContact => "not_a_contact",
            Self::RequestOpen => "request_open",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// The HTTP status of a response carrying this code.
    pub fn http_status(self) -> u16 {
        match self {
            Self::InvalidRequest | Self::WeakPassword => 400,
            Self::InvalidCredentials
            | Self::InvalidPassword
            | Self::InvalidCode
            | Self::CodeUsed
            | Self::PasskeyRejected
            | Self::MfaTokenInvalid
            | Self::LinkInvalid
            | Self::LinkOtherBrowser
            | Self::NotSignedIn
            | Self::Unauthorized => 401,
            Self::StepUpRequired
            | Self::Forbidden
            | Self::LastFactor
            | Self::PasskeyRequired
            | Self::GrantEnded
            | Self::ApprovalRequired
            | Self::ChecksExhausted
            | Self::NotAContact => 403,
            Self::NotFound => 404,
            Self::NoEnrollment | Self::RequestOpen => 409,
            Self::RateLimited => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_one_name_that_parses_back() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }

    #[test]
    fn refusals_map_to_their_status() {
        let status = |e: AuthError| e.code().http_status();
        assert_eq!(status(AuthError::InvalidCredentials), 401);
        assert_eq!(status(AuthError::AdminLocked), 429);
        assert_eq!(status(AuthError::Invalid("x".into())), 400);
        assert_eq!(status(AuthError::NoEnrollment), 409);
        assert_eq!(status(AuthError::LastFactor), 403);
        assert_eq!(status(AuthError::Overloaded { retry_after: 2 }), 503);
        assert_eq!(
            AuthError::RateLimited { retry_after: 0 }.retry_after(),
            Some(1)
        );
        assert_eq!(AuthError::InvalidCode.retry_after(), None);
    }
}
