//! Abuse signals (README, "Abuse signals"): every MFA reset that takes
//! effect is handled here, in the reset's own transaction. Too many within a
//! sliding window — in one organization, or across the platform — raise one
//! alert per burst: mailed to the platform's managers (and, for a customer,
//! to its partner's admins), audited, and shown as a banner on the desk's
//! and the partner's screens.

use serde_json::{json, Map, Value};

use crate::audit::{self, Event, Origin};
use crate::error::Result;
use crate::notify::{self, Burst, Notice};
use crate::rules::abuse::{
    self as rules, AlertReader, AlertScope, ResetKind, Tally, Threshold, MAX_WINDOW,
};
use crate::store::{self, AlertRow, AttemptReason, Conn, User};

use super::{Gatehouse, PLATFORM_ORG_ID};

/// The audit action of an alert.
pub const ALERT_ACTION: &str = "abuse.alert";

/// An alert as its reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseAlert {
    pub id: i64,
    pub scope: AlertScope,
    /// The organization (a company alert), or none (the platform's).
    pub org_id: Option<i64>,
    pub org_name: Option<String>,
    /// The resets counted when the alert was raised.
    pub resets: i64,
    pub kinds: Vec<(ResetKind, i64)>,
    /// How many organizations they happened in.
    pub organizations: i64,
    pub threshold: i64,
    pub window_seconds: i64,
    /// The first reset counted.
    pub since: i64,
    /// When the alert was raised.
    pub at: i64,
    /// The resets of its scope from `since` until now (the burst may go on).
    pub resets_so_far: i64,
}

/// The kind of reset a sign-in's new authenticator makes, if it replaces
/// the old ones: email recovery, a partner's grant, a support pass.
pub(crate) fn reset_at_sign_in(reason: AttemptReason) -> Option<ResetKind> {
    match reason {
        AttemptReason::Recovery => Some(ResetKind::EmailRecovery),
        AttemptReason::ResetPermission => Some(ResetKind::Grant),
        AttemptReason::ResetPass => Some(ResetKind::SupportPass),
        AttemptReason::Password | AttemptReason::MfaRequired | AttemptReason::PasskeyRequired => {
            None
        }
    }
}

fn kinds_json(kinds: &[(ResetKind, i64)]) -> Value {
    Value::Object(
        kinds
            .iter()
            .map(|(kind, n)| (kind.as_str().to_string(), json!(n)))
            .collect::<Map<_, _>>(),
    )
}

fn kinds_from_json(text: &str) -> Vec<(ResetKind, i64)> {
    let stored: Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
    ResetKind::ALL
        .into_iter()
        .filter_map(|kind| Some((kind, stored.get(kind.as_str())?.as_i64()?)))
        .collect()
}

impl Gatehouse {
    /// Counts a reset that took effect (from [`Self::reset_took_effect`])
    /// and raises the alerts it makes due.
    ///
    /// It takes the organization's row lock, then the platform's, before
    /// anything else: every reset in a scope is decided one after another
    /// (thirty at once raise one alert), and callers call it before they
    /// append their audit entries, so no reset holds an audit chain's head
    /// while waiting for these locks (always taken in this order).
    pub(crate) async fn count_reset(
        &self,
        c: &mut Conn,
        user: &User,
        kind: ResetKind,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        store::lock_org(c, user.org_id).await?;
        if user.org_id != PLATFORM_ORG_ID {
            store::lock_org(c, PLATFORM_ORG_ID).await?;
        }
        store::insert_reset_event(c, user.org_id, user.id, kind, now).await?;
        let thresholds = self.settings.abuse;
        for (scope, org_id) in [
            (AlertScope::Company, Some(user.org_id)),
            (AlertScope::Platform, None),
        ] {
            let threshold = thresholds.of(scope);
            let rows = store::reset_counts(c, org_id, threshold.window_start(now)).await?;
            let counted = rules::tally(&rows);
            let last = store::last_alert_at(c, scope, org_id).await?;
            if rules::alert_due(threshold, counted.resets, last, now) {
                self.raise_alert(c, scope, org_id, threshold, &counted, origin, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Records an alert, mails the people who can act on it and audits it,
    /// in the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    async fn raise_alert(
        &self,
        c: &mut Conn,
        scope: AlertScope,
        org_id: Option<i64>,
        threshold: Threshold,
        counted: &Tally,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        let since = counted.since.unwrap_or(now);
        let alert_id = store::insert_alert(
            c,
            &AlertRow {
                id: 0,
                scope,
                org_id,
                org_name: None,
                resets: counted.resets,
                threshold: threshold.resets,
                window_seconds: threshold.window,
                organizations: counted.organizations,
                kinds: kinds_json(&counted.kinds).to_string(),
                since,
                at: now,
            },
        )
        .await?;
        let burst = Burst {
            resets: counted.resets,
            kinds: counted.kinds.clone(),
            window: threshold.window,
            since,
            threshold: threshold.resets,
        };
        let managers = store::platform_manager_emails(c, PLATFORM_ORG_ID).await?;
        let mut told: Vec<(String, Notice)> = Vec::new();
        let mut partner = None;
        match org_id {
            None => {
                let notice = Notice::PlatformResetBurst {
                    organizations: counted.organizations,
                    burst,
                };
                told.extend(managers.into_iter().map(|m| (m, notice.clone())));
            }
            Some(org_id) => {
                let org = store::org_by_id(c, org_id)
                    .await?
                    .ok_or(crate::AuthError::NotFound("Organization"))?;
                let parent = match org.parent_id {
                    Some(id) => store::org_by_id(c, id).await?.map(|p| (p.id, p.kind)),
                    None => None,
                };
                partner = rules::responsible_partner((org.id, org.kind), parent);
                let desk = Notice::ResetBurst {
                    organization: org.name.clone(),
                    burst: burst.clone(),
                    desk: true,
                };
                told.extend(managers.into_iter().map(|m| (m, desk.clone())));
                if let Some(partner) = partner {
                    let admins = Notice::ResetBurst {
                        organization: org.name.clone(),
                        burst,
                        desk: false,
                    };
                    for email in store::org_admin_emails(c, partner).await? {
                        if !told.iter().any(|(e, _)| *e == email) {
                            told.push((email, admins.clone()));
                        }
                    }
                }
            }
        }
        for (email, notice) in &told {
            notify::enqueue(c, email, notice, origin, now, &self.settings.public_url).await?;
        }
        // Counts and ids only: who was reset is in each reset's own entry.
        let details = json!({
            "alert_id": alert_id,
            "scope": scope.as_str(),
            "org_id": org_id,
            "resets": counted.resets,
            "kinds": kinds_json(&counted.kinds),
            "organizations": counted.organizations,
            "threshold": threshold.resets,
            "window_seconds": threshold.window,
            "since": since,
            "notified": told.len(),
        });
        for log in std::iter::once(PLATFORM_ORG_ID).chain(partner) {
            let event = Event {
                org_id: log,
                actor_id: None,
                subject_id: None,
                action: ALERT_ACTION,
                details: details.clone(),
            };
            audit::append(c, event, origin, now).await?;
        }
        Ok(())
    }

    /// The alerts the viewer may see that are still inside their window,
    /// newest first: every one for the support desk, those about its
    /// organizations for a partner's owners and admins, none for anyone else.
    pub async fn abuse_alerts_for(&self, actor_id: i64) -> Result<Vec<AbuseAlert>> {
        let now = self.now();
        let user = self.user(actor_id).await?;
        let desk = self.desk_role(actor_id).await?.is_some();
        let mut c = self.conn().await?;
        let Some(org) = store::org_by_id(&mut c, user.org_id).await? else {
            return Ok(Vec::new());
        };
        let subtree_of = match rules::alert_reader(desk, org.kind, &user.role) {
            _ if user.disabled => return Ok(Vec::new()),
            None => return Ok(Vec::new()),
            Some(AlertReader::Desk) => None,
            Some(AlertReader::Partner) => Some(org.id),
        };
        let rows = store::alerts_after(&mut c, now - MAX_WINDOW, subtree_of).await?;
        let mut out = Vec::new();
        for row in rows
            .into_iter()
            .filter(|a| rules::alert_showing(a.at, a.window_seconds, now))
        {
            let so_far = rules::tally(&store::reset_counts(&mut c, row.org_id, row.since).await?);
            out.push(AbuseAlert {
                id: row.id,
                scope: row.scope,
                org_id: row.org_id,
                org_name: row.org_name,
                resets: row.resets,
                kinds: kinds_from_json(&row.kinds),
                organizations: row.organizations,
                threshold: row.threshold,
                window_seconds: row.window_seconds,
                since: row.since,
                at: row.at,
                resets_so_far: so_far.resets,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_json() {
        let kinds = vec![(ResetKind::AdminDisable, 3), (ResetKind::SupportPass, 1)];
        let text = kinds_json(&kinds).to_string();
        assert_eq!(text, r#"{"admin_disable":3,"support_pass":1}"#);
        assert_eq!(kinds_from_json(&text), kinds);
        assert_eq!(kinds_from_json("not json"), Vec::new());
    }

    #[test]
    fn only_sign_ins_that_replace_factors_are_resets() {
        assert_eq!(
            reset_at_sign_in(AttemptReason::Recovery),
            Some(ResetKind::EmailRecovery)
        );
        assert_eq!(
            reset_at_sign_in(AttemptReason::ResetPermission),
            Some(ResetKind::Grant)
        );
        assert_eq!(
            reset_at_sign_in(AttemptReason::ResetPass),
            Some(ResetKind::SupportPass)
        );
        assert_eq!(reset_at_sign_in(AttemptReason::MfaRequired), None);
        assert_eq!(reset_at_sign_in(AttemptReason::Password), None);
        // Adding a passkey a role requires replaces nothing.
        assert_eq!(reset_at_sign_in(AttemptReason::PasskeyRequired), None);
    }
}
