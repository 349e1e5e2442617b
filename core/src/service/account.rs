//! A signed-in user's own account: their profile, confirming it is them
//! (step-up), new recovery codes, removing an authenticator, resetting MFA.

use serde_json::json;

use crate::audit::{self, Event, Origin};
use crate::error::{AuthError, Result};
use crate::notify::Notice;
use crate::rules::abuse::ResetKind;
use crate::rules::contact::{account_key, mask_phone};
use crate::rules::factors::{may_remove_passkey, passkey_required, FactorKind};
use crate::rules::policy::{self, Operation};
use crate::store::{self};

use super::enrollment::authenticator_name;
use super::resets::Reset;
use super::second_factor::{Answer, CodeUse};
use super::sign_in::{FailedPassword, PasswordCheck};
use super::{audit_own, Gatehouse};

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
    /// The role requires a passkey (and passkeys work here).
    pub passkey_required: bool,
    pub factors: Vec<FactorInfo>,
    pub recovery_codes_left: i64,
    /// The verified phone, masked.
    pub phone: Option<String>,
    /// A number waiting for its verification code, masked.
    pub pending_phone: Option<String>,
}

impl Gatehouse {
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
            .reserve_password_check(&user.email, PasswordCheck::Recheck, origin, self.now())
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
            self.password_failed(&mut tx, failed, origin, self.now())
                .await?;
        }
        tx.commit().await?;
        right.then_some(()).ok_or(AuthError::WrongPassword)
    }

    /// Step-up for the browser: password, plus a code or a passkey's answer
    /// when the user has a factor.
    pub async fn step_up(
        &self,
        user_id: i64,
        password: &str,
        answer: Answer<'_>,
        origin: &Origin,
    ) -> Result<()> {
        let user = self.user(user_id).await?;
        self.check_password(user_id, password, origin).await?;
        let now = self.now();
        let factors = store::confirmed_factors(&mut *self.conn().await?, user_id).await?;
        if factors.is_empty() {
            let mut tx = self.db.begin().await?;
            let details = json!({ "method": "password" });
            audit_own(&mut tx, &user, "login.step_up", details, origin, now).await?;
            tx.commit().await?;
            return Ok(());
        }
        self.prove_with_code(&user, CodeUse::StepUp, answer, origin, now)
            .await?;
        Ok(())
    }

    pub async fn regenerate_recovery_codes(
        &self,
        user_id: i64,
        origin: &Origin,
    ) -> Result<Vec<String>> {
        let now = self.now();
        let user = self.user(user_id).await?;
        let mut tx = self.db.begin().await?;
        // Write first (the replace), then check: SQLite takes its lock up front.
        let codes = self.replace_codes(&mut tx, &user, origin, now).await?;
        if store::confirmed_factors(&mut tx, user_id).await?.is_empty() {
            tx.rollback().await?;
            return Err(AuthError::Invalid(
                "Turn on two-step verification first.".into(),
            ));
        }
        self.notify(&mut tx, &user, &Notice::RecoveryCodesGenerated, origin, now)
            .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Removes one factor; other sessions and API tokens end (all but `keep`). Removing the
    /// last factor also removes the recovery codes (MFA is then off) — refused
    /// when the user's role requires MFA, as is removing the last passkey
    /// where the role requires one.
    pub async fn remove_factor(
        &self,
        user_id: i64,
        factor_id: i64,
        keep: store::Keep<'_>,
        origin: &Origin,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // Lock the user's row first, so two removals at once cannot each leave
        // the other's factor as the "remaining" one (PostgreSQL; SQLite's
        // transaction already holds the write lock), and read the role under it.
        store::lock_user(&mut tx, user_id).await?;
        let user = store::user_by_id(&mut tx, user_id)
            .await?
            .ok_or(AuthError::NotFound("User"))?;
        let (label, kind) = store::delete_factor(&mut tx, user_id, factor_id)
            .await?
            .ok_or(AuthError::NotFound("Factor"))?;
        let kind = FactorKind::parse(&kind).unwrap_or(FactorKind::Totp);
        let factors = store::confirmed_factors(&mut tx, user_id).await?;
        let remaining = factors.len();
        if remaining == 0 && user.role_mfa_required {
            tx.rollback().await?;
            return Err(AuthError::LastFactor);
        }
        let passkeys_left = factors
            .iter()
            .filter(|f| f.kind == FactorKind::Passkey.as_str())
            .count();
        let passkey_required =
            passkey_required(user.role_passkey_required, self.passkeys_available());
        if kind == FactorKind::Passkey && !may_remove_passkey(passkey_required, passkeys_left) {
            tx.rollback().await?;
            return Err(AuthError::LastPasskey);
        }
        if remaining == 0 {
            store::delete_all_mfa(&mut tx, user_id).await?;
        }
        store::revoke_sessions_and_tokens(&mut tx, user_id, keep, now).await?;
        let notice = Notice::FactorRemoved {
            label: label.clone(),
            kind,
            factors_left: remaining,
        };
        self.notify(&mut tx, &user, &notice, origin, now).await?;
        audit_own(
            &mut tx,
            &user,
            "mfa.factor_removed",
            json!({ "factor_id": factor_id, "kind": kind.as_str(), "label": label, "factors_left": remaining }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives one of the user's authenticators a name they will recognize
    /// ("Work phone"). Nothing is signed out: the factor itself is unchanged.
    pub async fn rename_factor(
        &self,
        user_id: i64,
        factor_id: i64,
        name: &str,
        origin: &Origin,
    ) -> Result<String> {
        let name = authenticator_name(name)?
            .ok_or_else(|| AuthError::Invalid("Give the authenticator a name.".into()))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let user = store::user_by_id(&mut tx, user_id)
            .await?
            .ok_or(AuthError::NotFound("User"))?;
        let old = store::confirmed_factors(&mut tx, user_id)
            .await?
            .into_iter()
            .find(|f| f.id == factor_id)
            .ok_or(AuthError::NotFound("Factor"))?;
        store::set_factor_label(&mut tx, user_id, factor_id, &name).await?;
        audit_own(
            &mut tx,
            &user,
            "mfa.factor_renamed",
            json!({ "factor_id": factor_id, "from": old.label, "to": name }),
            origin,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(name)
    }

    /// Removes every factor and recovery code and ends every session and token.
    pub async fn reset_mfa(
        &self,
        user_id: i64,
        actor_id: Option<i64>,
        origin: &Origin,
    ) -> Result<()> {
        let now = self.now();
        let user = self.user(user_id).await?;
        let mut tx = self.db.begin().await?;
        // The user's row first (before the organization's counters, the
        // factors and the attempts), as a sign-in finishing meanwhile takes it.
        store::lock_user(&mut tx, user_id).await?;
        let reset = Reset::new(ResetKind::of_mfa_reset(actor_id, user_id), None);
        self.reset_took_effect(&mut tx, &user, reset, origin, now)
            .await?;
        store::delete_all_mfa(&mut tx, user_id).await?;
        store::clear_mfa_failures(&mut tx, user_id).await?;
        store::revoke_sessions_and_tokens(&mut tx, user_id, store::Keep::Nothing, now).await?;
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
        let pending_phone = store::pending_phone(&mut c, user_id, self.now()).await?;
        Ok(Profile {
            phone: user.phone.as_deref().map(mask_phone),
            pending_phone: pending_phone.as_deref().map(mask_phone),
            user_id,
            email: user.email,
            name: user.name,
            organization: user.org_name,
            role: user.role,
            mfa_required: user.role_mfa_required,
            passkey_required: passkey_required(
                user.role_passkey_required,
                self.passkeys_available(),
            ),
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
            self.now(),
            self.settings.step_up_seconds,
        )
    }
}
