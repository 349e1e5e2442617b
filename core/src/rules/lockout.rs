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
    fn password_delay_starts_at_ten_failures_and_doubles() {
        assert_eq!(password_delay(9), 0);
        assert_eq!(password_delay(10), 60);
        assert_eq!(password_delay(11), 120);
        assert_eq!(password_delay(13), 480);
        assert_eq!(password_delay(1000), PASSWORD_MAX_DELAY);
    }
}
