//! Pure rules: functions and types that decide, taking `now` as a parameter
//! where time matters. Nothing here touches the database or reads the clock,
//! so every rule is tested with plain unit tests.

pub mod abuse;
pub mod account_links;
pub mod audit_text;
pub mod contact;
pub mod factors;
pub mod filters;
pub mod locked_out;
pub mod lockout;
pub mod naming;
pub mod password;
pub mod policy;
pub mod recovery;
pub mod return_path;
pub mod scope;
pub mod support;
pub mod text;
pub mod totp;
