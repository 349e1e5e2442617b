//! The append-only, hash-chained audit log: one chain per organization, each
//! entry's hash covers the previous hash and every field, and each chain's head
//! row records the last sequence number and hash, so an edited, removed or
//! truncated entry is detected. Entries never carry a secret.

use sha2::{Digest, Sha256};

use crate::store::{self, AuditRow, Conn};

/// Who did it, from where. IP and browser come from the request.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: String,
}

impl Origin {
    /// Changes made by an operator with the `gatehouse` command.
    pub fn command_line() -> Self {
        Self {
            ip: "cli".into(),
            user_agent: "gatehouse".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub org_id: i64,
    pub actor_id: Option<i64>,
    pub subject_id: Option<i64>,
    pub action: &'a str,
    pub details: serde_json::Value,
}

pub fn entry_hash(e: &AuditRow) -> Vec<u8> {
    let body = serde_json::json!([
        e.org_id,
        e.seq,
        e.at,
        e.actor_id,
        e.subject_id,
        e.action,
        e.ip,
        e.user_agent,
        e.details
    ]);
    let mut h = Sha256::new();
    h.update(&e.prev_hash);
    h.update(body.to_string().as_bytes());
    h.finalize().to_vec()
}

/// Appends inside the caller's transaction, so the entry commits with the change it records.
pub async fn append(
    c: &mut Conn,
    event: Event<'_>,
    origin: &Origin,
    now: i64,
) -> store::Result<()> {
    let (seq, prev_hash) = store::audit_claim_seq(c, event.org_id).await?;
    let mut row = AuditRow {
        id: 0,
        org_id: event.org_id,
        seq,
        at: now,
        actor_id: event.actor_id,
        subject_id: event.subject_id,
        action: event.action.to_string(),
        ip: origin.ip.clone(),
        user_agent: origin.user_agent.chars().take(300).collect(),
        details: event.details.to_string(),
        prev_hash,
        hash: Vec::new(),
    };
    row.hash = entry_hash(&row);
    store::audit_insert(c, &row).await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainFault {
    /// The entry's stored hash does not match its content (edited).
    Tampered { org_id: i64, seq: i64, id: i64 },
    /// The entry does not follow the one before it (an entry before it was removed).
    Broken { org_id: i64, seq: i64, id: i64 },
    /// The chain ends before its head says it should (entries removed at the end).
    Truncated { org_id: i64, expected_seq: i64 },
}

impl std::fmt::Display for ChainFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainFault::Tampered { org_id, seq, id } => {
                write!(f, "audit entry {id} (organization {org_id}, #{seq}) was modified: its hash does not match")
            }
            ChainFault::Broken { org_id, seq, id } => {
                write!(f, "audit entry {id} (organization {org_id}, #{seq}) does not follow the entry before it: an entry was removed")
            }
            ChainFault::Truncated {
                org_id,
                expected_seq,
            } => {
                write!(f, "audit chain of organization {org_id} ends early: entry #{expected_seq} is missing")
            }
        }
    }
}

/// Checks one chain against its head; the first fault found, if any.
pub fn verify_chain(
    org_id: i64,
    rows: &[AuditRow],
    head_seq: i64,
    head_hash: &[u8],
) -> Option<ChainFault> {
    let mut prev = vec![0u8; 32];
    for (index, row) in rows.iter().enumerate() {
        let expected_seq = index as i64 + 1;
        if row.seq != expected_seq || row.prev_hash != prev {
            return Some(ChainFault::Broken {
                org_id,
                seq: row.seq,
                id: row.id,
            });
        }
        if entry_hash(row) != row.hash {
            return Some(ChainFault::Tampered {
                org_id,
                seq: row.seq,
                id: row.id,
            });
        }
        prev = row.hash.clone();
    }
    let last = rows.len() as i64;
    if last != head_seq || prev != head_hash {
        return Some(ChainFault::Truncated {
            org_id,
            expected_seq: last + 1,
        });
    }
    None
}

/// Verifies every organization's chain; returns how many entries were checked.
pub async fn verify_all(c: &mut Conn) -> store::Result<Result<usize, ChainFault>> {
    let mut checked = 0;
    for (org_id, seq, head_hash) in store::audit_heads(c).await? {
        let rows = store::audit_chain(c, org_id).await?;
        if let Some(fault) = verify_chain(org_id, &rows, seq, &head_hash) {
            return Ok(Err(fault));
        }
        checked += rows.len();
    }
    Ok(Ok(checked))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev = vec![0u8; 32];
        (1..=n)
            .map(|seq| {
                let mut row = AuditRow {
                    id: seq * 10,
                    org_id: 7,
                    seq,
                    at: 1_700_000_000 + seq,
                    actor_id: Some(1),
                    subject_id: Some(2),
                    action: "login.succeeded".into(),
                    ip: "127.0.0.1".into(),
                    user_agent: "test".into(),
                    details: "{}".into(),
                    prev_hash: prev.clone(),
                    hash: vec![],
                };
                row.hash = entry_hash(&row);
                prev = row.hash.clone();
                row
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(4);
        let head = rows.last().unwrap().hash.clone();
        assert_eq!(verify_chain(7, &rows, 4, &head), None);
        assert_eq!(verify_chain(7, &[], 0, &[0u8; 32]), None);
    }

    #[test]
    fn edits_removals_and_truncation_are_named() {
        let rows = chain(4);
        let head = rows.last().unwrap().hash.clone();

        let mut edited = rows.clone();
        edited[1].details = r#"{"x":1}"#.into();
        assert_eq!(
            verify_chain(7, &edited, 4, &head),
            Some(ChainFault::Tampered {
                org_id: 7,
                seq: 2,
                id: 20
            })
        );

        let mut removed = rows.clone();
        removed.remove(1);
        assert_eq!(
            verify_chain(7, &removed, 4, &head),
            Some(ChainFault::Broken {
                org_id: 7,
                seq: 3,
                id: 30
            })
        );

        assert_eq!(
            verify_chain(7, &rows[..3], 4, &head),
            Some(ChainFault::Truncated {
                org_id: 7,
                expected_seq: 4
            })
        );
    }
}
