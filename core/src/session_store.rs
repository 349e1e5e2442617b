//! tower-sessions store over Gatehouse's own database.
//!
//! Why not tower-sessions-sqlx-store: sessions must be findable by user so a
//! reset can end all of them, and the same code must serve SQLite and
//! PostgreSQL. The table keeps a SHA-256 of the session id, never the id the
//! cookie carries, and `save` never recreates a session deleted meanwhile.

use std::sync::Arc;

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result, SessionStore};

use crate::clock::{Clock, SystemClock};
use crate::crypto::sha256_hex;
use crate::db::Db;
use crate::store;

/// The session key that holds the signed-in user's id.
pub const USER_KEY: &str = "uid";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore").finish_non_exhaustive()
    }
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        Self::with_clock(db, Arc::new(SystemClock))
    }

    /// A store whose "expired" follows `clock` (tests move a manual one).
    pub fn with_clock(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

/// The key a session is stored under; also how the app names "this session".
pub fn id_hash(id: &Id) -> String {
    sha256_hex(id.to_string().as_bytes())
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn parts(record: &Record) -> Result<(Option<i64>, String, i64)> {
    let user_id = record.data.get(USER_KEY).and_then(|v| v.as_i64());
    let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
    Ok((user_id, data, record.expiry_date.unix_timestamp()))
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let (user_id, data, expires) = parts(record)?;
        let mut c = self.db.pool.acquire().await.map_err(backend)?;
        // A 128-bit id collides essentially never; if it does, draw another.
        while !store::session_insert(&mut c, &id_hash(&record.id), user_id, &data, expires)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let (user_id, data, expires) = parts(record)?;
        let mut c = self.db.pool.acquire().await.map_err(backend)?;
        store::session_update(&mut c, &id_hash(&record.id), user_id, &data, expires)
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let mut c = self.db.pool.acquire().await.map_err(backend)?;
        let Some((data, expires)) = store::session_load(&mut c, &id_hash(id), self.clock.now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: time::OffsetDateTime::from_unix_timestamp(expires)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        let mut c = self.db.pool.acquire().await.map_err(backend)?;
        store::session_delete(&mut c, &id_hash(id))
            .await
            .map_err(backend)
    }
}
