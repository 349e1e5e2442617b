//! The password stage of a sign-in (DESIGN.md):
//! per client IP a fixed-window rate limit; per email (known or not, so
//! refusals look alike) 10 consecutive failures start a delay that doubles
//! from 60 s. Unknown emails are checked against a dummy hash. argon2 runs
//! with no database connection held: a short transaction reserves the check,
//! another records its result. A right password opens a sign-in attempt (its
//! `mfa_token`) for the second stage or for enrollment.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::hashing;
use crate::rules::contact::{account_key, normalize_email};
use crate::rules::factors::{passkey_required, FactorKind};
use crate::rules::lockout::{password_delay, IP_WINDOW, MAX_CODE_FAILURES_PER_ATTEMPT};
use crate::store::{self, AttemptPurpose, AttemptReason, Conn, User};
use crate::telemetry;

use super::enrollment::ENROLL_TOKEN_TTL;
use super::{audit_own, Gatehouse};

pub const MFA_TOKEN_TTL: i64 = 5 * 60;

/// The platform organization (created by the first migration): its audit
/// chain records what belongs to no tenant, such as sign-ins of unknown emails.
pub const PLATFORM_ORG_ID: i64 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordOutcome {
    Authenticated {
        user_id: i64,
    },
    MfaRequired {
        mfa_token: String,
        methods: Vec<&'static str>,
    },
    EnrollmentRequired {
        mfa_token: String,
        reason: AttemptReason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    pub recovery_codes_left: Option<i64>,
}

/// Why a password is checked: the first stage of a sign-in, or a signed-in
/// user confirming a change. Both count against the same per-account limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasswordCheck {
    SignIn,
    Recheck,
}

impl PasswordCheck {
    fn name(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::Recheck => "recheck",
        }
    }

    fn failure_action(self) -> &'static str {
        match self {
            Self::SignIn => "login.password_failed",
            Self::Recheck => "password.recheck_failed",
        }
    }
}

/// A password check let through: its place in the hashing queue, the account
/// (if any) and the consecutive failures counted with this one.
pub(crate) struct ReservedPassword {
    pub(crate) user: Option<User>,
    pub(crate) failures: i64,
    pub(crate) slot: hashing::Slot,
}

pub(crate) struct FailedPassword<'a> {
    pub(crate) check: PasswordCheck,
    pub(crate) user: Option<&'a User>,
    pub(crate) failures: i64,
}

impl Gatehouse {
    pub async fn login_password(
        &self,
        email: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<PasswordOutcome> {
        let outcome = self.check_password_stage(email, password, origin).await;
        telemetry::password_stage(&outcome);
        outcome
    }

    async fn check_password_stage(
        &self,
        email: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<PasswordOutcome> {
        let email = normalize_email(email);
        let reserved = self
            .reserve_password_check(&email, PasswordCheck::SignIn, origin, self.now())
            .await?;
        // Unknown users, and invited ones without a password yet, meet the dummy hash.
        let stored = reserved
            .user
            .as_ref()
            .map(|u| u.password_hash.as_str())
            .filter(|hash| !hash.is_empty())
            .unwrap_or(&self.dummy_hash)
            .to_string();
        let password_ok = reserved.slot.verify(password, &stored).await;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let user = match reserved.user {
            Some(u) if password_ok && !u.disabled && !u.password_hash.is_empty() => u,
            user => {
                let failed = FailedPassword {
                    check: PasswordCheck::SignIn,
                    user: user.as_ref(),
                    failures: reserved.failures,
                };
                self.password_failed(&mut tx, failed, origin, now).await?;
                tx.commit().await?;
                return Err(AuthError::InvalidCredentials);
            }
        };
        store::throttle_clear(&mut tx, &account_key(&email)).await?;
        let outcome = self.after_password(&mut tx, &user, origin, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Where a right password leads: a code, a new authenticator, or signed in.
    pub(crate) async fn after_password(
        &self,
        c: &mut Conn,
        user: &User,
        origin: &Origin,
        now: i64,
    ) -> Result<PasswordOutcome> {
        let factors = store::confirmed_factors(c, user.id).await?;
        if !factors.is_empty() {
            if let Some(permission) = Self::reset_permission_at(c, user.id, now).await? {
                // A partner's grant or the support desk's pass lets the
                // password through once, to set up a new authenticator.
                let reason = permission.reason;
                let mfa_token = Self::new_attempt(
                    c,
                    user.id,
                    AttemptPurpose::Enrollment,
                    reason,
                    ENROLL_TOKEN_TTL,
                    now,
                )
                .await?;
                return Ok(PasswordOutcome::EnrollmentRequired { mfa_token, reason });
            }
            let mfa_token = Self::new_attempt(
                c,
                user.id,
                AttemptPurpose::SecondFactor,
                AttemptReason::Password,
                MFA_TOKEN_TTL,
                now,
            )
            .await?;
            let has = |kind: FactorKind| factors.iter().any(|f| f.kind == kind.as_str());
            // A passkey first: it cannot be phished, and it is one touch.
            let mut methods = Vec::new();
            let has_passkey = has(FactorKind::Passkey) && self.passkeys_available();
            if has_passkey {
                methods.push("passkey");
            }
            // Where the role requires a passkey, one who has it uses it (or
            // recovers by email); codes are refused.
            let codes = !(has_passkey && user.role_passkey_required);
            if codes && has(FactorKind::Totp) {
                methods.push("totp");
            }
            if codes && store::recovery_codes_left(c, user.id).await? > 0 {
                methods.push("recovery_code");
            }
            methods.extend(["email_otp", "email_link"]);
            return Ok(PasswordOutcome::MfaRequired { mfa_token, methods });
        }
        // A role that requires a passkey requires a second factor too.
        let passkey_required =
            passkey_required(user.role_passkey_required, self.passkeys_available());
        if user.role_mfa_required || passkey_required {
            let mfa_token = Self::new_attempt(
                c,
                user.id,
                AttemptPurpose::Enrollment,
                AttemptReason::MfaRequired,
                ENROLL_TOKEN_TTL,
                now,
            )
            .await?;
            return Ok(PasswordOutcome::EnrollmentRequired {
                mfa_token,
                reason: AttemptReason::MfaRequired,
            });
        }
        store::record_login(c, user.id, now).await?;
        audit_own(
            c,
            user,
            "login.succeeded",
            json!({ "method": "password" }),
            origin,
            now,
        )
        .await?;
        Ok(PasswordOutcome::Authenticated { user_id: user.id })
    }

    /// Lets one password check through the limits, or refuses it: first a
    /// place in the hashing queue (see [`Self::refuse_overloaded`]); then,
    /// audited, at sign-in the client IP's window; then the account's attempt
    /// is reserved — counted as a failure, and the delay started at the 10th,
    /// before argon2 runs — so concurrent guesses cannot outrun the limit. Known and unknown accounts go through
    /// the same steps. Nothing is held while the caller then hashes.
    pub(crate) async fn reserve_password_check(
        &self,
        email: &str,
        check: PasswordCheck,
        origin: &Origin,
        now: i64,
    ) -> Result<ReservedPassword> {
        let key = account_key(email);
        let Ok(slot) = self.hasher.slot() else {
            return Err(self.refuse_overloaded(origin, now).await);
        };
        let mut tx = self.db.begin().await?;
        let user = store::user_by_email(&mut tx, email).await?;
        let (action, error) = 'refused: {
            if check == PasswordCheck::SignIn {
                if let Err(error) = self.count_ip(&mut tx, "ip", origin, now).await {
                    break 'refused ("login.refused_ip_limit", error);
                }
            }
            match store::throttle_reserve(&mut tx, &key, now).await? {
                Some(failures) => {
                    let delay = password_delay(failures);
                    if delay > 0 {
                        store::throttle_lock(&mut tx, &key, now + delay).await?;
                    }
                    tx.commit().await?;
                    return Ok(ReservedPassword {
                        user,
                        failures,
                        slot,
                    });
                }
                None => {
                    let until = store::throttle(&mut tx, &key).await?.locked_until;
                    break 'refused (
                        "login.refused_password_delay",
                        AuthError::RateLimited {
                            retry_after: (until - now).max(1),
                        },
                    );
                }
            }
        };
        let (org_id, subject) = user
            .as_ref()
            .map(|u| (u.org_id, Some(u.id)))
            .unwrap_or((PLATFORM_ORG_ID, None));
        let event = Event {
            org_id,
            actor_id: subject,
            subject_id: subject,
            action,
            details: json!({ "known_account": subject.is_some(), "stage": check.name() }),
        };
        audit::append(&mut tx, event, origin, now).await?;
        tx.commit().await?;
        Err(error)
    }

    /// A full hashing queue answers at once, alike for every account and
    /// without the database: under a flood, a write per refusal would take
    /// the cores and the database from the requests still being served (the
    /// codes of people signing in). The audit log gets one entry a minute
    /// with how many password checks were refused since the one before.
    /// The answer waits [`hashing::REFUSAL_PAUSE`] (holding nothing), so a
    /// client that ignores `Retry-After` cannot spin on it.
    async fn refuse_overloaded(&self, origin: &Origin, now: i64) -> AuthError {
        if let Some((refused, previous_report)) = self.hasher.refusal(now) {
            let event = Event {
                org_id: PLATFORM_ORG_ID,
                actor_id: None,
                subject_id: None,
                action: "login.refused_overloaded",
                details: json!({
                    "refused": refused,
                    "since": (previous_report > 0).then_some(previous_report),
                }),
            };
            // The caller is answered 503 all the same; a lost count is logged.
            if let Err(error) = self.audit_alone(event, origin, now).await {
                tracing::error!(%error, refused, "could not audit the refused sign-ins");
            }
        }
        tokio::time::sleep(hashing::REFUSAL_PAUSE).await;
        AuthError::Overloaded {
            retry_after: hashing::RETRY_AFTER_SECONDS,
        }
    }

    /// Appends one audit entry in a transaction of its own.
    async fn audit_alone(&self, event: Event<'_>, origin: &Origin, now: i64) -> Result<()> {
        let mut tx = self.db.begin().await?;
        audit::append(&mut tx, event, origin, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts one request of the client IP in a fixed window (one per
    /// `scope`); refused past the configured limit.
    pub(crate) async fn count_ip(
        &self,
        c: &mut Conn,
        scope: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        let key = format!("{scope}:{}", origin.ip);
        let (hits, window_start) = store::count_in_window(c, &key, now, IP_WINDOW).await?;
        if hits > self.settings.login_rate_per_ip {
            return Err(AuthError::RateLimited {
                retry_after: (window_start + IP_WINDOW - now).max(1),
            });
        }
        Ok(())
    }

    /// Records a wrong password (already counted by its reservation), and the
    /// delay it started, in the caller's transaction.
    pub(crate) async fn password_failed(
        &self,
        c: &mut Conn,
        failed: FailedPassword<'_>,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        let (org_id, subject) = failed
            .user
            .map(|u| (u.org_id, Some(u.id)))
            .unwrap_or((PLATFORM_ORG_ID, None));
        let delay = password_delay(failed.failures);
        let details = json!({
            "known_account": subject.is_some(),
            "consecutive_failures": failed.failures,
            "delay_seconds": delay,
        });
        let mut actions = vec![failed.check.failure_action()];
        if delay > 0 {
            actions.push("login.password_delayed");
            telemetry::lockout("password");
        }
        for action in actions {
            let event = Event {
                org_id,
                actor_id: subject,
                subject_id: subject,
                action,
                details: details.clone(),
            };
            audit::append(c, event, origin, now).await?;
        }
        Ok(())
    }

    /// Starts a sign-in attempt and returns its bearer secret (the mfa_token).
    pub(crate) async fn new_attempt(
        c: &mut Conn,
        user_id: i64,
        purpose: AttemptPurpose,
        reason: AttemptReason,
        ttl: i64,
        now: i64,
    ) -> Result<String> {
        let token = crypto::new_token();
        let attempt = store::NewAttempt {
            token_hash: &crypto::token_hash(&token),
            user_id,
            purpose,
            reason,
            expires_at: now + ttl,
        };
        store::insert_attempt(c, &attempt, now).await?;
        Ok(token)
    }

    /// A live attempt for `purpose`, with its user; the same error for every kind of dead one.
    pub(crate) async fn live_attempt(
        &self,
        mfa_token: &str,
        purpose: AttemptPurpose,
        now: i64,
    ) -> Result<(store::Attempt, User)> {
        let mut c = self.conn().await?;
        let attempt = store::attempt_by_token(&mut c, &crypto::token_hash(mfa_token))
            .await?
            .filter(|a| {
                a.purpose == purpose
                    && !a.consumed
                    && a.expires_at > now
                    && a.failures < MAX_CODE_FAILURES_PER_ATTEMPT
            })
            .ok_or(AuthError::MfaTokenInvalid)?;
        let user = store::user_by_id(&mut c, attempt.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AuthError::MfaTokenInvalid)?;
        Ok((attempt, user))
    }

    pub async fn sign_out_audit(&self, user_id: i64, origin: &Origin) -> Result<()> {
        let user = self.user(user_id).await?;
        let mut tx = self.db.begin().await?;
        audit::append(
            &mut tx,
            Event {
                org_id: user.org_id,
                actor_id: Some(user.id),
                subject_id: Some(user.id),
                action: "logout",
                details: json!({}),
            },
            origin,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
