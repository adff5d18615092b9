//! Paired phones in the store: each phone's key, name, times and replay window,
//! and which messages each phone sent (a phone reads only its own). Kept apart
//! from the message tables, in the same database and the same commit order.

use rusqlite::{params, Connection, OptionalExtension};

use super::{OnCommitFailure, Store, StoreError};
use crate::protocol::sealed::PhoneView;
use crate::sealed::{ReplayWindow, Replayed, KEY_LEN};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS phones (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    key       BLOB NOT NULL,
    paired_at INTEGER NOT NULL,
    last_seen INTEGER,
    ctr_floor  INTEGER NOT NULL DEFAULT 0,
    ctr_recent BLOB NOT NULL DEFAULT x''
);
CREATE TABLE IF NOT EXISTS phone_messages (
    message_id TEXT PRIMARY KEY,
    phone_id   TEXT NOT NULL
);
";

/// A phone's key.
#[derive(Clone)]
pub struct PhoneKey {
    pub key: [u8; KEY_LEN],
}

/// What a counter check found.
#[derive(Debug, PartialEq, Eq)]
pub enum CounterOutcome {
    Accepted,
    Replayed(Replayed),
    /// Revoked meanwhile.
    NotPaired,
}

/// Databases made before the window was counted in requests keep the highest
/// counter and a bitmap (`ctr_high`, `ctr_seen`): the same refusals move to
/// `ctr_floor` and `ctr_recent`, and the old columns go. Decided by the schema
/// itself (not `user_version`, which other migrations number), so running it again
/// changes nothing.
pub(super) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let has_old = conn
        .prepare("SELECT 1 FROM pragma_table_info('phones') WHERE name = 'ctr_high'")?
        .exists([])?;
    if !has_old {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    let has_new = tx
        .prepare("SELECT 1 FROM pragma_table_info('phones') WHERE name = 'ctr_recent'")?
        .exists([])?;
    if !has_new {
        tx.execute_batch(
            "ALTER TABLE phones ADD COLUMN ctr_floor INTEGER NOT NULL DEFAULT 0;
             ALTER TABLE phones ADD COLUMN ctr_recent BLOB NOT NULL DEFAULT x'';",
        )?;
    }
    let old: Vec<(String, i64, i64)> = tx
        .prepare("SELECT id, ctr_high, ctr_seen FROM phones")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, high, seen) in old {
        // Stored as SQLite's signed integers, bit for bit.
        let window = ReplayWindow::from_distance_window(high as u64, seen as u64);
        tx.execute(
            "UPDATE phones SET ctr_floor = ?2, ctr_recent = ?3 WHERE id = ?1",
            params![id, window.floor() as i64, window.to_bytes()],
        )?;
    }
    tx.execute_batch(
        "ALTER TABLE phones DROP COLUMN ctr_high; ALTER TABLE phones DROP COLUMN ctr_seen;",
    )?;
    tx.commit()?;
    Ok(())
}

fn phone_key(conn: &Connection, id: &str) -> Result<Option<PhoneKey>, StoreError> {
    let key = conn
        .prepare_cached("SELECT key FROM phones WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Vec<u8>>(0))
        .optional()?;
    Ok(key.and_then(|key| {
        Some(PhoneKey {
            key: key.try_into().ok()?,
        })
    }))
}

/// Check `counter` against the stored window and store the new one, in one
/// transaction: two requests with the same counter cannot both pass.
fn advance(
    conn: &Connection,
    id: &str,
    counter: u64,
    now: i64,
) -> Result<CounterOutcome, StoreError> {
    // Take the write lock first (a write that changes nothing): a transaction that
    // read first and then writes gets SQLITE_BUSY at once, without waiting, when
    // another connection holds the lock (a checkpoint), instead of waiting its turn.
    let exists = conn
        .prepare_cached("UPDATE phones SET ctr_floor = ctr_floor WHERE id = ?1")?
        .execute([id])?;
    let stored = conn
        .prepare_cached("SELECT ctr_floor, ctr_recent FROM phones WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
        .optional()?;
    let (floor, recent) = match stored {
        Some(found) if exists > 0 => found,
        _ => return Ok(CounterOutcome::NotPaired),
    };
    let mut window = ReplayWindow::from_stored(floor as u64, &recent)?;
    match window.accept(counter) {
        Err(replayed) => Ok(CounterOutcome::Replayed(replayed)),
        Ok(()) => {
            conn.prepare_cached(
                "UPDATE phones SET ctr_floor = ?2, ctr_recent = ?3, last_seen = ?4 WHERE id = ?1",
            )?
            .execute(params![id, window.floor() as i64, window.to_bytes(), now])?;
            Ok(CounterOutcome::Accepted)
        }
    }
}

fn list(conn: &Connection) -> Result<Vec<PhoneView>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, paired_at, last_seen FROM phones ORDER BY paired_at, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(PhoneView {
            id: r.get(0)?,
            name: r.get(1)?,
            paired_at: r.get(2)?,
            last_seen: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

impl Store {
    /// Store a newly paired phone.
    pub async fn add_phone(
        &self,
        id: String,
        name: String,
        key: [u8; KEY_LEN],
        at: i64,
    ) -> Result<(), StoreError> {
        self.ask(OnCommitFailure::Fail, move |tx| {
            tx.prepare_cached(
                "INSERT INTO phones (id, name, key, paired_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![id, name, &key[..], at])?;
            Ok(())
        })
        .await
    }

    pub async fn phone_key(&self, id: &str) -> Result<Option<PhoneKey>, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Answer, move |tx| phone_key(tx, &id))
            .await
    }

    /// Accept `counter` once: stored (committed) before the answer, so a restart
    /// cannot accept it again.
    pub async fn advance_counter(
        &self,
        id: &str,
        counter: u64,
        now: i64,
    ) -> Result<CounterOutcome, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Fail, move |tx| {
            advance(tx, &id, counter, now)
        })
        .await
    }

    pub async fn phones(&self) -> Result<Vec<PhoneView>, StoreError> {
        self.ask(OnCommitFailure::Answer, |tx| list(tx)).await
    }

    /// Rename; `false` when there is no such phone.
    pub async fn rename_phone(&self, id: &str, name: String) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Fail, move |tx| {
            Ok(tx
                .prepare_cached("UPDATE phones SET name = ?2 WHERE id = ?1")?
                .execute(params![id, name])?
                > 0)
        })
        .await
    }

    /// Revoke: the key is gone at once (an agent's is kept as a tombstone, to
    /// prove the revocation to it); `false` when there is no such phone.
    pub async fn revoke_phone(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        let now = crate::protocol::now_ms();
        self.ask(OnCommitFailure::Fail, move |tx| {
            super::agents::tombstone(tx, &id, now)?;
            tx.prepare_cached("DELETE FROM phone_messages WHERE phone_id = ?1")?
                .execute([&id])?;
            Ok(tx
                .prepare_cached("DELETE FROM phones WHERE id = ?1")?
                .execute([&id])?
                > 0)
        })
        .await
    }

    /// Remember that `phone` sent `message` (the first phone to send an id owns it).
    pub async fn own_message(&self, phone: &str, message: &str) -> Result<(), StoreError> {
        let (phone, message) = (phone.to_owned(), message.to_owned());
        self.ask(OnCommitFailure::Fail, move |tx| {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO phone_messages (message_id, phone_id) VALUES (?1, ?2)",
            )?
            .execute([&message, &phone])?;
            Ok(())
        })
        .await
    }

    pub async fn owns_message(&self, phone: &str, message: &str) -> Result<bool, StoreError> {
        let (phone, message) = (phone.to_owned(), message.to_owned());
        self.ask(OnCommitFailure::Answer, move |tx| {
            let found: Option<String> = tx
                .prepare_cached("SELECT phone_id FROM phone_messages WHERE message_id = ?1")?
                .query_row([&message], |r| r.get(0))
                .optional()?;
            Ok(found.as_deref() == Some(phone.as_str()))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn phones_keys_counters_and_revocation_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (store, _) = Store::open(&path).expect("open");
        store
            .add_phone("p1".into(), "Pixel".into(), [1; KEY_LEN], 10)
            .await
            .expect("add");
        store
            .add_phone("p2".into(), "iPhone".into(), [2; KEY_LEN], 11)
            .await
            .expect("add");
        assert_eq!(
            store.advance_counter("p1", 5, 20).await.expect("ctr"),
            CounterOutcome::Accepted
        );
        assert_eq!(
            store.advance_counter("p1", 5, 21).await.expect("ctr"),
            CounterOutcome::Replayed(Replayed(5))
        );
        assert_eq!(
            store.advance_counter("p9", 5, 21).await.expect("ctr"),
            CounterOutcome::NotPaired
        );
        store.own_message("p1", "m1").await.expect("own");
        assert!(store.owns_message("p1", "m1").await.expect("owns"));
        assert!(!store.owns_message("p2", "m1").await.expect("owns"));
        assert!(store
            .rename_phone("p2", "Work phone".into())
            .await
            .expect("rename"));
        drop(store);

        let (store, _) = Store::open(&path).expect("reopen");
        assert_eq!(
            store.advance_counter("p1", 5, 22).await.expect("ctr"),
            CounterOutcome::Replayed(Replayed(5))
        );
        let list = store.phones().await.expect("list");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].last_seen, Some(20));
        assert_eq!(list[1].name, "Work phone");
        assert!(store.revoke_phone("p1").await.expect("revoke"));
        assert!(store.phone_key("p1").await.expect("key").is_none());
        assert_eq!(
            store.phone_key("p2").await.expect("key").map(|k| k.key),
            Some([2; KEY_LEN])
        );
        assert!(!store.revoke_phone("p1").await.expect("again"));
    }

    #[tokio::test]
    async fn a_distance_window_of_an_older_build_is_migrated_once_with_the_same_refusals() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        {
            let conn = Connection::open(&path).expect("old db");
            conn.execute_batch(
                "CREATE TABLE phones (id TEXT PRIMARY KEY, name TEXT NOT NULL, key BLOB NOT NULL,
                   paired_at INTEGER NOT NULL, last_seen INTEGER,
                   ctr_high INTEGER NOT NULL DEFAULT 0, ctr_seen INTEGER NOT NULL DEFAULT 0);",
            )
            .expect("old schema");
            // Counter 1000 and 998 seen (bits 0 and 2).
            conn.execute(
                "INSERT INTO phones (id, name, key, paired_at, ctr_high, ctr_seen) VALUES ('p', 'P', ?1, 1, 1000, 5)",
                [&[3u8; KEY_LEN][..]],
            )
            .expect("old row");
        }
        let (store, _) = Store::open(&path).expect("migrated");
        for old in [1000, 998, 936, 1] {
            assert_eq!(
                store.advance_counter("p", old, 2).await.expect("ctr"),
                CounterOutcome::Replayed(Replayed(old)),
                "{old}"
            );
        }
        assert_eq!(
            store.advance_counter("p", 999, 2).await.expect("ctr"),
            CounterOutcome::Accepted
        );
        drop(store);
        // Again: nothing to migrate, nothing lost.
        let (store, _) = Store::open(&path).expect("reopened");
        assert_eq!(
            store.advance_counter("p", 999, 3).await.expect("ctr"),
            CounterOutcome::Replayed(Replayed(999))
        );
        assert_eq!(
            store.advance_counter("p", 5_000_000, 3).await.expect("ctr"),
            CounterOutcome::Accepted
        );
        assert_eq!(
            store.phone_key("p").await.expect("key").map(|k| k.key),
            Some([3; KEY_LEN])
        );
    }
}
