//! Paired agents in the store: they live in the `phones` table (the window lists and
//! revokes both alike; `relay::agents` tells them apart by id). An agent has no
//! request counters to move (its frames are numbered per connection), so "last
//! seen" is set when it connects. A revoked agent's key is kept as a tombstone, so
//! that the relay can prove the revocation to the agent (docs/sealed-link.md §7):
//! an agent stops for good only on that proof.

use rusqlite::{params, Connection, OptionalExtension};

use super::{OnCommitFailure, Store, StoreError};
use crate::sealed::KEY_LEN;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS revoked_agents (
    id         TEXT PRIMARY KEY,
    key        BLOB NOT NULL,
    revoked_at INTEGER NOT NULL
);
";

/// Keep the key of `id` as a tombstone if it is an agent's (ids that start with
/// `agent.`); called in the transaction that deletes it.
pub(super) fn tombstone(conn: &Connection, id: &str, now: i64) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO revoked_agents (id, key, revoked_at) \
         SELECT id, key, ?2 FROM phones WHERE id = ?1 AND substr(id, 1, 6) = 'agent.'",
    )?
    .execute(params![id, now])
}

impl Store {
    /// Note that the agent `id` connected at `now`.
    pub async fn touch_agent(&self, id: &str, now: i64) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Answer, move |tx| {
            tx.prepare_cached("UPDATE phones SET last_seen = ?2 WHERE id = ?1")?
                .execute(params![id, now])?;
            Ok(())
        })
        .await
    }

    /// The key of an agent that was revoked, to prove the revocation to it.
    pub async fn revoked_agent_key(&self, id: &str) -> Result<Option<[u8; KEY_LEN]>, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Answer, move |tx| {
            let key = tx
                .prepare_cached("SELECT key FROM revoked_agents WHERE id = ?1")?
                .query_row([&id], |r| r.get::<_, Vec<u8>>(0))
                .optional()?;
            Ok(key.and_then(|k| k.try_into().ok()))
        })
        .await
    }
}
