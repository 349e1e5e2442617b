//! Every SQL statement of Gatehouse, in one dialect that SQLite and PostgreSQL
//! both accept, one file per table family. Functions take a connection so
//! callers choose between a plain pooled connection and a transaction
//! (`&mut tx` derefs to the connection).
//!
//! One-time things are consumed by a single conditional `UPDATE … RETURNING`,
//! so two racing requests can never both succeed. Write transactions come
//! from `Db::begin`, which on SQLite takes the write lock up front. Lists of
//! the administration screens start from [`subtree::SUBTREE`], so a
//! query cannot forget the caller's scope.

use sqlx::AnyConnection;

mod abuse;
mod account_links;
mod attempts;
mod audit;
mod challenges;
mod clauses;
mod factors;
mod grants;
mod invitations;
mod listing;
mod lockout;
mod organizations;
mod outbox;
mod passkeys;
mod recovery_codes;
mod roles;
mod sessions;
mod subtree;
mod support_codes;
mod support_desk;
mod users;

pub use abuse::{
    alerts_after, insert_alert, insert_reset_event, last_alert_at, platform_manager_emails,
    reset_counts, AlertRow,
};
pub use account_links::{
    account_link, account_link_any, expire_account_links, insert_account_link, use_account_link,
    LinkRow,
};
pub use attempts::{
    attempt_by_token, attempt_reserve_check, consume_attempt, end_sign_in_attempts, insert_attempt,
    lock_attempt, Attempt, AttemptPurpose, AttemptReason, NewAttempt,
};
pub use audit::{
    audit_actions, audit_chain, audit_claim_seq, audit_entries, audit_heads, audit_insert,
    AuditEntry, AuditRow,
};
pub use challenges::{
    oob_consume, oob_last_sent, oob_link_attempt, oob_replace, pending_phone,
    phone_verification_failed, phone_verification_start, phone_verification_use,
    set_verified_phone,
};
pub use factors::{
    confirm_factor, confirmed_factors, delete_all_mfa, delete_confirmed_factors, delete_factor,
    insert_pending_factor, pending_factor, set_factor_label, use_totp_step, Enrollment, Factor,
};
pub use grants::{
    active_grants, covering_grant, grant_org, insert_grant, revoke_grant, use_grant, Cover, Grant,
    NewGrant,
};
pub use invitations::{
    delete_invited_user, end_invitations, insert_invitation, invitation_email, still_invited,
    use_invitation,
};
pub use listing::{Listed, PageAt, COUNT_LIMIT};
pub use lockout::{
    clear_mfa_failures, count_in_window, lock_mfa, mfa_recent_failures, mfa_reserve_check,
    throttle, throttle_clear, throttle_lock, throttle_reserve, unlock_mfa, LockState, Throttle,
};
pub use organizations::{
    child_named, customers, insert_org, lock_org, org_by_id, org_by_slug, org_path, subtree_orgs,
    Customer, Org,
};
pub use outbox::{
    outbox_backlog, outbox_claim, outbox_failed, outbox_insert, outbox_purge, outbox_recent,
    outbox_retry_later, outbox_sent, Channel, NewMessage, OutboxMessage, ERASED_BODY,
};
pub use passkeys::{
    insert_ceremony, insert_passkey, take_ceremony, trim_ceremonies, use_passkey, CeremonyPurpose,
    NewCeremony, NewPasskey,
};
pub use recovery_codes::{
    consume_recovery_code, recovery_code_was_used, recovery_codes_left, replace_recovery_codes,
};
pub use roles::{
    delete_unused_role, fill_name_keys, insert_role, rename_role, role_by_id, role_id,
    roles_of_org, set_role_mfa_required, set_role_passkey_required, subtree_roles, NewRole,
    RoleRow, BUILTIN_ROLES,
};
pub use sessions::{
    api_token_user, delete_expired, insert_api_token, revoke_api_token, revoke_sessions_and_tokens,
    session_delete, session_insert, session_load, session_update, Keep,
};
pub use support_codes::{live_support_code, store_support_code, NewSupportCode, SupportCodeRow};
pub use support_desk::{
    active_pass, billing_card, cancel_link, cancel_request, cancel_unused_passes, checks_of,
    deny_request, escalate_request, events_of, first_owner, has_second_factor, insert_cancel_link,
    insert_check, insert_event, insert_request, issue_pass, last_mfa_change, list_requests,
    named_contacts, other_requests_for_target, release_check, replace_contacts, report_request,
    request_by_id, requests_for_org_since, reserve_check, set_billing_card, use_pass,
    use_support_code, CheckRow, EventRow, NewRequest, Person, RequestRow, RequestScope,
};
pub use users::{
    actor_facts, administrators_with_mfa, clear_flag, flag_user, insert_user, list_users,
    lock_user, next_user_id, org_admin_emails, record_login, set_password_hash, set_user_disabled,
    set_user_role, user_by_email, user_by_id, User, UserSummary,
};

pub type Conn = AnyConnection;

/// A column held a word this version does not know.
pub(crate) fn unknown(column: &str, text: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} “{text}”").into())
}
pub type Result<T> = std::result::Result<T, sqlx::Error>;

/// Whether a statement meant to change one row did; a foreign key it would
/// break counts as no change (the row it needs is gone, or a row still
/// needs the one it removes), so a race with another change answers "no"
/// rather than a server error.
pub(crate) fn changed_one(
    done: std::result::Result<sqlx::any::AnyQueryResult, sqlx::Error>,
) -> Result<bool> {
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => Ok(false),
        Err(e) => Err(e),
    }
}
