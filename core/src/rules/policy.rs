//! Which operations need a recent sign-in ("step-up"), decided once for every
//! transport. The browser asks with the time of the session's last sign-in or
//! step-up; the JSON API with the time its bearer token was issued (tokens are
//! issued only by a completed sign-in). There is no exception for callers
//! without an authenticator: a stale session or token of someone who never set
//! one up is exactly what an attacker who found it would hold.

use crate::error::AuthError;

/// Everything that changes how an account signs in, or hands power to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Set up an authenticator (also the first one, turning MFA on).
    AddFactor,
    RemoveFactor,
    RegenerateRecoveryCodes,
    /// Add, verify or remove the phone for SMS codes.
    ChangePhone,
    /// Choose a new password (the current one is asked for as well).
    ChangePassword,
    /// Remove every factor of one's own account. Confirmed with the password
    /// instead: a user who lost their phone must still be able to do it.
    ResetOwnMfa,
    DisableUserMfa,
    ChangeUserRole,
    InviteUser,
    SetRoleRequirement,
    CreateRole,
    /// Rename or delete a custom role.
    EditRole,
    CreateCustomer,
    GrantResetPermission,
    /// Revoking only takes power away.
    RevokeResetPermission,
    /// Name who may ask the support desk for resets.
    ChangeAuthorizedContacts,
    /// See (or renew) one's support code: it proves to the desk who is
    /// calling, so a stale or stolen session must not read it.
    RevealSupportCode,
    /// An authorized contact asks the desk for a reset from their own session.
    RequestSupportReset,
    /// The desk issues a reset pass (an agent alone), or a manager decides on one.
    IssueResetPass,
}

impl Operation {
    /// Whether the operation needs a sign-in (or step-up) within the window.
    pub fn needs_recent_sign_in(self) -> bool {
        !matches!(self, Self::ResetOwnMfa | Self::RevokeResetPermission)
    }
}

/// Refuses `operation` when the caller's last sign-in (`authenticated_at`) is
/// older than `window_seconds` at `now`.
pub fn require_recent_sign_in(
    operation: Operation,
    authenticated_at: i64,
    now: i64,
    window_seconds: i64,
) -> Result<(), AuthError> {
    if operation.needs_recent_sign_in() && now - authenticated_at > window_seconds {
        return Err(AuthError::StepUpRequired);
    }
    Ok(())
}

/// However active, a browser sign-in lasts at most this long (the 30-minute
/// idle limit is the session's own expiry).
pub const SIGN_IN_ABSOLUTE_SECONDS: i64 = 12 * 3600;

/// Whether a browser sign-in made at `signed_in_at` is still good at `now`.
pub fn sign_in_is_current(signed_in_at: i64, now: i64) -> bool {
    now - signed_in_at <= SIGN_IN_ABSOLUTE_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_to_factors_and_power_need_a_recent_sign_in() {
        for op in [
            Operation::AddFactor,
            Operation::RemoveFactor,
            Operation::RegenerateRecoveryCodes,
            Operation::ChangePhone,
            Operation::DisableUserMfa,
            Operation::ChangeUserRole,
            Operation::InviteUser,
            Operation::SetRoleRequirement,
            Operation::CreateRole,
            Operation::EditRole,
            Operation::CreateCustomer,
            Operation::GrantResetPermission,
            Operation::ChangeAuthorizedContacts,
            Operation::RevealSupportCode,
            Operation::RequestSupportReset,
            Operation::IssueResetPass,
            Operation::ChangePassword,
        ] {
            assert!(op.needs_recent_sign_in(), "{op:?}");
            assert!(require_recent_sign_in(op, 1000, 1300, 300).is_ok());
            assert!(matches!(
                require_recent_sign_in(op, 1000, 1301, 300),
                Err(AuthError::StepUpRequired)
            ));
        }
    }

    #[test]
    fn taking_power_away_and_the_password_confirmed_reset_do_not() {
        for op in [Operation::ResetOwnMfa, Operation::RevokeResetPermission] {
            assert!(require_recent_sign_in(op, 0, 1_000_000, 300).is_ok());
        }
    }

    #[test]
    fn a_browser_sign_in_lasts_twelve_hours_at_most() {
        assert!(sign_in_is_current(1_000, 1_000 + 12 * 3600));
        assert!(!sign_in_is_current(1_000, 1_000 + 12 * 3600 + 1));
    }
}
