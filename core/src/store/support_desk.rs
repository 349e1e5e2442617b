//! The support desk: authorized contacts, the card on file, reset requests
//! with their checks and timeline, reset passes and "This wasn't me" links.
//!
//! Every change of a request's stage is one conditional `UPDATE`, so two
//! agents (or an agent and a "This wasn't me" click) racing on one request
//! cannot both win. `live_target` is unique: one unfinished request per person.

use sqlx::Row;

use crate::rules::support::{CheckMethod, RequestChannel, RequestState, Stage, MAX_FAILED_CHECKS};

use super::subtree::SUBTREE;
use super::{unknown, Conn, Result};

// ---- Authorized contacts -------------------------------------------------

/// The organization's explicitly named contacts: (user id, is officer).
pub async fn named_contacts(c: &mut Conn, org_id: i64) -> Result<Vec<(i64, bool)>> {
    let rows = sqlx::query(
        "SELECT ac.user_id, ac.kind FROM authorized_contacts ac JOIN users u ON u.id = ac.user_id \
         WHERE ac.org_id = $1 AND u.disabled_at IS NULL ORDER BY ac.kind DESC, u.email",
    )
    .bind(org_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("user_id"), r.get::<String, _>("kind") == "officer"))
        .collect())
}

/// The organization's first active owner: its officer until one is named.
pub async fn first_owner(c: &mut Conn, org_id: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT MIN(u.id) FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE u.org_id = $1 AND r.name = 'owner' AND r.builtin = 1 AND u.disabled_at IS NULL",
    )
    .bind(org_id)
    .fetch_one(&mut *c)
    .await
}

/// Replaces the organization's named contacts.
pub async fn replace_contacts(
    c: &mut Conn,
    org_id: i64,
    officer: i64,
    technical: &[i64],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM authorized_contacts WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut *c)
        .await?;
    let officer_row = std::iter::once((officer, "officer"));
    for (user_id, kind) in officer_row.chain(technical.iter().map(|id| (*id, "technical"))) {
        sqlx::query(
            "INSERT INTO authorized_contacts (org_id, user_id, kind, added_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(kind)
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

// ---- The card on file ----------------------------------------------------

pub async fn set_billing_card(
    c: &mut Conn,
    org_id: i64,
    last4_hash: &[u8],
    expiry_hash: &[u8],
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO billing_cards (org_id, last4_hash, expiry_hash, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id) DO UPDATE SET last4_hash = $2, expiry_hash = $3, updated_at = $4",
    )
    .bind(org_id)
    .bind(last4_hash)
    .bind(expiry_hash)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The keyed hashes of the card's last 4 digits and expiry.
pub async fn billing_card(c: &mut Conn, org_id: i64) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let row = sqlx::query("SELECT last4_hash, expiry_hash FROM billing_cards WHERE org_id = $1")
        .bind(org_id)
        .fetch_optional(&mut *c)
        .await?;
    Ok(row.map(|r| (r.get("last4_hash"), r.get("expiry_hash"))))
}

// ---- Requests ------------------------------------------------------------

pub struct NewRequest<'a> {
    pub org_id: i64,
    pub target_id: i64,
    pub requester_id: i64,
    pub filed_by: i64,
    pub channel: RequestChannel,
    pub reference: &'a str,
    pub note: &'a str,
}

/// Files a request; `None` when the person already has an unfinished one.
/// A pass that ran out finishes its request here, so it does not block.
pub async fn insert_request(c: &mut Conn, r: &NewRequest<'_>, now: i64) -> Result<Option<i64>> {
    sqlx::query(
        "UPDATE support_requests SET live_target = NULL \
         WHERE live_target = $1 AND state = 'issued' AND pass_expires_at <= $2",
    )
    .bind(r.target_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    sqlx::query_scalar(
        "INSERT INTO support_requests (org_id, target_id, requester_id, filed_by, channel, reference, note, \
           state, live_target, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $2, $8) \
         ON CONFLICT (live_target) DO NOTHING RETURNING id",
    )
    .bind(r.org_id)
    .bind(r.target_id)
    .bind(r.requester_id)
    .bind(r.filed_by)
    .bind(r.channel.as_str())
    .bind(r.reference)
    .bind(r.note)
    .bind(now)
    .fetch_optional(&mut *c)
    .await
}

/// Someone a request names, as the desk sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub org_id: i64,
    pub org_name: String,
}

impl Person {
    /// How messages name them: their name, or their address when they have none.
    pub fn name_or_email(&self) -> String {
        super::users::name_or_email(&self.name, &self.email)
    }
}

#[derive(Debug, Clone)]
pub struct RequestRow {
    pub id: i64,
    pub org_id: i64,
    pub target: Person,
    pub requester: Person,
    pub filed_by: i64,
    pub channel: RequestChannel,
    pub reference: String,
    pub note: String,
    pub stage: Stage,
    pub failed_checks: i64,
    pub escalated_by: Option<i64>,
    pub issued_by: Option<i64>,
    pub pass_active_at: Option<i64>,
    pub pass_used_at: Option<i64>,
    pub reported_at: Option<i64>,
    pub created_at: i64,
    /// The target's role, to tell whether they are privileged.
    pub target_role: String,
    pub target_seniority: i64,
    pub target_permissions: String,
    pub target_last_factor_sign_in: Option<i64>,
}

const REQUEST_COLUMNS: &str = "\
    sr.id, sr.org_id, sr.filed_by, sr.channel, sr.reference, sr.note, sr.state, sr.failed_checks, \
    sr.escalated_by, sr.issued_by, sr.pass_active_at, sr.pass_used_at, sr.reported_at, sr.created_at, \
    t.id AS t_id, t.email AS t_email, t.name AS t_name, t.org_id AS t_org_id, tor.name AS t_org_name, \
    t.last_factor_sign_in_at AS t_last_factor, tr.name AS t_role, tr.seniority AS t_seniority, tr.permissions AS t_permissions, \
    q.id AS q_id, q.email AS q_email, q.name AS q_name, q.org_id AS q_org_id, qor.name AS q_org_name";

const REQUEST_FROM: &str = "\
    FROM support_requests sr \
    JOIN users t ON t.id = sr.target_id JOIN roles tr ON tr.id = t.role_id \
    JOIN organizations tor ON tor.id = t.org_id \
    JOIN users q ON q.id = sr.requester_id JOIN organizations qor ON qor.id = q.org_id";

fn person(r: &sqlx::any::AnyRow, prefix: &str) -> Person {
    let col = |name: &str| format!("{prefix}_{name}");
    Person {
        id: r.get(col("id").as_str()),
        email: r.get(col("email").as_str()),
        name: r.get(col("name").as_str()),
        org_id: r.get(col("org_id").as_str()),
        org_name: r.get(col("org_name").as_str()),
    }
}

fn request_from_row(r: &sqlx::any::AnyRow) -> Result<RequestRow> {
    let channel: String = r.get("channel");
    let stage: String = r.get("state");
    Ok(RequestRow {
        id: r.get("id"),
        org_id: r.get("org_id"),
        target: person(r, "t"),
        requester: person(r, "q"),
        filed_by: r.get("filed_by"),
        channel: RequestChannel::parse(&channel).ok_or_else(|| unknown("channel", &channel))?,
        reference: r.get("reference"),
        note: r.get("note"),
        stage: Stage::parse(&stage).ok_or_else(|| unknown("state", &stage))?,
        failed_checks: r.get("failed_checks"),
        escalated_by: r.get("escalated_by"),
        issued_by: r.get("issued_by"),
        pass_active_at: r.get("pass_active_at"),
        pass_used_at: r.get("pass_used_at"),
        reported_at: r.get("reported_at"),
        created_at: r.get("created_at"),
        target_role: r.get("t_role"),
        target_seniority: r.get("t_seniority"),
        target_permissions: r.get("t_permissions"),
        target_last_factor_sign_in: r.get("t_last_factor"),
    })
}

pub async fn request_by_id(c: &mut Conn, id: i64) -> Result<Option<RequestRow>> {
    let sql = format!("SELECT {REQUEST_COLUMNS} {REQUEST_FROM} WHERE sr.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await?;
    row.as_ref().map(request_from_row).transpose()
}

/// Which requests a list shows.
#[derive(Debug, Clone, Default)]
pub struct RequestScope {
    /// Only requests whose target is in this organization's subtree.
    pub subtree_of: Option<i64>,
    /// Only requests of one organization (the target's).
    pub org_id: Option<i64>,
    /// Only requests this person asked for.
    pub requester_id: Option<i64>,
    pub state: Option<RequestState>,
}

/// The SQL condition of a state people see (an issued request's comes from its pass).
fn state_condition(state: RequestState) -> &'static str {
    match state {
        RequestState::Open => "sr.state = 'open'",
        RequestState::Escalated => "sr.state = 'escalated'",
        RequestState::Denied => "sr.state = 'denied'",
        RequestState::Cancelled => "sr.state = 'cancelled'",
        RequestState::Used => "sr.state = 'issued' AND sr.pass_used_at IS NOT NULL",
        RequestState::CoolingOff => {
            "sr.state = 'issued' AND sr.pass_used_at IS NULL AND sr.pass_active_at > $2"
        }
        RequestState::Active => {
            "sr.state = 'issued' AND sr.pass_used_at IS NULL AND sr.pass_active_at <= $2 AND sr.pass_expires_at > $2"
        }
        RequestState::Expired => {
            "sr.state = 'issued' AND sr.pass_used_at IS NULL AND sr.pass_expires_at <= $2"
        }
    }
}

/// Requests newest first, at most `limit`.
pub async fn list_requests(
    c: &mut Conn,
    scope: &RequestScope,
    now: i64,
    limit: i64,
) -> Result<Vec<RequestRow>> {
    // $1 is the subtree root (or 0 for none), $2 now, $3 org, $4 requester, $5 limit.
    let mut conditions = vec![
        "($3 = 0 OR sr.org_id = $3)",
        "($4 = 0 OR sr.requester_id = $4)",
    ];
    if let Some(state) = scope.state {
        conditions.push(state_condition(state));
    }
    let (with, join) = match scope.subtree_of {
        Some(_) => (SUBTREE, " JOIN sub ON sub.id = sr.org_id"),
        None => ("", ""),
    };
    // Every parameter is used in every query (PostgreSQL must type each one).
    let sql = format!(
        "{with} SELECT {REQUEST_COLUMNS} {REQUEST_FROM}{join} WHERE $1 = $1 AND $2 = $2 AND {} \
         ORDER BY sr.created_at DESC, sr.id DESC LIMIT $5",
        conditions.join(" AND ")
    );
    let rows = sqlx::query(&sql)
        .bind(scope.subtree_of.unwrap_or(0))
        .bind(now)
        .bind(scope.org_id.unwrap_or(0))
        .bind(scope.requester_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    rows.iter().map(request_from_row).collect()
}

/// When other requests for the same person were filed.
pub async fn other_requests_for_target(
    c: &mut Conn,
    target_id: i64,
    except: i64,
) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT created_at FROM support_requests WHERE target_id = $1 AND id <> $2 ORDER BY created_at DESC LIMIT 100",
    )
    .bind(target_id)
    .bind(except)
    .fetch_all(&mut *c)
    .await
}

/// When the requests for an organization were filed since `since`.
pub async fn requests_for_org_since(c: &mut Conn, org_id: i64, since: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT created_at FROM support_requests WHERE org_id = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT 100",
    )
    .bind(org_id)
    .bind(since)
    .fetch_all(&mut *c)
    .await
}

/// When the person's current sign-in methods were last set up: their newest
/// authenticator, recovery codes or verified phone. (Taking one away helps
/// nobody take over an account; what a takeover adds shows here.)
pub async fn last_mfa_change(c: &mut Conn, user_id: i64) -> Result<Option<i64>> {
    let times: Vec<Option<i64>> = sqlx::query_scalar(
        "SELECT MAX(confirmed_at) FROM mfa_factors WHERE user_id = $1 \
         UNION ALL SELECT MAX(created_at) FROM recovery_codes WHERE user_id = $1 \
         UNION ALL SELECT phone_verified_at FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(times.into_iter().flatten().max())
}

/// Whether the person has a second factor: an authenticator or a verified phone.
pub async fn has_second_factor(c: &mut Conn, user_id: i64) -> Result<bool> {
    sqlx::query_scalar(
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL) \
           OR EXISTS (SELECT 1 FROM users WHERE id = $1 AND phone_verified_at IS NOT NULL) THEN 1 ELSE 0 END",
    )
    .bind(user_id)
    .fetch_one(&mut *c)
    .await
    .map(|n: i64| n == 1)
}

// ---- Checks --------------------------------------------------------------

/// Reserves one failed check on an open request before the check runs, so
/// concurrent checks never exceed the limit; false when none is left.
pub async fn reserve_check(c: &mut Conn, request_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE support_requests SET failed_checks = failed_checks + 1 \
         WHERE id = $1 AND state = 'open' AND failed_checks < $2",
    )
    .bind(request_id)
    .bind(MAX_FAILED_CHECKS as i64)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives back the failure reserved for a check that passed.
pub async fn release_check(c: &mut Conn, request_id: i64) -> Result<()> {
    sqlx::query("UPDATE support_requests SET failed_checks = failed_checks - 1 WHERE id = $1")
        .bind(request_id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

pub async fn insert_check(
    c: &mut Conn,
    request_id: i64,
    method: CheckMethod,
    passed: bool,
    agent_id: i64,
    note: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO support_checks (request_id, method, passed, agent_id, note, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(request_id)
    .bind(method.as_str())
    .bind(i64::from(passed))
    .bind(agent_id)
    .bind(note)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct CheckRow {
    pub method: CheckMethod,
    pub passed: bool,
    pub agent_id: i64,
    pub agent_email: String,
    pub note: String,
    pub at: i64,
}

pub async fn checks_of(c: &mut Conn, request_id: i64) -> Result<Vec<CheckRow>> {
    let rows = sqlx::query(
        "SELECT sc.method, sc.passed, sc.agent_id, u.email, sc.note, sc.at FROM support_checks sc \
         JOIN users u ON u.id = sc.agent_id WHERE sc.request_id = $1 ORDER BY sc.id",
    )
    .bind(request_id)
    .fetch_all(&mut *c)
    .await?;
    rows.into_iter()
        .map(|r| {
            let method: String = r.get("method");
            Ok(CheckRow {
                method: CheckMethod::parse(&method).ok_or_else(|| unknown("method", &method))?,
                passed: r.get::<i64, _>("passed") != 0,
                agent_id: r.get("agent_id"),
                agent_email: r.get("email"),
                note: r.get("note"),
                at: r.get("at"),
            })
        })
        .collect()
}

/// Uses the requester's live support code if it is `hash`, binding it to the request.
pub async fn use_support_code(
    c: &mut Conn,
    user_id: i64,
    hash: &[u8],
    request_id: i64,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE support_codes SET used_at = $1, request_id = $2 \
         WHERE user_id = $3 AND code_hash = $4 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(request_id)
    .bind(user_id)
    .bind(hash)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

// ---- The timeline --------------------------------------------------------

pub async fn insert_event(
    c: &mut Conn,
    request_id: i64,
    actor_id: Option<i64>,
    event: &str,
    details: &serde_json::Value,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO support_events (request_id, at, actor_id, event, details) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(request_id)
    .bind(now)
    .bind(actor_id)
    .bind(event)
    .bind(details.to_string())
    .execute(&mut *c)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub at: i64,
    pub actor_email: Option<String>,
    pub event: String,
    pub details: serde_json::Value,
}

pub async fn events_of(c: &mut Conn, request_id: i64) -> Result<Vec<EventRow>> {
    let rows = sqlx::query(
        "SELECT e.at, u.email, e.event, e.details FROM support_events e \
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.request_id = $1 ORDER BY e.id",
    )
    .bind(request_id)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| EventRow {
            at: r.get("at"),
            actor_email: r.get("email"),
            event: r.get("event"),
            details: serde_json::from_str(&r.get::<String, _>("details"))
                .unwrap_or(serde_json::Value::Null),
        })
        .collect())
}

// ---- Stage changes (each one conditional: the first of two racers wins) ----

pub async fn escalate_request(c: &mut Conn, request_id: i64, by: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE support_requests SET state = 'escalated', escalated_by = $2 WHERE id = $1 AND state = 'open'",
    )
    .bind(request_id)
    .bind(by)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn deny_request(c: &mut Conn, request_id: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE support_requests SET state = 'denied', live_target = NULL \
         WHERE id = $1 AND state IN ('open', 'escalated')",
    )
    .bind(request_id)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Issues the pass of an undecided request — unless the person signed in
/// with a factor since it was filed. The person's row is written first, so
/// issuing and such a sign-in (which writes it too, then cancels unused
/// passes) take turns: whichever comes second sees the other.
pub async fn issue_pass(
    c: &mut Conn,
    request_id: i64,
    by: i64,
    active_at: i64,
    expires_at: i64,
) -> Result<bool> {
    sqlx::query(
        "UPDATE users SET last_factor_sign_in_at = last_factor_sign_in_at \
         WHERE id = (SELECT target_id FROM support_requests WHERE id = $1)",
    )
    .bind(request_id)
    .execute(&mut *c)
    .await?;
    let done = sqlx::query(
        "UPDATE support_requests SET state = 'issued', issued_by = $2, pass_active_at = $3, pass_expires_at = $4 \
         WHERE id = $1 AND state IN ('open', 'escalated') AND NOT EXISTS (SELECT 1 FROM users u \
           WHERE u.id = support_requests.target_id AND u.last_factor_sign_in_at > support_requests.created_at)",
    )
    .bind(request_id)
    .bind(by)
    .bind(active_at)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Cancels an undecided request or an unused, unexpired pass.
pub async fn cancel_request(c: &mut Conn, request_id: i64, now: i64) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE support_requests SET state = 'cancelled', live_target = NULL \
         WHERE id = $1 AND (state IN ('open', 'escalated') \
           OR (state = 'issued' AND pass_used_at IS NULL AND pass_expires_at > $2))",
    )
    .bind(request_id)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// "This wasn't me": cancels whatever is left of the request and flags it,
/// once. Returns whether its pass had been used (the target's sessions end).
pub async fn report_request(c: &mut Conn, request_id: i64, now: i64) -> Result<Option<bool>> {
    let row = sqlx::query(
        "UPDATE support_requests SET state = 'cancelled', live_target = NULL, reported_at = $2 \
         WHERE id = $1 AND reported_at IS NULL AND state IN ('open', 'escalated', 'issued') \
         RETURNING pass_used_at",
    )
    .bind(request_id)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| r.get::<Option<i64>, _>("pass_used_at").is_some()))
}

// ---- Passes --------------------------------------------------------------

const PASS_IS_ACTIVE: &str = "target_id = $1 AND state = 'issued' AND pass_used_at IS NULL \
     AND pass_active_at <= $2 AND pass_expires_at > $2";

/// The request whose pass lets this person skip their code now, and when
/// the pass ends, if any.
pub async fn active_pass(c: &mut Conn, user_id: i64, now: i64) -> Result<Option<(i64, i64)>> {
    let sql = format!("SELECT id, pass_expires_at FROM support_requests WHERE {PASS_IS_ACTIVE}");
    let row = sqlx::query(&sql)
        .bind(user_id)
        .bind(now)
        .fetch_optional(&mut *c)
        .await?;
    Ok(row.map(|r| (r.get("id"), r.get("pass_expires_at"))))
}

/// Uses the person's active pass, once; the request it belonged to.
pub async fn use_pass(c: &mut Conn, user_id: i64, now: i64) -> Result<Option<i64>> {
    let sql = format!(
        "UPDATE support_requests SET pass_used_at = $2, live_target = NULL WHERE {PASS_IS_ACTIVE} RETURNING id"
    );
    sqlx::query_scalar(&sql)
        .bind(user_id)
        .bind(now)
        .fetch_optional(&mut *c)
        .await
}

/// The person signed in with a factor they still have: every pass of theirs
/// not yet used is cancelled. Returns (request, who issued it).
pub async fn cancel_unused_passes(c: &mut Conn, user_id: i64, now: i64) -> Result<Vec<(i64, i64)>> {
    sqlx::query("UPDATE users SET last_factor_sign_in_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(&mut *c)
        .await?;
    let rows = sqlx::query(
        "UPDATE support_requests SET state = 'cancelled', live_target = NULL \
         WHERE target_id = $1 AND state = 'issued' AND pass_used_at IS NULL AND pass_expires_at > $2 \
         RETURNING id, issued_by",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(&mut *c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("id"), r.get("issued_by")))
        .collect())
}

// ---- "This wasn't me" links ----------------------------------------------

pub async fn insert_cancel_link(
    c: &mut Conn,
    token_hash: &[u8],
    request_id: i64,
    email: &str,
    expires_at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO support_cancel_links (token_hash, request_id, email, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(request_id)
    .bind(email)
    .bind(expires_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The request and recipient of an unexpired link.
pub async fn cancel_link(
    c: &mut Conn,
    token_hash: &[u8],
    now: i64,
) -> Result<Option<(i64, String)>> {
    let row = sqlx::query(
        "SELECT request_id, email FROM support_cancel_links WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *c)
    .await?;
    Ok(row.map(|r| (r.get("request_id"), r.get("email"))))
}
