//! The one error type server functions return. It carries a stable `code` for
//! tests and a `message` written for the person at the screen; internal
//! errors never reach the browser as text (they are logged on the server).

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: String,
    pub message: String,
}

impl AppError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match value {
            ServerFnErrorErr::Request(_) => {
                "Gatehouse could not be reached. Check your connection and try again."
            }
            _ => "Something went wrong on our side. Try again in a moment.",
        };
        Self::new("internal", message)
    }
}

#[cfg(feature = "ssr")]
impl From<gatehouse_core::AuthError> for AppError {
    fn from(e: gatehouse_core::AuthError) -> Self {
        use gatehouse_core::AuthError as E;
        let code = match &e {
            E::InvalidCredentials => "invalid_credentials",
            E::RateLimited { .. } | E::AdminLocked => "rate_limited",
            E::InvalidCode => "invalid_code",
            E::MfaTokenInvalid => "mfa_token_invalid",
            E::StepUpRequired => "step_up_required",
            E::LinkInvalid => "link_invalid",
            E::LinkOtherBrowser => "link_other_browser",
            E::NoEnrollment => "no_enrollment",
            E::Policy(_) | E::Invalid(_) => "invalid",
            E::NotFound(_) => "not_found",
            E::Forbidden(_) => "forbidden",
            E::GrantEnded => "grant_ended",
            E::Overloaded { .. } => "unavailable",
            E::Storage(err) => {
                tracing::error!(error = %err, "storage error");
                "unavailable"
            }
        };
        Self::new(code, e.to_string())
    }
}
