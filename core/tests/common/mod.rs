//! A Gatehouse on a fresh SQLite file and a clock that moves only when a
//! test says so: the flows of `core/tests` run in-process, with no HTTP and
//! no sleeping.

#![allow(dead_code)] // each test file uses its own part of this kit

use std::path::PathBuf;
use std::sync::Arc;

use gatehouse_core::audit::Origin;
use gatehouse_core::clock::ManualClock;
use gatehouse_core::crypto::Keys;
use gatehouse_core::db::Db;
use gatehouse_core::rules::scope::OrgKind;
use gatehouse_core::rules::totp::TotpParams;
use gatehouse_core::service::PasswordOutcome;
use gatehouse_core::{store, Gatehouse, Settings};

pub const PASSWORD: &str = "correct horse battery staple";
/// 2027-01-15 08:00 UTC, on a 30-second TOTP boundary.
pub const START: i64 = 1_800_000_000;

pub struct Flow {
    pub gh: Gatehouse,
    pub clock: Arc<ManualClock>,
    file: PathBuf,
}

impl Drop for Flow {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.file.display()));
        }
    }
}

/// A user the test signs in as.
pub struct Person {
    pub id: i64,
    pub email: String,
    /// The authenticator's key, when they set one up.
    pub secret: Option<Vec<u8>>,
}

impl Flow {
    pub async fn new() -> Self {
        Self::with_settings(Settings::default()).await
    }

    /// A flow whose services run with `settings` (a public URL, say).
    pub async fn with_settings(settings: Settings) -> Self {
        let file = std::env::temp_dir().join(format!(
            "gatehouse-flow-{}.db",
            gatehouse_core::crypto::new_token()
        ));
        let db = Db::connect(&format!("sqlite://{}", file.display()))
            .await
            .expect("a SQLite file in the temporary folder");
        db.migrate().await.expect("migrations");
        let clock = Arc::new(ManualClock::new(START));
        let settings = Settings {
            hash_workers: 2,
            ..settings
        };
        let keys = Keys::from_master(&[7; 32]);
        let gh = Gatehouse::with_clock(db, keys, settings, clock.clone()).await;
        gh.create_org(OrgKind::Partner, "msp", "Example MSP", None)
            .await
            .unwrap();
        gh.create_org(OrgKind::Company, "acme", "Acme", Some("msp"))
            .await
            .unwrap();
        Self { gh, clock, file }
    }

    pub fn origin(&self) -> Origin {
        Origin {
            ip: "203.0.113.9".into(),
            user_agent: "flow test".into(),
        }
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    pub async fn person(&self, org: &str, role: &str, email: &str) -> Person {
        let id = self
            .gh
            .create_user(org, email, role, "Test Person", PASSWORD)
            .await
            .unwrap();
        Person {
            id,
            email: email.into(),
            secret: None,
        }
    }

    /// A person with an authenticator set up through the enrollment flow.
    pub async fn enrolled(&self, org: &str, role: &str, email: &str) -> Person {
        let mut person = self.person(org, role, email).await;
        let setup = self.gh.totp_setup(person.id).await.unwrap();
        let secret = totp_rs::Secret::Encoded(setup.secret)
            .to_bytes()
            .expect("base32");
        let code = self.code(&secret);
        self.gh
            .totp_confirm_for_user(person.id, &code, "", &self.origin())
            .await
            .unwrap();
        // The code just used cannot be used again: move to the next step.
        self.advance(30);
        person.secret = Some(secret);
        person
    }

    /// The authenticator's code now.
    pub fn code(&self, secret: &[u8]) -> String {
        TotpParams::default().generate(secret, self.gh.now() as u64)
    }

    /// The first stage; panics unless it asks for a second factor.
    pub async fn mfa_token(&self, person: &Person) -> String {
        match self
            .gh
            .login_password(&person.email, PASSWORD, &self.origin())
            .await
            .unwrap()
        {
            PasswordOutcome::MfaRequired { mfa_token, .. } => mfa_token,
            other => panic!("expected a second stage, got {other:?}"),
        }
    }

    /// The text of the newest message to `recipient`.
    pub async fn last_message_to(&self, recipient: &str) -> String {
        self.messages_to(recipient)
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no message to {recipient}"))
    }

    /// The texts of the (last 100) messages to `recipient`, newest first.
    pub async fn messages_to(&self, recipient: &str) -> Vec<String> {
        let mut c = self.gh.db.pool.acquire().await.unwrap();
        store::outbox_recent(&mut c, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.recipient == recipient)
            .map(|m| m.body_text)
            .collect()
    }
}

/// The first run of `digits` digits in `text` (a code in a message).
pub fn code_in(text: &str, digits: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(digits)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .expect("a code in the message")
}

/// The value of `name=` in the first link of `text`.
pub fn link_param(text: &str, name: &str) -> String {
    let start = text.find(&format!("{name}=")).expect("a link") + name.len() + 1;
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect()
}
