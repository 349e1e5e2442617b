//! Configuration from the environment. A bad value stops the server with a
//! message naming the variable and what is wrong with it.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use gatehouse_core::crypto::Keys;
use gatehouse_core::db::{self, Backend};
use gatehouse_core::rules::abuse::{Threshold, Thresholds, MAX_WINDOW};
use gatehouse_core::Settings;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub site_addr: SocketAddr,
    pub site_root: String,
    pub trusted_proxies: Vec<IpAddr>,
    pub settings: Settings,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub sms_webhook_url: Option<String>,
    /// How long sent (or given-up) messages stay in the outbox.
    pub outbox_retention_days: i64,
    /// After SIGTERM, how long requests in flight may take to finish.
    pub shutdown_grace: std::time::Duration,
    /// Where `GET /metrics` is served; `None`: not at all.
    pub metrics_addr: Option<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A support cooling-off in seconds: 0 to 30 days.
fn cooling_off(name: &'static str, default: i64) -> Result<i64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .ok()
            .filter(|s| (0..=30 * 24 * 3600).contains(s))
            .ok_or_else(|| {
                bad(
                    name,
                    "must be a number of seconds from 0 to 2592000 (30 days)",
                )
            }),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let database_url =
            var("GATEHOUSE_DATABASE_URL").unwrap_or_else(|| "sqlite://data/gatehouse.db".into());
        db::backend_of(&database_url).map_err(|e| bad("GATEHOUSE_DATABASE_URL", e.to_string()))?;

        let site_addr: SocketAddr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|_| {
                bad(
                    "LEPTOS_SITE_ADDR",
                    "must be an address with a port, such as 127.0.0.1:3000",
                )
            })?;

        let public_url =
            var("GATEHOUSE_PUBLIC_URL").unwrap_or_else(|| format!("http://{site_addr}"));
        let parsed = url::Url::parse(&public_url).map_err(|e| {
            bad(
                "GATEHOUSE_PUBLIC_URL",
                format!("must be an absolute URL such as https://mfa.example.com ({e})"),
            )
        })?;
        let secure = match parsed.scheme() {
            "https" => true,
            "http" => {
                let loopback = match parsed.host() {
                    Some(url::Host::Domain(d)) => d == "localhost",
                    Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                    Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                    None => false,
                };
                if !loopback {
                    return Err(bad("GATEHOUSE_PUBLIC_URL", "must use https:// unless it points at this machine (127.0.0.1 or localhost)"));
                }
                false
            }
            other => {
                return Err(bad(
                    "GATEHOUSE_PUBLIC_URL",
                    format!("scheme {other:?} is not http or https"),
                ))
            }
        };

        let trusted_proxies = match var("GATEHOUSE_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|p| p.trim().parse::<IpAddr>())
                .collect::<Result<_, _>>()
                .map_err(|_| {
                    bad(
                        "GATEHOUSE_TRUSTED_PROXIES",
                        "must be a comma-separated list of IP addresses",
                    )
                })?,
        };

        let login_rate_per_ip = match var("GATEHOUSE_LOGIN_RATE_LIMIT") {
            None => 100,
            Some(v) => v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                bad(
                    "GATEHOUSE_LOGIN_RATE_LIMIT",
                    "must be a positive whole number (sign-in attempts per IP per 5 minutes)",
                )
            })?,
        };

        let step_up_seconds = match var("GATEHOUSE_STEP_UP_SECONDS") {
            None => 300,
            Some(v) => v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                bad(
                    "GATEHOUSE_STEP_UP_SECONDS",
                    "must be a positive whole number of seconds",
                )
            })?,
        };

        let code_resend_seconds = match var("GATEHOUSE_CODE_RESEND_SECONDS") {
            None => 30,
            Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                bad(
                    "GATEHOUSE_CODE_RESEND_SECONDS",
                    "must be a whole number of seconds",
                )
            })?,
        };
        let defaults = Settings::default();
        let hash_workers = match var("GATEHOUSE_HASH_WORKERS") {
            None => defaults.hash_workers,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| {
                    bad(
                        "GATEHOUSE_HASH_WORKERS",
                        "must be a whole number from 1 to 256 (password hashes at once)",
                    )
                })?,
        };
        let hash_queue = match var("GATEHOUSE_HASH_QUEUE") {
            None => defaults.hash_queue,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 100_000)
                .ok_or_else(|| {
                    bad(
                    "GATEHOUSE_HASH_QUEUE",
                    "must be a whole number up to 100000 (password checks waiting to be hashed)",
                )
                })?,
        };
        let outbox_retention_days = match var("GATEHOUSE_OUTBOX_RETENTION_DAYS") {
            None => 7,
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=36_500).contains(n))
                .ok_or_else(|| {
                    bad(
                        "GATEHOUSE_OUTBOX_RETENTION_DAYS",
                        "must be a whole number of days (0 deletes sent messages within a minute)",
                    )
                })?,
        };
        let shutdown_grace = match var("GATEHOUSE_SHUTDOWN_SECONDS") {
            None => 20,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .ok_or_else(|| {
                    bad(
                        "GATEHOUSE_SHUTDOWN_SECONDS",
                        "must be a whole number of seconds from 1 to 3600",
                    )
                })?,
        };
        let shutdown_grace = std::time::Duration::from_secs(shutdown_grace);
        let metrics_addr = match var("GATEHOUSE_METRICS_ADDR") {
            None => None,
            Some(v) => Some(
                v.parse::<SocketAddr>()
                    .ok()
                    .filter(|addr| addr.port() != site_addr.port())
                    .ok_or_else(|| {
                        bad(
                            "GATEHOUSE_METRICS_ADDR",
                            "must be an address with a port of its own, such as 127.0.0.1:9100 (never the public port)",
                        )
                    })?,
            ),
        };
        let support_cooling_off = cooling_off(
            "GATEHOUSE_SUPPORT_COOLING_OFF_SECONDS",
            defaults.support_cooling_off,
        )?;
        let support_unconfirmed_cooling_off = cooling_off(
            "GATEHOUSE_SUPPORT_UNCONFIRMED_COOLING_OFF_SECONDS",
            defaults.support_unconfirmed_cooling_off,
        )?;
        let abuse = abuse_thresholds(defaults.abuse)?;
        let mail_from = var("GATEHOUSE_MAIL_FROM").unwrap_or_else(|| match parsed.host() {
            Some(url::Host::Domain(domain)) => format!("Gatehouse <gatehouse@{domain}>"),
            _ => "Gatehouse <gatehouse@localhost>".into(),
        });

        Ok(Self {
            database_url,
            smtp_url: var("GATEHOUSE_SMTP_URL"),
            mail_from,
            sms_webhook_url: var("GATEHOUSE_SMS_WEBHOOK_URL"),
            outbox_retention_days,
            shutdown_grace,
            metrics_addr,
            site_addr,
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            trusted_proxies,
            settings: Settings {
                public_url: public_url.trim_end_matches('/').to_string(),
                secure_cookies: secure,
                login_rate_per_ip,
                issuer: "Gatehouse".into(),
                step_up_seconds,
                code_resend_seconds,
                hash_workers,
                hash_queue,
                support_cooling_off,
                support_procedure: var("GATEHOUSE_SUPPORT_PROCEDURE").unwrap_or_default(),
                support_unconfirmed_cooling_off,
                abuse,
            },
        })
    }

    /// The server key: from `GATEHOUSE_SECRET_KEY`, or (SQLite only) a key file
    /// beside the database, created with mode 0600 on first start.
    pub fn keys(&self) -> Result<Keys, ConfigError> {
        if let Some(hex) = var(SECRET_KEY) {
            return Keys::from_hex(&hex).map_err(|e| bad(SECRET_KEY, e.to_string()));
        }
        match self.key_file() {
            Some(path) => load_or_create_key_file(&path).map_err(|problem| bad(SECRET_KEY, problem)),
            None => Err(bad(SECRET_KEY, "is required with PostgreSQL: every app server must share the same key (generate one with `openssl rand -hex 32`)")),
        }
    }

    /// The key file, when the key is one: beside a SQLite database, unless
    /// `GATEHOUSE_SECRET_KEY` gives the key.
    pub fn key_file(&self) -> Option<PathBuf> {
        if var(SECRET_KEY).is_some()
            || db::backend_of(&self.database_url).ok() == Some(Backend::Postgres)
        {
            return None;
        }
        let db_path = db::sqlite_path(&self.database_url)
            .unwrap_or_else(|| PathBuf::from("data/gatehouse.db"));
        Some(key_file_beside(&db_path))
    }
}

const SECRET_KEY: &str = "GATEHOUSE_SECRET_KEY";

/// The key file that goes with a database file (or a backup of one):
/// `gatehouse.db` → `gatehouse.key`.
pub fn key_file_beside(db: &Path) -> PathBuf {
    db.with_extension("key")
}

/// A whole number from a variable, within bounds, or the default.
fn bounded(
    name: &'static str,
    default: i64,
    bounds: std::ops::RangeInclusive<i64>,
    what: &str,
) -> Result<i64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| bounds.contains(n))
            .ok_or_else(|| {
                bad(
                    name,
                    format!(
                        "must be a whole number from {} to {} ({what})",
                        bounds.start(),
                        bounds.end()
                    ),
                )
            }),
    }
}

/// The abuse signals' thresholds: more than N resets within a window of
/// seconds, per organization and across the platform.
fn abuse_thresholds(defaults: Thresholds) -> Result<Thresholds, ConfigError> {
    const RESETS: std::ops::RangeInclusive<i64> = 1..=100_000;
    const WINDOW: std::ops::RangeInclusive<i64> = 60..=MAX_WINDOW;
    let threshold = |resets: &'static str, window: &'static str, default: Threshold| {
        Ok::<_, ConfigError>(Threshold {
            resets: bounded(
                resets,
                default.resets,
                RESETS,
                "more MFA resets than this within the window raise an alert",
            )?,
            window: bounded(window, default.window, WINDOW, "seconds, up to 30 days")?,
        })
    };
    Ok(Thresholds {
        company: threshold(
            "GATEHOUSE_ABUSE_COMPANY_RESETS",
            "GATEHOUSE_ABUSE_COMPANY_WINDOW_SECONDS",
            defaults.company,
        )?,
        platform: threshold(
            "GATEHOUSE_ABUSE_PLATFORM_RESETS",
            "GATEHOUSE_ABUSE_PLATFORM_WINDOW_SECONDS",
            defaults.platform,
        )?,
    })
}

fn load_or_create_key_file(path: &Path) -> Result<Keys, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return Keys::from_hex(&text)
            .map_err(|e| format!("the key file {} is damaged: {e}", path.display()));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let hex = Keys::generate_master_hex();
    write_private(path, &hex)
        .map_err(|e| format!("cannot write the key file {}: {e}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new server key; back it up with the database");
    Keys::from_hex(&hex).map_err(|e| e.to_string())
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    db::create_private(path)?.write_all(text.as_bytes())
}

impl Config {
    /// The development mailbox replaces SMTP only on a loopback deployment:
    /// it shows everyone's mail to anyone who can reach it. Loopback means
    /// both the public URL (plain http is only allowed there) and the address
    /// the server listens on: `0.0.0.0` is reachable from the network whatever
    /// the public URL says.
    pub fn mailbox_enabled(&self) -> bool {
        self.smtp_url.is_none()
            && !self.settings.secure_cookies
            && self.site_addr.ip().is_loopback()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(site_addr: &str, secure: bool, smtp: Option<&str>) -> Config {
        Config {
            database_url: "sqlite://data/gatehouse.db".into(),
            site_addr: site_addr.parse().unwrap(),
            site_root: "target/site".into(),
            trusted_proxies: Vec::new(),
            settings: Settings {
                secure_cookies: secure,
                ..Settings::default()
            },
            smtp_url: smtp.map(str::to_string),
            mail_from: "Gatehouse <gatehouse@localhost>".into(),
            sms_webhook_url: None,
            outbox_retention_days: 7,
            shutdown_grace: std::time::Duration::from_secs(20),
            metrics_addr: None,
        }
    }

    #[test]
    fn abuse_thresholds_come_from_the_environment_within_bounds() {
        // The only test here that sets these variables (tests run in threads).
        let vars = [
            "GATEHOUSE_ABUSE_COMPANY_RESETS",
            "GATEHOUSE_ABUSE_COMPANY_WINDOW_SECONDS",
            "GATEHOUSE_ABUSE_PLATFORM_RESETS",
            "GATEHOUSE_ABUSE_PLATFORM_WINDOW_SECONDS",
        ];
        let defaults = Thresholds::default();
        for v in vars {
            std::env::remove_var(v);
        }
        assert_eq!(abuse_thresholds(defaults).unwrap(), defaults);
        std::env::set_var("GATEHOUSE_ABUSE_COMPANY_RESETS", "2");
        std::env::set_var("GATEHOUSE_ABUSE_PLATFORM_WINDOW_SECONDS", "7200");
        let set = abuse_thresholds(defaults).unwrap();
        assert_eq!(set.company.resets, 2);
        assert_eq!(set.platform.window, 7200);
        assert_eq!(set.company.window, defaults.company.window);
        for (var, value) in [
            ("GATEHOUSE_ABUSE_COMPANY_RESETS", "0"),
            ("GATEHOUSE_ABUSE_COMPANY_RESETS", "three"),
            ("GATEHOUSE_ABUSE_PLATFORM_WINDOW_SECONDS", "59"),
            ("GATEHOUSE_ABUSE_PLATFORM_WINDOW_SECONDS", "2592001"),
        ] {
            std::env::set_var(var, value);
            let refused = abuse_thresholds(defaults).unwrap_err();
            assert_eq!(refused.var, var, "{value}");
            std::env::remove_var(var);
        }
        for v in vars {
            std::env::remove_var(v);
        }
    }

    #[test]
    fn the_mailbox_needs_a_loopback_listener_as_well_as_a_loopback_url() {
        assert!(config("127.0.0.1:3000", false, None).mailbox_enabled());
        assert!(config("[::1]:3000", false, None).mailbox_enabled());
        assert!(
            !config("0.0.0.0:3000", false, None).mailbox_enabled(),
            "every interface, even with a loopback public URL"
        );
        assert!(!config("[::]:3000", false, None).mailbox_enabled());
        assert!(!config("192.0.2.10:3000", false, None).mailbox_enabled());
        assert!(!config("127.0.0.1:3000", true, None).mailbox_enabled());
        assert!(!config("127.0.0.1:3000", false, Some("smtp://127.0.0.1:25")).mailbox_enabled());
    }
}
