//! The support desk's assisted MFA reset (DESIGN.md, "Support-assisted
//! reset"): an authorized contact asks, an agent proves who is asking, the
//! rules decide whether the agent may issue a reset pass alone or a manager
//! must, and the pass is told to everyone who could say "This wasn't me".
//! Every gate is a rule of [`crate::rules::support`]; this file loads the
//! facts, asks, and writes the outcome with its timeline entry, audit entry
//! and notices in one transaction.

use serde_json::json;
use subtle::ConstantTimeEq;

use crate::audit::{self, Event, Origin};
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::notify::{self, Notice, PassNotice, PassRecipient};
use crate::rules::abuse::ResetKind;
use crate::rules::contact::normalize_email;
use crate::rules::locked_out::{self, Route, SelfRequest};
use crate::rules::scope::{Permission, Permissions};
use crate::rules::support::{
    self as rules, CheckMethod, Conflict, DeskAction, DeskRole, Issuer, Parties, Pass, Proof,
    RequestChannel, RequestState, RiskFacts, RiskFlag, Stage, BURST_WINDOW, CANCEL_LINK_TTL,
    MAX_FAILED_CHECKS, PASS_LIFETIME,
};
use crate::store::{self, CheckRow, Conn, EventRow, Keep, Person, RequestRow, RequestScope, User};

use super::locked_out::who_can_help;
use super::resets::Reset;
use super::{Gatehouse, PLATFORM_ORG_ID};

/// The longest reference (a ticket number) and note a request keeps.
pub const MAX_REFERENCE_LEN: usize = 200;
pub const MAX_NOTE_LEN: usize = 2000;
/// The most requests one list shows, newest first.
pub const REQUESTS_LISTED: i64 = 200;

/// What a request asks, as the desk or a signed-in contact files it.
#[derive(Debug, Clone, Default)]
pub struct NewResetRequest<'a> {
    /// Who is asking; `None` when an authorized contact files it themselves.
    pub requester_email: Option<&'a str>,
    pub user_email: &'a str,
    /// How it reached the desk (`None`: in the app).
    pub channel: Option<RequestChannel>,
    pub reference: &'a str,
    pub note: &'a str,
}

/// An identity check as the agent enters it.
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    SupportCode(&'a str),
    Card { last4: &'a str, expiry: &'a str },
    LastResort { passed: bool, note: &'a str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOutcome {
    pub passed: bool,
    pub checks_left: usize,
}

/// When a reset pass works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassTimes {
    pub active_at: i64,
    pub expires_at: i64,
}

/// What the viewer may do with a request now (the screens show only these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeskActions {
    pub check: bool,
    pub issue: bool,
    pub escalate: bool,
    pub decide: bool,
    pub cancel: bool,
}

/// A reset request as its viewer may see it.
#[derive(Debug, Clone)]
pub struct ResetRequest {
    pub id: i64,
    pub state: RequestState,
    pub org_id: i64,
    pub org_name: String,
    pub requester: Person,
    pub user: Person,
    pub channel: RequestChannel,
    pub reference: String,
    pub note: String,
    pub created_at: i64,
    pub flags: Vec<RiskFlag>,
    /// The target's last sign-in with a factor they had: information for the agent.
    pub user_last_factor_sign_in: Option<i64>,
    pub checks: Vec<CheckRow>,
    pub checks_left: usize,
    pub timeline: Vec<EventRow>,
    pub pass: Option<PassTimes>,
    /// Someone answered "This wasn't me".
    pub reported: bool,
    /// Whether issuing the pass needs a manager, by the rules as they stand now.
    pub needs_manager: bool,
    pub actions: DeskActions,
}

/// What a "This wasn't me" page shows before its button is pressed.
#[derive(Debug, Clone)]
pub struct CancelLinkInfo {
    pub request_id: i64,
    pub user_name: String,
    pub state: RequestState,
    pub reported: bool,
}

/// Who is looking at a request, which decides what they see and may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewer {
    Desk(DeskRole),
    /// The requester, or an admin of the organization: read-only.
    Reader,
}

fn desk_refusal(conflict: Conflict) -> AuthError {
    AuthError::Forbidden(match conflict {
        Conflict::Party => {
            "You are the requester or the person to reset: another agent must work this request."
                .into()
        }
        Conflict::OwnWork => {
            "You verified or escalated this request: another manager must decide it.".into()
        }
    })
}

fn required_text(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AuthError::Invalid(format!("Enter a {field}.")));
    }
    optional_text(field, text, max)
}

fn optional_text(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(AuthError::Invalid(format!(
            "The {field} is too long: at most {max} characters."
        )));
    }
    Ok(text.to_string())
}

/// Whether the person to reset is privileged: their role, the desk, a contact.
async fn is_privileged(c: &mut Conn, row: &RequestRow) -> Result<bool> {
    let (officer, _, technical) = contacts_of(c, row.target.org_id).await?;
    let target = rules::TargetFacts {
        seniority: row.target_seniority,
        permissions: Permissions::parse(&row.target_permissions),
        desk: rules::desk_role(
            row.target.org_id == PLATFORM_ORG_ID,
            Some(row.target_role.as_str()),
        )
        .is_some(),
        contact: officer == Some(row.target.id) || technical.contains(&row.target.id),
    };
    Ok(rules::target_is_privileged(&target))
}

fn pass_of(row: &RequestRow) -> Option<Pass> {
    row.pass_active_at.map(|active_at| Pass {
        active_at,
        used: row.pass_used_at.is_some(),
        cancelled: false,
    })
}

/// The CSV of requests for a customer's download: one row per request.
pub fn reset_requests_csv(requests: &[ResetRequest]) -> String {
    let mut out = String::from(
        "id,created_at,state,organization,user,requester,channel,reference,flags,checks,pass_active_at,pass_expires_at,reported\n",
    );
    for r in requests {
        let flags: Vec<&str> = r.flags.iter().map(|f| f.as_str()).collect();
        let checks: Vec<String> = r
            .checks
            .iter()
            .map(|c| {
                format!(
                    "{}:{}",
                    c.method.as_str(),
                    if c.passed { "passed" } else { "failed" }
                )
            })
            .collect();
        let fields = [
            r.id.to_string(),
            crate::format_time(r.created_at),
            r.state.as_str().into(),
            r.org_name.clone(),
            r.user.email.clone(),
            r.requester.email.clone(),
            r.channel.as_str().into(),
            r.reference.clone(),
            flags.join(" "),
            checks.join(" "),
            r.pass
                .map(|p| crate::format_time(p.active_at))
                .unwrap_or_default(),
            r.pass
                .map(|p| crate::format_time(p.expires_at))
                .unwrap_or_default(),
            r.reported.to_string(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field, quoted, and never read as a formula by a spreadsheet.
fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

impl Gatehouse {
    /// The caller's desk role, if they work the support desk.
    pub async fn desk_role(&self, user_id: i64) -> Result<Option<DeskRole>> {
        let user = self.user(user_id).await?;
        Ok(desk_role_of(&user))
    }

    async fn desk(&self, user_id: i64) -> Result<(User, DeskRole)> {
        let user = self.user(user_id).await?;
        let role = desk_role_of(&user)
            .ok_or_else(|| AuthError::Forbidden("Only the support desk can do this.".into()))?;
        Ok((user, role))
    }

    /// Whether the user may ask the support desk for a reset.
    pub async fn is_authorized_contact(&self, user_id: i64) -> Result<bool> {
        let user = self.user(user_id).await?;
        is_contact(&mut *self.conn().await?, &user).await
    }

    /// Files a request: the desk for a caller (`requester_email` set), or an
    /// authorized contact for themselves (proven by their signed-in session).
    pub async fn file_reset_request(
        &self,
        actor_id: i64,
        new: NewResetRequest<'_>,
        origin: &Origin,
    ) -> Result<ResetRequest> {
        let actor = self.user(actor_id).await?;
        let reference = optional_text("reference", new.reference, MAX_REFERENCE_LEN)?;
        let note = optional_text("note", new.note, MAX_NOTE_LEN)?;
        let mut c = self.conn().await?;
        let (requester, channel) = match new.requester_email {
            Some(email) => {
                desk_role_of(&actor).ok_or_else(|| {
                    AuthError::Forbidden("Only the support desk files requests for others.".into())
                })?;
                let channel = new
                    .channel
                    .filter(|c| *c != RequestChannel::InApp)
                    .ok_or_else(|| {
                        AuthError::Invalid(
                            "Choose how the request came in: phone, email or ticket.".into(),
                        )
                    })?;
                let requester = store::user_by_email(&mut c, &normalize_email(email))
                    .await?
                    .filter(|u| !u.disabled)
                    .ok_or(AuthError::NotAContact)?;
                (requester, channel)
            }
            None => (actor.clone(), RequestChannel::InApp),
        };
        let target = store::user_by_email(&mut c, &normalize_email(new.user_email))
            .await?
            .ok_or(AuthError::NotFound("User"))?;
        // A caller asking for themselves from elsewhere ("not confirmed"):
        // only an owner or officer whom nobody inside can reset, and never
        // in the app (signed in, they need no reset).
        let unconfirmed = channel != RequestChannel::InApp && requester.id == target.id;
        if unconfirmed {
            let (route, _) = who_can_help(&mut c, &target).await?;
            if route != Route::SupportDesk {
                return Err(AuthError::NotAContact);
            }
        } else if !is_contact(&mut c, &requester).await? {
            return Err(AuthError::NotAContact);
        }
        if target.disabled {
            return Err(AuthError::Invalid(
                "This account is deactivated: its administrators reactivate it first.".into(),
            ));
        }
        if channel == RequestChannel::InApp && target.id == requester.id {
            return Err(AuthError::Invalid(
                "You are signed in: change your own authenticators on My profile.".into(),
            ));
        }
        let path = store::org_path(&mut c, target.org_id).await?;
        let in_platform = requester.org_id == PLATFORM_ORG_ID;
        if !rules::may_ask_about(in_platform, &path, requester.org_id, target.org_id) {
            // A contact asks only for people at or below their organization;
            // to a contact, anyone else does not exist.
            return Err(if channel == RequestChannel::InApp {
                AuthError::NotFound("User")
            } else {
                AuthError::NotAContact
            });
        }
        drop(c);
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let filed = store::NewRequest {
            org_id: target.org_id,
            target_id: target.id,
            requester_id: requester.id,
            filed_by: actor.id,
            channel,
            reference: &reference,
            note: &note,
        };
        let id = store::insert_request(&mut tx, &filed, now)
            .await?
            .ok_or(AuthError::RequestOpen)?;
        let filing = Filing {
            id,
            target: &target,
            requester: &requester,
            channel,
            reference: &reference,
        };
        record_filing(&mut tx, &filing, &actor, origin, now).await?;
        if unconfirmed {
            let kind = SelfRequest::Unconfirmed;
            self.announce_self_request(&mut tx, &filing, kind, origin, now)
                .await?;
        }
        tx.commit().await?;
        // The desk sees what it filed as the desk (flags included); a
        // contact sees their own request as its reader.
        let viewer = self.viewer_role(actor_id).await?;
        self.view(id, viewer, actor_id).await
    }

    /// The requests the caller may see, newest first: all of them for the
    /// desk, those they asked for otherwise.
    pub async fn reset_requests(
        &self,
        actor_id: i64,
        state: Option<RequestState>,
        org_id: Option<i64>,
    ) -> Result<Vec<ResetRequest>> {
        let actor = self.user(actor_id).await?;
        let scope = RequestScope {
            org_id,
            state,
            requester_id: desk_role_of(&actor).is_none().then_some(actor.id),
            ..RequestScope::default()
        };
        self.listed(actor_id, &scope).await
    }

    /// Every request about people of the admin's organization and below:
    /// what the platform did to their people, read-only.
    pub async fn org_reset_requests(&self, actor_id: i64) -> Result<Vec<ResetRequest>> {
        let actor = self.actor(actor_id).await?;
        if !actor.permissions.has(Permission::AuditRead) {
            return Err(AuthError::Forbidden(
                "Your role does not allow reading what support did.".into(),
            ));
        }
        let scope = RequestScope {
            subtree_of: Some(actor.org_id),
            ..RequestScope::default()
        };
        self.listed(actor_id, &scope).await
    }

    async fn listed(&self, actor_id: i64, scope: &RequestScope) -> Result<Vec<ResetRequest>> {
        let now = self.now();
        let rows =
            store::list_requests(&mut *self.conn().await?, scope, now, REQUESTS_LISTED).await?;
        let viewer = self.viewer_role(actor_id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.describe(row, viewer, actor_id, now).await?);
        }
        Ok(out)
    }

    async fn viewer_role(&self, actor_id: i64) -> Result<Viewer> {
        Ok(self
            .desk_role(actor_id)
            .await?
            .map_or(Viewer::Reader, Viewer::Desk))
    }

    /// One request: the desk sees any, the requester theirs, an admin (who
    /// may read the audit log) those about their organization and below.
    pub async fn reset_request(&self, actor_id: i64, id: i64) -> Result<ResetRequest> {
        let viewer = self.viewer_role(actor_id).await?;
        if viewer == Viewer::Reader {
            let row = self.request_row(id).await?;
            let actor = self.actor(actor_id).await?;
            let mut c = self.conn().await?;
            let in_scope = actor.permissions.has(Permission::AuditRead)
                && store::org_path(&mut c, row.org_id)
                    .await?
                    .contains(&actor.org_id);
            if row.requester.id != actor_id && !in_scope {
                return Err(AuthError::NotFound("Reset request"));
            }
        }
        self.view(id, viewer, actor_id).await
    }

    async fn request_row(&self, id: i64) -> Result<RequestRow> {
        store::request_by_id(&mut *self.conn().await?, id)
            .await?
            .ok_or(AuthError::NotFound("Reset request"))
    }

    async fn view(&self, id: i64, viewer: Viewer, actor_id: i64) -> Result<ResetRequest> {
        let row = self.request_row(id).await?;
        self.describe(row, viewer, actor_id, self.now()).await
    }

    async fn describe(
        &self,
        row: RequestRow,
        viewer: Viewer,
        actor_id: i64,
        now: i64,
    ) -> Result<ResetRequest> {
        let mut c = self.conn().await?;
        let flags = flags_of(&mut c, &row, now).await?;
        let mut checks = store::checks_of(&mut c, row.id).await?;
        let mut timeline = store::events_of(&mut c, row.id).await?;
        let privileged = is_privileged(&mut c, &row).await?;
        drop(c);
        let proof = proof_of(&row, &checks);
        let needs_manager =
            proof.is_none_or(|p| rules::issuer(p, privileged, &flags) == Issuer::Manager);
        let state = rules::request_state(row.stage, pass_of(&row), now);
        let checks_left = MAX_FAILED_CHECKS.saturating_sub(row.failed_checks.max(0) as usize);
        let actions = match viewer {
            Viewer::Reader => {
                // Notes and reasons may describe the unpublished procedure,
                // and live detail would coach someone posing as the
                // requester: readers see what happened, not why.
                for check in &mut checks {
                    check.note.clear();
                }
                for event in &mut timeline {
                    event.details = serde_json::Value::Null;
                }
                DeskActions::default()
            }
            Viewer::Desk(role) => {
                let parties = parties_of(&row, &checks);
                let works = rules::may_act(actor_id, &parties, DeskAction::Work).is_ok();
                let decides = role == DeskRole::Manager
                    && rules::may_act(actor_id, &parties, DeskAction::Decide).is_ok();
                let open = row.stage == Stage::Open;
                DeskActions {
                    check: works && open && checks_left > 0,
                    issue: works && open && !needs_manager,
                    escalate: works && open,
                    decide: decides && (row.stage == Stage::Escalated || (open && proof.is_some())),
                    cancel: works
                        && matches!(
                            state,
                            RequestState::Open
                                | RequestState::Escalated
                                | RequestState::CoolingOff
                                | RequestState::Active
                        ),
                }
            }
        };
        Ok(ResetRequest {
            id: row.id,
            state,
            org_id: row.org_id,
            org_name: row.target.org_name.clone(),
            channel: row.channel,
            reference: row.reference.clone(),
            note: if viewer == Viewer::Reader {
                String::new()
            } else {
                row.note.clone()
            },
            created_at: row.created_at,
            // Which flags are up, and whether a manager must decide, would
            // tell someone posing as the requester what to avoid: desk only.
            flags: if viewer == Viewer::Reader {
                Vec::new()
            } else {
                flags
            },
            user_last_factor_sign_in: if viewer == Viewer::Reader {
                None
            } else {
                row.target_last_factor_sign_in
            },
            checks,
            checks_left,
            timeline,
            pass: row.pass_active_at.map(|active_at| PassTimes {
                active_at,
                expires_at: active_at + PASS_LIFETIME,
            }),
            reported: row.reported_at.is_some(),
            needs_manager: needs_manager && viewer != Viewer::Reader,
            actions,
            requester: row.requester,
            user: row.target,
        })
    }

    /// A request the desk member may work, refused when they are named in it.
    async fn workable(
        &self,
        actor_id: i64,
        id: i64,
    ) -> Result<(User, DeskRole, RequestRow, Vec<CheckRow>)> {
        let (actor, role) = self.desk(actor_id).await?;
        let row = self.request_row(id).await?;
        let checks = store::checks_of(&mut *self.conn().await?, id).await?;
        rules::may_act(actor_id, &parties_of(&row, &checks), DeskAction::Work)
            .map_err(desk_refusal)?;
        Ok((actor, role, row, checks))
    }

    /// Records one identity check of the requester. A failure is reserved
    /// before the check runs, so concurrent checks never exceed the limit.
    pub async fn check_requester(
        &self,
        actor_id: i64,
        id: i64,
        check: Check<'_>,
        origin: &Origin,
    ) -> Result<CheckOutcome> {
        let (actor, _, row, _) = self.workable(actor_id, id).await?;
        if row.stage != Stage::Open {
            return Err(AuthError::Forbidden(
                "Checks are recorded on open requests only.".into(),
            ));
        }
        let method = match check {
            Check::SupportCode(_) => CheckMethod::SupportCode,
            Check::Card { .. } => CheckMethod::Card,
            Check::LastResort { .. } => CheckMethod::LastResort,
        };
        // Malformed input is refused before anything is counted.
        let note = match check {
            Check::SupportCode(code) => {
                let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
                if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(AuthError::Invalid("A support code is 8 digits.".into()));
                }
                String::new()
            }
            Check::Card { last4, expiry } => {
                if rules::card_last4(last4).is_none() || rules::card_expiry(expiry).is_none() {
                    return Err(AuthError::Invalid(
                        "Enter the card's last 4 digits and its expiry as MM/YY.".into(),
                    ));
                }
                let on_file =
                    store::billing_card(&mut *self.conn().await?, row.requester.org_id).await?;
                if on_file.is_none() {
                    return Err(AuthError::Invalid(format!(
                        "No card is on file for {}: use another check.",
                        row.requester.org_name
                    )));
                }
                String::new()
            }
            Check::LastResort { note, .. } => required_text("note", note, MAX_NOTE_LEN)?,
        };
        if !store::reserve_check(&mut *self.conn().await?, id).await? {
            let now_row = self.request_row(id).await?;
            return Err(if now_row.stage == Stage::Open {
                AuthError::ChecksExhausted
            } else {
                AuthError::Forbidden("Checks are recorded on open requests only.".into())
            });
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let passed = match check {
            Check::SupportCode(code) => {
                let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
                let hash = self.support_code_hash(row.requester.id, &digits);
                store::use_support_code(&mut tx, row.requester.id, &hash, id, now).await?
            }
            Check::Card { last4, expiry } => {
                let (last4_hash, expiry_hash) = store::billing_card(&mut tx, row.requester.org_id)
                    .await?
                    .ok_or(AuthError::NotFound("Card"))?;
                let (typed_last4, typed_expiry) = self.card_hashes(
                    row.requester.org_id,
                    &rules::card_last4(last4).unwrap_or_default(),
                    &rules::card_expiry(expiry).unwrap_or_default(),
                );
                let last4_ok = typed_last4.ct_eq(&last4_hash);
                let expiry_ok = typed_expiry.ct_eq(&expiry_hash);
                bool::from(last4_ok & expiry_ok)
            }
            Check::LastResort { passed, .. } => passed,
        };
        if passed {
            store::release_check(&mut tx, id).await?;
        }
        store::insert_check(&mut tx, id, method, passed, actor.id, &note, now).await?;
        let details = json!({ "method": method.as_str(), "passed": passed });
        let action = if passed {
            "support.check_passed"
        } else {
            "support.check_failed"
        };
        record(
            &mut tx,
            RequestRef::of(&row),
            Some(&actor),
            action,
            details,
            origin,
            now,
        )
        .await?;
        if passed && method == CheckMethod::SupportCode {
            let notice = Notice::SupportCodeUsed { request_id: id };
            notify::enqueue(
                &mut tx,
                &row.requester.email,
                &notice,
                origin,
                now,
                &self.settings.public_url,
            )
            .await?;
        }
        tx.commit().await?;
        let failed = self.request_row(id).await?.failed_checks.max(0) as usize;
        Ok(CheckOutcome {
            passed,
            checks_left: MAX_FAILED_CHECKS.saturating_sub(failed),
        })
    }

    /// The keyed hashes the card on file is stored and compared as.
    fn card_hashes(&self, org_id: i64, last4: &str, expiry: &str) -> (Vec<u8>, Vec<u8>) {
        (
            self.keys
                .mac(format!("card-last4:{org_id}:{last4}").as_bytes()),
            self.keys
                .mac(format!("card-expiry:{org_id}:{expiry}").as_bytes()),
        )
    }

    /// Sets an organization's card on file (the operator's command).
    pub async fn set_billing_card(&self, org_slug: &str, last4: &str, expiry: &str) -> Result<()> {
        let last4 = rules::card_last4(last4)
            .ok_or_else(|| AuthError::Invalid("--card-last4 must be 4 digits".into()))?;
        let expiry = rules::card_expiry(expiry)
            .ok_or_else(|| AuthError::Invalid("--card-expiry must be MM/YY".into()))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let org = store::org_by_slug(&mut tx, org_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {org_slug:?}")))?;
        let (last4_hash, expiry_hash) = self.card_hashes(org.id, &last4, &expiry);
        store::set_billing_card(&mut tx, org.id, &last4_hash, &expiry_hash, now).await?;
        let event = Event {
            org_id: org.id,
            actor_id: None,
            subject_id: None,
            action: "org.card_on_file_set",
            details: json!({}),
        };
        audit::append(&mut tx, event, &Origin::command_line(), now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The agent issues the reset pass alone — only when the rules allow;
    /// otherwise `approval_required` and nothing changes.
    pub async fn issue_reset(
        &self,
        actor_id: i64,
        id: i64,
        origin: &Origin,
    ) -> Result<ResetRequest> {
        let (actor, role, row, checks) = self.workable(actor_id, id).await?;
        match row.stage {
            Stage::Open => {}
            Stage::Escalated => return Err(AuthError::ApprovalRequired),
            _ => {
                return Err(AuthError::Forbidden(
                    "This request is already decided.".into(),
                ))
            }
        }
        let Some(proof) = proof_of(&row, &checks) else {
            return Err(AuthError::Forbidden(
                "No check has passed yet: prove who is asking first, or escalate to management."
                    .into(),
            ));
        };
        let now = self.now();
        let mut c = self.conn().await?;
        requester_still_asks(&mut c, &row).await?;
        let flags = flags_of(&mut c, &row, now).await?;
        let privileged = is_privileged(&mut c, &row).await?;
        drop(c);
        if rules::issuer(proof, privileged, &flags) == Issuer::Manager {
            return Err(AuthError::ApprovalRequired);
        }
        let mut tx = self.db.begin().await?;
        self.grant_pass(&mut tx, &row, &actor, Issuer::Agent, None, origin, now)
            .await?;
        tx.commit().await?;
        self.view(id, Viewer::Desk(role), actor_id).await
    }

    /// Hands the request to management, with the agent's reason.
    pub async fn escalate_reset(
        &self,
        actor_id: i64,
        id: i64,
        reason: &str,
        origin: &Origin,
    ) -> Result<ResetRequest> {
        let reason = required_text("reason", reason, MAX_NOTE_LEN)?;
        let (actor, role, row, _) = self.workable(actor_id, id).await?;
        self.move_request(&actor, role, &row, Move::Escalate, &reason, origin)
            .await
    }

    /// A manager approves (the pass is issued, after the cooling-off) or denies.
    pub async fn decide_reset(
        &self,
        actor_id: i64,
        id: i64,
        approve: bool,
        reason: &str,
        origin: &Origin,
    ) -> Result<ResetRequest> {
        let reason = required_text("reason", reason, MAX_NOTE_LEN)?;
        let (actor, role) = self.desk(actor_id).await?;
        if role != DeskRole::Manager {
            return Err(AuthError::Forbidden(
                "Only a manager approves or denies a reset.".into(),
            ));
        }
        let row = self.request_row(id).await?;
        let checks = store::checks_of(&mut *self.conn().await?, id).await?;
        rules::may_act(actor_id, &parties_of(&row, &checks), DeskAction::Decide)
            .map_err(desk_refusal)?;
        let decidable = row.stage == Stage::Escalated
            || (row.stage == Stage::Open && proof_of(&row, &checks).is_some());
        if !decidable {
            return Err(AuthError::Forbidden(
                "There is nothing to decide: a manager decides escalated requests, and open ones with a passed check."
                    .into(),
            ));
        }
        if !approve {
            return self
                .move_request(&actor, role, &row, Move::Deny, &reason, origin)
                .await;
        }
        let unconfirmed = self_request_of(&row) == Some(SelfRequest::Unconfirmed);
        let vouched = checks
            .iter()
            .any(|c| c.passed && matches!(c.method, CheckMethod::Card | CheckMethod::LastResort));
        if unconfirmed && !vouched {
            return Err(AuthError::Forbidden(
                "This caller could not prove the primary email: approve only after a passed card or last-resort check."
                    .into(),
            ));
        }
        requester_still_asks(&mut *self.conn().await?, &row).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.grant_pass(
            &mut tx,
            &row,
            &actor,
            Issuer::Manager,
            Some(&reason),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        self.view(id, Viewer::Desk(role), actor_id).await
    }

    /// Ends a request, or a pass not yet used.
    pub async fn cancel_reset(
        &self,
        actor_id: i64,
        id: i64,
        reason: &str,
        origin: &Origin,
    ) -> Result<ResetRequest> {
        let reason = required_text("reason", reason, MAX_NOTE_LEN)?;
        let (actor, role, row, _) = self.workable(actor_id, id).await?;
        self.move_request(&actor, role, &row, Move::Cancel, &reason, origin)
            .await
    }

    /// One step with a reason: applied only if the request still allows it,
    /// recorded with the reason, and the request shown as it now stands.
    async fn move_request(
        &self,
        actor: &User,
        role: DeskRole,
        row: &RequestRow,
        step: Move,
        reason: &str,
        origin: &Origin,
    ) -> Result<ResetRequest> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let applied = match step {
            Move::Escalate => store::escalate_request(&mut tx, row.id, actor.id).await?,
            Move::Deny => store::deny_request(&mut tx, row.id).await?,
            Move::Cancel => store::cancel_request(&mut tx, row.id, now).await?,
        };
        if !applied {
            return Err(AuthError::Forbidden(step.refusal().into()));
        }
        let details = json!({ "reason": reason });
        record(
            &mut tx,
            RequestRef::of(row),
            Some(actor),
            step.action(),
            details,
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        self.view(row.id, Viewer::Desk(role), actor.id).await
    }

    /// Issues the pass of an undecided request and tells the target, the
    /// requester and the organization's admins, each with their own
    /// "This wasn't me" link.
    #[allow(clippy::too_many_arguments)]
    async fn grant_pass(
        &self,
        c: &mut Conn,
        row: &RequestRow,
        actor: &User,
        issuer: Issuer,
        reason: Option<&str>,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        if row
            .target_last_factor_sign_in
            .is_some_and(|at| at > row.created_at)
        {
            return Err(AuthError::Forbidden(
                "The person signed in with an authenticator they still have after this request was filed: the lost device is not lost. Cancel the request."
                    .into(),
            ));
        }
        let privileged = is_privileged(c, row).await?;
        let active_at = rules::pass_active_at(now, issuer, privileged, self.cooling_off_of(row));
        let expires_at = active_at + PASS_LIFETIME;
        if !store::issue_pass(c, row.id, actor.id, active_at, expires_at).await? {
            return Err(changed_meanwhile());
        }
        let (action, by) = match issuer {
            Issuer::Agent => ("support.pass_issued", "agent"),
            Issuer::Manager => ("support.approved", "manager"),
        };
        let details =
            json!({ "by": by, "active_at": active_at, "expires_at": expires_at, "reason": reason });
        record(
            c,
            RequestRef::of(row),
            Some(actor),
            action,
            details,
            origin,
            now,
        )
        .await?;
        let mut recipients = vec![
            (row.target.email.clone(), PassRecipient::Target),
            (row.requester.email.clone(), PassRecipient::Requester),
        ];
        let mut told = store::org_admin_emails(c, row.org_id).await?;
        if self_request_of(row).is_some() {
            // Nobody asked for the person but themselves: their organization's
            // authorized contacts hear of it too.
            told.extend(contact_emails(c, row.org_id).await?);
        }
        for admin in told {
            if !recipients.iter().any(|(email, _)| *email == admin) {
                recipients.push((admin, PassRecipient::Admin));
            }
        }
        for (email, recipient) in recipients {
            if recipient == PassRecipient::Requester && email == row.target.email {
                continue;
            }
            let token = crypto::new_token();
            store::insert_cancel_link(
                c,
                &crypto::token_hash(&token),
                row.id,
                &email,
                now + CANCEL_LINK_TTL,
            )
            .await?;
            let link = format!("{}/support/cancel?token={token}", self.settings.public_url);
            let notice = PassNotice {
                request_id: row.id,
                target: &row.target.name_or_email(),
                active_at,
                expires_at,
                cancel_link: &link,
            };
            let mail = notify::reset_pass(
                recipient,
                &notice,
                &email,
                origin,
                now,
                &self.settings.public_url,
            );
            notify::enqueue_mail(c, &email, &mail, now).await?;
        }
        Ok(())
    }

    /// How long an issued pass of this request waits: longer for a caller
    /// who could not prove the primary email.
    fn cooling_off_of(&self, row: &RequestRow) -> i64 {
        match self_request_of(row) {
            Some(SelfRequest::Unconfirmed) => self.settings.support_unconfirmed_cooling_off,
            _ => self.settings.support_cooling_off,
        }
    }

    /// A request someone makes about themselves is told at once to their
    /// address and to every authorized contact of the organization: if it
    /// was not them, someone who knows says so before the cooling-off ends.
    pub(crate) async fn announce_self_request(
        &self,
        c: &mut Conn,
        filing: &Filing<'_>,
        kind: SelfRequest,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        let mut recipients = vec![filing.target.email.clone()];
        for contact in contact_emails(c, filing.target.org_id).await? {
            if !recipients.contains(&contact) {
                recipients.push(contact);
            }
        }
        let (request_id, person) = (filing.id, filing.target.name_or_email());
        let notice = match kind {
            SelfRequest::Confirmed => Notice::SelfRequestFiled { request_id, person },
            SelfRequest::Unconfirmed => Notice::UnconfirmedRequestFiled { request_id, person },
        };
        for email in recipients {
            let url = &self.settings.public_url;
            notify::enqueue(c, &email, &notice, origin, now, url).await?;
        }
        Ok(())
    }

    /// What a "This wasn't me" link is about, for its page.
    pub async fn cancel_link_info(&self, token: &str) -> Result<CancelLinkInfo> {
        let now = self.now();
        let (request_id, _) =
            store::cancel_link(&mut *self.conn().await?, &crypto::token_hash(token), now)
                .await?
                .ok_or(AuthError::LinkInvalid)?;
        let row = self.request_row(request_id).await?;
        Ok(CancelLinkInfo {
            request_id,
            user_name: row.target.name_or_email(),
            state: rules::request_state(row.stage, pass_of(&row), now),
            reported: row.reported_at.is_some(),
        })
    }

    /// "This wasn't me": cancels the pass, ends the target's sessions and
    /// locks their second factor if the pass was used, flags the request and
    /// tells the desk. Pressing it again changes nothing.
    pub async fn report_not_me(&self, token: &str, origin: &Origin) -> Result<CancelLinkInfo> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let (request_id, email) = store::cancel_link(&mut tx, &crypto::token_hash(token), now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        let row = store::request_by_id(&mut tx, request_id)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        // The person's row before the request's, the order issuing a pass
        // takes them in (ARCHITECTURE.md): the two at once would deadlock.
        store::lock_user(&mut tx, row.target.id).await?;
        if let Some(pass_was_used) = store::report_request(&mut tx, request_id, now).await? {
            let target = store::user_by_id(&mut tx, row.target.id).await?;
            if let Some(target) = target.filter(|_| pass_was_used) {
                if email == target.email {
                    // The person says they did not use it: whoever did holds
                    // the new authenticator and knows the password, so
                    // everything goes and the account waits for a review.
                    self.lock_reported_account(&mut tx, &target, now).await?;
                } else {
                    // Someone told about it (the requester, an admin) says
                    // nobody asked: whoever signed in is signed out, and the
                    // person — who may well have used it — decides with
                    // their own "This wasn't me".
                    store::revoke_sessions_and_tokens(&mut tx, target.id, Keep::Nothing, now)
                        .await?;
                    let reset = Reset::new(ResetKind::SupportPass, None);
                    self.offer_report_link(&mut tx, &target, &reset, origin, now)
                        .await?;
                }
            }
            let details = json!({ "by": email, "pass_was_used": pass_was_used });
            record(
                &mut tx,
                RequestRef::of(&row),
                None,
                "support.reported",
                details,
                origin,
                now,
            )
            .await?;
            let notice = Notice::ResetRequestReported {
                request_id,
                target: row.target.name_or_email(),
            };
            let desk = row.issued_by.or(row.escalated_by).unwrap_or(row.filed_by);
            if let Some(agent) = store::user_by_id(&mut tx, desk).await? {
                notify::enqueue(
                    &mut tx,
                    &agent.email,
                    &notice,
                    origin,
                    now,
                    &self.settings.public_url,
                )
                .await?;
            }
        }
        tx.commit().await?;
        self.cancel_link_info(token).await
    }

    /// Uses the person's active pass inside the enrollment's transaction;
    /// false when it ended meanwhile (cancelled, expired, used in another tab).
    pub(crate) async fn use_reset_pass(
        &self,
        c: &mut Conn,
        user: &User,
        origin: &Origin,
        now: i64,
    ) -> Result<bool> {
        let Some(request_id) = store::use_pass(c, user.id, now).await? else {
            return Ok(false);
        };
        record(
            c,
            RequestRef {
                id: request_id,
                org_id: user.org_id,
                target_id: user.id,
            },
            Some(user),
            "support.pass_used",
            json!({}),
            origin,
            now,
        )
        .await?;
        Ok(true)
    }

    /// The person signed in with a factor they still have: the "lost" device
    /// works, so every pass of theirs not yet used is cancelled and the desk told.
    pub(crate) async fn signed_in_with_factor(
        &self,
        c: &mut Conn,
        user: &User,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        for (request_id, issued_by) in store::cancel_unused_passes(c, user.id, now).await? {
            let details = json!({ "flag": RiskFlag::TargetSignedIn.as_str() });
            record(
                c,
                RequestRef {
                    id: request_id,
                    org_id: user.org_id,
                    target_id: user.id,
                },
                Some(user),
                "support.cancelled_by_sign_in",
                details,
                origin,
                now,
            )
            .await?;
            if let Some(agent) = store::user_by_id(c, issued_by).await? {
                let notice = Notice::PassCancelledBySignIn {
                    request_id,
                    target: user.name_or_email(),
                };
                notify::enqueue(
                    c,
                    &agent.email,
                    &notice,
                    origin,
                    now,
                    &self.settings.public_url,
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// A step on a request that takes a reason and nothing else.
#[derive(Debug, Clone, Copy)]
enum Move {
    Escalate,
    Deny,
    Cancel,
}

impl Move {
    fn action(self) -> &'static str {
        match self {
            Self::Escalate => "support.escalated",
            Self::Deny => "support.denied",
            Self::Cancel => "support.cancelled",
        }
    }

    /// Why the request no longer allows the step.
    fn refusal(self) -> &'static str {
        match self {
            Self::Escalate => "Only an open request can be escalated.",
            Self::Deny => "This request changed meanwhile: reload it and try again.",
            Self::Cancel => "This request is already finished.",
        }
    }
}

fn changed_meanwhile() -> AuthError {
    AuthError::Forbidden("This request changed meanwhile: reload it and try again.".into())
}

fn desk_role_of(user: &User) -> Option<DeskRole> {
    if user.disabled {
        return None;
    }
    rules::desk_role(user.org_id == PLATFORM_ORG_ID, Some(user.role.as_str()))
}

/// A request as filed, for its first audit entry.
pub(crate) struct Filing<'a> {
    pub(crate) id: i64,
    pub(crate) target: &'a User,
    pub(crate) requester: &'a User,
    pub(crate) channel: RequestChannel,
    pub(crate) reference: &'a str,
}

/// Records that `actor` filed the request.
pub(crate) async fn record_filing(
    c: &mut Conn,
    filing: &Filing<'_>,
    actor: &User,
    origin: &Origin,
    now: i64,
) -> Result<()> {
    let details = json!({
        "requester": filing.requester.email,
        "user": filing.target.email,
        "channel": filing.channel.as_str(),
        "reference": filing.reference,
    });
    let request = RequestRef {
        id: filing.id,
        org_id: filing.target.org_id,
        target_id: filing.target.id,
    };
    let action = "support.request_filed";
    record(c, request, Some(actor), action, details, origin, now).await
}

/// The addresses of an organization's authorized contacts (officer first).
async fn contact_emails(c: &mut Conn, org_id: i64) -> Result<Vec<String>> {
    let (officer, _, technical) = contacts_of(c, org_id).await?;
    let mut emails = Vec::new();
    for id in officer.into_iter().chain(technical) {
        if let Some(contact) = store::user_by_id(c, id).await? {
            emails.push(contact.email);
        }
    }
    Ok(emails)
}

/// Whether the user is their organization's officer or a technical contact.
async fn is_contact(c: &mut Conn, user: &User) -> Result<bool> {
    if user.disabled {
        return Ok(false);
    }
    let (officer, _, technical) = contacts_of(c, user.org_id).await?;
    Ok(officer == Some(user.id) || technical.contains(&user.id))
}

/// An organization's officer (named, or by default its first owner), whether
/// that is the default, and its technical contacts.
pub(crate) async fn contacts_of(
    c: &mut Conn,
    org_id: i64,
) -> Result<(Option<i64>, bool, Vec<i64>)> {
    let named = store::named_contacts(c, org_id).await?;
    let technical = named
        .iter()
        .filter(|(_, officer)| !officer)
        .map(|(id, _)| *id)
        .collect();
    match named.iter().find(|(_, officer)| *officer) {
        Some((id, _)) => Ok((Some(*id), false, technical)),
        None => Ok((store::first_owner(c, org_id).await?, true, technical)),
    }
}

/// Whether the request is someone's about themselves, and how it was confirmed.
fn self_request_of(row: &RequestRow) -> Option<SelfRequest> {
    locked_out::self_request(row.requester.id, row.target.id, row.filed_by)
}

/// The strongest proof of the requester so far.
fn proof_of(row: &RequestRow, checks: &[CheckRow]) -> Option<Proof> {
    // Asking signed in proves the password and the second factor; a
    // locked-out person's own request, the password and the mailbox.
    let filed_signed_in = (row.channel == RequestChannel::InApp
        && row.filed_by == row.requester.id)
        || self_request_of(row) == Some(SelfRequest::Confirmed);
    let passed: Vec<CheckMethod> = checks
        .iter()
        .filter(|c| c.passed)
        .map(|c| c.method)
        .collect();
    Proof::from_checks(filed_signed_in, &passed)
}

fn parties_of(row: &RequestRow, checks: &[CheckRow]) -> Parties {
    Parties {
        requester: row.requester.id,
        target: row.target.id,
        worked_by: std::iter::once(row.filed_by)
            .chain(checks.iter().map(|c| c.agent_id))
            .collect(),
        escalated_by: row.escalated_by,
    }
}

/// The request still comes from an authorized contact above the person: a
/// contact removed or deactivated since filing asks for nothing any more.
async fn requester_still_asks(c: &mut Conn, row: &RequestRow) -> Result<()> {
    if self_request_of(row).is_some() {
        // The person asks for themselves: only while nobody inside their
        // organization can reset them (a second administrator added since
        // makes this request theirs to handle).
        let person = store::user_by_id(c, row.target.id)
            .await?
            .ok_or(AuthError::NotAContact)?;
        let (route, _) = who_can_help(c, &person).await?;
        return match route {
            Route::SupportDesk => Ok(()),
            Route::AskSomeone => Err(AuthError::NotAContact),
        };
    }
    let requester = store::user_by_id(c, row.requester.id)
        .await?
        .ok_or(AuthError::NotAContact)?;
    let path = store::org_path(c, row.target.org_id).await?;
    let in_platform = requester.org_id == PLATFORM_ORG_ID;
    if is_contact(c, &requester).await?
        && rules::may_ask_about(in_platform, &path, requester.org_id, row.target.org_id)
    {
        Ok(())
    } else {
        Err(AuthError::NotAContact)
    }
}

async fn flags_of(c: &mut Conn, row: &RequestRow, now: i64) -> Result<Vec<RiskFlag>> {
    let facts = RiskFacts {
        filed_at: row.created_at,
        other_requests_for_target: store::other_requests_for_target(c, row.target.id, row.id)
            .await?,
        requests_for_company: store::requests_for_org_since(c, row.org_id, now - BURST_WINDOW)
            .await?,
        requester_mfa_changed_at: store::last_mfa_change(c, row.requester.id).await?,
        requester_has_mfa: store::has_second_factor(c, row.requester.id).await?,
        target_last_factor_sign_in: row.target_last_factor_sign_in,
    };
    Ok(rules::risk_flags(&facts, now))
}

/// The request a step belongs to, and whose audit chain records it.
#[derive(Debug, Clone, Copy)]
struct RequestRef {
    id: i64,
    org_id: i64,
    target_id: i64,
}

impl RequestRef {
    fn of(row: &RequestRow) -> Self {
        Self {
            id: row.id,
            org_id: row.org_id,
            target_id: row.target.id,
        }
    }
}

/// Writes one step of a request to its timeline and to the target
/// organization's audit chain (the target as its subject), in the caller's
/// transaction.
async fn record(
    c: &mut Conn,
    on: RequestRef,
    actor: Option<&User>,
    action: &str,
    details: serde_json::Value,
    origin: &Origin,
    now: i64,
) -> Result<()> {
    let actor_id = actor.map(|a| a.id);
    // The timeline names steps without the audit log's "support." prefix.
    let step = action.trim_start_matches("support.");
    store::insert_event(c, on.id, actor_id, step, &details, now).await?;
    let mut details = details;
    details["request_id"] = json!(on.id);
    let event = Event {
        org_id: on.org_id,
        actor_id,
        subject_id: Some(on.target_id),
        action,
        details,
    };
    audit::append(c, event, origin, now).await?;
    Ok(())
}
