//! The phone number on My profile: added with a recent sign-in, verified by
//! a texted code, and only then usable for sign-in codes.

use serde_json::json;

use crate::audit::Origin;
use crate::error::{AuthError, Result};
use crate::notify::{self, Notice};
use crate::rules::contact::{mask_phone, normalize_phone};
use crate::rules::lockout::MAX_CODE_FAILURES_PER_ATTEMPT;
use crate::rules::totp;
use crate::store::{self};

use super::out_of_band::OOB_CODE_TTL;
use super::{audit_own, six_digit_code, Gatehouse};

impl Gatehouse {
    pub(crate) fn phone_code_hash(&self, user_id: i64, code: &str) -> Vec<u8> {
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
        let now = self.now();
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
        let now = self.now();
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
        let now = self.now();
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
}
