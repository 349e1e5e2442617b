//! "Locked out?": who gets which answer, and the requests a locked-out person
//! makes of the support desk about themselves.
//!
//! Someone another person in their organization can reset is told who (their
//! administrators, or their partner): the support desk never resets an
//! ordinary user without their organization's request. The owner or
//! authorized officer whom nobody inside can reset comes to the desk — after
//! proving the primary mailbox and the password ("confirmed"), or, when they
//! phone from elsewhere, with the desk's own checks, a manager's approval and
//! a longer cooling-off ("not confirmed").

/// The most a locked-out person may write about what happened.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// How long a request not confirmed from the primary email waits, once
/// approved, before its pass works (3 days: time for the real person, told at
/// once by email, to answer "This wasn't me").
pub const DEFAULT_UNCONFIRMED_COOLING_OFF: i64 = 72 * 3600;

/// What a "Locked out?" form leads to for an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Nobody inside can reset them: a confirmation link, then the desk.
    SupportDesk,
    /// Someone can: the mail says who.
    AskSomeone,
}

/// The locked-out person's standing in their organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub is_owner: bool,
    pub is_officer: bool,
    /// Other active people of the organization, with a second factor, whose
    /// role may reset this person's (the permission, and no less senior).
    pub others_who_can_reset: i64,
}

pub fn route(standing: Standing) -> Route {
    if (standing.is_owner || standing.is_officer) && standing.others_who_can_reset == 0 {
        Route::SupportDesk
    } else {
        Route::AskSomeone
    }
}

/// Whether an organization needs a second administrator: at most one person
/// can administer it with a second factor, so losing one phone locks it out.
pub fn needs_second_administrator(administrators_with_mfa: i64) -> bool {
    administrators_with_mfa <= 1
}

/// A request someone makes about their own account (requester and target
/// are the same person).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfRequest {
    /// Filed by the person, after the link to their primary email and their password.
    Confirmed,
    /// Filed by an agent for a caller who could not prove the mailbox.
    Unconfirmed,
}

/// Which kind of self-request a request is, if it is one.
pub fn self_request(requester: i64, target: i64, filed_by: i64) -> Option<SelfRequest> {
    if requester != target {
        None
    } else if filed_by == target {
        Some(SelfRequest::Confirmed)
    } else {
        Some(SelfRequest::Unconfirmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(is_owner: bool, is_officer: bool, others: i64) -> Standing {
        Standing {
            is_owner,
            is_officer,
            others_who_can_reset: others,
        }
    }

    #[test]
    fn only_an_owner_or_officer_nobody_can_reset_comes_to_the_desk() {
        assert_eq!(route(standing(true, false, 0)), Route::SupportDesk);
        assert_eq!(route(standing(false, true, 0)), Route::SupportDesk);
        assert_eq!(route(standing(true, true, 1)), Route::AskSomeone);
        assert_eq!(route(standing(false, false, 0)), Route::AskSomeone);
    }

    #[test]
    fn one_administrator_with_mfa_is_one_lost_phone_from_a_lockout() {
        assert!(needs_second_administrator(0));
        assert!(needs_second_administrator(1));
        assert!(!needs_second_administrator(2));
    }

    #[test]
    fn a_self_request_is_confirmed_only_when_the_person_filed_it() {
        assert_eq!(self_request(1, 2, 1), None);
        assert_eq!(self_request(2, 2, 2), Some(SelfRequest::Confirmed));
        assert_eq!(self_request(2, 2, 9), Some(SelfRequest::Unconfirmed));
    }
}
