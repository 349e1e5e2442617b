//! Where a browser may be sent back to after a form (`next`, `back`).
//!
//! A return path is accepted only when it is a plain path on this site:
//! - it starts with `/`;
//! - it contains no `//` (a scheme-relative URL names another host) and no `\`
//!   (browsers read it as `/`);
//! - it contains no control character and no whitespace (browsers drop tabs
//!   and newlines from URLs, so `/<TAB>/evil.example` becomes `//evil.example`);
//! - all of the above also hold after percent-decoding, repeatedly: `%09`,
//!   `%2F%2F`, `%5C`, `%0A`, `%20`, and anything that decodes to them
//!   (`%252F`), are refused. A path that is still changing after a few rounds
//!   of decoding, or that decodes to bytes that are not UTF-8, is refused too.
//!
//! Anything else goes home (`/`).

/// Rounds of percent-decoding before a path is judged too nested to be plain.
const MAX_DECODING_ROUNDS: usize = 3;

/// `path` when it is a plain path on this site, else `/`.
pub fn or_home(path: &str) -> &str {
    if is_plain_path(path) {
        path
    } else {
        "/"
    }
}

/// Whether `path` is a plain path on this site (see the module's rules).
pub fn is_plain_path(path: &str) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    let mut current = path.to_string();
    for _ in 0..=MAX_DECODING_ROUNDS {
        if !plain(&current) {
            return false;
        }
        let Some(decoded) = percent_decode(&current) else {
            return false;
        };
        if decoded == current {
            return true;
        }
        current = decoded;
    }
    false
}

fn plain(text: &str) -> bool {
    !text.contains("//")
        && !text.contains('\\')
        && !text.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// One round of percent-decoding; a `%` not followed by two hex digits stays
/// as it is. None when the result is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_this_site_are_kept() {
        for path in [
            "/",
            "/profile",
            "/admin?q=ada+lovelace&page=2",
            "/admin?confirm=disable_mfa&user=7",
            "/profile?confirm=remove_factor&factor=3",
            "/msp/customers?grant=12",
            "/confirm-identity?next=%2Fprofile",
            "/admin?q=ada%40example.com",
            "/audit?q=100%",
            "/a%zzb",
            "/r%C3%B4le",
            "/path#section",
        ] {
            assert!(is_plain_path(path), "{path}");
            assert_eq!(or_home(path), path);
        }
    }

    #[test]
    fn other_sites_and_relative_paths_go_home() {
        for path in [
            "",
            "profile",
            "https://evil.example/",
            "http:/evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/admin//evil",
            "javascript:alert(1)",
            " /profile",
        ] {
            assert!(!is_plain_path(path), "{path:?}");
            assert_eq!(or_home(path), "/");
        }
    }

    #[test]
    fn control_characters_and_whitespace_are_refused_raw() {
        for path in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/ /evil.example",
            "/profile\u{0}",
            "/profile\u{7f}",
            "/profile\u{85}",
            "/profile\u{a0}",
            "/profile\u{2028}",
            "/profile\u{3000}",
            "/profile ",
        ] {
            assert_eq!(or_home(path), "/", "{path:?}");
        }
    }

    #[test]
    fn encoded_forms_are_refused_too() {
        for path in [
            "/%09/evil.example",
            "/%0A/evil.example",
            "/%0d/evil.example",
            "/%20/evil.example",
            "/%00",
            "/%7F",
            "/%C2%A0",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "%2F%2Fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/profile?next=%2F%2Fevil.example",
        ] {
            assert_eq!(or_home(path), "/", "{path:?}");
        }
    }

    #[test]
    fn anything_that_decodes_to_a_refused_form_is_refused() {
        for path in [
            "/%2509/evil.example",
            "/%252F%252Fevil.example",
            "/%255C",
            "/%25252F%25252Fevil.example",
            "/%2525252F",
            "/%FF",
            "/%C3",
        ] {
            assert_eq!(or_home(path), "/", "{path:?}");
        }
    }

    #[test]
    fn decoding_is_lenient_about_stray_percent_signs() {
        assert_eq!(percent_decode("/a%2Fb%"), Some("/a/b%".into()));
        assert_eq!(percent_decode("/%4"), Some("/%4".into()));
        assert_eq!(percent_decode("/%é"), Some("/%é".into()));
        assert_eq!(percent_decode("/%FF"), None);
    }
}
