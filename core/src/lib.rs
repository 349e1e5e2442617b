//! Gatehouse's core: domain rules (TOTP, recovery codes, passwords, the audit
//! chain), storage (one module of SQL for SQLite and PostgreSQL) and the
//! services that combine them. Nothing here knows about HTTP or the browser;
//! the web app and the JSON API are thin layers over [`service::Gatehouse`].

/// An enum of the words a column holds: `as_str()` writes it, `parse` reads
/// it back (unknown words are `None`, so a newer server's rows are refused,
/// not misread). Defined before the modules so every one can use it.
macro_rules! persisted_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

pub mod audit;
pub mod clock;
pub mod crypto;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod error;
pub mod hashing;
pub mod notify;
pub mod rules;
pub mod service;
pub mod session_store;
pub mod store;
pub mod telemetry;

pub use error::{AuthError, ErrorCode};
pub use service::Gatehouse;

/// Settings the services need (the server parses them from the environment).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base of every link Gatehouse builds (never the request's Host header).
    pub public_url: String,
    /// Served over HTTPS: cookies get `Secure` and the `__Host-` prefix.
    pub secure_cookies: bool,
    /// Password-stage attempts allowed per client IP in five minutes.
    pub login_rate_per_ip: i64,
    /// The issuer shown in authenticator apps.
    pub issuer: String,
    /// How recent a sign-in must be to change factors or recovery codes.
    pub step_up_seconds: i64,
    /// How long before an emailed or texted code can be sent again.
    pub code_resend_seconds: i64,
    /// Password hashes computed at once (argon2id, ~19 MiB each).
    pub hash_workers: usize,
    /// Password checks that may wait for a hashing thread; past that, 503.
    pub hash_queue: usize,
    /// How long a risky reset pass waits before it works (seconds).
    pub support_cooling_off: i64,
    /// The support desk's last-resort procedure, shown only on its screens.
    pub support_procedure: String,
    /// How long the pass of a locked-out caller's request that was not
    /// confirmed from the primary email waits (seconds).
    pub support_unconfirmed_cooling_off: i64,
    /// How many MFA resets, within which sliding window, raise an abuse
    /// alert: per organization and across the platform.
    pub abuse: rules::abuse::Thresholds,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            secure_cookies: false,
            login_rate_per_ip: 100,
            issuer: "Gatehouse".into(),
            step_up_seconds: 5 * 60,
            code_resend_seconds: 30,
            hash_workers: std::thread::available_parallelism().map_or(2, usize::from),
            hash_queue: 64,
            support_cooling_off: rules::support::DEFAULT_COOLING_OFF,
            support_procedure: String::new(),
            support_unconfirmed_cooling_off: rules::locked_out::DEFAULT_UNCONFIRMED_COOLING_OFF,
            abuse: rules::abuse::Thresholds::default(),
        }
    }
}

/// Unix seconds now. Rules take the time as a parameter; only services read the clock.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
}

/// "2026-11-23 14:05 UTC" for pages and mails.
pub fn format_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}
