//! Links emailed to an account's own address: what each is for, how long it
//! works, and how many may be sent. Whoever opens one has proved they read
//! the account's email — never more: a password link does not skip the
//! second factor.

/// What a link lets its holder do, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Choose a new password ("Forgot password?").
    PasswordReset,
    /// Report a reset of one's second factor as "This wasn't me".
    NotMe,
    /// Confirm, with the password, a locked-out owner's request to the support desk.
    LockedOut,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::NotMe => "not_me",
            Self::LockedOut => "locked_out",
        }
    }

    /// Seconds from sending until the link stops working.
    pub fn lifetime(self) -> i64 {
        match self {
            Self::PasswordReset => 30 * 60,
            // Long enough to come back from a week away and read the mail.
            Self::NotMe => 7 * 24 * 3600,
            Self::LockedOut => 60 * 60,
        }
    }

    /// How many links of this purpose one account may be asked for per
    /// [`SEND_WINDOW`]: enough for a lost email, too few to flood an inbox.
    /// A "This wasn't me" link goes with every reset, which nobody asks for
    /// by email.
    pub fn max_per_window(self) -> i64 {
        match self {
            Self::PasswordReset | Self::LockedOut => 3,
            Self::NotMe => i64::MAX,
        }
    }
}

/// The window the per-account limit counts in.
pub const SEND_WINDOW: i64 = 3600;

/// Whether the `sent`-th link of the window (counting this one) may go out.
pub fn may_send(purpose: LinkPurpose, sent: i64) -> bool {
    sent <= purpose.max_per_window()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_link_works_for_half_an_hour() {
        assert_eq!(LinkPurpose::PasswordReset.lifetime(), 1800);
        assert_eq!(LinkPurpose::PasswordReset.as_str(), "password_reset");
    }

    #[test]
    fn a_this_wasnt_me_link_works_for_a_week() {
        assert_eq!(LinkPurpose::NotMe.lifetime(), 7 * 24 * 3600);
        assert!(may_send(LinkPurpose::NotMe, 1_000));
    }

    #[test]
    fn three_password_links_an_hour_then_silence() {
        assert!(may_send(LinkPurpose::PasswordReset, 1));
        assert!(may_send(LinkPurpose::PasswordReset, 3));
        assert!(!may_send(LinkPurpose::PasswordReset, 4));
    }
}
