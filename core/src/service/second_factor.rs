//! The second stage of a sign-in with a code from an authenticator or a
//! recovery code: the `mfa_token` is good for 5 minutes and 5 wrong codes;
//! per user, 5 failures in 5 minutes lock the second factor for 5 minutes and
//! 100 consecutive failures until an admin unlocks it. A success consumes the
//! attempt and the code in one transaction, so each is used once even when
//! requests race.

use serde_json::json;

use crate::audit::Origin;
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::notify::Notice;
use crate::rules::factors::{passkey_required, passkey_rule, FactorKind, PasskeyRule};
use crate::rules::lockout::{
    code_tries_left, MAX_CODE_FAILURES_PER_ATTEMPT, MFA_HARD_LOCK_THRESHOLD, MFA_LOCK_SECONDS,
    MFA_LOCK_THRESHOLD, MFA_LOCK_WINDOW,
};
use crate::rules::recovery;
use crate::store::{self, AttemptPurpose, AttemptReason, CeremonyPurpose, Conn, Factor, User};
use crate::telemetry;

use super::enrollment::ENROLL_TOKEN_TTL;
use super::out_of_band::{OobKind, OobOutcome};
use super::passkeys::PasskeyUse;
use super::sign_in::SignedIn;
use super::{audit_own, secret_context, Gatehouse};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    Totp,
    RecoveryCode,
    Passkey,
}

impl MfaMethod {
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Totp, Self::RecoveryCode, Self::Passkey]
            .into_iter()
            .find(|m| m.name() == name)
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
            Self::Passkey => "passkey",
        }
    }
}

/// What a person gives to prove their second factor.
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    Totp(&'a str),
    RecoveryCode(&'a str),
    /// The browser's (or app's) answer to a ceremony's options.
    Passkey {
        ceremony_id: &'a str,
        credential: &'a serde_json::Value,
    },
}

impl<'a> Answer<'a> {
    /// A code typed into one box: a recovery code by its shape, else an
    /// authenticator's.
    pub fn typed(code: &'a str) -> Self {
        if recovery::normalize(code).is_some() {
            Self::RecoveryCode(code)
        } else {
            Self::Totp(code)
        }
    }

    /// A code of a method named by the caller; a passkey is no code.
    pub fn code(method: MfaMethod, code: &'a str) -> Result<Self> {
        match method {
            MfaMethod::Totp => Ok(Self::Totp(code)),
            MfaMethod::RecoveryCode => Ok(Self::RecoveryCode(code)),
            MfaMethod::Passkey => Err(AuthError::Invalid(
                "A passkey answers a ceremony: send ceremony_id and credential.".into(),
            )),
        }
    }

    pub fn method(&self) -> MfaMethod {
        match self {
            Self::Totp(_) => MfaMethod::Totp,
            Self::RecoveryCode(_) => MfaMethod::RecoveryCode,
            Self::Passkey { .. } => MfaMethod::Passkey,
        }
    }
}

/// What a code from an authenticator or a recovery code is checked for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CodeUse {
    /// The second stage of a sign-in attempt, which a right code consumes.
    SignIn { attempt_id: i64 },
    /// A signed-in user confirming it is them.
    StepUp,
    /// Choosing a new password from an emailed link.
    NewPassword,
}

/// Where a correct answer at the second stage leads, whatever its method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOutcome {
    SignedIn(SignedIn),
    /// Not signed in yet: an attempt (its mfa_token) that can only set up a
    /// new factor — after an emailed code (`Recovery`), or where the role
    /// requires a passkey and the person proved something else
    /// (`PasskeyRequired`).
    Enroll {
        mfa_token: String,
        reason: AttemptReason,
    },
}

/// What a right answer led to: the recovery codes left after using one and,
/// at sign-in, the attempt that must add a passkey before it finishes.
pub(crate) struct Proved {
    pub(crate) codes_left: Option<i64>,
    pub(crate) passkey_owed: Option<String>,
}

/// A second-factor check let through: the failures counted with this one (the
/// user's, and the attempt's at sign-in), and whether this one locked the
/// second factor should it be wrong.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CodeCheck {
    pub(crate) lock: store::LockState,
    pub(crate) attempt_failures: Option<i64>,
    pub(crate) locks: bool,
    pub(crate) hard: bool,
}

impl CodeCheck {
    /// Codes that may still be tried should this one be wrong.
    fn tries_left(&self) -> i64 {
        if self.locks {
            return 0;
        }
        code_tries_left(self.lock.recent_failures, self.attempt_failures)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageEnded {
    /// The sign-in was open for its 5 minutes.
    TimedOut,
    /// Every code the sign-in allows was tried.
    TriesUsedUp,
}

/// What the second stage of a sign-in shows before a code is typed: whose
/// sign-in it is, how many codes may still be tried, and any lock — so a
/// person learns of a lock before typing a right code, not after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondStage {
    /// Why no code can be tried any more; the person starts over.
    pub ended: Option<StageEnded>,
    pub email: String,
    /// A text message can be sent (the phone is verified).
    pub has_phone: bool,
    /// The account has a passkey, and passkeys work here.
    pub has_passkey: bool,
    /// Only the passkey signs in (the role requires one and the account has
    /// one): no code is offered; a lost passkey is replaced by email.
    pub passkey_only: bool,
    /// The account has an authenticator app.
    pub has_authenticator: bool,
    pub recovery_codes_left: i64,
    pub tries_left: i64,
    /// Seconds until the second factor unlocks by itself, while locked.
    pub locked_for: Option<i64>,
    /// Locked until an administrator unlocks it.
    pub admin_locked: bool,
    /// Seconds between two codes sent by email or text message.
    pub resend_wait: i64,
    /// Seconds until another code of the kind asked about may be sent.
    pub resend_in: i64,
}

pub(crate) enum Proof {
    /// The matching factor and time step, if the code matched one.
    Totp(Option<(i64, i64)>),
    /// The keyed hash of a well-formed recovery code.
    Recovery(Option<Vec<u8>>),
    /// The passkey that signed the ceremony's challenge, if one did.
    Passkey(Option<PasskeyUse>),
}

impl Gatehouse {
    pub async fn verify_mfa(
        &self,
        mfa_token: &str,
        answer: Answer<'_>,
        origin: &Origin,
    ) -> Result<CodeOutcome> {
        let now = self.now();
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::SecondFactor, now)
            .await?;
        let purpose = CodeUse::SignIn {
            attempt_id: attempt.id,
        };
        let proved = self
            .prove_with_code(&user, purpose, answer, origin, now)
            .await;
        telemetry::second_stage(&proved);
        let proved = proved?;
        Ok(match proved.passkey_owed {
            Some(mfa_token) => CodeOutcome::Enroll {
                mfa_token,
                reason: AttemptReason::PasskeyRequired,
            },
            None => CodeOutcome::SignedIn(SignedIn {
                user_id: user.id,
                recovery_codes_left: proved.codes_left,
            }),
        })
    }

    /// The end of a second stage proved by `method`: signed in (recorded and
    /// audited) — or, where the role requires a passkey and the person
    /// proved something else, a new attempt whose one way on is adding a
    /// passkey. Returns that attempt's token.
    pub(crate) async fn finish_second_stage(
        &self,
        c: &mut Conn,
        user: &User,
        method: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<Option<String>> {
        let details = json!({ "method": method });
        if self.passkey_rule(c, user, method).await? == PasskeyRule::Owed {
            let token = Self::new_attempt(
                c,
                user.id,
                AttemptPurpose::Enrollment,
                AttemptReason::PasskeyRequired,
                ENROLL_TOKEN_TTL,
                now,
            )
            .await?;
            audit_own(c, user, "login.passkey_owed", details, origin, now).await?;
            return Ok(Some(token));
        }
        store::record_login(c, user.id, now).await?;
        audit_own(c, user, "login.succeeded", details, origin, now).await?;
        Ok(None)
    }

    /// What "Passkey required" makes of a second step of `user` proved with
    /// `method`.
    async fn passkey_rule(&self, c: &mut Conn, user: &User, method: &str) -> Result<PasskeyRule> {
        let required = passkey_required(user.role_passkey_required, self.passkeys_available());
        if !required {
            return Ok(PasskeyRule::Satisfied);
        }
        let has_passkey = store::confirmed_factors(c, user.id)
            .await?
            .iter()
            .any(|f| f.kind == FactorKind::Passkey.as_str());
        Ok(passkey_rule(
            required,
            has_passkey,
            method == MfaMethod::Passkey.name(),
        ))
    }

    /// Refuses a code at the second step of someone whose role requires a
    /// passkey and who has one — before the code is checked or counted, so
    /// a relayed code proves nothing. Audited.
    pub(crate) async fn refuse_codes_where_passkey_required(
        &self,
        user: &User,
        method: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        // Read on a connection of its own: the usual answer (no passkey
        // required) takes no write lock, which on SQLite would queue this
        // code behind every other sign-in's commit.
        let rule = self
            .passkey_rule(&mut *self.conn().await?, user, method)
            .await?;
        if rule != PasskeyRule::Refused {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        let details = json!({ "method": method });
        audit_own(
            &mut tx,
            user,
            "login.refused_passkey_required",
            details,
            origin,
            now,
        )
        .await?;
        refuse_after_commit(tx, AuthError::SignInWithPasskey).await
    }

    /// Checks a code from an authenticator, a recovery code or a passkey:
    /// the check is reserved (counted as a failure) before the answer is
    /// looked at, and a right one is consumed with the attempt, if any, and
    /// the audit entry — all in one transaction holding the user's row.
    pub(crate) async fn prove_with_code(
        &self,
        user: &User,
        purpose: CodeUse,
        answer: Answer<'_>,
        origin: &Origin,
        now: i64,
    ) -> Result<Proved> {
        let proved = self.check_code(user, purpose, answer, origin, now).await;
        telemetry::mfa_check(answer.method().name(), &proved);
        proved
    }

    async fn check_code(
        &self,
        user: &User,
        purpose: CodeUse,
        answer: Answer<'_>,
        origin: &Origin,
        now: i64,
    ) -> Result<Proved> {
        let method = answer.method();
        let attempt = match purpose {
            CodeUse::SignIn { attempt_id } => {
                self.refuse_codes_where_passkey_required(user, method.name(), origin, now)
                    .await?;
                Some(attempt_id)
            }
            CodeUse::StepUp | CodeUse::NewPassword => None,
        };
        // One transaction from the count to the answer: the check is counted
        // (holding the user's row) before the answer is looked at, and what
        // counting decided is committed with it whatever the answer — one
        // commit for a code, where SQLite flushes each to disk. Nothing is
        // answered before that commit: a request dropped or failed on the
        // way rolls back its count, and the answer with it.
        let mut tx = self.db.begin().await?;
        let check = match self
            .reserve_code_check(&mut tx, user, attempt, method.name(), origin, now)
            .await?
        {
            Ok(check) => check,
            Err(refused) => return refuse_after_commit(tx, refused).await,
        };
        let proof = match self.match_code(&mut tx, user, purpose, answer, now).await {
            Ok(proof) => proof,
            Err(fault @ AuthError::Storage(_)) => return Err(fault),
            // A refused answer is still counted.
            Err(refused) => return refuse_after_commit(tx, refused).await,
        };
        // A wrong answer changes nothing but the count (committed); a right
        // one is used, and the sign-in with it.
        if !self.use_proof(&mut tx, user.id, &proof, now).await? {
            let used = self.proof_was_used(&mut tx, user.id, &proof).await?;
            let refused = match self
                .code_failed(&mut tx, user, &check, method.name(), used, origin, now)
                .await?
            {
                AuthError::WrongCode { tries_left } if method == MfaMethod::Passkey => {
                    AuthError::PasskeyRejected { tries_left }
                }
                refused => refused,
            };
            return refuse_after_commit(tx, refused).await;
        }
        if let Some(attempt) = attempt {
            // Counting the check just now found the attempt live, under the
            // same locks: this refuses nothing in practice, and rolls back.
            use_up_attempt(&mut tx, attempt, user.id, now).await?;
        }
        store::clear_mfa_failures(&mut tx, user.id).await?;
        // Signing in or confirming with a factor proves it is not lost.
        self.signed_in_with_factor(&mut tx, user, origin, now)
            .await?;
        let codes_left = self
            .audit_code_use(&mut tx, user, method, origin, now)
            .await?;
        let action = match purpose {
            CodeUse::SignIn { .. } => {
                let passkey_owed = self
                    .finish_second_stage(&mut tx, user, method.name(), origin, now)
                    .await?;
                tx.commit().await?;
                return Ok(Proved {
                    codes_left,
                    passkey_owed,
                });
            }
            CodeUse::StepUp => "login.step_up",
            CodeUse::NewPassword => "password.code_checked",
        };
        let details = json!({ "method": method.name() });
        audit_own(&mut tx, user, action, details, origin, now).await?;
        tx.commit().await?;
        Ok(Proved {
            codes_left,
            passkey_owed: None,
        })
    }

    pub(crate) fn check_not_locked(&self, user: &User, now: i64) -> Result<()> {
        if user.mfa_admin_lock {
            return Err(AuthError::AdminLocked);
        }
        if user.mfa_locked_until > now {
            return Err(AuthError::RateLimited {
                retry_after: user.mfa_locked_until - now,
            });
        }
        Ok(())
    }

    /// Lets one code check through the limits, or refuses it: the user's
    /// second factor must not be locked (a refusal is audited), and the
    /// attempt, if any, must have checks left. The check is counted as a
    /// failure — and a lock set if it reaches a limit — before the code is
    /// verified, in the caller's transaction, holding the user's row, so
    /// concurrent wrong codes never get more checks than the limits allow. A
    /// right code clears the count ([`store::clear_mfa_failures`]).
    ///
    /// The inner error is a refusal to answer once the transaction is
    /// committed (its audit entry is in it); the outer one rolls it back.
    pub(crate) async fn reserve_code_check(
        &self,
        c: &mut Conn,
        user: &User,
        attempt_id: Option<i64>,
        method: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<std::result::Result<CodeCheck, AuthError>> {
        let Some(lock) = store::mfa_reserve_check(c, user.id, now, MFA_LOCK_WINDOW).await? else {
            let current = store::user_by_id(c, user.id)
                .await?
                .ok_or(AuthError::MfaTokenInvalid)?;
            audit_own(
                c,
                &current,
                "mfa.refused_locked",
                json!({ "method": method, "admin_unlock_needed": current.mfa_admin_lock }),
                origin,
                now,
            )
            .await?;
            return Ok(Err(self
                .check_not_locked(&current, now)
                .err()
                .unwrap_or(AuthError::RateLimited { retry_after: 1 })));
        };
        let attempt_failures = match attempt_id {
            Some(id) => Some(
                store::attempt_reserve_check(c, id, now, MAX_CODE_FAILURES_PER_ATTEMPT)
                    .await?
                    .ok_or(AuthError::MfaTokenInvalid)?,
            ),
            None => None,
        };
        let hard = lock.consecutive >= MFA_HARD_LOCK_THRESHOLD;
        let locks = hard || lock.recent_failures >= MFA_LOCK_THRESHOLD;
        if locks {
            store::lock_mfa(c, user.id, now + MFA_LOCK_SECONDS, hard).await?;
        }
        Ok(Ok(CodeCheck {
            lock,
            attempt_failures,
            locks,
            hard,
        }))
    }

    /// Works out what the answer proves, in the transaction that counted
    /// the check (a passkey's ceremony is taken here, and committed with the
    /// count, so a failed answer uses it up too).
    pub(crate) async fn match_code(
        &self,
        c: &mut Conn,
        user: &User,
        purpose: CodeUse,
        answer: Answer<'_>,
        now: i64,
    ) -> Result<Proof> {
        Ok(match answer {
            Answer::Totp(code) => {
                let factors = store::confirmed_factors(c, user.id).await?;
                Proof::Totp(self.match_totp(user.id, &factors, code, now))
            }
            Answer::RecoveryCode(code) => Proof::Recovery(recovery::hash(&self.keys, code)),
            Answer::Passkey {
                ceremony_id,
                credential,
            } => {
                let ceremony = match purpose {
                    CodeUse::SignIn { attempt_id } => CeremonyPurpose::SignIn { attempt_id },
                    CodeUse::StepUp => CeremonyPurpose::StepUp,
                    CodeUse::NewPassword => {
                        return Err(AuthError::Invalid(
                            "Choosing a new password takes a code: one from your authenticator app, or a recovery code.".into(),
                        ))
                    }
                };
                Proof::Passkey(
                    self.check_assertion(c, user, ceremony, ceremony_id, credential, now)
                        .await?,
                )
            }
        })
    }

    pub(crate) fn match_totp(
        &self,
        user_id: i64,
        factors: &[Factor],
        code: &str,
        now: i64,
    ) -> Option<(i64, i64)> {
        let apps = factors
            .iter()
            .filter(|f| f.kind == FactorKind::Totp.as_str());
        apps.into_iter().find_map(|f| {
            let secret = self.keys.open(&f.secret_sealed, &secret_context(user_id))?;
            self.totp
                .verify(&secret, code, now as u64)
                .map(|step| (f.id, step))
        })
    }

    /// Consumes what the code proved; false if it was wrong, replayed or already used.
    pub(crate) async fn use_proof(
        &self,
        c: &mut Conn,
        user_id: i64,
        proof: &Proof,
        now: i64,
    ) -> Result<bool> {
        Ok(match proof {
            Proof::Totp(Some((factor_id, step))) => {
                store::use_totp_step(c, *factor_id, *step, now).await?
            }
            Proof::Recovery(Some(hash)) => {
                store::consume_recovery_code(c, user_id, hash, now).await?
            }
            Proof::Passkey(Some(used)) => {
                store::use_passkey(c, used.factor_id, used.sign_count, &used.sealed, now).await?
            }
            Proof::Totp(None) | Proof::Recovery(None) | Proof::Passkey(None) => false,
        })
    }

    /// Whether a code that was not accepted was right but already used: an
    /// authenticator's code from a time step already signed in with, or a
    /// recovery code crossed off.
    async fn proof_was_used(&self, c: &mut Conn, user_id: i64, proof: &Proof) -> Result<bool> {
        Ok(match proof {
            Proof::Totp(matched) => matched.is_some(),
            Proof::Recovery(Some(hash)) => store::recovery_code_was_used(c, user_id, hash).await?,
            Proof::Recovery(None) | Proof::Passkey(_) => false,
        })
    }

    pub(crate) async fn audit_code_use(
        &self,
        c: &mut Conn,
        user: &User,
        method: MfaMethod,
        origin: &Origin,
        now: i64,
    ) -> Result<Option<i64>> {
        if method != MfaMethod::RecoveryCode {
            return Ok(None);
        }
        let left = store::recovery_codes_left(c, user.id).await?;
        self.notify(
            c,
            user,
            &Notice::RecoveryCodeUsed { codes_left: left },
            origin,
            now,
        )
        .await?;
        audit_own(
            c,
            user,
            "mfa.recovery_code_used",
            json!({ "codes_left": left }),
            origin,
            now,
        )
        .await?;
        Ok(Some(left))
    }

    /// Records a wrong (or `used`) code, already counted against the attempt
    /// and the user by its reservation, in `c`'s transaction; audited as the
    /// lock when it was the one that locked. Returns the refusal to answer
    /// once the transaction is committed: it says how many tries are left.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn code_failed(
        &self,
        c: &mut Conn,
        user: &User,
        check: &CodeCheck,
        method: &str,
        used: bool,
        origin: &Origin,
        now: i64,
    ) -> Result<AuthError> {
        audit_own(
            c,
            user,
            if check.locks { "mfa.locked" } else { "mfa.failed" },
            json!({ "method": method, "already_used": used, "recent_failures": check.lock.recent_failures, "consecutive_failures": check.lock.consecutive, "admin_unlock_needed": check.hard }),
            origin,
            now,
        )
        .await?;
        if check.locks {
            telemetry::lockout("second_factor");
        }
        let tries_left = check.tries_left();
        Ok(if used {
            AuthError::CodeUsed { tries_left }
        } else {
            AuthError::WrongCode { tries_left }
        })
    }

    /// The second stage of the sign-in `mfa_token` as its page shows it, with
    /// the wait before another code of `kind` may be sent. Looking changes
    /// nothing and counts as no try.
    pub async fn second_stage(
        &self,
        mfa_token: &str,
        kind: Option<OobKind>,
    ) -> Result<SecondStage> {
        let now = self.now();
        let mut c = self.conn().await?;
        // An attempt that ended still says why (a used one does not: it signed in).
        let attempt = store::attempt_by_token(&mut c, &crypto::token_hash(mfa_token))
            .await?
            .filter(|a| a.purpose == AttemptPurpose::SecondFactor && !a.consumed)
            .ok_or(AuthError::MfaTokenInvalid)?;
        let user = store::user_by_id(&mut c, attempt.user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AuthError::MfaTokenInvalid)?;
        let ended = if attempt.failures >= MAX_CODE_FAILURES_PER_ATTEMPT {
            Some(StageEnded::TriesUsedUp)
        } else if attempt.expires_at <= now {
            Some(StageEnded::TimedOut)
        } else {
            None
        };
        let recent = store::mfa_recent_failures(&mut c, user.id, now - MFA_LOCK_WINDOW).await?;
        let recovery_codes_left = store::recovery_codes_left(&mut c, user.id).await?;
        let factors = store::confirmed_factors(&mut c, user.id).await?;
        let has = |kind: FactorKind| factors.iter().any(|f| f.kind == kind.as_str());
        let resend_wait = self.settings.code_resend_seconds;
        let resend_in = match kind {
            Some(kind) => store::oob_last_sent(&mut c, attempt.id, kind.name())
                .await?
                .map_or(0, |last| (last + resend_wait - now).max(0)),
            None => 0,
        };
        let has_passkey = has(FactorKind::Passkey) && self.passkeys_available();
        let passkey_only = has_passkey && user.role_passkey_required;
        Ok(SecondStage {
            ended,
            email: user.email.clone(),
            has_phone: user.phone.is_some() && !passkey_only,
            has_passkey,
            passkey_only,
            has_authenticator: has(FactorKind::Totp) && !passkey_only,
            recovery_codes_left,
            tries_left: code_tries_left(recent, Some(attempt.failures)),
            locked_for: (user.mfa_locked_until > now).then(|| user.mfa_locked_until - now),
            admin_locked: user.mfa_admin_lock,
            resend_wait,
            resend_in,
        })
    }

    /// The second stage for any code a person types: `totp`,
    /// `recovery_code`, `email_otp` or `sms_otp`. A sign-in link is not a
    /// code: it has its own way in ([`Gatehouse::complete_link`]).
    pub async fn verify_second_factor(
        &self,
        mfa_token: &str,
        method: &str,
        code: &str,
        origin: &Origin,
    ) -> Result<CodeOutcome> {
        if let Some(kind) = OobKind::parse(method).filter(|k| !k.browser_only()) {
            return Ok(
                match self.verify_oob_code(mfa_token, kind, code, origin).await? {
                    OobOutcome::Recovery(mfa_token) => CodeOutcome::Enroll {
                        mfa_token,
                        reason: AttemptReason::Recovery,
                    },
                    OobOutcome::PasskeyOwed(mfa_token) => CodeOutcome::Enroll {
                        mfa_token,
                        reason: AttemptReason::PasskeyRequired,
                    },
                    OobOutcome::SignedIn(user_id) => CodeOutcome::SignedIn(SignedIn {
                        user_id,
                        recovery_codes_left: None,
                    }),
                },
            );
        }
        let method = MfaMethod::parse(method).ok_or_else(|| {
            AuthError::Invalid(
                "method must be \"totp\", \"recovery_code\", \"email_otp\", \"sms_otp\" or \"passkey\"".into(),
            )
        })?;
        let answer = Answer::code(method, code)?;
        self.verify_mfa(mfa_token, answer, origin).await
    }
}

/// Commits what a refused answer wrote (its count, its audit entry), then
/// refuses it.
pub(crate) async fn refuse_after_commit<T>(
    tx: sqlx::Transaction<'static, sqlx::Any>,
    refused: AuthError,
) -> Result<T> {
    tx.commit().await?;
    Err(refused)
}

/// Uses the sign-in attempt up with its answer ([`store::consume_attempt`]),
/// or refuses the answer: the attempt ended, or its tries did.
pub(crate) async fn use_up_attempt(
    c: &mut Conn,
    attempt_id: i64,
    user_id: i64,
    now: i64,
) -> Result<()> {
    if store::consume_attempt(c, attempt_id, user_id, now, MAX_CODE_FAILURES_PER_ATTEMPT).await? {
        Ok(())
    } else {
        Err(AuthError::MfaTokenInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mfa_methods_round_trip() {
        for m in [MfaMethod::Totp, MfaMethod::RecoveryCode, MfaMethod::Passkey] {
            assert_eq!(MfaMethod::parse(m.name()), Some(m));
        }
        assert_eq!(MfaMethod::parse("sms"), None);
    }
}
