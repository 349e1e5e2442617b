//! The kinds of second factor, and the rules of a passkey ceremony.

/// A second factor a person holds: an authenticator app (a shared secret
/// that makes codes) or a passkey (a key pair in a device or password
/// manager, bound to this site's domain, so it cannot be phished).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    Totp,
    Passkey,
}

impl FactorKind {
    /// The name stored in `mfa_factors.kind` and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::Passkey => "passkey",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        [Self::Totp, Self::Passkey]
            .into_iter()
            .find(|k| k.as_str() == kind)
    }

    /// What a person calls it, in a sentence.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Totp => "authenticator",
            Self::Passkey => "passkey",
        }
    }

    /// The name a new one gets when its owner gives none: the `nth` of its kind.
    pub fn default_label(self, nth: usize) -> String {
        let base = match self {
            Self::Totp => "Authenticator app",
            Self::Passkey => "Passkey",
        };
        if nth <= 1 {
            base.to_string()
        } else {
            format!("{base} {nth}")
        }
    }
}

/// How long the browser (or app) has between asking for a passkey
/// ceremony's options and answering them: the person finds their device,
/// unlocks it, touches it.
pub const CEREMONY_TTL: i64 = 5 * 60;

/// Unfinished ceremonies kept per user and purpose (per sign-in attempt at
/// sign-in); asking for more ends the oldest.
pub const OPEN_CEREMONIES: i64 = 5;

/// Passkeys one account may have: enough for every device a person owns,
/// few enough that each sign-in's options stay small.
pub const MAX_PASSKEYS: usize = 10;

/// Whether an account with `passkeys` of them may add one more.
pub fn may_add_passkey(passkeys: usize) -> bool {
    passkeys < MAX_PASSKEYS
}

/// Whether a ceremony that expires at `expires_at` may still be finished at `now`.
pub fn ceremony_is_live(expires_at: i64, now: i64) -> bool {
    now < expires_at
}

/// Whether a role's "Passkey required" is in force: passkeys must work here
/// (a public URL with a domain name). On an IP address nobody could add
/// one, so the switch then asks nothing rather than locking the role out.
pub fn passkey_required(role_requires: bool, passkeys_work: bool) -> bool {
    role_requires && passkeys_work
}

/// What "Passkey required" makes of a second step proved with a factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyRule {
    /// Signed in: nothing is required, or the passkey was used.
    Satisfied,
    /// Another factor proved it, and the person has no passkey yet: they
    /// add one before the sign-in finishes (once, on the way to passkeys).
    Owed,
    /// Another factor, though the person has a passkey: refused before the
    /// code is even checked — a code is what a fake sign-in page relays.
    /// A lost passkey is replaced through recovery (email, an admin, the
    /// desk), which ends in a new passkey.
    Refused,
}

/// The rule for a second step where a passkey is `required` (in force), for
/// a person who `has_passkey`, proved with a passkey or not.
pub fn passkey_rule(required: bool, has_passkey: bool, proved_with_passkey: bool) -> PasskeyRule {
    if !required || proved_with_passkey {
        PasskeyRule::Satisfied
    } else if has_passkey {
        PasskeyRule::Refused
    } else {
        PasskeyRule::Owed
    }
}

/// Whether a passkey may be removed, leaving `passkeys_after` of them: where
/// one is required, the last one stays (a new one can be added first).
pub fn may_remove_passkey(required: bool, passkeys_after: usize) -> bool {
    !required || passkeys_after > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_kinds_are_refused() {
        for kind in [FactorKind::Totp, FactorKind::Passkey] {
            assert_eq!(FactorKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(FactorKind::parse("sms"), None);
        assert_eq!(FactorKind::parse("Passkey"), None);
    }

    #[test]
    fn default_labels_count_from_the_second() {
        assert_eq!(FactorKind::Passkey.default_label(1), "Passkey");
        assert_eq!(FactorKind::Passkey.default_label(3), "Passkey 3");
        assert_eq!(FactorKind::Totp.default_label(0), "Authenticator app");
        assert_eq!(FactorKind::Totp.default_label(2), "Authenticator app 2");
    }

    #[test]
    fn ten_passkeys_at_most() {
        assert!(may_add_passkey(0));
        assert!(may_add_passkey(9));
        assert!(!may_add_passkey(10));
        assert!(!may_add_passkey(11));
    }

    #[test]
    fn a_ceremony_ends_at_its_expiry() {
        let start = 1_000;
        let expires = start + CEREMONY_TTL;
        assert!(ceremony_is_live(expires, start));
        assert!(ceremony_is_live(expires, expires - 1));
        assert!(!ceremony_is_live(expires, expires));
        assert!(!ceremony_is_live(expires, expires + 1));
    }

    #[test]
    fn passkey_required_asks_nothing_where_passkeys_do_not_work() {
        assert!(passkey_required(true, true));
        assert!(!passkey_required(true, false));
        assert!(!passkey_required(false, true));
    }

    #[test]
    fn where_a_passkey_is_required_a_code_adds_one_or_is_refused() {
        use PasskeyRule::*;
        // Nothing required: any factor signs in.
        assert_eq!(passkey_rule(false, false, false), Satisfied);
        assert_eq!(passkey_rule(false, true, false), Satisfied);
        // The passkey itself always does.
        assert_eq!(passkey_rule(true, true, true), Satisfied);
        // A code from someone with no passkey yet: they add one.
        assert_eq!(passkey_rule(true, false, false), Owed);
        // A code from someone who has one: refused.
        assert_eq!(passkey_rule(true, true, false), Refused);
    }

    #[test]
    fn the_last_passkey_of_a_passkey_required_role_stays() {
        assert!(!may_remove_passkey(true, 0));
        assert!(may_remove_passkey(true, 1));
        assert!(may_remove_passkey(false, 0));
    }
}
