//! Setting up an authenticator app: at sign-in (an enrollment attempt, its
//! secret bound to that attempt) or from My profile (bound to the account).
//! Confirming activates the factor, hands out recovery codes the first time
//! and ends the user's other sign-in attempts.

use serde_json::json;

use crate::audit::Origin;
use crate::error::{AuthError, Result};
use crate::notify::Notice;
use crate::rules::factors::{passkey_required, FactorKind};
use crate::rules::lockout::MAX_CODE_FAILURES_PER_ATTEMPT;
use crate::rules::naming::display_name;
use crate::rules::recovery;
use crate::rules::totp;
use crate::store::{self, Attempt, AttemptPurpose, AttemptReason, Conn, Enrollment, User};

use super::passkeys::CheckedPasskey;
use super::resets::Reset;
use super::second_factor::use_up_attempt;
use super::{audit_own, secret_context, Gatehouse};

/// Setting up an authenticator (scan, type a code) takes longer than typing one.
pub const ENROLL_TOKEN_TTL: i64 = 15 * 60;

/// What an enrollment at sign-in asks of the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentAsk {
    pub reason: AttemptReason,
    /// Only a passkey will do (an authenticator app is refused).
    pub passkey_only: bool,
    pub email: String,
}

/// The factor an enrollment at sign-in finishes with, checked already.
pub(crate) enum NewFactor {
    /// The authenticator the attempt set up: its pending row, the time step
    /// its code matched, and the name the user gave it.
    Totp {
        pending: i64,
        step: i64,
        name: Option<String>,
    },
    /// A passkey whose registration was verified, to be stored.
    Passkey(CheckedPasskey),
}

#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub secret_display: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

impl Gatehouse {
    /// The authenticator a signed-in user is adding (My profile, a bearer token).
    pub async fn totp_setup(&self, user_id: i64) -> Result<TotpSetup> {
        let user = self.user(user_id).await?;
        self.pending_setup(&user, Enrollment::Account).await
    }

    /// The authenticator being set up by one attempt (or the account): reuses
    /// its pending one so a reload shows the same QR code, else starts a new one.
    pub(crate) async fn pending_setup(
        &self,
        user: &User,
        enrollment: Enrollment,
    ) -> Result<TotpSetup> {
        let user_id = user.id;
        let mut c = self.conn().await?;
        let now = self.now();
        let existing = store::pending_factor(&mut c, user_id, enrollment)
            .await?
            .filter(|f| f.created_at > now - ENROLL_TOKEN_TTL)
            .and_then(|f| self.keys.open(&f.secret_sealed, &secret_context(user_id)));
        let secret = match existing {
            Some(secret) => secret,
            None => {
                let secret = totp::new_secret().to_vec();
                let apps = store::confirmed_factors(&mut c, user_id)
                    .await?
                    .iter()
                    .filter(|f| f.kind == FactorKind::Totp.as_str())
                    .count();
                let label = FactorKind::Totp.default_label(apps + 1);
                let sealed = self.keys.seal(&secret, &secret_context(user_id));
                store::insert_pending_factor(&mut c, user_id, enrollment, &label, &sealed, now)
                    .await?;
                secret
            }
        };
        let otpauth_uri = self
            .totp
            .otpauth_uri(&self.settings.issuer, &user.email, &secret);
        Ok(TotpSetup {
            secret: totp::secret_base32(&secret),
            secret_display: totp::secret_for_display(&secret),
            qr_svg: totp::qr_svg(&otpauth_uri),
            otpauth_uri,
        })
    }

    /// The authenticator being set up during sign-in, and why the sign-in needs one.
    pub async fn totp_setup_for_attempt(
        &self,
        mfa_token: &str,
    ) -> Result<(TotpSetup, AttemptReason)> {
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::Enrollment, self.now())
            .await?;
        if self.enrollment_takes_only_passkeys(&attempt, &user) {
            return Err(AuthError::PasskeyRequired);
        }
        let setup = self
            .pending_setup(&user, Enrollment::Attempt(attempt.id))
            .await?;
        Ok((setup, attempt.reason))
    }

    /// Why the sign-in `mfa_token` waits for a new factor, and whether only
    /// a passkey will do.
    pub async fn enrollment_ask(&self, mfa_token: &str) -> Result<EnrollmentAsk> {
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::Enrollment, self.now())
            .await?;
        Ok(EnrollmentAsk {
            reason: attempt.reason,
            passkey_only: self.enrollment_takes_only_passkeys(&attempt, &user),
            email: user.email,
        })
    }

    /// Confirms the authenticator set up during sign-in; signs the user in and
    /// returns their first recovery codes.
    /// `name`: what the user calls the authenticator ("Work phone"), or
    /// empty for the default ("Authenticator app").
    pub async fn totp_confirm_for_attempt(
        &self,
        mfa_token: &str,
        code: &str,
        name: &str,
        origin: &Origin,
    ) -> Result<(i64, Vec<String>)> {
        let name = authenticator_name(name)?;
        let now = self.now();
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::Enrollment, now)
            .await?;
        if self.enrollment_takes_only_passkeys(&attempt, &user) {
            return Err(AuthError::PasskeyRequired);
        }
        let failures = self.reserve_enrollment_check(&attempt, now).await?;
        let enrollment = Enrollment::Attempt(attempt.id);
        let Some((pending, step)) = self.match_pending(&user, enrollment, code, now).await? else {
            return Err(AuthError::WrongCode {
                tries_left: MAX_CODE_FAILURES_PER_ATTEMPT - failures,
            });
        };
        let factor = NewFactor::Totp {
            pending,
            step,
            name,
        };
        self.finish_enrollment(&attempt, &user, factor, origin, now)
            .await
    }

    /// Where an enrollment at sign-in may set up only a passkey: the sign-in
    /// owes one, or the role requires one (a recovery then ends in a passkey).
    pub(crate) fn enrollment_takes_only_passkeys(&self, attempt: &Attempt, user: &User) -> bool {
        attempt.reason == AttemptReason::PasskeyRequired
            || passkey_required(user.role_passkey_required, self.passkeys_available())
    }

    /// Counts a try at finishing an enrollment before it is checked (5 per
    /// attempt, like codes at sign-in); returns the tries counted.
    pub(crate) async fn reserve_enrollment_check(
        &self,
        attempt: &Attempt,
        now: i64,
    ) -> Result<i64> {
        store::attempt_reserve_check(
            &mut *self.conn().await?,
            attempt.id,
            now,
            MAX_CODE_FAILURES_PER_ATTEMPT,
        )
        .await?
        .ok_or(AuthError::MfaTokenInvalid)
    }

    /// Finishes an enrollment at sign-in with its checked new factor, in one
    /// transaction: the attempt is used, a reset (grant, support pass, email
    /// recovery) takes effect and replaces the old factors and sessions, the
    /// factor is activated, and the user is signed in. Returns the new
    /// recovery codes (none when a sign-in only owed a passkey: the person
    /// keeps their codes).
    pub(crate) async fn finish_enrollment(
        &self,
        attempt: &Attempt,
        user: &User,
        factor: NewFactor,
        origin: &Origin,
        now: i64,
    ) -> Result<(i64, Vec<String>)> {
        let cover = match attempt.reason {
            AttemptReason::ResetPermission => Some(
                store::covering_grant(&mut *self.conn().await?, user.id, now)
                    .await?
                    .ok_or(AuthError::GrantEnded)?,
            ),
            _ => None,
        };
        let mut tx = self.db.begin().await?;
        use_up_attempt(&mut tx, attempt.id, user.id, now).await?;
        if let Some(kind) = super::abuse::reset_at_sign_in(attempt.reason) {
            let granted_by = cover.as_ref().map(|c| c.granted_by_org.clone());
            let reset = Reset::new(kind, granted_by);
            self.reset_took_effect(&mut tx, user, reset, origin, now)
                .await?;
        }
        let first_factor = attempt.reason == AttemptReason::MfaRequired;
        if first_factor && !store::confirmed_factors(&mut tx, user.id).await?.is_empty() {
            // Someone else finished setting up the first authenticator meanwhile.
            tx.rollback().await?;
            return Err(AuthError::MfaTokenInvalid);
        }
        if let Some(cover) = &cover {
            // Used once per user, checked again inside the transaction: a
            // revocation or a second tab racing this one wins or loses whole.
            if !store::use_grant(&mut tx, cover, user.id, now).await? {
                tx.rollback().await?;
                return Err(AuthError::GrantEnded);
            }
            audit_own(
                &mut tx,
                user,
                "grant.used",
                json!({ "grant_id": cover.grant_id }),
                origin,
                now,
            )
            .await?;
        }
        let replaces_factors = matches!(
            attempt.reason,
            AttemptReason::Recovery | AttemptReason::ResetPermission | AttemptReason::ResetPass
        );
        // A support pass is used once, inside this transaction: a
        // cancellation or a second tab racing this one wins or loses whole.
        // Any other reset uses up a pass that happens to be active too, so
        // it cannot reset the new authenticator a second time.
        let pass_used = replaces_factors && self.use_reset_pass(&mut tx, user, origin, now).await?;
        if attempt.reason == AttemptReason::ResetPass && !pass_used {
            tx.rollback().await?;
            return Err(AuthError::GrantEnded);
        }
        if replaces_factors {
            // The old device is lost (or being replaced): it goes, with every session.
            store::delete_confirmed_factors(&mut tx, user.id).await?;
            store::revoke_sessions_and_tokens(&mut tx, user.id, store::Keep::Nothing, now).await?;
            store::unlock_mfa(&mut tx, user.id).await?;
        }
        let new_codes = attempt.reason != AttemptReason::PasskeyRequired;
        let (factor_id, step) = match factor {
            NewFactor::Totp {
                pending,
                step,
                name,
            } => {
                if let Some(name) = &name {
                    store::set_factor_label(&mut tx, user.id, pending, name).await?;
                }
                (pending, step)
            }
            NewFactor::Passkey(passkey) => {
                let (id, _) = self.store_passkey(&mut tx, user, &passkey, now).await?;
                (id, 0)
            }
        };
        let codes = self
            .activate_factor(&mut tx, user, factor_id, step, new_codes, origin, now)
            .await?;
        store::record_login(&mut tx, user.id, now).await?;
        audit_own(
            &mut tx,
            user,
            "login.succeeded",
            json!({ "method": "enrollment" }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((user.id, codes.unwrap_or_default()))
    }

    /// Confirms an authenticator added by a signed-in user. Returns recovery
    /// codes when this is their first factor (MFA turned on).
    pub async fn totp_confirm_for_user(
        &self,
        user_id: i64,
        code: &str,
        name: &str,
        origin: &Origin,
    ) -> Result<Option<Vec<String>>> {
        let name = authenticator_name(name)?;
        let now = self.now();
        let user = self.user(user_id).await?;
        let Some((pending, step)) = self
            .match_pending(&user, Enrollment::Account, code, now)
            .await?
        else {
            return Err(AuthError::InvalidCode);
        };
        let mut tx = self.db.begin().await?;
        let had_factors = !store::confirmed_factors(&mut tx, user.id).await?.is_empty();
        if let Some(name) = &name {
            store::set_factor_label(&mut tx, user.id, pending, name).await?;
        }
        let codes = self
            .activate_factor(&mut tx, &user, pending, step, !had_factors, origin, now)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    pub(crate) async fn match_pending(
        &self,
        user: &User,
        enrollment: Enrollment,
        code: &str,
        now: i64,
    ) -> Result<Option<(i64, i64)>> {
        let pending = store::pending_factor(&mut *self.conn().await?, user.id, enrollment)
            .await?
            .ok_or(AuthError::NoEnrollment)?;
        Ok(self.match_totp(user.id, std::slice::from_ref(&pending), code, now))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn activate_factor(
        &self,
        c: &mut Conn,
        user: &User,
        factor_id: i64,
        step: i64,
        new_codes: bool,
        origin: &Origin,
        now: i64,
    ) -> Result<Option<Vec<String>>> {
        let (label, kind) = store::confirm_factor(c, factor_id, step, now)
            .await?
            .ok_or(AuthError::NoEnrollment)?;
        let kind = FactorKind::parse(&kind).unwrap_or(FactorKind::Totp);
        // Every other sign-in in progress ends: it began before this factor existed.
        store::end_sign_in_attempts(c, user.id, now).await?;
        let notice = if new_codes {
            Notice::MfaTurnedOn { kind }
        } else {
            Notice::FactorAdded { label, kind }
        };
        self.notify(c, user, &notice, origin, now).await?;
        audit_own(
            c,
            user,
            "mfa.factor_added",
            json!({ "kind": kind.as_str(), "factor_id": factor_id }),
            origin,
            now,
        )
        .await?;
        if !new_codes {
            return Ok(None);
        }
        Ok(Some(self.replace_codes(c, user, origin, now).await?))
    }

    pub(crate) async fn replace_codes(
        &self,
        c: &mut Conn,
        user: &User,
        origin: &Origin,
        now: i64,
    ) -> Result<Vec<String>> {
        let codes = recovery::generate_set();
        let hashes: Vec<Vec<u8>> = codes
            .iter()
            .filter_map(|code| recovery::hash(&self.keys, code))
            .collect();
        store::replace_recovery_codes(c, user.id, &hashes, now).await?;
        audit_own(
            c,
            user,
            "mfa.recovery_codes_generated",
            json!({ "count": codes.len() }),
            origin,
            now,
        )
        .await?;
        Ok(codes)
    }
}

/// The longest name an authenticator can have.
pub const AUTHENTICATOR_NAME_MAX: usize = 40;

/// The name a user gives an authenticator, in its one written form; None
/// when left empty (the default name stays).
pub(crate) fn authenticator_name(name: &str) -> Result<Option<String>> {
    let name = display_name(name, 0, AUTHENTICATOR_NAME_MAX).ok_or_else(|| {
        AuthError::Invalid(format!(
            "An authenticator name has at most {AUTHENTICATOR_NAME_MAX} characters."
        ))
    })?;
    Ok((!name.is_empty()).then_some(name))
}
