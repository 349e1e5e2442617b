//! The rules of the support desk's assisted MFA reset (DESIGN.md,
//! "Support-assisted reset"): how a requester is proven, when an agent may
//! issue a reset pass alone and when a manager must decide, which risk flags
//! are up, who may act on a request, and when a pass is active.
//!
//! Help-desk social engineering succeeds when the agent's judgement is the
//! only gate; here every gate is one of these functions, so the service and
//! both transports enforce the same ones and the tests pin them down.

use super::scope::{Permission, Permissions};

/// Failed identity checks a request may take; after that it can only be escalated.
pub const MAX_FAILED_CHECKS: usize = 3;
/// How long a support code shown on /support is good for.
pub const SUPPORT_CODE_TTL: i64 = 60 * 60;
/// New support codes a person may ask for in [`SUPPORT_CODE_RENEWAL_WINDOW`]:
/// each one is audited, so more would only flood the log.
pub const SUPPORT_CODE_RENEWALS: i64 = 5;
pub const SUPPORT_CODE_RENEWAL_WINDOW: i64 = 10 * 60;
/// How long a reset pass works once active.
pub const PASS_LIFETIME: i64 = 24 * 3600;
/// The default cooling-off of a risky pass (a setting may change it).
pub const DEFAULT_COOLING_OFF: i64 = 24 * 3600;
/// Another request for the same person within this window raises a flag.
pub const REPEAT_WINDOW: i64 = 30 * 24 * 3600;
/// More than [`BURST_LIMIT`] requests for one company within this window raise a flag.
pub const BURST_WINDOW: i64 = 24 * 3600;
pub const BURST_LIMIT: usize = 3;
/// A requester whose own MFA changed this recently raises a flag.
pub const REQUESTER_CHANGE_WINDOW: i64 = 7 * 24 * 3600;

persisted_enum! {
    /// How an agent checked who is asking. The agent sees only match / no match.
    CheckMethod {
        /// The 8-digit code from the requester's own Support page.
        SupportCode = "support_code",
        /// The last 4 digits and expiry of the organization's card on file.
        Card = "card",
        /// The operator's unpublished procedure, recorded as passed or failed.
        LastResort = "last_resort",
    }
}

/// What proved the requester, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// An authorized contact filed the request from their own signed-in session.
    SignedInContact,
    /// A support code check passed.
    SupportCode,
    /// A card or last-resort check passed: knowledge others can learn.
    Weak,
}

impl Proof {
    /// The strongest proof among the passed checks (and the filing session).
    pub fn from_checks(filed_signed_in: bool, passed: &[CheckMethod]) -> Option<Self> {
        if filed_signed_in {
            Some(Self::SignedInContact)
        } else if passed.contains(&CheckMethod::SupportCode) {
            Some(Self::SupportCode)
        } else if !passed.is_empty() {
            Some(Self::Weak)
        } else {
            None
        }
    }
}

persisted_enum! {
    /// A risk the system sees on a request, shown to agent and manager.
    RiskFlag {
        /// Another request for the same person in the last 30 days.
        RepeatTarget = "repeat_target",
        /// More than 3 requests for one company in 24 hours.
        CompanyBurst = "company_burst",
        /// The requester's own MFA changed in the last 7 days.
        RequesterMfaChanged = "requester_mfa_changed",
        /// The requester has no second factor: only their password proves them.
        RequesterWithoutMfa = "requester_without_mfa",
        /// The target signed in with an existing factor after the request was
        /// filed: the "lost" phone still works. This one also cancels any pass.
        TargetSignedIn = "target_signed_in",
    }
}

/// What the store knows when the flags are computed; times are Unix seconds.
#[derive(Debug, Clone, Default)]
pub struct RiskFacts {
    pub filed_at: i64,
    /// When the other requests for the same person were filed.
    pub other_requests_for_target: Vec<i64>,
    /// When the requests for the target's company were filed, this one included.
    pub requests_for_company: Vec<i64>,
    /// The last change of the requester's own MFA, if any.
    pub requester_mfa_changed_at: Option<i64>,
    /// Whether the requester has a confirmed second factor.
    pub requester_has_mfa: bool,
    /// The target's last sign-in with an existing factor, if any.
    pub target_last_factor_sign_in: Option<i64>,
}

/// The flags that are up at `now`.
pub fn risk_flags(facts: &RiskFacts, now: i64) -> Vec<RiskFlag> {
    let within = |at: i64, window: i64| at <= now && now - at < window;
    let mut flags = Vec::new();
    if facts
        .other_requests_for_target
        .iter()
        .any(|&at| within(at, REPEAT_WINDOW))
    {
        flags.push(RiskFlag::RepeatTarget);
    }
    let burst = facts
        .requests_for_company
        .iter()
        .filter(|&&at| within(at, BURST_WINDOW))
        .count();
    if burst > BURST_LIMIT {
        flags.push(RiskFlag::CompanyBurst);
    }
    if facts
        .requester_mfa_changed_at
        .is_some_and(|at| within(at, REQUESTER_CHANGE_WINDOW))
    {
        flags.push(RiskFlag::RequesterMfaChanged);
    }
    if !facts.requester_has_mfa {
        flags.push(RiskFlag::RequesterWithoutMfa);
    }
    if facts
        .target_last_factor_sign_in
        .is_some_and(|at| at > facts.filed_at)
    {
        flags.push(RiskFlag::TargetSignedIn);
    }
    flags
}

/// Who may issue the reset pass of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// The agent alone.
    Agent,
    /// A manager, with a reason; the agent's "Issue reset" is refused.
    Manager,
}

/// An agent issues alone only for a requester proven by a support code (or
/// who filed signed in), a target who is not an owner or admin, and no flag.
/// Everything else needs a manager.
pub fn issuer(proof: Proof, target_is_privileged: bool, flags: &[RiskFlag]) -> Issuer {
    let strong = matches!(proof, Proof::SignedInContact | Proof::SupportCode);
    if strong && !target_is_privileged && flags.is_empty() {
        Issuer::Agent
    } else {
        Issuer::Manager
    }
}

/// Whether another identity check may be recorded on a request.
pub fn may_check(failed_checks: usize) -> bool {
    failed_checks < MAX_FAILED_CHECKS
}

/// The people a request names, and who already worked on it.
#[derive(Debug, Clone, Default)]
pub struct Parties {
    pub requester: i64,
    pub target: i64,
    /// Whoever took the request and filed it, and every agent who ran a
    /// check on it (passed or failed): the people a caller talked to.
    pub worked_by: Vec<i64>,
    pub escalated_by: Option<i64>,
}

/// What someone wants to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeskAction {
    /// Record a check, issue a pass, escalate, cancel: an agent's work.
    Work,
    /// Approve or deny: a manager's decision.
    Decide,
}

/// Why someone may not act on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// They are the requester or the target.
    Party,
    /// A decision by someone who filed, checked or escalated the request.
    OwnWork,
}

/// Nobody acts on a request in which they are the requester or the target;
/// the person who decides is never one who took the call, checked the
/// caller or escalated: social engineering works on whoever is on the phone.
pub fn may_act(actor: i64, parties: &Parties, action: DeskAction) -> Result<(), Conflict> {
    if actor == parties.requester || actor == parties.target {
        return Err(Conflict::Party);
    }
    let own_work = parties.escalated_by == Some(actor) || parties.worked_by.contains(&actor);
    if action == DeskAction::Decide && own_work {
        return Err(Conflict::OwnWork);
    }
    Ok(())
}

/// When a pass issued at `issued_at` becomes active: after the cooling-off
/// when a manager had to decide or the target is an owner or admin, else at once.
pub fn pass_active_at(
    issued_at: i64,
    issuer: Issuer,
    target_is_privileged: bool,
    cooling_off: i64,
) -> i64 {
    if issuer == Issuer::Manager || target_is_privileged {
        issued_at + cooling_off
    } else {
        issued_at
    }
}

persisted_enum! {
    /// Where a request stands.
    RequestState {
        Open = "open",
        Escalated = "escalated",
        Denied = "denied",
        CoolingOff = "cooling_off",
        Active = "active",
        Used = "used",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

/// A pass as stored: when it activates, and whether it was used or cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub active_at: i64,
    pub used: bool,
    pub cancelled: bool,
}

impl Pass {
    pub fn expires_at(&self) -> i64 {
        self.active_at + PASS_LIFETIME
    }

    /// The state of a request with this pass at `now`. Only an `Active` pass
    /// lets the target skip their code once.
    pub fn state(&self, now: i64) -> RequestState {
        if self.cancelled {
            RequestState::Cancelled
        } else if self.used {
            RequestState::Used
        } else if now < self.active_at {
            RequestState::CoolingOff
        } else if now < self.expires_at() {
            RequestState::Active
        } else {
            RequestState::Expired
        }
    }
}

persisted_enum! {
    /// How a request reached the desk.
    RequestChannel {
        Phone = "phone",
        Email = "email",
        Ticket = "ticket",
        /// An authorized contact filed it from their own signed-in session.
        InApp = "in_app",
    }
}

persisted_enum! {
    /// What people did with a request, as stored. An issued request's state
    /// as people see it comes from its pass ([`Pass::state`]).
    Stage {
        Open = "open",
        Escalated = "escalated",
        Denied = "denied",
        Issued = "issued",
        Cancelled = "cancelled",
    }
}

impl Stage {
    /// Whether checks, escalation, a decision or a cancellation may still come.
    pub fn is_undecided(self) -> bool {
        matches!(self, Self::Open | Self::Escalated)
    }
}

/// The state people see: the stage, or for an issued request its pass's.
pub fn request_state(stage: Stage, pass: Option<Pass>, now: i64) -> RequestState {
    match (stage, pass) {
        (Stage::Open, _) => RequestState::Open,
        (Stage::Escalated, _) => RequestState::Escalated,
        (Stage::Denied, _) => RequestState::Denied,
        (Stage::Cancelled, _) => RequestState::Cancelled,
        (Stage::Issued, Some(pass)) => pass.state(now),
        // An issued request always has a pass; without one it does nothing.
        (Stage::Issued, None) => RequestState::Expired,
    }
}

/// The desk's two platform roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeskRole {
    /// Works requests: files, checks, issues when the rules allow, escalates.
    Agent,
    /// Also approves or denies what an agent may not decide alone.
    Manager,
}

/// The desk role of someone in the platform organization with a built-in
/// role: `support` or `manager`. Nobody else, whatever their permissions,
/// works the desk: a customer cannot grant itself the platform's powers.
pub fn desk_role(in_platform: bool, builtin_role: Option<&str>) -> Option<DeskRole> {
    match (in_platform, builtin_role) {
        (true, Some("support")) => Some(DeskRole::Agent),
        (true, Some("manager")) => Some(DeskRole::Manager),
        _ => None,
    }
}

/// What makes a person's reset dangerous if the wrong person gets it.
#[derive(Debug, Clone, Default)]
pub struct TargetFacts {
    pub seniority: i64,
    pub permissions: Permissions,
    /// They work the support desk (who resets everyone).
    pub desk: bool,
    /// They may ask the desk for resets themselves.
    pub contact: bool,
}

/// An owner or an admin, any role that can change other people's sign-in,
/// the desk's own people and the authorized contacts: a reset for them
/// always needs a manager and a cooling-off.
pub fn target_is_privileged(target: &TargetFacts) -> bool {
    const ADMIN_SENIORITY: i64 = 80;
    let TargetFacts {
        seniority,
        permissions,
        desk,
        contact,
    } = target;
    *desk
        || *contact
        || *seniority >= ADMIN_SENIORITY
        || [
            Permission::UsersManage,
            Permission::UsersMfaReset,
            Permission::RolesManage,
            Permission::GrantsManage,
        ]
        .into_iter()
        .any(|p| permissions.has(p))
}

/// Only owners name their organization's authorized contacts (an owner of
/// an organization above it may too): the people who may ask for resets.
pub fn may_manage_contacts(actor_seniority: i64) -> bool {
    const OWNER_SENIORITY: i64 = 100;
    actor_seniority >= OWNER_SENIORITY
}

/// Whom an authorized contact may ask about: people of their organization or
/// below it — except that the platform's contacts ask only about the
/// platform's own people, never reach into its tenants.
pub fn may_ask_about(
    requester_in_platform: bool,
    target_path: &[i64],
    requester_org: i64,
    target_org: i64,
) -> bool {
    if requester_in_platform {
        target_org == requester_org
    } else {
        target_path.contains(&requester_org)
    }
}

/// Technical contacts an organization may name besides its officer.
pub const MAX_TECHNICAL_CONTACTS: usize = 3;

/// A "This wasn't me" link keeps working this long after it was sent (a
/// pass lasts at most 2 days), so a reset that already happened can still
/// be reported, but an old forwarded mail cannot lock someone out.
pub const CANCEL_LINK_TTL: i64 = 7 * 24 * 3600;

/// The last 4 digits of a card, as typed (spaces allowed around them).
pub fn card_last4(text: &str) -> Option<String> {
    let digits = text.trim();
    (digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_string())
}

/// A card expiry as `MM/YY` (also accepts `MM/YYYY` and `MMYY`), normalized.
pub fn card_expiry(text: &str) -> Option<String> {
    let text = text.trim();
    let (month, year) = match text.split_once('/') {
        Some((m, y)) => (m.trim(), y.trim()),
        None if text.len() == 4 => text.split_at(2),
        None => return None,
    };
    let year = match year.len() {
        2 => year,
        4 if year.starts_with("20") => &year[2..],
        _ => return None,
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(month) || !all_digits(year) || month.len() > 2 {
        return None;
    }
    let month: u8 = month.parse().ok()?;
    (1..=12)
        .contains(&month)
        .then(|| format!("{month:02}/{year}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 24 * 3600;

    #[test]
    fn the_strongest_proof_counts() {
        use CheckMethod::*;
        assert_eq!(Proof::from_checks(false, &[]), None);
        assert_eq!(Proof::from_checks(false, &[Card]), Some(Proof::Weak));
        assert_eq!(
            Proof::from_checks(false, &[LastResort, SupportCode]),
            Some(Proof::SupportCode)
        );
        assert_eq!(Proof::from_checks(true, &[]), Some(Proof::SignedInContact));
    }

    #[test]
    fn an_agent_issues_alone_only_on_strong_proof_for_a_plain_user_without_flags() {
        assert_eq!(issuer(Proof::SupportCode, false, &[]), Issuer::Agent);
        assert_eq!(issuer(Proof::SignedInContact, false, &[]), Issuer::Agent);
        assert_eq!(issuer(Proof::Weak, false, &[]), Issuer::Manager);
        assert_eq!(issuer(Proof::SupportCode, true, &[]), Issuer::Manager);
        assert_eq!(
            issuer(Proof::SupportCode, false, &[RiskFlag::CompanyBurst]),
            Issuer::Manager
        );
    }

    #[test]
    fn three_failed_checks_end_the_checking() {
        assert!(may_check(0));
        assert!(may_check(MAX_FAILED_CHECKS - 1));
        assert!(!may_check(MAX_FAILED_CHECKS));
    }

    #[test]
    fn flags_go_up_inside_their_windows_only() {
        let quiet = RiskFacts {
            requester_has_mfa: true,
            filed_at: NOW,
            other_requests_for_target: vec![NOW - REPEAT_WINDOW],
            requests_for_company: vec![NOW, NOW - DAY, NOW - DAY - 1, NOW - 2 * DAY],
            requester_mfa_changed_at: Some(NOW - REQUESTER_CHANGE_WINDOW),
            target_last_factor_sign_in: Some(NOW),
        };
        assert_eq!(risk_flags(&quiet, NOW), vec![]);
        let risky = RiskFacts {
            requester_has_mfa: false,
            filed_at: NOW - 1,
            other_requests_for_target: vec![NOW - REPEAT_WINDOW + 1],
            requests_for_company: vec![NOW, NOW - 1, NOW - 2, NOW - DAY + 1],
            requester_mfa_changed_at: Some(NOW - REQUESTER_CHANGE_WINDOW + 1),
            target_last_factor_sign_in: Some(NOW),
        };
        assert_eq!(
            risk_flags(&risky, NOW),
            vec![
                RiskFlag::RepeatTarget,
                RiskFlag::CompanyBurst,
                RiskFlag::RequesterMfaChanged,
                RiskFlag::RequesterWithoutMfa,
                RiskFlag::TargetSignedIn,
            ]
        );
    }

    #[test]
    fn parties_never_act_and_deciders_never_decide_their_own_work() {
        let parties = Parties {
            requester: 1,
            target: 2,
            worked_by: vec![3],
            escalated_by: Some(4),
        };
        assert_eq!(may_act(1, &parties, DeskAction::Work), Err(Conflict::Party));
        assert_eq!(
            may_act(2, &parties, DeskAction::Decide),
            Err(Conflict::Party)
        );
        assert_eq!(may_act(3, &parties, DeskAction::Work), Ok(()));
        assert_eq!(
            may_act(3, &parties, DeskAction::Decide),
            Err(Conflict::OwnWork)
        );
        assert_eq!(
            may_act(4, &parties, DeskAction::Decide),
            Err(Conflict::OwnWork)
        );
        assert_eq!(may_act(5, &parties, DeskAction::Decide), Ok(()));
    }

    #[test]
    fn risky_passes_cool_off_before_they_work_for_a_day() {
        assert_eq!(pass_active_at(NOW, Issuer::Agent, false, DAY), NOW);
        assert_eq!(pass_active_at(NOW, Issuer::Manager, false, DAY), NOW + DAY);
        assert_eq!(pass_active_at(NOW, Issuer::Agent, true, DAY), NOW + DAY);
        let pass = Pass {
            active_at: NOW + DAY,
            used: false,
            cancelled: false,
        };
        assert_eq!(pass.state(NOW + DAY - 1), RequestState::CoolingOff);
        assert_eq!(pass.state(NOW + DAY), RequestState::Active);
        assert_eq!(
            pass.state(NOW + DAY + PASS_LIFETIME - 1),
            RequestState::Active
        );
        assert_eq!(pass.state(NOW + DAY + PASS_LIFETIME), RequestState::Expired);
        let cancelled = Pass {
            cancelled: true,
            ..pass
        };
        assert_eq!(cancelled.state(NOW + DAY), RequestState::Cancelled);
        let used = Pass { used: true, ..pass };
        assert_eq!(used.state(NOW + DAY), RequestState::Used);
    }

    #[test]
    fn persisted_words_round_trip() {
        for state in [
            "open",
            "escalated",
            "denied",
            "cooling_off",
            "active",
            "used",
            "cancelled",
            "expired",
        ] {
            assert_eq!(
                RequestState::parse(state).map(RequestState::as_str),
                Some(state)
            );
        }
        assert_eq!(CheckMethod::parse("card"), Some(CheckMethod::Card));
        assert_eq!(
            RiskFlag::parse("target_signed_in"),
            Some(RiskFlag::TargetSignedIn)
        );
        assert_eq!(CheckMethod::parse("sms"), None);
    }

    #[test]
    fn only_the_platforms_builtin_desk_roles_work_the_desk() {
        assert_eq!(desk_role(true, Some("support")), Some(DeskRole::Agent));
        assert_eq!(desk_role(true, Some("manager")), Some(DeskRole::Manager));
        assert_eq!(desk_role(true, Some("owner")), None);
        assert_eq!(desk_role(false, Some("support")), None);
        assert_eq!(desk_role(true, None), None);
    }

    #[test]
    fn owners_admins_desk_people_contacts_and_people_managers_are_privileged() {
        let plain = |seniority, permissions: &str| TargetFacts {
            seniority,
            permissions: Permissions::parse(permissions),
            ..TargetFacts::default()
        };
        assert!(target_is_privileged(&plain(100, "")));
        assert!(target_is_privileged(&plain(80, "")));
        assert!(!target_is_privileged(&plain(60, "users.read audit.read")));
        assert!(target_is_privileged(&plain(50, "users.mfa_reset")));
        let desk = TargetFacts {
            desk: true,
            ..plain(40, "users.read")
        };
        assert!(target_is_privileged(&desk));
        let contact = TargetFacts {
            contact: true,
            ..plain(10, "")
        };
        assert!(target_is_privileged(&contact));
    }

    #[test]
    fn contacts_ask_about_their_subtree_and_the_platforms_only_about_its_own() {
        assert!(may_ask_about(false, &[1, 5, 9], 5, 9));
        assert!(!may_ask_about(false, &[1, 6, 9], 5, 9));
        assert!(may_ask_about(true, &[1], 1, 1));
        assert!(!may_ask_about(true, &[1, 5, 9], 1, 9));
    }

    #[test]
    fn only_owners_name_the_contacts() {
        assert!(may_manage_contacts(100));
        assert!(!may_manage_contacts(80));
    }

    #[test]
    fn card_details_are_read_in_their_usual_forms() {
        assert_eq!(card_last4(" 4242 ").as_deref(), Some("4242"));
        assert_eq!(card_last4("424"), None);
        assert_eq!(card_last4("42a2"), None);
        assert_eq!(card_expiry("7/29").as_deref(), Some("07/29"));
        assert_eq!(card_expiry("07/2029").as_deref(), Some("07/29"));
        assert_eq!(card_expiry("0729").as_deref(), Some("07/29"));
        assert_eq!(card_expiry("13/29"), None);
        assert_eq!(card_expiry("00/29"), None);
        assert_eq!(card_expiry("07/1999"), None);
        assert_eq!(card_expiry("+7/29"), None);
    }

    #[test]
    fn an_issued_request_shows_its_pass() {
        let pass = Pass {
            active_at: NOW,
            used: false,
            cancelled: false,
        };
        assert_eq!(request_state(Stage::Open, None, NOW), RequestState::Open);
        assert_eq!(
            request_state(Stage::Issued, Some(pass), NOW),
            RequestState::Active
        );
        assert_eq!(
            request_state(Stage::Cancelled, Some(pass), NOW),
            RequestState::Cancelled
        );
        assert!(Stage::Escalated.is_undecided());
        assert!(!Stage::Issued.is_undecided());
    }
}
