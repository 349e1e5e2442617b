//! Email addresses and phone numbers as people type them, normalised and
//! checked, and masked for display.

use crate::crypto;

/// `+447700900123` from what people type (`+44 7700 900123`, `+1 (555) 010-9999`).
pub fn normalize_phone(input: &str) -> Option<String> {
    let kept: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = kept.strip_prefix('+')?;
    (digits.len() >= 8
        && digits.len() <= 15
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0'))
    .then(|| format!("+{digits}"))
}

/// `+44•••••••23`: enough to recognise one's own number, not to learn it.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let keep_end = 2.min(chars.len());
    let keep_start = 3.min(chars.len() - keep_end);
    let hidden = chars.len() - keep_start - keep_end;
    format!(
        "{}{}{}",
        chars[..keep_start].iter().collect::<String>(),
        "•".repeat(hidden),
        chars[chars.len() - keep_end..].iter().collect::<String>()
    )
}

pub fn account_key(email: &str) -> String {
    format!(
        "acct:{}",
        crypto::sha256_hex(normalize_email(email).as_bytes())
    )
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn valid_email(email: &str) -> bool {
    let parts: Vec<&str> = email.split('@').collect();
    parts.len() == 2
        && !parts[0].is_empty()
        && parts[1].contains('.')
        && !parts[1].starts_with('.')
        && !parts[1].ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
        assert!(valid_email("ada@example.com"));
        assert!(!valid_email("ada@example"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("ada@@example.com"));
    }

    #[test]
    fn phone_numbers_are_normalized_and_masked() {
        assert_eq!(
            normalize_phone("+44 7700 900123").as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            normalize_phone("+1 (555) 010-9999").as_deref(),
            Some("+15550109999")
        );
        assert_eq!(
            normalize_phone("07700 900123"),
            None,
            "needs the country code"
        );
        assert_eq!(normalize_phone("+12"), None);
        assert_eq!(normalize_phone("+44 77x0 900123"), None);
        assert_eq!(mask_phone("+447700900123"), "+44••••••••23");
    }
}
