//! Lockout and delay rules: how many wrong passwords and codes are allowed,
//! and how long the pauses that follow last.

pub const MAX_CODE_FAILURES_PER_ATTEMPT: i64 = 5;

pub const MFA_LOCK_WINDOW: i64 = 5 * 60;

pub const MFA_LOCK_THRESHOLD: i64 = 5;

pub const MFA_LOCK_SECONDS: i64 = 5 * 60;

pub const MFA_HARD_LOCK_THRESHOLD: i64 = 100;

pub const PASSWORD_FAILURES_BEFORE_DELAY: i64 = 10;

pub const PASSWORD_FIRST_DELAY: i64 = 60;

pub const PASSWORD_MAX_DELAY: i64 = 24 * 3600;

pub const IP_WINDOW: i64 = 5 * 60;

/// How many more codes may be tried after `recent_failures` wrong ones in
/// the lock window and, at sign-in, `attempt_failures` in the attempt: the
/// fewer of what is left before the lock and before the attempt ends.
pub fn code_tries_left(recent_failures: i64, attempt_failures: Option<i64>) -> i64 {
    let before_lock = MFA_LOCK_THRESHOLD - recent_failures;
    let in_attempt = attempt_failures.map_or(i64::MAX, |f| MAX_CODE_FAILURES_PER_ATTEMPT - f);
    before_lock.min(in_attempt).max(0)
}

/// Delay after `failures` consecutive wrong passwords: none below 10, then 60 s doubling.
pub fn password_delay(failures: i64) -> i64 {
    if failures < PASSWORD_FAILURES_BEFORE_DELAY {
        return 0;
    }
    let doublings = (failures - PASSWORD_FAILURES_BEFORE_DELAY).min(20) as u32;
    (PASSWORD_FIRST_DELAY << doublings).min(PASSWORD_MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_left_is_the_nearer_of_the_lock_and_the_end_of_the_attempt() {
        assert_eq!(code_tries_left(0, Some(0)), 5);
        assert_eq!(code_tries_left(1, Some(1)), 4);
        // Wrong codes from an earlier attempt still count towards the lock.
        assert_eq!(code_tries_left(3, Some(0)), 2);
        assert_eq!(code_tries_left(0, Some(4)), 1);
        // A signed-in user confirming it is them has no attempt.
        assert_eq!(code_tries_left(2, None), 3);
        assert_eq!(code_tries_left(9, Some(5)), 0);
    }

    #[test]
    fn password_delay_starts_at_ten_failures_and_doubles() {
        assert_eq!(password_delay(9), 0);
        assert_eq!(password_delay(10), 60);
        assert_eq!(password_delay(11), 120);
        assert_eq!(password_delay(13), 480);
        assert_eq!(password_delay(1000), PASSWORD_MAX_DELAY);
    }
}
