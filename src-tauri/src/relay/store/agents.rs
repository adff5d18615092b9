//! Paired agents in the store: they live in the `phones` table (the window lists and
//! revokes both alike; `relay::agents` tells them apart by id). An agent has no
//! request counters to move (its frames are numbered per connection), so "last
//! seen" is set when it connects.

use rusqlite::params;

use super::{OnCommitFailure, Store, StoreError};

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
}
