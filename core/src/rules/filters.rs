//! The filters of the administration lists, parsed once from what a browser
//! form or an API query string sends, so both transports accept the same
//! words and refuse the same mistakes.

use crate::error::AuthError;
use crate::rules::scope::{Permission, Permissions};

/// Which users a list shows.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the email or name.
    pub query: String,
    pub mfa_on: Option<bool>,
    pub locked: Option<bool>,
    pub role_id: Option<i64>,
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    /// Only people who can sign in now: active, past their invitation.
    pub able_to_sign_in: bool,
}

impl UserFilter {
    /// `mfa` is `on` or `off`, `locked` is `true`/`yes` or `false`/`no`;
    /// anything else (an empty select) means "either".
    pub fn from_params(
        query: &str,
        mfa: &str,
        locked: &str,
        role_id: Option<i64>,
        org_id: Option<i64>,
    ) -> Self {
        Self {
            query: query.to_string(),
            mfa_on: match mfa {
                "on" => Some(true),
                "off" => Some(false),
                _ => None,
            },
            locked: match locked {
                "true" | "yes" => Some(true),
                "false" | "no" => Some(false),
                _ => None,
            },
            role_id,
            org_id,
            user_id: None,
            able_to_sign_in: false,
        }
    }
}

/// Which audit entries a list or an export holds.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Part of the actor's or subject's email.
    pub user: String,
    pub action: String,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
}

impl AuditFilter {
    /// `from` and `to` are `YYYY-MM-DD` (UTC, `to` inclusive) or Unix
    /// seconds; empty means open-ended.
    pub fn from_params(user: &str, action: &str, from: &str, to: &str) -> Result<Self, AuthError> {
        // The message never repeats what was typed: a link could otherwise
        // put its own words in Gatehouse's alert box.
        let bound = |text: &str, end: bool, field: &str| -> Result<Option<i64>, AuthError> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            parse_time_bound(text, end).map(Some).ok_or_else(|| {
                AuthError::Invalid(format!(
                    "“{field}” is not a date: use YYYY-MM-DD (UTC) or Unix seconds."
                ))
            })
        };
        let (from, to) = (bound(from, false, "From")?, bound(to, true, "To")?);
        if from.zip(to).is_some_and(|(from, to)| from >= to) {
            return Err(AuthError::Invalid(
                "The “From” date is after the “To” date: swap them, or leave one empty.".into(),
            ));
        }
        Ok(Self {
            user: user.to_string(),
            action: action.to_string(),
            from,
            to,
        })
    }
}

/// `2026-11-23` (midnight UTC) or Unix seconds. `end` moves a date to the next
/// midnight, so "to 2026-11-23" includes that whole day.
pub fn parse_time_bound(text: &str, end: bool) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).ok()?;
    let date = if end { date.next_day()? } else { date };
    Some(date.midnight().assume_utc().unix_timestamp())
}

/// The permissions of a new role, by name; an unknown name is refused rather
/// than dropped, so nobody creates a role weaker than they think.
pub fn permissions_from_names<S: AsRef<str>>(names: &[S]) -> Result<Permissions, AuthError> {
    names
        .iter()
        .map(|name| {
            let name = name.as_ref();
            Permission::parse(name)
                .ok_or_else(|| AuthError::Invalid(format!("Unknown permission “{name}”.")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bounds_take_dates_and_unix_seconds() {
        assert_eq!(parse_time_bound("2026-11-23", false), Some(1_795_392_000));
        assert_eq!(
            parse_time_bound("2026-11-23", true),
            Some(1_795_392_000 + 86_400)
        );
        assert_eq!(parse_time_bound(" 1700000000 ", false), Some(1_700_000_000));
        assert_eq!(parse_time_bound("23/11/2026", false), None);
        assert_eq!(parse_time_bound("", false), None);
    }

    #[test]
    fn audit_filters_refuse_what_is_not_a_date_and_leave_empty_bounds_open() {
        let open = AuditFilter::from_params("ann", "mfa.reset", " ", "").unwrap();
        assert_eq!((open.from, open.to), (None, None));
        let day = AuditFilter::from_params("", "", "2026-11-23", "2026-11-23").unwrap();
        assert_eq!(day.to.unwrap() - day.from.unwrap(), 86_400);
        let refused = AuditFilter::from_params("", "", "yesterday", "").unwrap_err();
        assert!(refused.to_string().contains("is not a date"));
        assert!(!refused.to_string().contains("yesterday"), "never echoed");
    }

    #[test]
    fn user_filters_take_the_words_of_both_the_form_and_the_api() {
        let form = UserFilter::from_params("ann", "off", "yes", Some(3), None);
        assert_eq!(
            (form.mfa_on, form.locked, form.role_id),
            (Some(false), Some(true), Some(3))
        );
        let api = UserFilter::from_params("", "on", "false", None, Some(9));
        assert_eq!(
            (api.mfa_on, api.locked, api.org_id),
            (Some(true), Some(false), Some(9))
        );
        let either = UserFilter::from_params("", "", "maybe", None, None);
        assert_eq!((either.mfa_on, either.locked), (None, None));
    }

    #[test]
    fn unknown_permissions_are_refused_not_dropped() {
        let chosen = permissions_from_names(&["users.read", "users.mfa_reset"]);
        assert!(chosen.is_ok(), "{chosen:?}");
        let refused = permissions_from_names(&["users.read", "root"]).unwrap_err();
        assert_eq!(refused.to_string(), "Unknown permission “root”.");
    }
}
