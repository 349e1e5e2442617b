//! How an audit entry reads to a person: a sentence ("ada@acme.example
//! disabled MFA for mia@acme.example"), whether it is a failure or a refusal
//! that should stand out, and the browser in two words ("Chrome on Linux").
//! The stored entry keeps its exact action and user agent; these only
//! describe them.

/// Each action with its sentence: `{who}` is the actor, `{whom}` the person
/// it was about. When someone acted on another person and the sentence does
/// not name them, " for {whom}" is added.
const SENTENCES: &[(&str, &str)] = &[
    ("abuse.alert", "Gatehouse raised an alert about resets"),
    (
        "account.reported_not_me",
        "{whom} reported “This wasn't me”; the account was locked",
    ),
    ("audit.exported", "{who} downloaded the audit log"),
    ("contacts.changed", "{who} changed the authorized contacts"),
    ("grant.created", "{who} granted a reset permission"),
    ("grant.revoked", "{who} revoked a reset permission"),
    ("grant.used", "{who} used a reset permission"),
    ("locked_out.answered", "{whom} asked “Locked out?” for help"),
    (
        "locked_out.not_sent",
        "A “Locked out?” email was not sent (too many)",
    ),
    (
        "login.password_delayed",
        "Sign-in paused after wrong passwords",
    ),
    ("login.password_failed", "Wrong password at sign-in"),
    (
        "login.passkey_owed",
        "{who} signed in without a passkey and was asked to add one",
    ),
    (
        "login.recovery_started",
        "{who} signed in by email to replace the authenticator",
    ),
    (
        "login.refused_passkey_required",
        "A code was refused: the role requires signing in with a passkey",
    ),
    (
        "login.refused_ip_limit",
        "Sign-in refused: too many from one address",
    ),
    (
        "login.refused_overloaded",
        "Sign-ins refused while Gatehouse was busy (details: how many since the last entry)",
    ),
    (
        "login.refused_password_delay",
        "Sign-in refused during the pause after wrong passwords",
    ),
    ("login.step_up", "{who} confirmed it was them"),
    ("login.succeeded", "{who} signed in"),
    ("logout", "{who} signed out"),
    ("mfa.code_sent", "A sign-in code was sent to {whom}"),
    (
        "mfa.factor_added",
        "{who} added an authenticator or passkey",
    ),
    (
        "mfa.factor_removed",
        "{who} removed an authenticator or passkey",
    ),
    (
        "mfa.factor_renamed",
        "{who} renamed an authenticator or passkey",
    ),
    ("mfa.failed", "Wrong code at sign-in"),
    ("mfa.locked", "Codes locked after too many wrong ones"),
    ("mfa.recovery_code_used", "{who} used a recovery code"),
    (
        "mfa.recovery_codes_generated",
        "{who} generated new recovery codes",
    ),
    ("mfa.refused_locked", "Code refused: the codes were locked"),
    ("mfa.reset", "{who} disabled MFA"),
    (
        "org.card_on_file_set",
        "{who} set the organization's card on file",
    ),
    ("org.created", "{who} created the organization"),
    ("password.changed", "{who} changed the password"),
    (
        "password.code_checked",
        "{who} confirmed a new password with a code",
    ),
    (
        "password.recheck_failed",
        "Wrong password when confirming a change",
    ),
    (
        "password.reset_link_sent",
        "A password link was emailed to {whom}",
    ),
    (
        "password.reset_not_sent",
        "A password link was not sent (too many)",
    ),
    ("phone.removed", "{who} removed the phone number"),
    (
        "phone.verification_sent",
        "{who} asked for a phone verification code",
    ),
    ("phone.verified", "{who} verified a phone number"),
    ("role.created", "{who} created a role"),
    (
        "role.mfa_required_changed",
        "{who} changed whether a role requires MFA",
    ),
    (
        "role.passkey_required_changed",
        "{who} changed whether a role requires a passkey",
    ),
    ("role.renamed", "{who} renamed a role"),
    ("role.deleted", "{who} deleted a role"),
    ("support.approved", "{who} approved a reset request"),
    ("support.cancelled", "{who} cancelled a reset request"),
    (
        "support.cancelled_by_sign_in",
        "A reset request ended: the person signed in",
    ),
    (
        "support.check_failed",
        "{who} recorded a failed identity check",
    ),
    (
        "support.check_passed",
        "{who} recorded a passed identity check",
    ),
    ("support.code_created", "{who} made a new support code"),
    ("support.denied", "{who} denied a reset request"),
    ("support.escalated", "{who} escalated a reset request"),
    ("support.pass_issued", "{who} issued a reset pass"),
    ("support.pass_used", "{who} used a reset pass"),
    (
        "support.reported",
        "{who} reported a reset request as not theirs",
    ),
    ("support.request_filed", "{who} filed a reset request"),
    ("user.created", "{who} created an account"),
    ("user.deactivated", "{who} deactivated"),
    ("user.invitation_accepted", "{who} accepted the invitation"),
    (
        "user.invitation_not_sent",
        "An invitation was not sent (too many)",
    ),
    ("user.invited", "{who} invited"),
    (
        "user.invitation_resent",
        "{who} sent the invitation again to",
    ),
    ("user.invitation_withdrawn", "{who} withdrew an invitation"),
    ("user.reactivated", "{who} reactivated"),
    ("user.role_changed", "{who} changed the role of"),
    ("user.signed_out_everywhere", "{who} signed out everywhere"),
    ("user.unlocked", "{who} unlocked"),
];

/// Words that take the person acted on right after them ("deactivated mia").
const TAKES_OBJECT: &[&str] = &[
    "user.deactivated",
    "user.invited",
    "user.invitation_resent",
    "user.reactivated",
    "user.role_changed",
    "user.unlocked",
];

/// The entry as a sentence. `actor` and `subject` are how the log names
/// them (an email), if anyone.
pub fn sentence(action: &str, actor: Option<&str>, subject: Option<&str>) -> String {
    let who = actor.unwrap_or("Someone");
    let whom = subject.or(actor).unwrap_or("someone");
    let Some((_, template)) = SENTENCES.iter().find(|(a, _)| *a == action) else {
        return format!("{who}: {action}");
    };
    let mut text = template.replace("{who}", who).replace("{whom}", whom);
    let other = subject.is_some_and(|s| Some(s) != actor);
    if TAKES_OBJECT.contains(&action) {
        text = format!("{text} {}", if other { whom } else { "their own account" });
    } else if other && !template.contains("{whom}") && template.contains("{who}") {
        text = format!("{text} for {whom}");
    }
    text
}

/// A failure or a refusal: wrong passwords and codes, locks, refused
/// sign-ins, failed checks, denials and reports of a reset not asked for.
pub fn is_failure(action: &str) -> bool {
    // Whole words only: "user.unlocked" is no failure, "mfa.locked" is.
    let mut words = action.split(['.', '_']);
    words.any(|word| {
        matches!(
            word,
            "failed" | "refused" | "locked" | "delayed" | "denied" | "reported" | "alert"
        )
    }) || action.ends_with("not_sent")
}

/// The browser and system of a user agent in a few words, or "—".
pub fn short_browser(user_agent: &str) -> String {
    let ua = user_agent;
    if ua.trim().is_empty() || ua == "-" {
        return "—".into();
    }
    // Order matters: Edge and Opera say "Chrome", Chrome says "Safari".
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => format!("A browser on {s}"),
        (None, None) => "Another program".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_as_sentences_naming_who_did_what_to_whom() {
        assert_eq!(
            sentence(
                "mfa.reset",
                Some("ada@acme.example"),
                Some("mia@acme.example")
            ),
            "ada@acme.example disabled MFA for mia@acme.example"
        );
        assert_eq!(
            sentence(
                "mfa.reset",
                Some("mia@acme.example"),
                Some("mia@acme.example")
            ),
            "mia@acme.example disabled MFA"
        );
        assert_eq!(
            sentence(
                "user.deactivated",
                Some("ada@acme.example"),
                Some("mia@acme.example")
            ),
            "ada@acme.example deactivated mia@acme.example"
        );
        assert_eq!(
            sentence(
                "login.succeeded",
                Some("mia@acme.example"),
                Some("mia@acme.example")
            ),
            "mia@acme.example signed in"
        );
        assert_eq!(
            sentence("login.password_failed", None, None),
            "Wrong password at sign-in"
        );
        assert_eq!(
            sentence(
                "account.reported_not_me",
                Some("mia@acme.example"),
                Some("mia@acme.example")
            ),
            "mia@acme.example reported “This wasn't me”; the account was locked"
        );
        // An action the table does not know still says who and what.
        assert_eq!(sentence("brand.new", Some("ada"), None), "ada: brand.new");
    }

    #[test]
    fn every_action_gatehouse_writes_has_a_sentence() {
        for (action, template) in SENTENCES {
            assert!(!template.is_empty(), "{action}");
            assert!(
                !sentence(action, Some("a"), Some("b")).contains('{'),
                "{action}"
            );
        }
    }

    #[test]
    fn failures_and_refusals_stand_out() {
        for action in [
            "login.password_failed",
            "mfa.locked",
            "login.refused_ip_limit",
            "support.denied",
            "account.reported_not_me",
        ] {
            assert!(is_failure(action), "{action}");
        }
        for action in [
            "login.succeeded",
            "mfa.reset",
            "user.unlocked",
            "grant.created",
        ] {
            assert!(!is_failure(action), "{action}");
        }
    }

    #[test]
    fn browsers_are_named_in_a_few_words() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(short_browser(chrome), "Chrome on Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(short_browser(edge), "Edge on Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(short_browser(iphone), "Safari on iOS");
        assert_eq!(short_browser("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0; rv:120.0) Gecko/20100101 Firefox/120.0"), "Firefox on macOS");
        assert_eq!(short_browser("curl/8.5.0"), "curl");
        assert_eq!(short_browser(""), "—");
        assert_eq!(short_browser("gatehouse-cli"), "Another program");
    }
}
