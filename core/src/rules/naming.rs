//! Names people choose that become identifiers: organization slugs.

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
    fn slugs_come_from_names() {
        assert_eq!(slug_from_name("Acme Widgets Ltd."), "acme-widgets-ltd");
        assert_eq!(slug_from_name("  Ünïcode & Co "), "n-code-co");
        assert!(valid_slug(&slug_from_name("Globex")));
        assert!(!valid_slug("x"));
    }
}
