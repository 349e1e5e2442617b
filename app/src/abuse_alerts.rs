//! The abuse-signal banner (README, "Abuse signals"): too many MFA resets in
//! a window, shown at the top of the desk's queue (`/support/requests`) and
//! a partner's customers (`/msp/customers`). A leaf module: the features put
//! [`AlertView`]s into their page data and render [`AlertBanner`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One alert, worded on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertView {
    /// "Acme Corp", or "Across the platform".
    pub place: String,
    /// "4 MFA resets within 24 hours, since 2027-01-15 08:00 UTC (6 so far)".
    pub counted: String,
    /// "3 by an administrator (Disable MFA), 1 by email recovery".
    pub kinds: String,
    pub raised: String,
    /// The audit log from the first reset counted.
    pub audit_link: String,
}

#[cfg(feature = "ssr")]
pub fn alert_views(alerts: &[gatehouse_core::service::AbuseAlert]) -> Vec<AlertView> {
    use gatehouse_core::format_time;
    use gatehouse_core::rules::abuse::{describe_kinds, describe_window};
    alerts
        .iter()
        .map(|a| {
            let place = match &a.org_name {
                Some(name) => name.clone(),
                None => format!("Across the platform ({} organizations)", a.organizations),
            };
            let later = a.resets_so_far - a.resets;
            AlertView {
                place,
                counted: format!(
                    "{} MFA resets within {}, since {}{}",
                    a.resets,
                    describe_window(a.window_seconds),
                    format_time(a.since),
                    if later > 0 {
                        format!(" ({} so far)", a.resets_so_far)
                    } else {
                        String::new()
                    }
                ),
                kinds: describe_kinds(&a.kinds),
                raised: format_time(a.at),
                audit_link: format!("/audit?from={}", a.since),
            }
        })
        .collect()
}

/// Nothing when there is no alert; otherwise one `role="alert"` box.
#[component]
pub fn AlertBanner(alerts: Vec<AlertView>) -> impl IntoView {
    (!alerts.is_empty()).then(|| {
        view! {
            <div class="alert error abuse-alerts" role="alert">
                <p>"Unusual number of MFA resets: this is how help-desk fraud shows. Review the resets in the audit log and call the company's authorized officer, on a number you already have, before any further reset."</p>
                <ul>
                    {alerts.into_iter().map(|a| view! {
                        <li>
                            <strong>{a.place}</strong>": "{a.counted}" — "{a.kinds}". "
                            <span class="nowrap">{format!("Alert raised {}.", a.raised)}</span>" "
                            <a href=a.audit_link>"Audit log"</a>
                        </li>
                    }).collect_view()}
                </ul>
            </div>
        }
    })
}
