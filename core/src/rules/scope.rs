//! Who may do what, where (DESIGN.md, "Organizations").
//!
//! A permission held in an organization applies to its whole subtree, never
//! upwards or sideways. Inside one organization, roles are ordered by
//! seniority: nobody acts on someone more senior, or hands out a role above
//! their own. An admin of an ancestor organization outranks every role below.
//! Nobody administers their own account here: that is My profile.
//!
//! These rules are pure: the services load the facts and ask.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// See the users of the subtree.
    UsersRead,
    /// Invite, deactivate, unlock, sign out, change roles.
    UsersManage,
    /// Disable a user's MFA (remove their factors and recovery codes).
    UsersMfaReset,
    /// Change what roles may do and whether they require MFA.
    RolesManage,
    /// A partner's customer companies: list them, create them.
    CustomersManage,
    /// Grant a customer the permission to reset MFA, and revoke it.
    GrantsManage,
    /// Read and export the audit log.
    AuditRead,
}

impl Permission {
    pub const ALL: [Permission; 7] = [
        Permission::UsersRead,
        Permission::UsersManage,
        Permission::UsersMfaReset,
        Permission::RolesManage,
        Permission::CustomersManage,
        Permission::GrantsManage,
        Permission::AuditRead,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Permission::UsersRead => "users.read",
            Permission::UsersManage => "users.manage",
            Permission::UsersMfaReset => "users.mfa_reset",
            Permission::RolesManage => "roles.manage",
            Permission::CustomersManage => "customers.manage",
            Permission::GrantsManage => "grants.manage",
            Permission::AuditRead => "audit.read",
        }
    }

    /// What the permission allows, for the roles screen.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::UsersRead => "See users",
            Permission::UsersManage => {
                "Invite, deactivate, unlock and sign out users; change roles"
            }
            Permission::UsersMfaReset => "Disable a user's two-step verification",
            Permission::RolesManage => "Edit roles and their MFA requirement",
            Permission::CustomersManage => "Manage customer companies",
            Permission::GrantsManage => "Grant customers MFA reset permission",
            Permission::AuditRead => "Read and export the audit log",
        }
    }

    /// Whether the permission means anything in an organization of `kind`:
    /// only partners (and the platform) have customers to manage and grant.
    pub fn applies_to(self, kind: OrgKind) -> bool {
        kind != OrgKind::Company || !matches!(self, Self::CustomersManage | Self::GrantsManage)
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A set of permissions, stored as space-separated names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions(Vec<Permission>);

impl Permissions {
    /// Unknown names are ignored (a newer server may have written them).
    pub fn parse(text: &str) -> Self {
        Self::from_iter(text.split_whitespace().filter_map(Permission::parse))
    }

    pub fn has(&self, permission: Permission) -> bool {
        self.0.contains(&permission)
    }

    pub fn is_subset_of(&self, other: &Permissions) -> bool {
        self.0.iter().all(|p| other.has(*p))
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(Permission::name).collect()
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        let mut list: Vec<Permission> = iter.into_iter().collect();
        list.sort();
        list.dedup();
        Self(list)
    }
}

impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(" "))
    }
}

persisted_enum! {
    /// Where an organization sits in the tree: the platform at the root,
    /// partners (MSPs) under it, companies under a partner.
    OrgKind {
        Platform = "platform",
        Partner = "partner",
        Company = "company",
    }
}

impl OrgKind {
    /// Partners sit under the platform; companies under a partner, or
    /// directly under the platform when no MSP is involved.
    pub fn may_sit_under(self, parent: OrgKind) -> bool {
        matches!(
            (self, parent),
            (Self::Partner, Self::Platform)
                | (Self::Company, Self::Partner)
                | (Self::Company, Self::Platform)
        )
    }
}

/// The person calling an administrative operation.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub org_id: i64,
    pub org_kind: OrgKind,
    pub org_name: String,
    pub seniority: i64,
    pub permissions: Permissions,
}

impl Actor {
    /// Whether the caller's organization has customers: a partner (or the platform).
    pub fn is_partner(&self) -> bool {
        self.org_kind != OrgKind::Company
    }
}

/// Where the target of an operation sits.
#[derive(Debug, Clone)]
pub struct Target {
    pub user_id: Option<i64>,
    /// The target's organization and its ancestors, root first.
    pub org_path: Vec<i64>,
    /// The seniority of the target's role (or of the role being handed out).
    pub seniority: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Outside the actor's subtree: answered as "not found", so it does not leak.
    OutOfScope,
    MissingPermission(Permission),
    OwnAccount,
    Outranked,
    /// The role handed out carries a permission the actor does not hold.
    RoleAboveActor(Permission),
    /// An owner who answered "This wasn't me" is reviewed from outside
    /// their organization.
    OwnerReviewedAbove,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::OutOfScope => f.write_str("Not found."),
            Refusal::MissingPermission(p) => write!(
                f,
                "Your role does not allow this ({}).",
                p.describe().to_lowercase()
            ),
            Refusal::OwnAccount => f.write_str(
                "You cannot change your own account here: use My profile for your own sign-in methods.",
            ),
            Refusal::Outranked => f.write_str(
                "That is above your own role: ask someone with a more senior role.",
            ),
            Refusal::OwnerReviewedAbove => f.write_str(
                "An owner who reported a reset they did not ask for is reviewed by your partner or the support desk, not from inside the organization.",
            ),
            Refusal::RoleAboveActor(p) => write!(
                f,
                "That role can do something yours cannot ({}): ask someone who holds every permission of the role.",
                p.describe().to_lowercase()
            ),
        }
    }
}

/// May `actor` use `permission` at all (somewhere in their subtree)?
pub fn require(actor: &Actor, permission: Permission) -> Result<(), Refusal> {
    if actor.permissions.has(permission) {
        Ok(())
    } else {
        Err(Refusal::MissingPermission(permission))
    }
}

/// The seniority of the built-in owner role.
pub const OWNER_SENIORITY: i64 = 100;

/// May `actor` reactivate an account flagged "This wasn't me" (already in
/// scope, with the permission)? An owner's is reviewed from an ancestor — the
/// partner or the platform — since whoever took the owner's account may hold
/// another owner's too.
pub fn may_review_flagged(
    actor: &Actor,
    target_org_id: i64,
    target_seniority: i64,
) -> Result<(), Refusal> {
    if target_seniority >= OWNER_SENIORITY && actor.org_id == target_org_id {
        return Err(Refusal::OwnerReviewedAbove);
    }
    Ok(())
}

/// May `actor` use `permission` on `target`? Scope is checked first, so a
/// target in another tenant is "not found" whatever the actor's role.
pub fn may_act_on(actor: &Actor, permission: Permission, target: &Target) -> Result<(), Refusal> {
    if !target.org_path.contains(&actor.org_id) {
        return Err(Refusal::OutOfScope);
    }
    require(actor, permission)?;
    if target.user_id == Some(actor.user_id) {
        return Err(Refusal::OwnAccount);
    }
    let same_org = target.org_path.last() == Some(&actor.org_id);
    if same_org && target.seniority > actor.seniority {
        return Err(Refusal::Outranked);
    }
    Ok(())
}

/// May `actor` (allowed to manage `role`'s roles) change what the role
/// requires of its members' sign-in — MFA, a passkey? That protection guards
/// everyone who holds the role, so the actor must hold every permission the
/// role grants; and a built-in role (the support desk's among them, whose
/// powers go beyond its permissions) only an actor who holds every
/// permission there is: an owner or an admin.
pub fn may_set_requirements(
    actor: &Actor,
    role_permissions: &Permissions,
    builtin: bool,
) -> Result<(), Refusal> {
    let holds_all = Permission::ALL.iter().all(|p| actor.permissions.has(*p));
    if !role_permissions.is_subset_of(&actor.permissions) || (builtin && !holds_all) {
        return Err(Refusal::Outranked);
    }
    Ok(())
}

/// One thing an admin can do to one user of their list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    DisableMfa,
    ChangeRole,
    Unlock,
    SignOut,
    Deactivate,
    Reactivate,
    /// An invitation nobody has accepted: send it again (a new link) …
    ResendInvitation,
    /// … or take it back (the account that waited for it is deleted).
    WithdrawInvitation,
}

impl UserAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::DisableMfa => "disable_mfa",
            Self::ChangeRole => "change_role",
            Self::Unlock => "unlock",
            Self::SignOut => "sign_out",
            Self::Deactivate => "deactivate",
            Self::Reactivate => "reactivate",
            Self::ResendInvitation => "resend_invitation",
            Self::WithdrawInvitation => "withdraw_invitation",
        }
    }
}

/// Where a listed user stands, as far as the actions on them go.
#[derive(Debug, Clone, Copy)]
pub struct Listed {
    pub has_factors: bool,
    pub locked: bool,
    pub active: bool,
    pub flagged: bool,
    /// Invited, and has not chosen a password yet.
    pub invited: bool,
}

/// What `actor` may do to a user of their list (so in their subtree), given
/// where the user stands: the list offers these and nothing else. Each is
/// decided by the rule the action itself applies ([`may_act_on`],
/// [`may_review_flagged`]); the action checks again when it is done.
pub fn user_actions(actor: &Actor, target: &Target, listed: Listed) -> Vec<UserAction> {
    let may = |permission| may_act_on(actor, permission, target).is_ok();
    let (manage, reset) = (may(Permission::UsersManage), may(Permission::UsersMfaReset));
    let mut actions = Vec::new();
    if reset && listed.has_factors {
        actions.push(UserAction::DisableMfa);
    }
    if manage && listed.invited && listed.active {
        // Nobody has signed in: there is nothing to unlock, reset or sign out.
        return vec![
            UserAction::ResendInvitation,
            UserAction::WithdrawInvitation,
            UserAction::ChangeRole,
        ];
    }
    if manage {
        if listed.locked {
            actions.push(UserAction::Unlock);
        }
        // A reported account's role waits for its review (the action refuses it).
        if !listed.flagged {
            actions.push(UserAction::ChangeRole);
        }
        actions.push(UserAction::SignOut);
        let org_id = target.org_path.last().copied().unwrap_or_default();
        if listed.active {
            actions.push(UserAction::Deactivate);
        } else if !listed.flagged || may_review_flagged(actor, org_id, target.seniority).is_ok() {
            actions.push(UserAction::Reactivate);
        }
    }
    actions
}

/// May `actor` hand out a role with `role_permissions` (invite, change a
/// role, create a customer's owner)? Only when they hold every permission of
/// it themselves: a role is never a way to gain or give more than one has.
/// Scope and seniority are [`may_act_on`]'s job and are checked as well.
pub fn may_hand_out(actor: &Actor, role_permissions: &Permissions) -> Result<(), Refusal> {
    match role_permissions.iter().find(|p| !actor.permissions.has(*p)) {
        Some(missing) => Err(Refusal::RoleAboveActor(missing)),
        None => Ok(()),
    }
}

/// Grants last from one hour to seven days; a day unless said otherwise.
pub const GRANT_MIN_MINUTES: i64 = 60;
pub const GRANT_MAX_MINUTES: i64 = 7 * 24 * 60;
/// Short by default: the smallest grant that lets someone back in.
pub const GRANT_DEFAULT_MINUTES: i64 = 4 * 60;
pub const GRANT_REASON_MAX: usize = 500;

pub fn check_grant(duration_minutes: i64, reason: &str) -> Result<(), String> {
    if !(GRANT_MIN_MINUTES..=GRANT_MAX_MINUTES).contains(&duration_minutes) {
        return Err("The duration must be between 1 hour and 7 days.".into());
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err("Give a reason: the customer's admins and the audit log will show it.".into());
    }
    if reason.chars().count() > GRANT_REASON_MAX {
        return Err(format!(
            "Keep the reason under {GRANT_REASON_MAX} characters."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin_of(org: i64, seniority: i64) -> Actor {
        Actor {
            user_id: 1,
            org_id: org,
            org_kind: OrgKind::Company,
            org_name: "Acme".into(),
            seniority,
            permissions: Permissions::parse("users.read users.manage users.mfa_reset"),
        }
    }

    fn user_in(path: &[i64], seniority: i64) -> Target {
        Target {
            user_id: Some(99),
            org_path: path.to_vec(),
            seniority,
        }
    }

    #[test]
    fn the_list_offers_only_what_the_viewer_may_do_to_that_row() {
        use UserAction::*;
        let standing = Listed {
            has_factors: true,
            locked: false,
            active: true,
            flagged: false,
            invited: false,
        };
        let admin = admin_of(3, 80);
        assert_eq!(
            user_actions(&admin, &user_in(&[1, 2, 3], 10), standing),
            vec![DisableMfa, ChangeRole, SignOut, Deactivate]
        );
        // Someone more senior in the same organization: nothing at all.
        assert!(user_actions(&admin, &user_in(&[1, 2, 3], 100), standing).is_empty());
        // Nor on one's own row.
        let own = Target {
            user_id: Some(admin.user_id),
            ..user_in(&[1, 2, 3], 80)
        };
        assert!(user_actions(&admin, &own, standing).is_empty());
        // Locked rows lead with Unlock; no MFA, nothing to disable.
        let locked = Listed {
            locked: true,
            has_factors: false,
            ..standing
        };
        assert_eq!(
            user_actions(&admin, &user_in(&[1, 2, 3], 10), locked)[0],
            Unlock
        );
        assert!(!user_actions(&admin, &user_in(&[1, 2, 3], 10), locked).contains(&DisableMfa));
        // Without users.manage only the MFA reset is offered.
        let resetter = Actor {
            permissions: Permissions::parse("users.read users.mfa_reset"),
            ..admin_of(3, 80)
        };
        assert_eq!(
            user_actions(&resetter, &user_in(&[1, 2, 3], 10), standing),
            vec![DisableMfa]
        );
        // A flagged owner is reviewed from above: not by a co-owner, but by the partner.
        let flagged = Listed {
            active: false,
            flagged: true,
            ..standing
        };
        let co_owner = admin_of(3, OWNER_SENIORITY);
        assert!(
            !user_actions(&co_owner, &user_in(&[1, 2, 3], OWNER_SENIORITY), flagged)
                .contains(&Reactivate)
        );
        assert!(user_actions(
            &admin_of(2, 80),
            &user_in(&[1, 2, 3], OWNER_SENIORITY),
            flagged
        )
        .contains(&Reactivate));
        assert!(
            !user_actions(&admin_of(2, 80), &user_in(&[1, 2, 3], 10), flagged)
                .contains(&ChangeRole)
        );
        // An invitation waiting for its person: send it again or take it back.
        let invited = Listed {
            has_factors: false,
            invited: true,
            ..standing
        };
        assert_eq!(
            user_actions(&admin, &user_in(&[1, 2, 3], 10), invited),
            vec![ResendInvitation, WithdrawInvitation, ChangeRole]
        );
        // Not by someone without users.manage, nor on someone more senior.
        assert!(user_actions(&resetter, &user_in(&[1, 2, 3], 10), invited).is_empty());
        assert!(user_actions(&admin, &user_in(&[1, 2, 3], 100), invited).is_empty());
    }

    #[test]
    fn permissions_parse_and_print_in_a_stable_order() {
        let p = Permissions::parse("audit.read  users.read bogus users.read");
        assert_eq!(p.to_string(), "users.read audit.read");
        assert!(p.has(Permission::AuditRead));
        assert!(!p.has(Permission::UsersManage));
        assert!(p.is_subset_of(&Permissions::from_iter(Permission::ALL)));
        assert!(!Permissions::from_iter(Permission::ALL).is_subset_of(&p));
        for perm in Permission::ALL {
            assert_eq!(Permission::parse(perm.name()), Some(perm));
        }
    }

    #[test]
    fn a_role_is_handed_out_only_by_someone_holding_all_its_permissions() {
        let limited = Actor {
            permissions: Permissions::parse("users.read users.manage"),
            ..admin_of(3, 50)
        };
        let owner = Permissions::from_iter(Permission::ALL);
        assert_eq!(
            may_hand_out(&limited, &owner),
            Err(Refusal::RoleAboveActor(Permission::UsersMfaReset))
        );
        assert_eq!(may_hand_out(&limited, &Permissions::parse("")), Ok(()));
        assert_eq!(
            may_hand_out(&limited, &Permissions::parse("users.read")),
            Ok(())
        );
        let full = Actor {
            permissions: owner.clone(),
            ..admin_of(2, 80)
        };
        assert_eq!(may_hand_out(&full, &owner), Ok(()));
    }

    #[test]
    fn scope_is_the_subtree_only() {
        // platform 1 → partner 2 → companies 3 and 4; another partner 5 → company 6.
        let msp = admin_of(2, 80);
        assert_eq!(
            may_act_on(&msp, Permission::UsersMfaReset, &user_in(&[1, 2, 3], 100)),
            Ok(()),
            "a partner admin outranks every role of its customers"
        );
        assert_eq!(
            may_act_on(&msp, Permission::UsersMfaReset, &user_in(&[1, 5, 6], 10)),
            Err(Refusal::OutOfScope),
            "another partner's customer"
        );
        assert_eq!(
            may_act_on(&msp, Permission::UsersMfaReset, &user_in(&[1], 10)),
            Err(Refusal::OutOfScope),
            "the parent organization"
        );
        let acme = admin_of(3, 80);
        assert_eq!(
            may_act_on(&acme, Permission::UsersRead, &user_in(&[1, 2, 4], 10)),
            Err(Refusal::OutOfScope),
            "a sibling company"
        );
        assert_eq!(
            may_act_on(&acme, Permission::UsersRead, &user_in(&[1, 2], 10)),
            Err(Refusal::OutOfScope),
            "its own partner"
        );
    }

    #[test]
    fn scope_is_checked_before_permission_so_nothing_leaks() {
        let member = Actor {
            permissions: Permissions::default(),
            ..admin_of(3, 10)
        };
        assert_eq!(
            may_act_on(&member, Permission::UsersRead, &user_in(&[1, 2, 4], 10)),
            Err(Refusal::OutOfScope)
        );
        assert_eq!(
            may_act_on(&member, Permission::UsersRead, &user_in(&[1, 2, 3], 10)),
            Err(Refusal::MissingPermission(Permission::UsersRead))
        );
    }

    #[test]
    fn nobody_acts_on_themselves_or_above_their_role() {
        let admin = admin_of(3, 80);
        let mut me = user_in(&[1, 2, 3], 80);
        me.user_id = Some(admin.user_id);
        assert_eq!(
            may_act_on(&admin, Permission::UsersManage, &me),
            Err(Refusal::OwnAccount)
        );
        assert_eq!(
            may_act_on(&admin, Permission::UsersManage, &user_in(&[1, 2, 3], 100)),
            Err(Refusal::Outranked),
            "an admin cannot act on the owner"
        );
        assert_eq!(
            may_act_on(&admin, Permission::UsersManage, &user_in(&[1, 2, 3], 80)),
            Ok(()),
            "a peer admin is fair game"
        );
    }

    #[test]
    fn grants_last_an_hour_to_a_week_and_need_a_reason() {
        assert!(check_grant(GRANT_DEFAULT_MINUTES, "Lost phone, ticket 4411").is_ok());
        assert!(check_grant(59, "x").is_err());
        assert!(check_grant(GRANT_MAX_MINUTES + 1, "x").is_err());
        assert!(check_grant(60, "   ").is_err());
        assert!(check_grant(60, &"x".repeat(501)).is_err());
    }

    #[test]
    fn partners_sit_under_the_platform_and_companies_under_a_partner() {
        use OrgKind::*;
        assert!(Partner.may_sit_under(Platform));
        assert!(Company.may_sit_under(Partner));
        assert!(Company.may_sit_under(Platform));
        assert!(!Partner.may_sit_under(Partner));
        assert!(!Company.may_sit_under(Company));
        assert!(!Platform.may_sit_under(Platform));
        assert_eq!(OrgKind::parse("partner"), Some(Partner));
        assert_eq!(OrgKind::parse("msp"), None);
    }

    #[test]
    fn requirements_of_a_role_are_set_by_whoever_holds_its_permissions_and_of_built_in_ones_by_admins(
    ) {
        let actor = |names: &str| Actor {
            user_id: 1,
            org_id: 1,
            org_kind: OrgKind::Platform,
            org_name: "Platform".into(),
            seniority: 50,
            permissions: Permissions::parse(names),
        };
        let desk = Permissions::parse("users.read audit.read");
        // Only roles.manage: neither the desk's built-in role nor a custom one like it.
        assert_eq!(
            may_set_requirements(&actor("roles.manage"), &desk, true),
            Err(Refusal::Outranked)
        );
        assert_eq!(
            may_set_requirements(&actor("roles.manage"), &desk, false),
            Err(Refusal::Outranked)
        );
        // Holding the role's permissions is enough for a custom role…
        let lead = actor("roles.manage users.read audit.read");
        assert_eq!(may_set_requirements(&lead, &desk, false), Ok(()));
        // …but a built-in role takes every permission.
        assert_eq!(
            may_set_requirements(&lead, &desk, true),
            Err(Refusal::Outranked)
        );
        let admin = actor(&Permission::ALL.map(Permission::name).join(" "));
        assert_eq!(may_set_requirements(&admin, &desk, true), Ok(()));
    }
}
