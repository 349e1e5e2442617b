//! Names people choose: the names of things others will read (a role, a
//! company, an authenticator), the key that keeps two of them from looking
//! alike, and organization slugs.

use unicode_normalization::UnicodeNormalization;
use unicode_security::confusable_detection::skeleton;
use unicode_security::MixedScript;

use super::text::without_format_chars;

/// A name as it is kept and shown: NFKC (so a full-width "ａｄｍｉｎ" or a
/// decomposed "é" is the name it looks like), without invisible format
/// characters (zero-width, bidirectional overrides), runs of spaces made
/// one, trimmed. None when it holds a control character or its length in
/// characters is outside `min..=max`.
pub fn display_name(text: &str, min: usize, max: usize) -> Option<String> {
    let text: String = without_format_chars(&text.nfkc().collect::<String>());
    if text.chars().any(char::is_control) {
        return None;
    }
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (min..=max).contains(&name.chars().count()).then_some(name)
}

/// The display name, if it writes its letters in one script ([`in_one_script`]).
pub fn one_script(name: String) -> crate::error::Result<String> {
    if in_one_script(&name) {
        Ok(name)
    } else {
        Err(crate::error::AuthError::Invalid(
            "Write the name in one alphabet: it mixes letters of several (such as Latin and Cyrillic) that look alike."
                .into(),
        ))
    }
}

/// Whether a display name writes its letters in one script (digits,
/// spaces and punctuation go with any): "Неlpdesk" with a Cyrillic "Н"
/// mixes two, which is how look-alike names are made.
pub fn in_one_script(display_name: &str) -> bool {
    display_name.is_single_script()
}

/// The key two names must not share within one scope: Unicode's full case
/// folding, then the confusable skeleton of UTS #39. So "ÄRZTE" and
/// "ärzte", "Straße" and "STRASSE", "Admin" and "ADMIN" — and names that
/// only look alike, such as "rn" and "m" — are one name, on both databases
/// (SQLite's `lower()` folds ASCII only).
pub fn name_key(display_name: &str) -> String {
    skeleton(&caseless::default_case_fold_str(display_name)).collect()
}

pub fn valid_slug(slug: &str) -> bool {
    (2..=40).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A slug from a company name: "Acme Widgets Ltd." → "acme-widgets-ltd".
pub fn slug_from_name(name: &str) -> String {
    let mut slug = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_one_way_of_writing_them() {
        assert_eq!(
            display_name("  Help   desk ", 2, 40).as_deref(),
            Some("Help desk")
        );
        // Full-width letters and a decomposed accent read as the plain name.
        assert_eq!(display_name("ＡＤＭＩＮ", 2, 40).as_deref(), Some("ADMIN"));
        assert_eq!(display_name("Cafe\u{301}", 2, 40).as_deref(), Some("Café"));
        // Invisible characters are dropped, so they cannot tell two names apart.
        assert_eq!(
            display_name("Ad\u{200B}min\u{202E}", 2, 40).as_deref(),
            Some("Admin")
        );
        assert_eq!(display_name("a\u{0}b", 0, 40), None);
        assert_eq!(display_name("a\nb", 0, 40), None);
        assert_eq!(display_name(" x ", 2, 40), None);
        assert_eq!(display_name(&"x".repeat(41), 2, 40), None);
        assert_eq!(display_name("", 0, 40).as_deref(), Some(""));
    }

    #[test]
    fn name_keys_ignore_case_in_every_script() {
        assert_eq!(name_key("ÄRZTE Ω"), name_key("ärzte ω"));
        assert_eq!(name_key("Admin"), name_key("ADMIN"));
        assert_ne!(name_key("Admin"), name_key("Admins"));
        assert_eq!(name_key("Straße"), name_key("STRASSE"));
        assert_eq!(name_key("ΟΔΟΣ"), name_key("οδοσ"));
        // Look-alikes across scripts, and within one.
        assert_eq!(name_key("Helpdеsk"), name_key("Helpdesk"));
        assert_eq!(name_key("rn"), name_key("m"));
    }

    #[test]
    fn a_name_writes_its_letters_in_one_script() {
        assert!(in_one_script("Help desk 2"));
        assert!(in_one_script("Служба поддержки"));
        assert!(in_one_script("電話 — 1"));
        assert!(!in_one_script("Неlpdesk"));
        assert!(!in_one_script("Helpdеsk"));
    }

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slug_from_name("Acme Widgets Ltd."), "acme-widgets-ltd");
        assert_eq!(slug_from_name("  Ünïcode & Co "), "n-code-co");
        assert!(valid_slug(&slug_from_name("Globex")));
        assert!(!valid_slug("x"));
    }
}
