//! What every reset of someone's second factor owes them. Whoever removed or
//! replaced it — the person, an admin, a partner's grant, the support desk,
//! the emailed recovery — the person's own address hears of it at once, with
//! a "This wasn't me" link (7 days, once). Pressing it shuts whoever did it
//! out: every session and token ends, what the reset set up goes with the
//! password, and the account waits, locked and flagged, for an
//! administrator (for an owner, the partner or the support desk) to review it.

use serde_json::json;

use crate::audit::Origin;
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::notify::{self, Notice};
use crate::rules::abuse::ResetKind;
use crate::rules::account_links::LinkPurpose;
use crate::store::{self, Conn, Keep, User};
use crate::telemetry;

use super::{audit_own, Gatehouse};

/// A reset as the person hears of it: its kind, and for a partner's grant,
/// the partner that granted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reset {
    pub kind: ResetKind,
    pub granted_by: Option<String>,
}

impl Reset {
    pub fn new(kind: ResetKind, granted_by: Option<String>) -> Self {
        Self { kind, granted_by }
    }

    /// What the person's mail says happened.
    fn notice(&self) -> Notice {
        match self.kind {
            ResetKind::SelfReset => Notice::MfaReset { by_self: true },
            ResetKind::AdminDisable => Notice::MfaReset { by_self: false },
            ResetKind::EmailRecovery => Notice::ReplacedAfterEmail,
            ResetKind::Grant => Notice::ResetWithPermission {
                partner: self
                    .granted_by
                    .clone()
                    .unwrap_or_else(|| "your partner".into()),
            },
            ResetKind::SupportPass => Notice::ResetWithPermission {
                partner: "the support desk".into(),
            },
        }
    }
}

/// What a "This wasn't me" link is about, for its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotMeLink {
    pub user_name: String,
    /// The kind of the reset it reports (`ResetKind::as_str`).
    pub reset: String,
    /// Already pressed (the page then says what happened).
    pub reported: bool,
    /// When the reset happened (its mail was sent).
    pub at: i64,
}

impl Gatehouse {
    /// The one place where "a reset of someone's MFA took effect" is
    /// handled, inside the reset's transaction, by every path that resets:
    /// it is counted for the abuse signals ([`Self::count_reset`], which
    /// takes row locks, so callers call this before their audit entries),
    /// and the person is told, with their own "This wasn't me" link.
    pub(crate) async fn reset_took_effect(
        &self,
        c: &mut Conn,
        user: &User,
        reset: Reset,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        self.count_reset(c, user, reset.kind, origin, now).await?;
        telemetry::reset(reset.kind.as_str());
        self.offer_report_link(c, user, &reset, origin, now).await
    }

    /// Mails the person what happened to their second factor, with their own
    /// "This wasn't me" link.
    pub(crate) async fn offer_report_link(
        &self,
        c: &mut Conn,
        user: &User,
        reset: &Reset,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        let token = crypto::new_token();
        let hash = crypto::token_hash(&token);
        let purpose = LinkPurpose::NotMe;
        store::insert_account_link(c, &hash, user.id, purpose, reset.kind.as_str(), now).await?;
        let public_url = &self.settings.public_url;
        let link = format!("{public_url}/not-me?token={token}");
        let mail =
            notify::with_report_link(&reset.notice(), &link, &user.email, origin, now, public_url);
        notify::enqueue_mail(c, &user.email, &mail, now).await?;
        Ok(())
    }

    /// The page of a "This wasn't me" link: what it reports, or None when the
    /// link is unknown or past its 7 days. Reads only.
    pub async fn not_me_link(&self, token: &str) -> Result<Option<NotMeLink>> {
        let mut c = self.conn().await?;
        let hash = crypto::token_hash(token);
        let now = self.now();
        let Some(link) = store::account_link_any(&mut c, &hash, LinkPurpose::NotMe, now).await?
        else {
            return Ok(None);
        };
        let Some(user) = store::user_by_id(&mut c, link.user_id).await? else {
            return Ok(None);
        };
        Ok(Some(NotMeLink {
            user_name: user.name_or_email(),
            reset: link.about,
            reported: link.used,
            at: link.sent_at,
        }))
    }

    /// "This wasn't me": once per link. Ends every session and token, removes
    /// the second factor and the password whoever did the reset now holds,
    /// locks and flags the account, and tells the organization's admins.
    pub async fn report_reset(&self, token: &str, origin: &Origin) -> Result<NotMeLink> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let hash = crypto::token_hash(token);
        let (user_id, reset) = store::use_account_link(&mut tx, &hash, LinkPurpose::NotMe, now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        let user = store::user_by_id(&mut tx, user_id)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        self.lock_reported_account(&mut tx, &user, now).await?;
        let details = json!({ "reset": reset });
        audit_own(
            &mut tx,
            &user,
            "account.reported_not_me",
            details,
            origin,
            now,
        )
        .await?;
        self.notify(
            &mut tx,
            &user,
            &Notice::AccountLockedAfterReport,
            origin,
            now,
        )
        .await?;
        let notice = Notice::ResetReported {
            person: user.name_or_email(),
        };
        for admin in store::org_admin_emails(&mut tx, user.org_id).await? {
            if admin != user.email {
                let url = &self.settings.public_url;
                notify::enqueue(&mut tx, &admin, &notice, origin, now, url).await?;
            }
        }
        tx.commit().await?;
        Ok(NotMeLink {
            user_name: user.name_or_email(),
            reset,
            reported: true,
            at: now,
        })
    }

    /// Shuts out whoever holds the account after a reset its owner did not
    /// ask for: sessions and tokens, every factor, code and phone, and the
    /// password end; the account is deactivated and flagged for review. The
    /// person chooses a new password ("Forgot password?") once an
    /// administrator has reactivated it.
    pub(crate) async fn lock_reported_account(
        &self,
        c: &mut Conn,
        user: &User,
        now: i64,
    ) -> Result<()> {
        // The user's row before the factors and attempts, as a sign-in
        // finishing meanwhile takes them.
        store::lock_user(c, user.id).await?;
        store::revoke_sessions_and_tokens(c, user.id, Keep::Nothing, now).await?;
        store::delete_all_mfa(c, user.id).await?;
        store::set_verified_phone(c, user.id, None, now).await?;
        store::set_password_hash(c, user.id, "").await?;
        store::expire_account_links(c, user.id, LinkPurpose::PasswordReset, now).await?;
        store::flag_user(c, user.id, now).await?;
        Ok(())
    }
}
