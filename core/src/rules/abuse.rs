//! Abuse signals: help-desk fraud shows up as clusters of MFA resets. When
//! more resets than a threshold take effect within a sliding window, in one
//! organization or across the platform, the people who can stop it are told
//! — once per burst, not once per reset.
//!
//! These rules are pure: the service counts the resets under a lock and asks.

use super::scope::OrgKind;

persisted_enum! {
    /// The ways a reset of someone's MFA takes effect (every one is counted).
    ResetKind {
        /// The user reset their own MFA from My profile.
        SelfReset = "self_reset",
        /// An admin used "Disable MFA" on the user.
        AdminDisable = "admin_disable",
        /// The user signed in by an emailed code or link and replaced their authenticator.
        EmailRecovery = "email_recovery",
        /// A partner's reset permission (grant) was used.
        Grant = "grant",
        /// A support desk's reset pass was used.
        SupportPass = "support_pass",
    }
}

impl ResetKind {
    pub const ALL: [ResetKind; 5] = [
        ResetKind::SelfReset,
        ResetKind::AdminDisable,
        ResetKind::EmailRecovery,
        ResetKind::Grant,
        ResetKind::SupportPass,
    ];

    /// How a message names it after a count ("3 by an administrator").
    pub fn describe(self) -> &'static str {
        match self {
            ResetKind::SelfReset => "by the user themselves (My profile)",
            ResetKind::AdminDisable => "by an administrator (Disable MFA)",
            ResetKind::EmailRecovery => "by email recovery",
            ResetKind::Grant => "with a partner's reset permission",
            ResetKind::SupportPass => "with a support desk reset pass",
        }
    }
}

impl ResetKind {
    /// The kind of a reset from My profile or "Disable MFA": by the user
    /// themselves, or by someone else (an admin, or the operator's command).
    pub fn of_mfa_reset(actor_id: Option<i64>, user_id: i64) -> Self {
        if actor_id == Some(user_id) {
            ResetKind::SelfReset
        } else {
            ResetKind::AdminDisable
        }
    }
}

persisted_enum! {
    /// What an alert counted: one organization's resets, or everyone's.
    AlertScope {
        Company = "company",
        Platform = "platform",
    }
}

/// More than `resets` resets within `window` seconds raise an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub resets: i64,
    pub window: i64,
}

impl Threshold {
    /// Whether `count` resets inside the window are too many.
    pub fn exceeded(self, count: i64) -> bool {
        count > self.resets
    }

    /// The first second still inside the window that ends at `now` (the
    /// store counts `at >= window_start`, later ones included: see [`within`]).
    pub fn window_start(self, now: i64) -> i64 {
        now - self.window + 1
    }
}

/// The two thresholds (settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Per organization: default more than 3 in 24 hours.
    pub company: Threshold,
    /// Across the platform: default more than 10 in one hour.
    pub platform: Threshold,
}

pub const DEFAULT_COMPANY_RESETS: i64 = 3;
pub const DEFAULT_COMPANY_WINDOW: i64 = 24 * 3600;
pub const DEFAULT_PLATFORM_RESETS: i64 = 10;
pub const DEFAULT_PLATFORM_WINDOW: i64 = 3600;

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            company: Threshold {
                resets: DEFAULT_COMPANY_RESETS,
                window: DEFAULT_COMPANY_WINDOW,
            },
            platform: Threshold {
                resets: DEFAULT_PLATFORM_RESETS,
                window: DEFAULT_PLATFORM_WINDOW,
            },
        }
    }
}

impl Thresholds {
    pub fn of(&self, scope: AlertScope) -> Threshold {
        match scope {
            AlertScope::Company => self.company,
            AlertScope::Platform => self.platform,
        }
    }
}

/// The longest window a setting may choose (alerts are kept and shown for
/// their window, so the banners' query looks back this far).
pub const MAX_WINDOW: i64 = 30 * 24 * 3600;

/// Which alerts someone sees on their screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertReader {
    /// The support desk (agents and managers): every alert.
    Desk,
    /// An owner or admin of a partner: the alerts about its organizations.
    Partner,
}

/// The desk sees every alert; a partner's owners and admins (the people its
/// alerts are mailed to) see their customers'; nobody else sees any.
pub fn alert_reader(desk: bool, org_kind: OrgKind, role: &str) -> Option<AlertReader> {
    if desk {
        Some(AlertReader::Desk)
    } else if org_kind == OrgKind::Partner && matches!(role, "owner" | "admin") {
        Some(AlertReader::Partner)
    } else {
        None
    }
}

/// The partner whose admins hear about an organization's alert: the
/// organization itself when it is a partner, else its parent when that is
/// one (a company directly under the platform has none).
pub fn responsible_partner(org: (i64, OrgKind), parent: Option<(i64, OrgKind)>) -> Option<i64> {
    match (org, parent) {
        ((id, OrgKind::Partner), _) => Some(id),
        ((_, OrgKind::Company), Some((parent, OrgKind::Partner))) => Some(parent),
        _ => None,
    }
}

/// Whether `at` lies inside the `window` seconds that end at `now`. A time
/// after `now` is inside too: a request reads the clock once, then may wait
/// for the lock while others record resets and alerts "later" (or another
/// app server's clock runs ahead) — they belong to the same burst.
pub fn within(at: i64, now: i64, window: i64) -> bool {
    now - at < window
}

/// Whether a new alert is due for a scope: too many resets inside the
/// window, and no earlier alert of that scope still inside it. One alert per
/// burst: the resets after the one that tipped it are part of the same
/// burst until the window has moved past the alert.
pub fn alert_due(threshold: Threshold, count: i64, last_alert_at: Option<i64>, now: i64) -> bool {
    threshold.exceeded(count) && !last_alert_at.is_some_and(|at| within(at, now, threshold.window))
}

/// Whether an alert raised at `at` with its `window` is still shown.
pub fn alert_showing(at: i64, window: i64, now: i64) -> bool {
    within(at, now, window)
}

/// The resets inside a window, summed from the store's rows of
/// (organization, kind, how many, the earliest).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub resets: i64,
    /// How many of each kind, in [`ResetKind::ALL`] order, none with 0.
    pub kinds: Vec<(ResetKind, i64)>,
    /// How many organizations they happened in.
    pub organizations: i64,
    /// The earliest reset counted.
    pub since: Option<i64>,
}

pub fn tally(rows: &[(i64, ResetKind, i64, i64)]) -> Tally {
    let mut orgs: Vec<i64> = rows.iter().map(|r| r.0).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let kinds = ResetKind::ALL
        .into_iter()
        .map(|kind| {
            let n = rows.iter().filter(|r| r.1 == kind).map(|r| r.2).sum();
            (kind, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    Tally {
        resets: rows.iter().map(|r| r.2).sum(),
        kinds,
        organizations: orgs.len() as i64,
        since: rows.iter().map(|r| r.3).min(),
    }
}

/// "24 hours", "1 hour", "90 minutes", "2 days", "45 seconds".
pub fn describe_window(seconds: i64) -> String {
    let unit = |n: i64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if seconds >= 2 * 86_400 && seconds % 86_400 == 0 {
        unit(seconds / 86_400, "day")
    } else if seconds >= 3600 && seconds % 3600 == 0 {
        unit(seconds / 3600, "hour")
    } else if seconds >= 60 && seconds % 60 == 0 {
        unit(seconds / 60, "minute")
    } else {
        unit(seconds, "second")
    }
}

/// "3 by an administrator (Disable MFA), 1 by email recovery".
pub fn describe_kinds(kinds: &[(ResetKind, i64)]) -> String {
    kinds
        .iter()
        .map(|(kind, n)| format!("{n} {}", kind.describe()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 24 * 3600;

    fn company() -> Threshold {
        Thresholds::default().company
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let t = Thresholds::default();
        assert_eq!(
            (t.company.resets, t.company.window),
            (3, DAY),
            "more than 3 in 24 hours per company"
        );
        assert_eq!(
            (t.platform.resets, t.platform.window),
            (10, 3600),
            "more than 10 in an hour across the platform"
        );
        assert_eq!(t.of(AlertScope::Platform), t.platform);
        assert_eq!(t.of(AlertScope::Company), t.company);
    }

    #[test]
    fn a_threshold_is_exceeded_only_above_it() {
        assert!(!company().exceeded(0));
        assert!(
            !company().exceeded(3),
            "3 resets are the threshold, not above it"
        );
        assert!(company().exceeded(4));
        let one = Threshold {
            resets: 1,
            window: 60,
        };
        assert!(!one.exceeded(1));
        assert!(one.exceeded(2));
    }

    #[test]
    fn the_window_holds_exactly_its_seconds() {
        let t = company();
        let start = t.window_start(NOW);
        assert!(within(start, NOW, t.window), "the first second is inside");
        assert!(!within(start - 1, NOW, t.window), "the one before is not");
        assert!(within(NOW, NOW, t.window));
        assert!(
            within(NOW + 5, NOW, t.window),
            "recorded by a request that read the clock after this one"
        );
        assert_eq!(NOW - start + 1, DAY, "{} seconds", NOW - start + 1);
    }

    #[test]
    fn an_alert_is_due_once_per_burst() {
        let t = company();
        assert!(!alert_due(t, 3, None, NOW), "at the threshold: nothing");
        assert!(alert_due(t, 4, None, NOW), "above it, no earlier alert");
        assert!(
            !alert_due(t, 5, Some(NOW - 60), NOW),
            "the 5th reset of the same burst: already alerted"
        );
        assert!(
            !alert_due(t, 30, Some(NOW - DAY + 1), NOW),
            "the earlier alert is still inside the window"
        );
        assert!(
            !alert_due(t, 4, Some(NOW + 2), NOW),
            "an alert raised while this request waited for the lock"
        );
        assert!(
            alert_due(t, 4, Some(NOW - DAY), NOW),
            "once the window has moved past the earlier alert, a new burst alerts again"
        );
        assert!(
            !alert_due(t, 3, Some(NOW - 10 * DAY), NOW),
            "an old alert alone raises nothing"
        );
    }

    #[test]
    fn an_alert_shows_while_its_window_lasts() {
        assert!(alert_showing(NOW - 10, 3600, NOW));
        assert!(alert_showing(NOW - 3599, 3600, NOW));
        assert!(!alert_showing(NOW - 3600, 3600, NOW));
    }

    #[test]
    fn a_tally_sums_kinds_and_organizations_and_finds_the_first() {
        let rows = [
            (7, ResetKind::AdminDisable, 2, NOW - 50),
            (7, ResetKind::EmailRecovery, 1, NOW - 90),
            (8, ResetKind::AdminDisable, 1, NOW - 10),
            (8, ResetKind::SupportPass, 3, NOW - 20),
        ];
        let t = tally(&rows);
        assert_eq!(t.resets, 7);
        assert_eq!(t.organizations, 2);
        assert_eq!(t.since, Some(NOW - 90));
        assert_eq!(
            t.kinds,
            vec![
                (ResetKind::AdminDisable, 3),
                (ResetKind::EmailRecovery, 1),
                (ResetKind::SupportPass, 3)
            ]
        );
        assert_eq!(tally(&[]), Tally::default());
    }

    #[test]
    fn words_for_windows_and_kinds() {
        assert_eq!(describe_window(86_400), "24 hours");
        assert_eq!(describe_window(3600), "1 hour");
        assert_eq!(describe_window(2 * 86_400), "2 days");
        assert_eq!(describe_window(5400), "90 minutes");
        assert_eq!(describe_window(61), "61 seconds");
        assert_eq!(
            describe_kinds(&[(ResetKind::AdminDisable, 3), (ResetKind::EmailRecovery, 1)]),
            "3 by an administrator (Disable MFA), 1 by email recovery"
        );
    }

    #[test]
    fn who_reset_decides_the_kind() {
        assert_eq!(ResetKind::of_mfa_reset(Some(5), 5), ResetKind::SelfReset);
        assert_eq!(ResetKind::of_mfa_reset(Some(1), 5), ResetKind::AdminDisable);
        assert_eq!(
            ResetKind::of_mfa_reset(None, 5),
            ResetKind::AdminDisable,
            "the operator's command is someone else"
        );
    }

    #[test]
    fn only_the_desk_and_partner_admins_read_alerts() {
        use OrgKind::*;
        assert_eq!(
            alert_reader(true, Platform, "manager"),
            Some(AlertReader::Desk)
        );
        assert_eq!(
            alert_reader(true, Platform, "support"),
            Some(AlertReader::Desk)
        );
        assert_eq!(
            alert_reader(false, Partner, "owner"),
            Some(AlertReader::Partner)
        );
        assert_eq!(
            alert_reader(false, Partner, "admin"),
            Some(AlertReader::Partner)
        );
        assert_eq!(alert_reader(false, Partner, "member"), None);
        assert_eq!(
            alert_reader(false, Company, "admin"),
            None,
            "a customer's admin"
        );
        assert_eq!(alert_reader(false, Company, "owner"), None);
        assert_eq!(alert_reader(false, Platform, "owner"), None, "not the desk");
    }

    #[test]
    fn a_partner_hears_about_its_customers_and_itself() {
        use OrgKind::*;
        assert_eq!(
            responsible_partner((7, Company), Some((3, Partner))),
            Some(3)
        );
        assert_eq!(
            responsible_partner((3, Partner), Some((1, Platform))),
            Some(3)
        );
        assert_eq!(responsible_partner((7, Company), Some((1, Platform))), None);
        assert_eq!(responsible_partner((1, Platform), None), None);
    }

    #[test]
    fn kinds_are_stored_as_their_words() {
        for kind in ResetKind::ALL {
            assert_eq!(ResetKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ResetKind::parse("other"), None);
        assert_eq!(AlertScope::parse("platform"), Some(AlertScope::Platform));
    }
}
