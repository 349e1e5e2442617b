//! The flows of Gatehouse, shared by the browser (server functions), the JSON
//! API and the command line: one `impl Gatehouse` split by journey, one file
//! each. Rules come from [`crate::rules`], SQL from [`crate::store`]; every
//! change writes its audit entry and its notifications in its own transaction.

use std::sync::Arc;

use rand::Rng;

use crate::audit::{self, Event, Origin};
use crate::clock::{Clock, SystemClock};
use crate::crypto::{self, Keys};
use crate::db::Db;
use crate::hashing::{self, Hasher};
use crate::notify::{self, Notice};
use crate::rules::totp::TotpParams;
use crate::store::{self, Conn, User};
use crate::telemetry;
use crate::Settings;

pub use crate::error::{AuthError, ErrorCode, Result};

mod abuse;
mod account;
mod admin;
mod api_tokens;
mod enrollment;
mod locked_out;
mod mailbox;
mod operator;
mod out_of_band;
mod passkeys;
mod password;
mod phone;
mod resets;
mod second_factor;
mod sign_in;
mod support;
mod support_desk;

pub use abuse::{AbuseAlert, ALERT_ACTION};
pub use account::{FactorInfo, Profile};
pub use admin::*;
pub use api_tokens::API_TOKEN_TTL;
pub use enrollment::{EnrollmentAsk, TotpSetup, ENROLL_TOKEN_TTL};
pub use locked_out::{LockedOutLink, CONFIRMED_REFERENCE};
pub use operator::OperatorAction;
pub use out_of_band::{OobKind, OobOutcome, OOB_CODE_TTL, OOB_LINK_TTL};
pub use passkeys::{PasskeyAdded, PasskeyOptions};
pub use password::PasswordLink;
pub use resets::{NotMeLink, Reset};
pub use second_factor::{Answer, CodeOutcome, MfaMethod, SecondStage, StageEnded};
pub use sign_in::{PasswordOutcome, SignedIn, MFA_TOKEN_TTL, PLATFORM_ORG_ID};
pub use support::SupportCode;
pub use support_desk::{
    reset_requests_csv, CancelLinkInfo, Check, CheckOutcome, DeskActions, NewResetRequest,
    PassTimes, ResetRequest, MAX_NOTE_LEN, MAX_REFERENCE_LEN,
};

/// The services, cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Gatehouse {
    pub db: Db,
    keys: Keys,
    pub settings: Arc<Settings>,
    totp: TotpParams,
    dummy_hash: Arc<str>,
    hasher: Hasher,
    clock: Arc<dyn Clock>,
    /// The passkeys' relying party: None when the public URL has no domain.
    webauthn: Option<Arc<webauthn_rs::Webauthn>>,
    /// Work done after an answer ([`Gatehouse::after_answer`]) at once, at most.
    background: Arc<tokio::sync::Semaphore>,
}

/// How many pieces of work after an answer may run at once; past that, the
/// answer waits for its own (a flood slows itself, not the mail of others).
const BACKGROUND_WORK: usize = 64;

fn six_digit_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000))
}

fn secret_context(user_id: i64) -> Vec<u8> {
    format!("totp:user:{user_id}").into_bytes()
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

impl Gatehouse {
    /// The services on the system clock.
    pub async fn new(db: Db, keys: Keys, settings: Settings) -> Self {
        Self::with_clock(db, keys, settings, Arc::new(SystemClock)).await
    }

    /// The services on a given clock (tests move a [`crate::clock::ManualClock`]).
    pub async fn with_clock(db: Db, keys: Keys, settings: Settings, clock: Arc<dyn Clock>) -> Self {
        let hasher = Hasher::new(settings.hash_workers, settings.hash_queue);
        let dummy = hasher
            .hash(&crypto::new_token())
            .await
            .expect("an idle hasher has room");
        let webauthn = passkeys::relying_party(&settings.public_url, &settings.issuer);
        Self {
            db,
            keys,
            webauthn: webauthn.map(Arc::new),
            settings: Arc::new(settings),
            totp: TotpParams::default(),
            dummy_hash: dummy.into(),
            hasher,
            clock,
            background: Arc::new(tokio::sync::Semaphore::new(BACKGROUND_WORK)),
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
        Ok(self.db.acquire().await?)
    }

    /// Brings the gauges up to date for a scrape: the database pool, the
    /// hashing queue, and the outbox's backlog.
    pub async fn observe_for_metrics(&self) -> Result<()> {
        let pool = &self.db.pool;
        telemetry::pool(
            pool.size(),
            pool.num_idle(),
            pool.options().get_max_connections(),
        );
        let (taken, places) = self.hasher.load();
        telemetry::hash_queue(taken, places);
        let now = self.now();
        let (queued, oldest) = store::outbox_backlog(&mut *self.conn().await?).await?;
        telemetry::outbox(queued, oldest.map_or(0, |created| (now - created).max(0)));
        Ok(())
    }

    async fn user(&self, user_id: i64) -> Result<User> {
        store::user_by_id(&mut *self.conn().await?, user_id)
            .await?
            .ok_or(AuthError::NotFound("User"))
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

    /// Runs `work` after the caller has its answer: what a request about an
    /// email address does depends on whether the address has an account, so
    /// the answer must not wait for it — known and unknown addresses then
    /// answer in the same time, not only with the same words.
    /// At most [`BACKGROUND_WORK`] run at once: past that, the answer waits.
    async fn after_answer<F, Fut>(&self, what: &'static str, work: F)
    where
        F: FnOnce(Gatehouse) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<()>> + Send + 'static,
    {
        let gh = self.clone();
        let done = move |result: Result<()>| {
            if let Err(error) = result {
                tracing::error!(%error, what, "work after the answer failed");
            }
        };
        match self.background.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(async move {
                    done(work(gh).await);
                    drop(permit);
                });
            }
            Err(_) => done(work(gh).await),
        }
    }

    /// Unix seconds now, by this Gatehouse's clock: read once per request
    /// and passed down, so one request sees one time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }
}
