//! Building the URLs the app sends people to: query values, one-time
//! parameters, and return paths that stay on this site.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Percent-encodes a query value.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `path` with `key=value` in its query, in place of any `key` it had.
pub fn with_param(path: &str, key: &str, value: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let pair = format!("{key}={value}");
    let mut pairs = pairs_without(query, &[key]);
    pairs.push(&pair);
    joined(base, &pairs)
}

/// The `key=value` pairs of `query` (after its `?`), without the empty ones
/// and those whose key is in `dropped`.
pub fn pairs_without<'a>(query: &'a str, dropped: &[&str]) -> Vec<&'a str> {
    query
        .split('&')
        .filter(|pair| {
            !pair.is_empty()
                && !dropped.iter().any(|key| {
                    pair.strip_prefix(key)
                        .is_some_and(|rest| rest.starts_with('='))
                })
        })
        .collect()
}

/// `path` with the pairs as its query (none: no `?`).
fn joined(path: &str, pairs: &[&str]) -> String {
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", pairs.join("&"))
    }
}

/// The parameters a page shows once: its notice, its error, the form the
/// error is about and the refusal's kept words. A link onward leaves them off.
pub const MESSAGE_PARAMS: [&str; 5] = ["notice", "flash", "error", "form", "said"];

/// Where an admin action goes back to: `/admin…` paths only, without a
/// confirmation or a previous message.
#[cfg(feature = "ssr")]
pub fn safe_admin_path(back: &str) -> String {
    let back = gatehouse_core::rules::return_path::or_home(back);
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    if path != "/admin" {
        return "/admin".into();
    }
    let mut dropped = vec!["confirm", "user"];
    dropped.extend(MESSAGE_PARAMS);
    let kept = pairs_without(query, &dropped);
    joined(path, &kept)
}

/// A query parameter of the current page, or "".
pub fn param(name: &'static str) -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).unwrap_or_default())
}

/// A numeric query parameter of the current page, if it is one.
pub fn param_i64(name: &'static str) -> Memo<Option<i64>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get(name).and_then(|v| v.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_is_set_once() {
        assert_eq!(with_param("/admin", "flash", "b"), "/admin?flash=b");
        assert_eq!(
            with_param("/admin?flash=a&q=x", "flash", "b"),
            "/admin?q=x&flash=b"
        );
    }

    #[test]
    fn query_values_keep_their_own_query_intact() {
        assert_eq!(
            url_encode("/admin?q=a b&page=2"),
            "/admin%3Fq%3Da%20b%26page%3D2"
        );
        assert_eq!(url_encode("2026-11-23"), "2026-11-23");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn admin_actions_return_only_to_the_user_list_without_stale_parameters() {
        assert_eq!(
            safe_admin_path("/admin?q=ada&confirm=disable_mfa&user=7&page=2"),
            "/admin?q=ada&page=2"
        );
        assert_eq!(safe_admin_path("/admin?notice=x"), "/admin");
        assert_eq!(safe_admin_path("/adminq=1"), "/admin");
        assert_eq!(safe_admin_path("//evil.example/admin"), "/admin");
        assert_eq!(safe_admin_path("/profile"), "/admin");
    }
}
