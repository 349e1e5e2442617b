//! Passkeys (WebAuthn): adding one from My profile or the API, and proving
//! one at the second stage of a sign-in. Each is a ceremony of two requests:
//! the options (a fresh challenge, its state kept here for 5 minutes), then
//! the browser's answer, which takes that state out in one statement.
//!
//! The relying party is `GATEHOUSE_PUBLIC_URL`'s domain, never a request's
//! Host: a passkey only signs for the domain it was made on, which is what
//! makes it unphishable. A public URL that is an IP address has no domain,
//! so passkeys are then not offered.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid,
};
use webauthn_rs::{Webauthn, WebauthnBuilder};

use crate::audit::Origin;
use crate::crypto;
use crate::error::{AuthError, Result};
use crate::rules::factors::{
    ceremony_is_live, may_add_passkey, FactorKind, CEREMONY_TTL, MAX_PASSKEYS, OPEN_CEREMONIES,
};
use crate::store::{self, AttemptPurpose, CeremonyPurpose, Conn, Factor, User};

use super::enrollment::{authenticator_name, NewFactor};
use super::second_factor::{Answer, CodeOutcome};
use super::Gatehouse;

/// The options of a ceremony: the client passes `public_key` to
/// `navigator.credentials.create` or `.get` and sends its answer back with
/// `ceremony_id`.
#[derive(Debug, Clone)]
pub struct PasskeyOptions {
    pub ceremony_id: String,
    pub public_key: Value,
}

/// A passkey just added; recovery codes when it turned two-step verification on.
#[derive(Debug, Clone)]
pub struct PasskeyAdded {
    pub id: i64,
    pub label: String,
    pub recovery_codes: Option<Vec<String>>,
}

/// A new passkey whose registration answer was verified: its name (None
/// for the default), credential id and sealed state.
#[derive(Debug, Clone)]
pub(crate) struct CheckedPasskey {
    name: Option<String>,
    credential_id: String,
    sealed: Vec<u8>,
}

/// A passkey that signed a sign-in challenge, with its state after the use.
pub(crate) struct PasskeyUse {
    pub(crate) factor_id: i64,
    pub(crate) sign_count: i64,
    pub(crate) sealed: Vec<u8>,
}

/// The relying party of `public_url`, or None when it has no domain name.
pub(crate) fn relying_party(public_url: &str, name: &str) -> Option<Webauthn> {
    let url = Url::parse(public_url).ok()?;
    let domain = url.domain()?.to_string();
    WebauthnBuilder::new(&domain, &url)
        .ok()?
        .rp_name(name)
        .build()
        .ok()
}

fn passkey_context(user_id: i64) -> Vec<u8> {
    format!("passkey:user:{user_id}").into_bytes()
}

fn credential_id(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id())
}

/// A refusal of a ceremony's answer at registration: the person starts again.
fn registration_refused() -> AuthError {
    AuthError::Invalid(
        "The passkey could not be added: the request expired, was already used, or the \
         device's answer did not match. Try again."
            .into(),
    )
}

impl Gatehouse {
    /// Whether passkeys can be used here (the public URL has a domain name).
    pub fn passkeys_available(&self) -> bool {
        self.webauthn.is_some()
    }

    fn webauthn(&self) -> Result<&Webauthn> {
        self.webauthn.as_deref().ok_or_else(|| {
            AuthError::Invalid(
                "Passkeys need GATEHOUSE_PUBLIC_URL to be a domain name, not an IP address.".into(),
            )
        })
    }

    /// The user handle passkeys of this account carry: stable, and not the
    /// database id (an authenticator may show it to anyone holding it).
    fn passkey_user_handle(&self, user_id: i64) -> Uuid {
        let mac = self.keys.mac(format!("passkey-user:{user_id}").as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&mac[..16]);
        Uuid::from_bytes(bytes)
    }

    /// The user's passkeys that open under the current key.
    fn passkeys_of(&self, user_id: i64, factors: &[Factor]) -> Vec<(i64, Passkey)> {
        factors
            .iter()
            .filter(|f| f.kind == FactorKind::Passkey.as_str())
            .filter_map(|f| {
                let json = self
                    .keys
                    .open(&f.secret_sealed, &passkey_context(user_id))?;
                Some((f.id, serde_json::from_slice(&json).ok()?))
            })
            .collect()
    }

    /// Keeps a ceremony's state and returns the id the client answers with.
    async fn open_ceremony(
        &self,
        user_id: i64,
        purpose: CeremonyPurpose,
        state: &impl serde::Serialize,
    ) -> Result<String> {
        let ceremony_id = crypto::new_token();
        let state = serde_json::to_string(state).map_err(|_| registration_refused())?;
        let mut tx = self.db.begin().await?;
        let id_hash = crypto::sha256_hex(ceremony_id.as_bytes());
        let ceremony = store::NewCeremony {
            id_hash: &id_hash,
            user_id,
            purpose,
            state: &state,
            expires_at: self.now() + CEREMONY_TTL,
        };
        store::insert_ceremony(&mut tx, &ceremony).await?;
        store::trim_ceremonies(&mut tx, user_id, purpose, OPEN_CEREMONIES).await?;
        tx.commit().await?;
        Ok(ceremony_id)
    }

    /// Takes a ceremony out (it cannot be answered twice, whatever follows)
    /// and returns its state while it is live.
    async fn take_ceremony<T: serde::de::DeserializeOwned>(
        &self,
        c: &mut Conn,
        user_id: i64,
        purpose: CeremonyPurpose,
        ceremony_id: &str,
        now: i64,
    ) -> Result<Option<T>> {
        let id_hash = crypto::sha256_hex(ceremony_id.as_bytes());
        let taken = store::take_ceremony(c, &id_hash, user_id, purpose).await?;
        Ok(taken
            .filter(|(_, expires_at)| ceremony_is_live(*expires_at, now))
            .and_then(|(state, _)| serde_json::from_str(&state).ok()))
    }

    /// Starts adding a passkey to a signed-in account (a recent sign-in is
    /// the transport's check, as for every new factor).
    pub async fn passkey_registration_options(&self, user_id: i64) -> Result<PasskeyOptions> {
        let user = self.user(user_id).await?;
        self.registration_options(&user, CeremonyPurpose::Register)
            .await
    }

    /// Starts adding a passkey at sign-in, where the attempt `mfa_token`
    /// waits for a new factor (a role requires a passkey, or a reset).
    pub async fn passkey_enrollment_options(&self, mfa_token: &str) -> Result<PasskeyOptions> {
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::Enrollment, self.now())
            .await?;
        let purpose = CeremonyPurpose::Enroll {
            attempt_id: attempt.id,
        };
        self.registration_options(&user, purpose).await
    }

    /// A registration challenge for the user, kept for `purpose`.
    async fn registration_options(
        &self,
        user: &User,
        purpose: CeremonyPurpose,
    ) -> Result<PasskeyOptions> {
        let webauthn = self.webauthn()?;
        let factors = store::confirmed_factors(&mut *self.conn().await?, user.id).await?;
        // The same device cannot be added twice to this account.
        let existing: Vec<_> = self
            .passkeys_of(user.id, &factors)
            .into_iter()
            .map(|(_, p)| p.cred_id().clone())
            .collect();
        if !may_add_passkey(existing.len()) {
            return Err(too_many_passkeys());
        }
        let display = if user.name.is_empty() {
            &user.email
        } else {
            &user.name
        };
        let (options, state) = webauthn
            .start_passkey_registration(
                self.passkey_user_handle(user.id),
                &user.email,
                display,
                Some(existing),
            )
            .map_err(|_| registration_refused())?;
        let ceremony_id = self.open_ceremony(user.id, purpose, &state).await?;
        Ok(PasskeyOptions {
            ceremony_id,
            public_key: public_key_of(&options)?,
        })
    }

    /// Checks a registration ceremony's answer: it must sign this
    /// ceremony's challenge for this site with user verification. The
    /// ceremony is used up whatever the answer.
    async fn check_registration(
        &self,
        user: &User,
        purpose: CeremonyPurpose,
        ceremony_id: &str,
        credential: &Value,
        name: Option<String>,
        now: i64,
    ) -> Result<CheckedPasskey> {
        let webauthn = self.webauthn()?;
        let state: PasskeyRegistration = self
            .take_ceremony(&mut *self.conn().await?, user.id, purpose, ceremony_id, now)
            .await?
            .ok_or_else(registration_refused)?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_value(credential.clone()).map_err(|_| registration_refused())?;
        let passkey = webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|error| {
                tracing::info!(user_id = user.id, ?error, "passkey registration refused");
                registration_refused()
            })?;
        let sealed = self.keys.seal(
            &serde_json::to_vec(&passkey).map_err(|_| registration_refused())?,
            &passkey_context(user.id),
        );
        Ok(CheckedPasskey {
            name,
            credential_id: credential_id(&passkey),
            sealed,
        })
    }

    /// Stores a checked passkey, the user's row held (not yet confirmed:
    /// `activate_factor` does that in the same transaction, which the caller
    /// drops on an error),
    /// under its name or the next default one; returns its id and name.
    /// Refused when the account has its most, or when the credential is
    /// registered already (to anyone) — then in the same words as any other
    /// mismatch, so the answer does not tell whose it is.
    pub(crate) async fn store_passkey(
        &self,
        c: &mut Conn,
        user: &User,
        passkey: &CheckedPasskey,
        now: i64,
    ) -> Result<(i64, String)> {
        store::lock_user(c, user.id).await?;
        let passkeys = store::confirmed_factors(c, user.id)
            .await?
            .iter()
            .filter(|f| f.kind == FactorKind::Passkey.as_str())
            .count();
        if !may_add_passkey(passkeys) {
            return Err(too_many_passkeys());
        }
        let label = passkey
            .name
            .clone()
            .unwrap_or_else(|| FactorKind::Passkey.default_label(passkeys + 1));
        let row = store::NewPasskey {
            user_id: user.id,
            label: &label,
            credential_id: &passkey.credential_id,
            sealed: &passkey.sealed,
            now,
        };
        let id = store::insert_passkey(c, &row)
            .await?
            .ok_or_else(registration_refused)?;
        Ok((id, label))
    }

    /// Finishes adding a passkey to a signed-in account. Like an
    /// authenticator, it ends other sign-ins in progress, is audited and
    /// mailed; the first factor turns two-step verification on and brings
    /// recovery codes.
    pub async fn register_passkey(
        &self,
        user_id: i64,
        ceremony_id: &str,
        name: &str,
        credential: &Value,
        origin: &Origin,
    ) -> Result<PasskeyAdded> {
        let name = authenticator_name(name)?;
        let now = self.now();
        let user = self.user(user_id).await?;
        let passkey = self
            .check_registration(
                &user,
                CeremonyPurpose::Register,
                ceremony_id,
                credential,
                name,
                now,
            )
            .await?;
        let mut tx = self.db.begin().await?;
        store::lock_user(&mut tx, user_id).await?;
        let first = store::confirmed_factors(&mut tx, user_id).await?.is_empty();
        let (id, label) = self.store_passkey(&mut tx, &user, &passkey, now).await?;
        let recovery_codes = self
            .activate_factor(&mut tx, &user, id, 0, first, origin, now)
            .await?;
        tx.commit().await?;
        Ok(PasskeyAdded {
            id,
            label,
            recovery_codes,
        })
    }

    /// Finishes adding a passkey at sign-in (the attempt `mfa_token`): a
    /// try counted like a code, then the enrollment finishes as with an
    /// authenticator — a reset takes effect, and the user is signed in.
    /// Returns the user and their new recovery codes (none when the sign-in
    /// only owed a passkey).
    pub async fn register_passkey_at_sign_in(
        &self,
        mfa_token: &str,
        ceremony_id: &str,
        name: &str,
        credential: &Value,
        origin: &Origin,
    ) -> Result<(i64, Vec<String>)> {
        let name = authenticator_name(name)?;
        let now = self.now();
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::Enrollment, now)
            .await?;
        self.reserve_enrollment_check(&attempt, now).await?;
        let purpose = CeremonyPurpose::Enroll {
            attempt_id: attempt.id,
        };
        let passkey = self
            .check_registration(&user, purpose, ceremony_id, credential, name, now)
            .await?;
        self.finish_enrollment(&attempt, &user, NewFactor::Passkey(passkey), origin, now)
            .await
    }

    /// The options for signing in with one of the user's passkeys, at the
    /// second stage of the attempt `mfa_token`.
    pub async fn passkey_sign_in_options(&self, mfa_token: &str) -> Result<PasskeyOptions> {
        let (attempt, user) = self
            .live_attempt(mfa_token, AttemptPurpose::SecondFactor, self.now())
            .await?;
        let purpose = CeremonyPurpose::SignIn {
            attempt_id: attempt.id,
        };
        self.assertion_options(&user, purpose).await
    }

    /// The options for a signed-in user confirming it is them with a passkey
    /// (with their password: [`Gatehouse::step_up`]).
    pub async fn passkey_step_up_options(&self, user_id: i64) -> Result<PasskeyOptions> {
        let user = self.user(user_id).await?;
        self.assertion_options(&user, CeremonyPurpose::StepUp).await
    }

    /// A challenge for one of the user's passkeys, kept for `purpose`.
    async fn assertion_options(
        &self,
        user: &User,
        purpose: CeremonyPurpose,
    ) -> Result<PasskeyOptions> {
        let webauthn = self.webauthn()?;
        self.check_not_locked(user, self.now())?;
        let factors = store::confirmed_factors(&mut *self.conn().await?, user.id).await?;
        let passkeys: Vec<Passkey> = self
            .passkeys_of(user.id, &factors)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        if passkeys.is_empty() {
            return Err(AuthError::Invalid(
                "This account has no passkey. Use another method.".into(),
            ));
        }
        let (options, state) = webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|_| AuthError::Invalid("No passkey of this account can be used.".into()))?;
        let ceremony_id = self.open_ceremony(user.id, purpose, &state).await?;
        Ok(PasskeyOptions {
            ceremony_id,
            public_key: public_key_of(&options)?,
        })
    }

    /// The second stage with a passkey: counted like a code (5 wrong answers
    /// end the attempt; the user's lock applies), and a right one signs in.
    pub async fn verify_passkey(
        &self,
        mfa_token: &str,
        ceremony_id: &str,
        credential: &Value,
        origin: &Origin,
    ) -> Result<CodeOutcome> {
        let answer = Answer::Passkey {
            ceremony_id,
            credential,
        };
        self.verify_mfa(mfa_token, answer, origin).await
    }

    /// What a sign-in ceremony's answer proves: the passkey that signed it,
    /// with the state to store, or None when it proves nothing.
    pub(crate) async fn check_assertion(
        &self,
        c: &mut Conn,
        user: &User,
        purpose: CeremonyPurpose,
        ceremony_id: &str,
        credential: &Value,
        now: i64,
    ) -> Result<Option<PasskeyUse>> {
        let webauthn = self.webauthn()?;
        let Some(state) = self
            .take_ceremony::<PasskeyAuthentication>(c, user.id, purpose, ceremony_id, now)
            .await?
        else {
            return Ok(None);
        };
        let Ok(answer) = serde_json::from_value::<PublicKeyCredential>(credential.clone()) else {
            return Ok(None);
        };
        let result = match webauthn.finish_passkey_authentication(&answer, &state) {
            Ok(result) => result,
            Err(error) => {
                tracing::info!(user_id = user.id, ?error, "passkey answer refused");
                return Ok(None);
            }
        };
        if !result.user_verified() {
            return Ok(None);
        }
        let factors = store::confirmed_factors(c, user.id).await?;
        let Some((factor_id, mut passkey)) = self
            .passkeys_of(user.id, &factors)
            .into_iter()
            .find(|(_, p)| p.cred_id() == result.cred_id())
        else {
            return Ok(None);
        };
        passkey.update_credential(&result);
        let Ok(json) = serde_json::to_vec(&passkey) else {
            return Ok(None);
        };
        Ok(Some(PasskeyUse {
            factor_id,
            sign_count: i64::from(result.counter()),
            sealed: self.keys.seal(&json, &passkey_context(user.id)),
        }))
    }
}

impl Gatehouse {
    async fn own_passkey(&self, user_id: i64, factor_id: i64) -> Result<()> {
        store::confirmed_factors(&mut *self.conn().await?, user_id)
            .await?
            .iter()
            .any(|f| f.id == factor_id && f.kind == FactorKind::Passkey.as_str())
            .then_some(())
            .ok_or(AuthError::NotFound("Passkey"))
    }

    /// Renames one of the user's passkeys (not another kind of factor).
    pub async fn rename_passkey(
        &self,
        user_id: i64,
        factor_id: i64,
        name: &str,
        origin: &Origin,
    ) -> Result<String> {
        self.own_passkey(user_id, factor_id).await?;
        self.rename_factor(user_id, factor_id, name, origin).await
    }

    /// Removes one of the user's passkeys, as [`Gatehouse::remove_factor`] does.
    pub async fn remove_passkey(
        &self,
        user_id: i64,
        factor_id: i64,
        keep: store::Keep<'_>,
        origin: &Origin,
    ) -> Result<()> {
        self.own_passkey(user_id, factor_id).await?;
        self.remove_factor(user_id, factor_id, keep, origin).await
    }
}

fn too_many_passkeys() -> AuthError {
    AuthError::Invalid(format!(
        "An account can have {MAX_PASSKEYS} passkeys: remove one you no longer use to add another."
    ))
}

/// The `publicKey` member of a ceremony's options, as the browser takes it.
fn public_key_of(options: &impl serde::Serialize) -> Result<Value> {
    let mut json = serde_json::to_value(options).map_err(|_| registration_refused())?;
    Ok(json
        .get_mut("publicKey")
        .map(Value::take)
        .unwrap_or_default())
}
