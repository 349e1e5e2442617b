//! Signing in: the password, then a second factor — the authenticator app,
//! a recovery code, or another method (a code by email or text message, or
//! an emailed link that leads to setting up the authenticator again).

mod email_link;
mod other_methods;
mod password;
mod second_factor;
mod stage;

pub use email_link::SignInLinkPage;
pub use other_methods::{MessageCodePage, OtherMethodsPage};
pub use password::LoginPage;
pub use second_factor::{MfaPage, PasskeyCeremony, RecoveryPage};
pub use stage::SigningInAs;
