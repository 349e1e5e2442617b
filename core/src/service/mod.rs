//! The flows of Gatehouse, shared by the browser (server functions), the JSON
//! API and the command line.
//!
//! Sign-in has two stages (DESIGN.md):
//! 1. Password. Per client IP a fixed-window rate limit; per email (known or
//!    not, so refusals look alike) 10 consecutive failures start a delay that
//!    doubles from 60 s. Unknown emails are checked against a dummy hash.
//! 2. Second factor, with the `mfa_token` from stage 1: 5 minutes, at most 5
//!    wrong codes. Per user, 5 failures in 5 minutes lock the second factor for
//!    5 minutes; 100 consecutive failures lock it until an admin unlocks.
//!
//! A success consumes the attempt and the code in one transaction, so a code
//! or token is used once even when requests race. Every change writes its
//! audit entry in the same transaction.

use std::sync::Arc;

use rand::Rng;

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::crypto::{self, Keys};
use crate::db::Db;
pub use crate::error::{AuthError, ErrorCode, Result};
use crate::hashing::{self, Hasher};
use crate::notify::{self, Notice};
use crate::rules::password;
use crate::rules::policy::{self, Operation};
use crate::rules::recovery;
use crate::rules::totp::{self, TotpParams};
use crate::store::{self, Conn, Enrollment, Factor, User};
use crate::{unix_now, Settings};

mod admin;
pub use admin::*;

pub const MFA_TOKEN_TTL: i64 = 5 * 60;
/// Setting up an authenticator (scan, type a code) takes longer than typing one.
pub const ENROLL_TOKEN_TTL: i64 = 15 * 60;
pub const MAX_CODE_FAILURES_PER_ATTEMPT: i64 = 5;
pub const OOB_CODE_TTL: i64 = 10 * 60;
pub const OOB_LINK_TTL: i64 = 15 * 60;
pub const MFA_LOCK_WINDOW: i64 = 5 * 60;
pub const MFA_LOCK_THRESHOLD: i64 = 5;
pub const MFA_LOCK_SECONDS: i64 = 5 * 60;
pub const MFA_HARD_LOCK_THRESHOLD: i64 = 100;
pub const PASSWORD_FAILURES_BEFORE_DELAY: i64 = 10;
pub const PASSWORD_FIRST_DELAY: i64 = 60;
pub const PASSWORD_MAX_DELAY: i64 = 24 * 3600;
pub const IP_WINDOW: i64 = 5 * 60;
pub const API_TOKEN_TTL: i64 = 12 * 3600;
/// The platform organization (created by the first migration): its audit
/// chain records what belongs to no tenant, such as sign-ins of unknown emails.
pub const PLATFORM_ORG_ID: i64 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    Totp,
    RecoveryCode,
}

impl MfaMethod {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "totp" => Some(Self::Totp),
            "recovery_code" => Some(Self::RecoveryCode),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// Where a correct emailed or texted code leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OobOutcome {
    /// Email: a recovery attempt (its mfa_token) that can only set up a new authenticator.
    Recovery(String),
    /// SMS to a verified phone: signed in.
    SignedIn(i64),
}

/// Where a correct code at the second stage leads, whatever its method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeOutcome {
    SignedIn(SignedIn),
    /// An emailed code: a recovery attempt (its mfa_token) that can only set
    /// up a new authenticator.
    Recovery(String),
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
        reason: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    pub recovery_codes_left: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct TotpSetup {
    pub secret: String,
    pub secret_display: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

#[derive(Debug, Clone)]
pub struct FactorInfo {
    pub id: i64,
    pub kind: String,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    pub organization: String,
    pub role: String,
    pub mfa_required: bool,
    pub factors: Vec<FactorInfo>,
    pub recovery_codes_left: i64,
    /// The verified phone, masked.
    pub phone: Option<String>,
    /// A number waiting for its verification code, masked.
    pub pending_phone: Option<String>,
}

/// Why a password is checked: the first stage of a sign-in, or a signed-in
/// user confirming a change. Both count against the same per-account limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PasswordCheck {
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
struct ReservedPassword {
    user: Option<User>,
    failures: i64,
    slot: hashing::Slot,
}

struct FailedPassword<'a> {
    check: PasswordCheck,
    user: Option<&'a User>,
    failures: i64,
}

/// A second-factor check let through: the failures counted with this one, and
/// whether this one locked the second factor should it be wrong.
#[derive(Debug, Clone, Copy)]
struct CodeCheck {
    lock: store::LockState,
    locks: bool,
    hard: bool,
}

/// The services, cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Gatehouse {
    pub db: Db,
    keys: Keys,
    pub settings: Arc<Settings>,
    totp: TotpParams,
    dummy_hash: Arc<str>,
    hasher: Hasher,
}

fn six_digit_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000))
}

/// `+447700900123` from what people type (`+44 7700 900123`, `+1 (555) 010-9999`).
pub fn normalize_phone(input: &str) -> Option<String> {
    let kept: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let digits = kept.strip_prefix('+')?;
    (digits.len() >= 8
        && digits.len() <= 15
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0'))
    .then(|| format!("+{digits}"))
}

/// `+44•••••••23`: enough to recognise one's own number, not to learn it.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let keep_end = 2.min(chars.len());
    let keep_start = 3.min(chars.len() - keep_end);
    let hidden = chars.len() - keep_start - keep_end;
    format!(
        "{}{}{}",
        chars[..keep_start].iter().collect::<String>(),
        "•".repeat(hidden),
        chars[chars.len() - keep_end..].iter().collect::<String>()
    )
}

fn secret_context(user_id: i64) -> Vec<u8> {
    format!("totp:user:{user_id}").into_bytes()
}

fn account_key(email: &str) -> String {
    format!(
        "acct:{}",
        crypto::sha256_hex(normalize_email(email).as_bytes())
    )
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn valid_email(email: &str) -> bool {
    let parts: Vec<&str> = email.split('@').collect();
    parts.len() == 2
        && !parts[0].is_empty()
        && parts[1].contains('.')
        && !parts[1].starts_with('.')
        && !parts[1].ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Delay after `failures` consecutive wrong passwords: none below 10, then 60 s doubling.
pub fn password_delay(failures: i64) -> i64 {
    if failures < PASSWORD_FAILURES_BEFORE_DELAY {
        return 0;
    }
    let doublings = (failures - PASSWORD_FAILURES_BEFORE_DELAY).min(20) as u32;
    (PASSWORD_FIRST_DELAY << doublings).min(PASSWORD_MAX_DELAY)
}

impl Gatehouse {
    pub async fn new(db: Db, keys: Keys, settings: Settings) -> Self {
        let hasher = Hasher::new(settings.hash_workers, settings.hash_queue);
        let dummy = hasher
            .hash(&crypto::new_token())
            .await
            .expect("an idle hasher has room");
        Self {
            db,
            keys,
            settings: Arc::new(settings),
            totp: TotpParams::default(),
            dummy_hash: dummy.into(),
            hasher,
        }
    }

    /// Hashes a new password (bounded like every hash: 503 when the queue is full).
    async fn hash_password(&self, password: &str) -> Result<String> {
        self.hasher
            .hash(password)
            .await
            .map_err(|_| AuthError::Overloaded {
                retry_after: hashing::RETRY_AFTER_SECONDS,
            })
    }

    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>> {
        Ok(self.db.pool.acquire().await?)
    }

    async fn user(&self, user_id: i64) -> Result<User> {
        store::user_by_id(&mut *self.conn().await?, user_id)
            .await?
            .ok_or(AuthError::NotFound("User"))
    }

    // ------------------------------------------------------------ password stage

    pub async fn login_password(
        &self,
        email: &str,
        password: &str,
        origin: &Origin,
    ) -> Result<PasswordOutcome> {
        let email = normalize_email(email);
        let reserved = self
            .reserve_password_check(&email, PasswordCheck::SignIn, origin, unix_now())
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
        let now = unix_now();
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
    async fn after_password(
        &self,
        c: &mut Conn,
        user: &User,
        origin: &Origin,
        now: i64,
    ) -> Result<PasswordOutcome> {
        if !store::confirmed_factors(c, user.id).await?.is_empty() {
            if store::covering_grant(c, user.id, now).await?.is_some() {
                // A partner's grant lets the password through once, to set up a new authenticator.
                let mfa_token = Self::new_attempt(
                    c,
                    user.id,
                    "enroll",
                    "reset_permission",
                    ENROLL_TOKEN_TTL,
                    now,
                )
                .await?;
                return Ok(PasswordOutcome::EnrollmentRequired {
                    mfa_token,
                    reason: "reset_permission",
                });
            }
            let mfa_token =
                Self::new_attempt(c, user.id, "mfa", "password", MFA_TOKEN_TTL, now).await?;
            let mut methods = vec!["totp"];
            if store::recovery_codes_left(c, user.id).await? > 0 {
                methods.push("recovery_code");
            }
            methods.extend(["email_otp", "email_link"]);
            return Ok(PasswordOutcome::MfaRequired { mfa_token, methods });
        }
        if user.role_mfa_required {
            let mfa_token =
                Self::new_attempt(c, user.id, "enroll", "mfa_required", ENROLL_TOKEN_TTL, now)
                    .await?;
            return Ok(PasswordOutcome::EnrollmentRequired {
                mfa_token,
                reason: "mfa_required",
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

    /// Lets one password check through the limits, or refuses it (audited):
    /// at sign-in the client IP's window first; then a place in the hashing
    /// queue; then the account's attempt is reserved — counted as a failure,
    /// and the delay started at the 10th, before argon2 runs — so concurrent
    /// guesses cannot outrun the limit. Known and unknown accounts go through
    /// the same steps. Nothing is held while the caller then hashes.
    async fn reserve_password_check(
        &self,
        email: &str,
        check: PasswordCheck,
        origin: &Origin,
        now: i64,
    ) -> Result<ReservedPassword> {
        let key = account_key(email);
        let slot = self.hasher.slot();
        let mut tx = self.db.begin().await?;
        let user = store::user_by_email(&mut tx, email).await?;
        let (action, error) = 'refused: {
            if check == PasswordCheck::SignIn {
                if let Err(error) = self.count_ip(&mut tx, "ip", origin, now).await {
                    break 'refused ("login.refused_ip_limit", error);
                }
            }
            let Ok(slot) = slot else {
                break 'refused (
                    "login.refused_overloaded",
                    AuthError::Overloaded {
                        retry_after: hashing::RETRY_AFTER_SECONDS,
                    },
                );
            };
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

    /// Counts one request of the client IP in a fixed window (one per
    /// `scope`); refused past the configured limit.
    async fn count_ip(&self, c: &mut Conn, scope: &str, origin: &Origin, now: i64) -> Result<()> {
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
    async fn password_failed(
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
    async fn new_attempt(
        c: &mut Conn,
        user_id: i64,
        purpose: &str,
        reason: &str,
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
    async fn live_attempt(
        &self,
        mfa_token: &str,
        purpose: &str,
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

    // --------------------------------------------------------- second factor

    pub async fn verify_mfa(
        &self,
        mfa_token: &str,
        method: MfaMethod,
        code: &str,
        origin: &Origin,
    ) -> Result<SignedIn> {
        let now = unix_now();
        let (attempt, user) = self.live_attempt(mfa_token, "mfa", now).await?;
        let check = self
            .reserve_code_check(&user, Some(attempt.id), method.name(), origin, now)
            .await?;
        let proof = self.match_code(&user, method, code, now).await?;
        let mut tx = self.db.begin().await?;
        if !store::consume_attempt(&mut tx, attempt.id, now, MAX_CODE_FAILURES_PER_ATTEMPT).await? {
            return Err(AuthError::MfaTokenInvalid);
        }
        if !self.use_proof(&mut tx, user.id, &proof, now).await? {
            tx.rollback().await?;
            return self
                .code_failed(&user, check, method.name(), origin, now)
                .await;
        }
        store::clear_mfa_failures(&mut tx, user.id).await?;
        store::record_login(&mut tx, user.id, now).await?;
        let codes_left = self
            .audit_code_use(&mut tx, &user, method, origin, now)
            .await?;
        audit_own(
            &mut tx,
            &user,
            "login.succeeded",
            json!({ "method": method.name() }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(SignedIn {
            user_id: user.id,
            recovery_codes_left: codes_left,
        })
    }

    fn check_not_locked(&self, user: &User, now: i64) -> Result<()> {
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
    /// verified, in one transaction holding the user's row, so concurrent
    /// wrong codes never get more checks than the limits allow. A right code
    /// clears the count ([`store::clear_mfa_failures`]).
    async fn reserve_code_check(
        &self,
        user: &User,
        attempt_id: Option<i64>,
        method: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<CodeCheck> {
        let mut tx = self.db.begin().await?;
        let Some(lock) = store::mfa_reserve_check(&mut tx, user.id, now, MFA_LOCK_WINDOW).await?
        else {
            let current = store::user_by_id(&mut tx, user.id)
                .await?
                .ok_or(AuthError::MfaTokenInvalid)?;
            audit_own(
                &mut tx,
                &current,
                "mfa.refused_locked",
                json!({ "method": method, "admin_unlock_needed": current.mfa_admin_lock }),
                origin,
                now,
            )
            .await?;
            tx.commit().await?;
            self.check_not_locked(&current, now)?;
            return Err(AuthError::RateLimited { retry_after: 1 });
        };
        if let Some(id) = attempt_id {
            if !store::attempt_reserve_check(&mut tx, id, now, MAX_CODE_FAILURES_PER_ATTEMPT)
                .await?
            {
                tx.rollback().await?;
                return Err(AuthError::MfaTokenInvalid);
            }
        }
        let hard = lock.consecutive >= MFA_HARD_LOCK_THRESHOLD;
        let locks = hard || lock.recent_failures >= MFA_LOCK_THRESHOLD;
        if locks {
            store::lock_mfa(&mut tx, user.id, now + MFA_LOCK_SECONDS, hard).await?;
        }
        tx.commit().await?;
        Ok(CodeCheck { lock, locks, hard })
    }

    /// Works out what the code proves, before any transaction (CPU only).
    async fn match_code(
        &self,
        user: &User,
        method: MfaMethod,
        code: &str,
        now: i64,
    ) -> Result<Proof> {
        Ok(match method {
            MfaMethod::Totp => {
                let factors = store::confirmed_factors(&mut *self.conn().await?, user.id).await?;
                Proof::Totp(self.match_totp(user.id, &factors, code, now))
            }
            MfaMethod::RecoveryCode => Proof::Recovery(recovery::hash(&self.keys, code)),
        })
    }

    fn match_totp(
        &self,
        user_id: i64,
        factors: &[Factor],
        code: &str,
        now: i64,
    ) -> Option<(i64, i64)> {
        factors.iter().find_map(|f| {
            let secret = self.keys.open(&f.secret_sealed, &secret_context(user_id))?;
            self.totp
                .verify(&secret, code, now as u64)
                .map(|step| (f.id, step))
        })
    }

    /// Consumes what the code proved; false if it was wrong, replayed or already used.
    async fn use_proof(&self, c: &mut Conn, user_id: i64, proof: &Proof, now: i64) -> Result<bool> {
        Ok(match proof {
            Proof::Totp(Some((factor_id, step))) => {
                store::use_totp_step(c, *factor_id, *step, now).await?
            }
            Proof::Recovery(Some(hash)) => {
                store::consume_recovery_code(c, user_id, hash, now).await?
            }
            Proof::Totp(None) | Proof::Recovery(None) => false,
        })
    }

    async fn audit_code_use(
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

    /// Records a wrong code, already counted against the attempt and the user
    /// by its reservation; audited as the lock when it was the one that locked.
    async fn code_failed<T>(
        &self,
        user: &User,
        check: CodeCheck,
        method: &str,
        origin: &Origin,
        now: i64,
    ) -> Result<T> {
        let mut tx = self.db.begin().await?;
        audit_own(
            &mut tx,
            user,
            if check.locks { "mfa.locked" } else { "mfa.failed" },
            json!({ "method": method, "recent_failures": check.lock.recent_failures, "consecutive_failures": check.lock.consecutive, "admin_unlock_needed": check.hard }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Err(AuthError::InvalidCode)
    }

    // ------------------------------------------------------------- enrollment

    /// The authenticator a signed-in user is adding (My Profile, a bearer token).
    pub async fn totp_setup(&self, user_id: i64) -> Result<TotpSetup> {
        let user = self.user(user_id).await?;
        self.pending_setup(&user, Enrollment::Account).await
    }

    /// The authenticator being set up by one attempt (or the account): reuses
    /// its pending one so a reload shows the same QR code, else starts a new one.
    async fn pending_setup(&self, user: &User, enrollment: Enrollment) -> Result<TotpSetup> {
        let user_id = user.id;
        let mut c = self.conn().await?;
        let now = unix_now();
        let existing = store::pending_factor(&mut c, user_id, enrollment)
            .await?
            .filter(|f| f.created_at > now - ENROLL_TOKEN_TTL)
            .and_then(|f| self.keys.open(&f.secret_sealed, &secret_context(user_id)));
        let secret = match existing {
            Some(secret) => secret,
            None => {
                let secret = totp::new_secret().to_vec();
                let count = store::confirmed_factors(&mut c, user_id).await?.len();
                let label = if count == 0 {
                    "Authenticator app".to_string()
                } else {
                    format!("Authenticator app {}", count + 1)
                };
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

    /// The authenticator being set up during sign-in, and why (`mfa_required` or `recovery`).
    pub async fn totp_setup_for_attempt(&self, mfa_token: &str) -> Result<(TotpSetup, String)> {
        let (attempt, user) = self.live_attempt(mfa_token, "enroll", unix_now()).await?;
        let setup = self
            .pending_setup(&user, Enrollment::Attempt(attempt.id))
            .await?;
        Ok((setup, attempt.reason))
    }

    /// Confirms the authenticator set up during sign-in; signs the user in and
    /// returns their first recovery codes.
    pub async fn totp_confirm_for_attempt(
        &self,
        mfa_token: &str,
        code: &str,
        origin: &Origin,
    ) -> Result<(i64, Vec<String>)> {
        let now = unix_now();
        let (attempt, user) = self.live_attempt(mfa_token, "enroll", now).await?;
        // A wrong code counts against the attempt; reserved first, like every check.
        let reserved = store::attempt_reserve_check(
            &mut *self.conn().await?,
            attempt.id,
            now,
            MAX_CODE_FAILURES_PER_ATTEMPT,
        )
        .await?;
        if !reserved {
            return Err(AuthError::MfaTokenInvalid);
        }
        let enrollment = Enrollment::Attempt(attempt.id);
        let Some((pending, step)) = self.match_pending(&user, enrollment, code, now).await? else {
            return Err(AuthError::InvalidCode);
        };
        let cover = match attempt.reason.as_str() {
            "reset_permission" => Some(
                store::covering_grant(&mut *self.conn().await?, user.id, now)
                    .await?
                    .ok_or(AuthError::GrantEnded)?,
            ),
            _ => None,
        };
        let mut tx = self.db.begin().await?;
        if !store::consume_attempt(&mut tx, attempt.id, now, MAX_CODE_FAILURES_PER_ATTEMPT).await? {
            return Err(AuthError::MfaTokenInvalid);
        }
        let first_factor = attempt.reason == "mfa_required";
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
            self.notify(
                &mut tx,
                &user,
                &Notice::ResetWithPermission {
                    partner: cover.granted_by_org.clone(),
                },
                origin,
                now,
            )
            .await?;
            audit_own(
                &mut tx,
                &user,
                "grant.used",
                json!({ "grant_id": cover.grant_id }),
                origin,
                now,
            )
            .await?;
        }
        if attempt.reason == "recovery" || cover.is_some() {
            // The old device is lost (or being replaced): it goes, with every session.
            store::delete_confirmed_factors(&mut tx, user.id).await?;
            store::revoke_sessions_and_tokens(&mut tx, user.id, None, now).await?;
            store::unlock_mfa(&mut tx, user.id).await?;
        }
        let codes = self
            .activate_factor(&mut tx, &user, pending, step, true, origin, now)
            .await?;
        store::record_login(&mut tx, user.id, now).await?;
        audit_own(
            &mut tx,
            &user,
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
        origin: &Origin,
    ) -> Result<Option<Vec<String>>> {
        let now = unix_now();
        let user = self.user(user_id).await?;
        let Some((pending, step)) = self
            .match_pending(&user, Enrollment::Account, code, now)
            .await?
        else {
            return Err(AuthError::InvalidCode);
        };
        let mut tx = self.db.begin().await?;
        let had_factors = !store::confirmed_factors(&mut tx, user.id).await?.is_empty();
        let codes = self
            .activate_factor(&mut tx, &user, pending, step, !had_factors, origin, now)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    async fn match_pending(
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
    async fn activate_factor(
        &self,
        c: &mut Conn,
        user: &User,
        factor_id: i64,
        step: i64,
        new_codes: bool,
        origin: &Origin,
        now: i64,
    ) -> Result<Option<Vec<String>>> {
        let label = store::confirm_factor(c, factor_id, step, now)
            .await?
            .ok_or(AuthError::NoEnrollment)?;
        // Every other sign-in in progress ends: it began before this factor existed.
        store::end_sign_in_attempts(c, user.id, now).await?;
        let notice = if new_codes {
            Notice::MfaTurnedOn
        } else {
            Notice::FactorAdded { label }
        };
        self.notify(c, user, &notice, origin, now).await?;
        audit_own(
            c,
            user,
            "mfa.factor_added",
            json!({ "kind": "totp", "factor_id": factor_id }),
            origin,
            now,
        )
        .await?;
        if !new_codes {
            return Ok(None);
        }
        Ok(Some(self.replace_codes(c, user, origin, now).await?))
    }

    async fn replace_codes(
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

    // ------------------------------------------------- codes and links by email

    fn oob_hash(&self, attempt_id: i64, kind: OobKind, code: &str) -> Vec<u8> {
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
        let now = unix_now();
        let (attempt, user) = self.live_attempt(mfa_token, "mfa", now).await?;
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
                    OobOutcome::Recovery(token) => CodeOutcome::Recovery(token),
                    OobOutcome::SignedIn(user_id) => CodeOutcome::SignedIn(SignedIn {
                        user_id,
                        recovery_codes_left: None,
                    }),
                },
            );
        }
        let method = MfaMethod::parse(method).ok_or_else(|| {
            AuthError::Invalid(
                "method must be \"totp\", \"recovery_code\", \"email_otp\" or \"sms_otp\"".into(),
            )
        })?;
        Ok(CodeOutcome::SignedIn(
            self.verify_mfa(mfa_token, method, code, origin).await?,
        ))
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
        let now = unix_now();
        let (attempt, user) = self.live_attempt(mfa_token, "mfa", now).await?;
        let check = self
            .reserve_code_check(&user, Some(attempt.id), kind.name(), origin, now)
            .await?;
        let hash = self.oob_hash(attempt.id, kind, &totp::normalize_code(code));
        let mut tx = self.db.begin().await?;
        if !store::consume_attempt(&mut tx, attempt.id, now, MAX_CODE_FAILURES_PER_ATTEMPT).await? {
            return Err(AuthError::MfaTokenInvalid);
        }
        if !store::oob_consume(&mut tx, attempt.id, kind.name(), &hash, now).await? {
            tx.rollback().await?;
            return self
                .code_failed(&user, check, kind.name(), origin, now)
                .await;
        }
        if kind == OobKind::SmsCode {
            // A code to a verified phone is a (weaker) second factor: a full sign-in.
            store::clear_mfa_failures(&mut tx, user.id).await?;
            store::record_login(&mut tx, user.id, now).await?;
            audit_own(
                &mut tx,
                &user,
                "login.succeeded",
                json!({ "method": kind.name() }),
                origin,
                now,
            )
            .await?;
            tx.commit().await?;
            return Ok(OobOutcome::SignedIn(user.id));
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
            store::oob_link_attempt(&mut *self.conn().await?, &hash, unix_now())
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
        let now = unix_now();
        let hash = crypto::token_hash(link_token);
        let link_attempt = store::oob_link_attempt(&mut *self.conn().await?, &hash, now)
            .await?
            .ok_or(AuthError::LinkInvalid)?;
        let (attempt, user) = match mfa_token {
            Some(token) => self
                .live_attempt(token, "mfa", now)
                .await
                .map_err(|_| AuthError::LinkOtherBrowser)?,
            None => return Err(AuthError::LinkOtherBrowser),
        };
        if attempt.id != link_attempt {
            return Err(AuthError::LinkOtherBrowser);
        }
        let mut tx = self.db.begin().await?;
        if !store::consume_attempt(&mut tx, attempt.id, now, MAX_CODE_FAILURES_PER_ATTEMPT).await?
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

    async fn start_recovery(
        &self,
        c: &mut Conn,
        user: &User,
        kind: OobKind,
        origin: &Origin,
        now: i64,
    ) -> Result<String> {
        let token =
            Self::new_attempt(c, user.id, "enroll", "recovery", ENROLL_TOKEN_TTL, now).await?;
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

    // ------------------------------------------------------- signed-in changes

    /// Checks a signed-in user's password (step-up, the reset confirmation, new
    /// recovery codes): the same per-account limit as the sign-in, and every
    /// failure audited.
    pub async fn check_password(
        &self,
        user_id: i64,
        password: &str,
        origin: &Origin,
    ) -> Result<()> {
        let user = self.user(user_id).await?;
        let reserved = self
            .reserve_password_check(&user.email, PasswordCheck::Recheck, origin, unix_now())
            .await?;
        let right = reserved.slot.verify(password, &user.password_hash).await;
        let mut tx = self.db.begin().await?;
        if right {
            store::throttle_clear(&mut tx, &account_key(&user.email)).await?;
        } else {
            let failed = FailedPassword {
                check: PasswordCheck::Recheck,
                user: Some(&user),
                failures: reserved.failures,
            };
            self.password_failed(&mut tx, failed, origin, unix_now())
                .await?;
        }
        tx.commit().await?;
        right.then_some(()).ok_or(AuthError::WrongPassword)
    }

    /// Step-up for the browser: password, plus a code when the user has a factor.
    pub async fn step_up(
        &self,
        user_id: i64,
        password: &str,
        code: &str,
        origin: &Origin,
    ) -> Result<()> {
        let user = self.user(user_id).await?;
        self.check_password(user_id, password, origin).await?;
        let now = unix_now();
        let factors = store::confirmed_factors(&mut *self.conn().await?, user_id).await?;
        if factors.is_empty() {
            let mut tx = self.db.begin().await?;
            let details = json!({ "method": "password" });
            audit_own(&mut tx, &user, "login.step_up", details, origin, now).await?;
            tx.commit().await?;
            return Ok(());
        }
        let method = if recovery::normalize(code).is_some() {
            MfaMethod::RecoveryCode
        } else {
            MfaMethod::Totp
        };
        let check = self
            .reserve_code_check(&user, None, method.name(), origin, now)
            .await?;
        let proof = self.match_code(&user, method, code, now).await?;
        let mut tx = self.db.begin().await?;
        if !self.use_proof(&mut tx, user.id, &proof, now).await? {
            tx.rollback().await?;
            return self
                .code_failed(&user, check, method.name(), origin, now)
                .await;
        }
        store::clear_mfa_failures(&mut tx, user.id).await?;
        self.audit_code_use(&mut tx, &user, method, origin, now)
            .await?;
        audit_own(
            &mut tx,
            &user,
            "login.step_up",
            json!({ "method": method.name() }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn regenerate_recovery_codes(
        &self,
        user_id: i64,
        origin: &Origin,
    ) -> Result<Vec<String>> {
        let now = unix_now();
        let user = self.user(user_id).await?;
        let mut tx = self.db.begin().await?;
        // Write first (the replace), then check: SQLite takes its lock up front.
        let codes = self.replace_codes(&mut tx, &user, origin, now).await?;
        if store::confirmed_factors(&mut tx, user_id).await?.is_empty() {
            tx.rollback().await?;
            return Err(AuthError::Invalid(
                "Turn on multi-factor authentication first.".into(),
            ));
        }
        self.notify(&mut tx, &user, &Notice::RecoveryCodesGenerated, origin, now)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Removes one factor; other sessions and every API token end. Removing the
    /// last factor also removes the recovery codes (MFA is then off) — refused
    /// when the user's role requires MFA.
    pub async fn remove_factor(
        &self,
        user_id: i64,
        factor_id: i64,
        keep_session: Option<&str>,
        origin: &Origin,
    ) -> Result<()> {
        let now = unix_now();
        let mut tx = self.db.begin().await?;
        // Lock the user's row first, so two removals at once cannot each leave
        // the other's factor as the "remaining" one (PostgreSQL; SQLite's
        // transaction already holds the write lock), and read the role under it.
        sqlx::query("UPDATE users SET id = id WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let user = store::user_by_id(&mut tx, user_id)
            .await?
            .ok_or(AuthError::NotFound("User"))?;
        let label = store::delete_factor(&mut tx, user_id, factor_id)
            .await?
            .ok_or(AuthError::NotFound("Factor"))?;
        let remaining = store::confirmed_factors(&mut tx, user_id).await?.len();
        if remaining == 0 && user.role_mfa_required {
            tx.rollback().await?;
            return Err(AuthError::LastFactor);
        }
        if remaining == 0 {
            store::delete_all_mfa(&mut tx, user_id).await?;
        }
        store::revoke_sessions_and_tokens(&mut tx, user_id, keep_session, now).await?;
        let notice = Notice::FactorRemoved {
            label: label.clone(),
            factors_left: remaining,
        };
        self.notify(&mut tx, &user, &notice, origin, now).await?;
        audit_own(
            &mut tx,
            &user,
            "mfa.factor_removed",
            json!({ "factor_id": factor_id, "label": label, "factors_left": remaining }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes every factor and recovery code and ends every session and token.
    pub async fn reset_mfa(
        &self,
        user_id: i64,
        actor_id: Option<i64>,
        origin: &Origin,
    ) -> Result<()> {
        let now = unix_now();
        let user = self.user(user_id).await?;
        let mut tx = self.db.begin().await?;
        store::delete_all_mfa(&mut tx, user_id).await?;
        store::clear_mfa_failures(&mut tx, user_id).await?;
        store::revoke_sessions_and_tokens(&mut tx, user_id, None, now).await?;
        self.notify(
            &mut tx,
            &user,
            &Notice::MfaReset {
                by_self: actor_id == Some(user_id),
            },
            origin,
            now,
        )
        .await?;
        audit::append(
            &mut tx,
            Event {
                org_id: user.org_id,
                actor_id,
                subject_id: Some(user.id),
                action: "mfa.reset",
                details: json!({ "by": if actor_id == Some(user_id) { "self" } else { "admin" } }),
            },
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn profile(&self, user_id: i64) -> Result<Profile> {
        let user = self.user(user_id).await?;
        let mut c = self.conn().await?;
        let factors = store::confirmed_factors(&mut c, user_id).await?;
        let left = store::recovery_codes_left(&mut c, user_id).await?;
        let pending_phone = store::pending_phone(&mut c, user_id, unix_now()).await?;
        Ok(Profile {
            phone: user.phone.as_deref().map(mask_phone),
            pending_phone: pending_phone.as_deref().map(mask_phone),
            user_id,
            email: user.email,
            name: user.name,
            organization: user.org_name,
            role: user.role,
            mfa_required: user.role_mfa_required,
            factors: factors
                .into_iter()
                .map(|f| FactorInfo {
                    id: f.id,
                    kind: f.kind,
                    label: f.label,
                    created_at: f.created_at,
                    last_used_at: f.last_used_at,
                })
                .collect(),
            recovery_codes_left: left,
        })
    }

    /// Whether a user signing in can get an SMS code (their phone is verified).
    pub async fn attempt_has_phone(&self, mfa_token: &str) -> Result<bool> {
        let (_, user) = self.live_attempt(mfa_token, "mfa", unix_now()).await?;
        Ok(user.phone.is_some())
    }

    // ------------------------------------------------------------- phone numbers

    fn phone_code_hash(&self, user_id: i64, code: &str) -> Vec<u8> {
        self.keys.mac(format!("phone:{user_id}:{code}").as_bytes())
    }

    /// Texts a verification code to a new number (step-up is the caller's job).
    pub async fn start_phone_verification(
        &self,
        user_id: i64,
        phone: &str,
        origin: &Origin,
    ) -> Result<()> {
        let phone = normalize_phone(phone)
            .ok_or_else(|| AuthError::Invalid("Enter the number in international form, starting with + and the country code, for example +44 7700 900123.".into()))?;
        let user = self.user(user_id).await?;
        let now = unix_now();
        let code = six_digit_code();
        let mut tx = self.db.begin().await?;
        store::phone_verification_start(
            &mut tx,
            user_id,
            &phone,
            &self.phone_code_hash(user_id, &code),
            now,
            now + OOB_CODE_TTL,
        )
        .await?;
        let text = format!(
            "Gatehouse: your phone verification code is {code}. Valid 10 minutes. Never share it."
        );
        notify::enqueue_sms(&mut tx, &phone, &text, now).await?;
        audit_own(
            &mut tx,
            &user,
            "phone.verification_sent",
            json!({ "phone": mask_phone(&phone) }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the texted code; the number becomes the user's phone for SMS codes.
    pub async fn verify_phone(&self, user_id: i64, code: &str, origin: &Origin) -> Result<()> {
        let user = self.user(user_id).await?;
        let now = unix_now();
        let hash = self.phone_code_hash(user_id, &totp::normalize_code(code));
        let mut tx = self.db.begin().await?;
        let Some(phone) = store::phone_verification_use(
            &mut tx,
            user_id,
            &hash,
            now,
            MAX_CODE_FAILURES_PER_ATTEMPT,
        )
        .await?
        else {
            store::phone_verification_failed(&mut tx, user_id).await?;
            tx.commit().await?;
            return Err(AuthError::InvalidCode);
        };
        store::set_verified_phone(&mut tx, user_id, Some(&phone), now).await?;
        self.notify(
            &mut tx,
            &user,
            &Notice::PhoneChanged {
                phone: Some(mask_phone(&phone)),
            },
            origin,
            now,
        )
        .await?;
        audit_own(
            &mut tx,
            &user,
            "phone.verified",
            json!({ "phone": mask_phone(&phone) }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_phone(&self, user_id: i64, origin: &Origin) -> Result<()> {
        let user = self.user(user_id).await?;
        let now = unix_now();
        let mut tx = self.db.begin().await?;
        store::set_verified_phone(&mut tx, user_id, None, now).await?;
        self.notify(
            &mut tx,
            &user,
            &Notice::PhoneChanged { phone: None },
            origin,
            now,
        )
        .await?;
        audit_own(&mut tx, &user, "phone.removed", json!({}), origin, now).await?;
        tx.commit().await?;
        Ok(())
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
            unix_now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a security notification to the user in the caller's transaction.
    async fn notify(
        &self,
        c: &mut Conn,
        user: &User,
        notice: &Notice,
        origin: &Origin,
        now: i64,
    ) -> Result<()> {
        Ok(notify::enqueue(
            c,
            &user.email,
            notice,
            origin,
            now,
            &self.settings.public_url,
        )
        .await?)
    }

    /// The newest messages of the outbox, for the development mailbox.
    pub async fn recent_messages(&self, limit: i64) -> Result<Vec<store::OutboxMessage>> {
        Ok(store::outbox_recent(&mut *self.conn().await?, limit).await?)
    }

    // ---------------------------------------------------------------- API tokens

    pub async fn issue_api_token(&self, user_id: i64) -> Result<(String, i64)> {
        let now = unix_now();
        let token = crypto::new_token();
        store::insert_api_token(
            &mut *self.conn().await?,
            &crypto::token_hash(&token),
            user_id,
            now,
            now + API_TOKEN_TTL,
        )
        .await?;
        Ok((token, API_TOKEN_TTL))
    }

    /// The user behind a live bearer token and when the token was issued.
    pub async fn api_token_user(&self, token: &str) -> Result<Option<(i64, i64)>> {
        Ok(store::api_token_user(
            &mut *self.conn().await?,
            &crypto::token_hash(token),
            unix_now(),
        )
        .await?)
    }

    /// Signs an API client out: its token ends, and the sign-out is audited.
    pub async fn revoke_api_token(&self, token: &str, origin: &Origin) -> Result<()> {
        let now = unix_now();
        let mut tx = self.db.begin().await?;
        if let Some(user_id) =
            store::revoke_api_token(&mut tx, &crypto::token_hash(token), now).await?
        {
            if let Some(user) = store::user_by_id(&mut tx, user_id).await? {
                let details = json!({ "via": "api" });
                audit_own(&mut tx, &user, "logout", details, origin, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Refuses `operation` when the caller's last sign-in (`authenticated_at`:
    /// the session's sign-in or step-up, the bearer token's issue) is too old.
    /// The one place transports ask; the rule itself is [`policy`].
    pub fn require_recent_sign_in(
        &self,
        operation: Operation,
        authenticated_at: i64,
    ) -> Result<()> {
        policy::require_recent_sign_in(
            operation,
            authenticated_at,
            unix_now(),
            self.settings.step_up_seconds,
        )
    }

    // -------------------------------------------------------- administration

    pub async fn create_org(
        &self,
        kind: &str,
        slug: &str,
        name: &str,
        parent: Option<&str>,
    ) -> Result<i64> {
        if !matches!(kind, "partner" | "company") {
            return Err(AuthError::Invalid(
                "--kind must be partner or company".into(),
            ));
        }
        if slug.len() < 2
            || slug.len() > 40
            || !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(AuthError::Invalid(
                "--slug must be 2-40 characters of a-z, 0-9 and -".into(),
            ));
        }
        if name.trim().is_empty() {
            return Err(AuthError::Invalid("--name must not be empty".into()));
        }
        let mut tx = self.db.begin().await?;
        let parent_slug = parent.unwrap_or("platform");
        let parent = store::org_by_slug(&mut tx, parent_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {parent_slug:?}")))?;
        let expected_parent = if kind == "partner" {
            "platform"
        } else {
            "partner"
        };
        if parent.kind != expected_parent && !(kind == "company" && parent.kind == "platform") {
            return Err(AuthError::Invalid(format!(
                "a {kind} belongs to a {expected_parent}, and {parent_slug:?} is a {}",
                parent.kind
            )));
        }
        if store::org_by_slug(&mut tx, slug).await?.is_some() {
            return Err(AuthError::Invalid(format!(
                "an organization with slug {slug:?} already exists"
            )));
        }
        let now = unix_now();
        let id = store::insert_org(&mut tx, kind, slug, name.trim(), Some(parent.id), now).await?;
        audit::append(
            &mut tx,
            Event {
                org_id: id,
                actor_id: None,
                subject_id: None,
                action: "org.created",
                details: json!({ "kind": kind, "slug": slug, "parent": parent_slug }),
            },
            &Origin::command_line(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn create_user(
        &self,
        org_slug: &str,
        email: &str,
        role: &str,
        name: &str,
        password: &str,
    ) -> Result<i64> {
        let email = normalize_email(email);
        if !valid_email(&email) {
            return Err(AuthError::Invalid(format!(
                "{email:?} is not a valid email address"
            )));
        }
        password::check_policy(password)?;
        let mut c = self.conn().await?;
        let org = store::org_by_slug(&mut c, org_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {org_slug:?}")))?;
        let role_id = store::role_id(&mut c, org.id, role).await?.ok_or_else(|| {
            AuthError::Invalid(format!("organization {org_slug:?} has no role {role:?}"))
        })?;
        if store::user_by_email(&mut c, &email).await?.is_some() {
            return Err(AuthError::Invalid(format!(
                "a user with email {email} already exists"
            )));
        }
        drop(c);
        let hash = self.hash_password(password).await?;
        let now = unix_now();
        let mut tx = self.db.begin().await?;
        let id = store::insert_user(&mut tx, org.id, role_id, &email, name, &hash, now)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    AuthError::Invalid(format!("a user with email {email} already exists"))
                }
                e => AuthError::Storage(e),
            })?;
        audit::append(
            &mut tx,
            Event {
                org_id: org.id,
                actor_id: None,
                subject_id: Some(id),
                action: "user.created",
                details: json!({ "role": role }),
            },
            &Origin::command_line(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn set_role_mfa_required(
        &self,
        org_slug: &str,
        role: &str,
        required: bool,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        let org = store::org_by_slug(&mut tx, org_slug)
            .await?
            .ok_or_else(|| AuthError::Invalid(format!("unknown organization {org_slug:?}")))?;
        let role_id = store::role_id(&mut tx, org.id, role)
            .await?
            .ok_or_else(|| {
                AuthError::Invalid(format!("organization {org_slug:?} has no role {role:?}"))
            })?;
        store::set_role_mfa_required(&mut tx, role_id, required).await?;
        audit::append(
            &mut tx,
            Event {
                org_id: org.id,
                actor_id: None,
                subject_id: None,
                action: "role.mfa_required_changed",
                details: json!({ "role": role, "mfa_required": required }),
            },
            &Origin::command_line(),
            unix_now(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Test and demo helper: enrolls a TOTP factor directly, returning its secret.
    pub async fn enroll_totp_directly(&self, user_id: i64) -> Result<(Vec<u8>, Vec<String>)> {
        self.totp_setup(user_id).await?;
        let secret = self.secret_of_pending(user_id).await?;
        let code = self.totp.generate(&secret, unix_now() as u64);
        let origin = Origin::command_line();
        let codes = self
            .totp_confirm_for_user(user_id, &code, &origin)
            .await?
            .unwrap_or_default();
        Ok((secret, codes))
    }

    async fn secret_of_pending(&self, user_id: i64) -> Result<Vec<u8>> {
        let pending = store::pending_factor(&mut *self.conn().await?, user_id, Enrollment::Account)
            .await?
            .ok_or(AuthError::NoEnrollment)?;
        self.keys
            .open(&pending.secret_sealed, &secret_context(user_id))
            .ok_or(AuthError::NoEnrollment)
    }

    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<i64>> {
        Ok(
            store::user_by_email(&mut *self.conn().await?, &normalize_email(email))
                .await?
                .map(|u| u.id),
        )
    }

    pub async fn set_password(&self, user_id: i64, password: &str) -> Result<()> {
        password::check_policy(password)?;
        let hash = self.hash_password(password).await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_expired(&self) -> Result<()> {
        store::delete_expired(&mut *self.conn().await?, unix_now()).await?;
        Ok(())
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }
}

/// Audits something a user did to their own account.
async fn audit_own(
    c: &mut Conn,
    user: &User,
    action: &str,
    details: serde_json::Value,
    origin: &Origin,
    now: i64,
) -> Result<()> {
    let event = Event {
        org_id: user.org_id,
        actor_id: Some(user.id),
        subject_id: Some(user.id),
        action,
        details,
    };
    audit::append(c, event, origin, now).await?;
    Ok(())
}

enum Proof {
    /// The matching factor and time step, if the code matched one.
    Totp(Option<(i64, i64)>),
    /// The keyed hash of a well-formed recovery code.
    Recovery(Option<Vec<u8>>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_delay_starts_at_ten_failures_and_doubles() {
        assert_eq!(password_delay(9), 0);
        assert_eq!(password_delay(10), 60);
        assert_eq!(password_delay(11), 120);
        assert_eq!(password_delay(13), 480);
        assert_eq!(password_delay(1000), PASSWORD_MAX_DELAY);
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
        assert!(valid_email("ada@example.com"));
        assert!(!valid_email("ada@example"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
        assert!(!valid_email("ada@@example.com"));
    }

    #[test]
    fn phone_numbers_are_normalized_and_masked() {
        assert_eq!(
            normalize_phone("+44 7700 900123").as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            normalize_phone("+1 (555) 010-9999").as_deref(),
            Some("+15550109999")
        );
        assert_eq!(
            normalize_phone("07700 900123"),
            None,
            "needs the country code"
        );
        assert_eq!(normalize_phone("+12"), None);
        assert_eq!(normalize_phone("+44 77x0 900123"), None);
        assert_eq!(mask_phone("+447700900123"), "+44••••••••23");
    }

    #[test]
    fn mfa_methods_round_trip() {
        for m in [MfaMethod::Totp, MfaMethod::RecoveryCode] {
            assert_eq!(MfaMethod::parse(m.name()), Some(m));
        }
        assert_eq!(MfaMethod::parse("sms"), None);
    }
}
