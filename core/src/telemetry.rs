//! What Gatehouse counts for the people who run it, through the `metrics`
//! facade: the server installs a Prometheus recorder only when
//! `GATEHOUSE_METRICS_ADDR` is set; without one every call here does nothing.
//!
//! Every label value is a word from a fixed set (a method's name, an error
//! code, a reset kind) — never an email, id, address or anything a caller
//! typed — so a scrape reveals no person and the series stay few.

use std::time::Duration;

use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};

use crate::error::Result;
use crate::service::PasswordOutcome;

/// Gives every metric its help text and unit; called once, after a
/// recorder is installed.
pub fn describe() {
    describe_counter!(
        "gatehouse_sign_ins_total",
        "Sign-in steps by stage (password, second_factor) and outcome"
    );
    describe_counter!(
        "gatehouse_mfa_checks_total",
        "Second-factor codes checked, by method and outcome"
    );
    describe_counter!(
        "gatehouse_lockouts_total",
        "Locks started: password delays and second-factor locks"
    );
    describe_counter!(
        "gatehouse_mfa_resets_total",
        "Second factors reset, by what allowed it"
    );
    describe_counter!(
        "gatehouse_outbox_deliveries_total",
        "Attempts to deliver queued email and SMS, by channel and outcome"
    );
    describe_gauge!("gatehouse_outbox_queued", "Messages waiting to be sent");
    describe_gauge!(
        "gatehouse_outbox_oldest_seconds",
        Unit::Seconds,
        "How long the oldest waiting message has waited"
    );
    describe_gauge!(
        "gatehouse_password_hash_queue",
        "Password hashes running or waiting for a hashing thread"
    );
    describe_gauge!(
        "gatehouse_password_hash_places",
        "Hashing threads plus waiting places; past them sign-ins answer 503"
    );
    describe_histogram!(
        "gatehouse_password_hash_wait_seconds",
        Unit::Seconds,
        "How long a password hash waited for a hashing thread"
    );
    describe_histogram!(
        "gatehouse_db_connection_wait_seconds",
        Unit::Seconds,
        "How long a request waited for a database connection"
    );
    describe_gauge!(
        "gatehouse_db_connections",
        "Database connections of the pool, in use and idle"
    );
    describe_gauge!(
        "gatehouse_db_connections_max",
        "The most connections the pool opens"
    );
}

/// A password stage's outcome: where a right password leads, or why not.
pub fn password_stage(result: &Result<PasswordOutcome>) {
    let outcome = match result {
        Ok(PasswordOutcome::Authenticated { .. }) => "signed_in",
        Ok(PasswordOutcome::MfaRequired { .. }) => "mfa_required",
        Ok(PasswordOutcome::EnrollmentRequired { .. }) => "enrollment_required",
        Err(e) => e.code().as_str(),
    };
    metrics::counter!("gatehouse_sign_ins_total", "stage" => "password", "outcome" => outcome)
        .increment(1);
}

/// A second-stage sign-in's outcome (`signed_in` once the code was right).
pub fn second_stage<T>(result: &Result<T>) {
    let outcome = match result {
        Ok(_) => "signed_in",
        Err(e) => e.code().as_str(),
    };
    metrics::counter!("gatehouse_sign_ins_total", "stage" => "second_factor", "outcome" => outcome)
        .increment(1);
}

/// One check of a second factor's code, at sign-in or to confirm a change:
/// `method` is its fixed name (totp, recovery_code, email_code, …).
pub fn mfa_check<T>(method: &'static str, result: &Result<T>) {
    let outcome = match result {
        Ok(_) => "accepted",
        Err(e) => e.code().as_str(),
    };
    metrics::counter!("gatehouse_mfa_checks_total", "method" => method, "outcome" => outcome)
        .increment(1);
}

/// A lock started: `password` (the delay after repeated wrong passwords) or
/// `second_factor` (too many wrong codes).
pub fn lockout(kind: &'static str) {
    metrics::counter!("gatehouse_lockouts_total", "kind" => kind).increment(1);
}

/// A second factor reset took effect, by who or what allowed it.
pub fn reset(kind: &'static str) {
    metrics::counter!("gatehouse_mfa_resets_total", "kind" => kind).increment(1);
}

/// One delivery attempt of a queued message: `sent`, `retry` or `failed`.
pub fn delivery(channel: &str, outcome: &'static str) {
    let channel = match channel {
        "email" => "email",
        "sms" => "sms",
        _ => "other",
    };
    metrics::counter!("gatehouse_outbox_deliveries_total", "channel" => channel, "outcome" => outcome)
        .increment(1);
}

/// The outbox as the worker last saw it: messages waiting, and how long the
/// oldest has waited.
pub fn outbox(queued: i64, oldest_seconds: i64) {
    metrics::gauge!("gatehouse_outbox_queued").set(queued as f64);
    metrics::gauge!("gatehouse_outbox_oldest_seconds").set(oldest_seconds as f64);
}

/// Password hashes waiting or running, out of how many places.
pub fn hash_queue(taken: usize, places: usize) {
    metrics::gauge!("gatehouse_password_hash_queue").set(taken as f64);
    metrics::gauge!("gatehouse_password_hash_places").set(places as f64);
}

/// How long a password hash waited for a hashing thread.
pub fn hash_wait(waited: Duration) {
    metrics::histogram!("gatehouse_password_hash_wait_seconds").record(waited.as_secs_f64());
}

/// How long a request waited for a database connection.
pub fn connection_wait(waited: Duration) {
    metrics::histogram!("gatehouse_db_connection_wait_seconds").record(waited.as_secs_f64());
}

/// The database pool: connections open and idle, and its maximum.
pub fn pool(open: u32, idle: usize, max: u32) {
    let in_use = (open as usize).saturating_sub(idle);
    metrics::gauge!("gatehouse_db_connections", "state" => "in_use").set(in_use as f64);
    metrics::gauge!("gatehouse_db_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("gatehouse_db_connections_max").set(f64::from(max));
}
