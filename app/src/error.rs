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
        match value {
            ServerFnErrorErr::Request(_) => Self::new(
                "internal",
                "Gatehouse could not be reached. Check your connection and try again.",
            ),
            // On the server: the form is not what the function takes (a
            // field missing, a number that is not one), the sender's mistake.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::Deserialization(_) => Self::new(
                "invalid_request",
                "The form was incomplete. Reload the page and try again.",
            ),
            _ => Self::new(
                "internal",
                "Something went wrong on our side. Try again in a moment.",
            ),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<gatehouse_core::AuthError> for AppError {
    fn from(e: gatehouse_core::AuthError) -> Self {
        if let gatehouse_core::AuthError::Storage(err) = &e {
            tracing::error!(error = %err, "storage error");
        }
        Self::new(e.code().as_str(), e.to_string())
    }
}
