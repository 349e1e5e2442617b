//! Ways back in without the authenticator: a code or a sign-in link by
//! email (a recovery channel: it only lets the user set up a new
//! authenticator) and a code by SMS to a verified phone (a second factor).

use serde_json::json;

use crate::audit::Origin;
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::notify::{self, Notice};
use crate::rules::lockout::MAX_CODE_FAILURES_PER_ATTEMPT;
use crate::rules::totp;
use crate::store::{self, AttemptPurpose, AttemptReason, Conn, User};
use crate::telemetry;

use super::enrollment::ENROLL_TOKEN_TTL;
use super::second_factor::{refuse_after_commit, use_up_attempt};
use super::{audit_own, six_digit_code, Gatehouse};

pub const OOB_CODE_TTL: i64 = 10 * 60;

pub const OOB_LINK_TTL: i64 = 15 * 60;

/// Where a correct emailed or texted code leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OobOutcome {
    /// Email: a recovery attempt (its mfa_token) that can only set up a new authenticator.
    Recovery(String),
    /// SMS to a verified phone: signed in.
    SignedIn(i64),
    /// SMS, where the role requires a passkey: an attempt (its mfa_token)
    /// that adds one before the sign-in finishes.
    PasskeyOwed(String),
}

/// Out-of-band ways back in: a code or link sent by email, a code by SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OobKind {
    EmailCode,
    EmailLink,
    SmsCode,
}

impl OobKind {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "email_otp" => Some(Self::EmailCode),
            "email_link" => Some(Self::EmailLink),
            "sms_otp" => Some(Self::SmsCode),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::EmailCode => "email_otp",
            Self::EmailLink => "email_link",
            Self::SmsCode => "sms_otp",
        }
    }

    /// Only a browser can finish it: a sign-in link completes in the browser
    /// session that asked for it, so the JSON API neither offers nor sends it.
    pub fn browser_only(self) -> bool {
        self == Self::EmailLink
    }
}

impl Gatehouse {
    pub(crate) fn oob_hash(&self, attempt_id: i64, kind: OobKind, code: &str) -> Vec<u8> {
        self.keys
            .mac(format!("oob:{attempt_id}:{}:{code}", kind.name()).as_bytes())
    }

    /// Sends a code or sign-in link for a live attempt. The answer is the same
    /// whether or not the user has a phone; a resend replaces the previous code,
    /// waits `code_resend_seconds`, and never resets the attempt's failures.
    pub async fn send_challenge(
        &self,
        mfa_token: &str,
        kind: OobKind,
        origin: &Origin,
    ) -> Result<i64> {
        let now = self.now();
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::SecondFactor, now)
            .await?;
        self.check_not_locked(&user, now)?;
        let resend = self.settings.code_resend_seconds;
        let mut tx = self.db.begin().await?;
        // Checked and written with the attempt's row held: two racing sends are one send.
        store::lock_attempt(&mut tx, attempt.id).await?;
        let last = store::oob_last_sent(&mut tx, attempt.id, kind.name()).await?;
        if let Some(last) = last.filter(|last| last + resend > now) {
            return Err(AuthError::RateLimited {
                retry_after: last + resend - now,
            });
        }
        let public_url = &self.settings.public_url;
        let mail = match kind {
            OobKind::EmailCode => {
                let code = six_digit_code();
                let hash = self.oob_hash(attempt.id, kind, &code);
                store::oob_replace(
                    &mut tx,
                    attempt.id,
                    kind.name(),
                    &hash,
                    now,
                    now + OOB_CODE_TTL,
                )
                .await?;
                Some(notify::sign_in_code(
                    &code,
                    &user.email,
                    origin,
                    now,
                    public_url,
                ))
            }
            OobKind::EmailLink => {
                let token = crypto::new_token();
                store::oob_replace(
                    &mut tx,
                    attempt.id,
                    kind.name(),
                    &crypto::token_hash(&token),
                    now,
                    now + OOB_LINK_TTL,
                )
                .await?;
                Some(notify::sign_in_link(
                    &format!("{public_url}/login/link?token={token}"),
                    &user.email,
                    origin,
                    now,
                    public_url,
                ))
            }
            OobKind::SmsCode => {
                // Without a verified phone nothing is sent, but a code that no
                // one knows is recorded all the same, so the answer — resend
                // wait included — is the same with and without a phone.
                let code = six_digit_code();
                let hash = match &user.phone {
                    Some(_) => self.oob_hash(attempt.id, kind, &code),
                    None => crypto::token_hash(&crypto::new_token()),
                };
                store::oob_replace(
                    &mut tx,
                    attempt.id,
                    kind.name(),
                    &hash,
                    now,
                    now + OOB_CODE_TTL,
                )
                .await?;
                if let Some(phone) = &user.phone {
                    let text = format!("Gatehouse sign-in code: {code}. Valid 10 minutes, for the sign-in you started. Never share it.");
                    notify::enqueue_sms(&mut tx, phone, &text, now).await?;
                }
                None
            }
        };
        if let Some(mail) = mail {
            notify::enqueue_mail(&mut tx, &user.email, &mail, now).await?;
        }
        audit_own(
            &mut tx,
            &user,
            "mfa.code_sent",
            json!({ "method": kind.name() }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(resend)
    }

    /// Checks an emailed (or texted) code. Email is a recovery channel, not a
    /// second factor: success yields a recovery attempt whose only use is to
    /// set up a new authenticator; its mfa_token is returned.
    pub async fn verify_oob_code(
        &self,
        mfa_token: &str,
        kind: OobKind,
        code: &str,
        origin: &Origin,
    ) -> Result<OobOutcome> {
        let checked = self.check_oob_code(mfa_token, kind, code, origin).await;
        telemetry::mfa_check(kind.name(), &checked);
        if kind == OobKind::SmsCode {
            telemetry::second_stage(&checked);
        }
        checked
    }

    async fn check_oob_code(
        &self,
        mfa_token: &str,
        kind: OobKind,
        code: &str,
        origin: &Origin,
    ) -> Result<OobOutcome> {
        let now = self.now();
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::SecondFactor, now)
            .await?;
        if kind == OobKind::SmsCode {
            // A text message is a code like any other; email is recovery.
            self.refuse_codes_where_passkey_required(&user, kind.name(), origin, now)
                .await?;
        }
        let hash = self.oob_hash(attempt.id, kind, &totp::normalize_code(code));
        // Counted, then checked, in one transaction (see `check_code`).
        let mut tx = self.db.begin().await?;
        let check = match self
            .reserve_code_check(&mut tx, &user, Some(attempt.id), kind.name(), origin, now)
            .await?
        {
            Ok(check) => check,
            Err(refused) => return refuse_after_commit(tx, refused).await,
        };
        if !store::oob_consume(&mut tx, attempt.id, kind.name(), &hash, now).await? {
            let refused = self
                .code_failed(&mut tx, &user, &check, kind.name(), false, origin, now)
                .await?;
            return refuse_after_commit(tx, refused).await;
        }
        // Found live by the count just now, under the same locks (see
        // `check_code`): refuses nothing in practice, and rolls back.
        use_up_attempt(&mut tx, attempt.id, user.id, now).await?;
        if kind == OobKind::SmsCode {
            // A code to a verified phone is a (weaker) second factor: a full sign-in.
            store::clear_mfa_failures(&mut tx, user.id).await?;
            self.signed_in_with_factor(&mut tx, &user, origin, now)
                .await?;
            let owed = self
                .finish_second_stage(&mut tx, &user, kind.name(), origin, now)
                .await?;
            tx.commit().await?;
            return Ok(owed.map_or(OobOutcome::SignedIn(user.id), OobOutcome::PasskeyOwed));
        }
        let token = self
            .start_recovery(&mut tx, &user, kind, origin, now)
            .await?;
        tx.commit().await?;
        Ok(OobOutcome::Recovery(token))
    }

    /// Whether a sign-in link is still usable (shown before the button is pressed).
    pub async fn link_is_live(&self, link_token: &str) -> Result<bool> {
        let hash = crypto::token_hash(link_token);
        Ok(
            store::oob_link_attempt(&mut *self.conn().await?, &hash, self.now())
                .await?
                .is_some(),
        )
    }

    /// Completes a sign-in link in the browser that asked for it (`mfa_token`
    /// from that browser's session); returns the recovery attempt's mfa_token.
    pub async fn complete_link(
        &self,
        link_token: &str,
        mfa_token: Option<&str>,
        origin: &Origin,
    ) -> Result<String> {
        let now = self.now();
        let hash = crypto::token_hash(link_token);
        let link_attempt = store::oob_link_attempt(&mut *self.conn().await?, &hash, now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        let (attempt, user) = match mfa_token {
            Some(token) => self
                .live_attempt(token, AttemptPurpose::SecondFactor, now)
                .await
                .map_err(|_| AuthError::LinkOtherBrowser)?,
            None => return Err(AuthError::LinkOtherBrowser),
        };
        if attempt.id != link_attempt {
            return Err(AuthError::LinkOtherBrowser);
        }
        let mut tx = self.db.begin().await?;
        if !store::consume_attempt(
            &mut tx,
            attempt.id,
            user.id,
            now,
            MAX_CODE_FAILURES_PER_ATTEMPT,
        )
        .await?
            || !store::oob_consume(&mut tx, attempt.id, OobKind::EmailLink.name(), &hash, now)
                .await?
        {
            tx.rollback().await?;
            return Err(AuthError::LinkInvalid);
        }
        let token = self
            .start_recovery(&mut tx, &user, OobKind::EmailLink, origin, now)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    pub(crate) async fn start_recovery(
        &self,
        c: &mut Conn,
        user: &User,
        kind: OobKind,
        origin: &Origin,
        now: i64,
    ) -> Result<String> {
        let token = Self::new_attempt(
            c,
            user.id,
            AttemptPurpose::Enrollment,
            AttemptReason::Recovery,
            ENROLL_TOKEN_TTL,
            now,
        )
        .await?;
        store::clear_mfa_failures(c, user.id).await?;
        self.notify(
            c,
            user,
            &Notice::SignedInByEmail {
                link: kind == OobKind::EmailLink,
            },
            origin,
            now,
        )
        .await?;
        audit_own(
            c,
            user,
            "login.recovery_started",
            json!({ "method": kind.name() }),
            origin,
            now,
        )
        .await?;
        Ok(token)
    }
}
