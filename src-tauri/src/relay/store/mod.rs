//! Durable queue and history in SQLite, behind a cheap cloneable [`Store`] handle.
//!
//! Each query is one async method here over one plain SQL function in `sql`; the
//! group commit that runs them lives in `commit`, the checkpoints in
//! `checkpoint`.
//!
//! **Durability.** WAL with `synchronous=NORMAL`: a transaction is in the WAL file
//! before its insert is answered, so a relay killed with `kill -9` loses nothing it
//! accepted; only a power cut may lose the last commits (the price of answering in
//! microseconds rather than an fsync per message). Checkpoints, the only fsyncs, run
//! on a thread of their own with a second connection (`PASSIVE`: never blocking the
//! writer), so no request waits on the disk.

mod agents;
mod checkpoint;
mod commit;
mod held;
mod phones;
mod retention;
mod sql;
mod typed;

pub use phones::{CounterOutcome, PhoneKey};

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, Transaction};
use tokio::sync::oneshot;

use super::registry::QueuedMessage;
use crate::config::StorageLimits;
use crate::protocol::ui::HistoryItem;
use crate::protocol::ws::Target;
use crate::protocol::{DeviceId, MessageId, MessageView, Status};
use commit::Committer;

/// Why the store could not answer. Cloneable, because one failed commit answers
/// every job of its batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(Arc<rusqlite::Error>),
    /// A message with this id existed a moment ago and was gone when read back.
    #[error("message {0} vanished while it was being stored")]
    Vanished(String),
    #[error("cannot start the checkpointer: {0}")]
    Checkpointer(Arc<std::io::Error>),
    #[error("the store has shut down")]
    Closed,
    /// The database file could not be made private (mode 0600).
    #[error("{0}")]
    Private(Arc<crate::config::ConfigError>),
    #[error(transparent)]
    DamagedWindow(#[from] crate::sealed::DamagedWindow),
}

impl StoreError {
    /// The database hit its size ceiling or the disk is full (SQLite's
    /// `SQLITE_FULL`): nothing of the failed work was stored.
    pub fn is_full(&self) -> bool {
        matches!(self, StoreError::Sqlite(e)
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        if let rusqlite::Error::SqliteFailure(code, _) = &e {
            LAST_SQLITE_ERROR.set(Some(*code));
        }
        StoreError::Sqlite(Arc::new(e))
    }
}

thread_local! {
    /// The last SQLite error turned into a [`StoreError`] on this thread. A batch
    /// runs its jobs on one thread, so when SQLite rolls the batch back whole, the
    /// committer learns why from here (rusqlite offers `sqlite3_errcode` only
    /// through `unsafe`, which this crate forbids).
    static LAST_SQLITE_ERROR: std::cell::Cell<Option<rusqlite::ffi::Error>> =
        const { std::cell::Cell::new(None) };
}

/// Take the last SQLite error recorded on this thread (see `LAST_SQLITE_ERROR`).
fn take_last_sqlite_error() -> Option<rusqlite::ffi::Error> {
    LAST_SQLITE_ERROR.take()
}

/// A message accepted from a sender, about to be stored as `queued`.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: MessageId,
    pub device_id: DeviceId,
    pub text: String,
    pub timestamp: i64,
    pub created_at: i64,
}

/// One stored message: what `GET /transcription/{id}` shows, and its text (which
/// only the relay itself reads: to tell a retry from a conflict, to send it again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub view: MessageView,
    pub text: String,
}

/// Which history rows to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub status: Option<Status>,
    pub id: Option<String>,
    /// Only rows older than this `seq` (paging).
    pub before: Option<i64>,
    pub limit: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum InsertOutcome {
    Inserted,
    /// A message with this id exists already; here it is.
    Existing(Box<StoredMessage>),
}

/// What the relay needs at startup: known devices and every queued message.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub devices: Vec<(DeviceId, Option<i64>)>,
    /// Queued messages, oldest first, with their device.
    pub queued: Vec<(DeviceId, QueuedMessage)>,
}

/// Whether an answer stands when its batch fails to commit.
#[derive(Clone, Copy)]
enum OnCommitFailure {
    /// Answer the commit's error: the caller is promised that the change is stored.
    Fail,
    /// Answer what the query found anyway (reads, and the removals as they always
    /// were).
    Answer,
}

/// Most bytes the WAL file keeps once it is reset (SQLite's `journal_size_limit`);
/// the checkpointer also resets a WAL that grows past its own limit.
const JOURNAL_SIZE_LIMIT: i64 = 4 * 1024 * 1024;

/// Cheap, cloneable handle to the store.
#[derive(Clone)]
pub struct Store {
    committer: Arc<Committer>,
    limits: StorageLimits,
    /// Inserts since the last prune of the history.
    inserts: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Open (or create) the database, read what the relay needs to resume, and start
    /// the checkpointer.
    pub fn open(path: &Path) -> Result<(Store, Snapshot), StoreError> {
        Store::open_with(path, StorageLimits::default())
    }

    /// [`Store::open`] with the given retention and size ceiling.
    pub fn open_with(path: &Path, limits: StorageLimits) -> Result<(Store, Snapshot), StoreError> {
        // Private before SQLite opens it (its -wal and -shm follow its mode).
        crate::config::private_file(path).map_err(|e| StoreError::Private(Arc::new(e)))?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints belong to the checkpointer thread, not to a commit.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(sql::SCHEMA)?;
        sql::migrate(&conn)?;
        conn.execute_batch(phones::SCHEMA)?;
        phones::migrate(&conn)?;
        conn.execute_batch(agents::SCHEMA)?;
        held::migrate(&conn)?;
        typed::migrate(&conn)?;
        retention::track(&conn)?;
        // The ceiling: past it SQLite answers SQLITE_FULL and rolls back, as on a
        // full disk (never a half-written store). Set after the schema, so an
        // existing database over a lowered ceiling still opens (and is pruned).
        let page_size: i64 = conn.pragma_query_value(None, "page_size", |r| r.get(0))?;
        let max_pages = i64::try_from(limits.max_db_bytes).unwrap_or(i64::MAX) / page_size.max(512);
        conn.pragma_update(None, "max_page_count", max_pages.max(1))?;
        retention::prune(&conn, crate::protocol::now_ms(), &limits)?;
        let snapshot = sql::snapshot(&conn)?;
        let stop = checkpoint::start(path, &mut conn, JOURNAL_SIZE_LIMIT)?;
        let store = Store {
            committer: Arc::new(Committer::new(conn, stop)),
            limits,
            inserts: Arc::default(),
        };
        Ok((store, snapshot))
    }

    /// Run `query` in the next batch, commit what is pending, and wait for the answer.
    async fn ask<T: Send + 'static>(
        &self,
        on_failure: OnCommitFailure,
        query: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.committer.submit(Box::new(move |tx| {
            let found = tx.map_err(Clone::clone).and_then(query);
            Box::new(move |committed| {
                let answer = match (committed, on_failure) {
                    (Err(e), OnCommitFailure::Fail) => Err(e.clone()),
                    _ => found,
                };
                let _ = reply.send(answer);
            })
        }));
        self.committer.commit_pending();
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Apply `update` with the next batch, without waiting. Updates apply in order
    /// with everything else, so any later read sees them; a failure is logged.
    fn update(
        &self,
        update: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<usize> + Send + 'static,
    ) {
        self.submit_update(update);
        self.committer.commit_soon();
    }

    /// [`Store::update`] without scheduling the commit.
    fn submit_update(
        &self,
        update: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<usize> + Send + 'static,
    ) {
        self.committer.submit(Box::new(move |tx| {
            if let Ok(tx) = tx {
                if let Err(e) = update(tx) {
                    tracing::error!("store update failed: {e}");
                }
            }
            Box::new(|_| {})
        }));
    }

    /// Store a new message as `queued`, or return the one that already has its id.
    pub async fn insert(&self, msg: NewMessage) -> Result<InsertOutcome, StoreError> {
        let now = msg.created_at;
        let inserted = self
            .ask(OnCommitFailure::Fail, move |tx| sql::insert(tx, &msg))
            .await;
        if self.inserts.fetch_add(1, Ordering::Relaxed) + 1 >= retention::PRUNE_EVERY {
            self.inserts.store(0, Ordering::Relaxed);
            let limits = self.limits;
            self.update(move |tx| retention::prune(tx, now, &limits));
        }
        inserted
    }

    /// Prune the history now (tests; the store does it every few inserts).
    pub async fn prune(&self, now: i64) -> Result<usize, StoreError> {
        let limits = self.limits;
        self.ask(OnCommitFailure::Fail, move |tx| {
            Ok(retention::prune(tx, now, &limits)?)
        })
        .await
    }

    pub async fn get(&self, id: &str) -> Result<Option<StoredMessage>, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Answer, move |tx| sql::get(tx, &id))
            .await
    }

    pub async fn history(&self, query: HistoryQuery) -> Result<Vec<HistoryItem>, StoreError> {
        self.ask(OnCommitFailure::Answer, move |tx| sql::history(tx, &query))
            .await
    }

    /// Remove one message; answers its device and status if it existed.
    pub async fn delete(&self, id: &str) -> Result<Option<(String, Status)>, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Answer, move |tx| sql::delete(tx, &id))
            .await
    }

    /// Remove every message that is no longer queued; answers how many.
    pub async fn clear_finished(&self) -> Result<usize, StoreError> {
        self.ask(OnCommitFailure::Answer, |tx| sql::clear_finished(tx))
            .await
    }

    /// Record an ACK from a device's agent for one of that device's messages.
    pub fn mark_delivered(&self, id: String, device_id: DeviceId, at: i64) {
        self.mark_delivered_unscheduled(id, device_id, at);
        self.committer.commit_soon();
    }

    /// [`Store::mark_delivered`] without scheduling its commit: it is in order with
    /// everything submitted after it (any later read sees it), and the caller calls
    /// [`Store::commit_soon`] once the work that must not wait for that is done.
    pub fn mark_delivered_unscheduled(&self, id: String, device_id: DeviceId, at: i64) {
        self.submit_update(move |tx| sql::mark_delivered(tx, &id, &device_id, at));
    }

    /// Commit what is pending from a task of its own, soon.
    pub fn commit_soon(&self) {
        self.committer.commit_soon();
    }

    /// Record an agent's `result` for one of its own messages.
    pub fn mark_result(
        &self,
        id: String,
        device_id: DeviceId,
        status: Status,
        error: Option<String>,
        target: Option<Target>,
        at: i64,
    ) {
        self.update(move |tx| {
            sql::mark_result(
                tx,
                &id,
                &device_id,
                status,
                error.as_deref(),
                target.as_ref(),
                at,
            )
        });
    }

    /// Record what an agent typed for its message (see `typed.rs`).
    pub fn mark_typed(&self, id: String, device_id: DeviceId, typed: String) {
        self.update(move |tx| typed::mark_typed(tx, &id, &device_id, &typed));
    }

    /// Record that these queued messages are held since `at`.
    pub fn mark_held(&self, ids: Vec<String>, at: i64) {
        self.update(move |tx| held::mark_held(tx, &ids, at));
    }

    /// "Type now": the message is no longer held; whether it was.
    pub async fn clear_held(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Fail, move |tx| {
            Ok(held::clear_held(tx, &id)?)
        })
        .await
    }

    /// End a message never typed as `failed` with `reason`; whether it was queued.
    pub async fn fail_queued(
        &self,
        id: &str,
        reason: &'static str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.ask(OnCommitFailure::Fail, move |tx| {
            Ok(held::fail_queued(tx, &id, reason, at)?)
        })
        .await
    }

    /// Forget devices the registry forgot (past its cap of known devices).
    pub fn forget_devices(&self, devices: Vec<DeviceId>) {
        self.update(move |tx| {
            let mut n = 0;
            for d in &devices {
                n += retention::forget_device(tx, d.as_str())?;
            }
            Ok(n)
        });
    }

    pub fn touch_device(&self, device_id: DeviceId, at: i64) {
        self.update(move |tx| sql::touch_device(tx, &device_id, at));
    }

    /// Wait until everything submitted so far is committed.
    pub async fn flush(&self) {
        let _ = self.ask(OnCommitFailure::Answer, |_| Ok(())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_msg(id: &str, text: &str) -> NewMessage {
        NewMessage {
            id: MessageId::parse(id).expect("id"),
            device_id: DeviceId::parse("desk").expect("device"),
            text: text.into(),
            timestamp: 7,
            created_at: 8,
        }
    }

    #[tokio::test]
    async fn answers_come_after_the_commit_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (store, snap) = Store::open(&path).expect("open");
        assert!(snap.queued.is_empty());
        let inserted = store.insert(new_msg("m1", "hello")).await.expect("insert");
        assert_eq!(inserted, InsertOutcome::Inserted);
        store.insert(new_msg("m2", "two")).await.expect("insert");
        let desk = DeviceId::parse("desk").expect("device");
        store.mark_delivered("m1".into(), desk.clone(), 10);
        store.mark_result("m1".into(), desk.clone(), Status::Injected, None, None, 11);
        store.touch_device(desk, 13);
        // Fire-and-forget updates apply in order: a later read sees them.
        let m1 = store.get("m1").await.expect("get").expect("exists");
        assert_eq!(m1.view.status, Status::Injected);
        let json = serde_json::to_value(&m1.view).expect("json");
        assert_eq!(json["deviceId"], "desk");
        assert!(json.get("text").is_none());
        store.flush().await;
        drop(store);

        let (_store, snap) = Store::open(&path).expect("reopen");
        let queued: Vec<&str> = snap.queued.iter().map(|(_, m)| m.id.as_str()).collect();
        assert_eq!(queued, ["m2"]);
        assert_eq!(snap.devices.len(), 1);
        assert_eq!(snap.devices[0].1, Some(13));
    }

    #[tokio::test]
    async fn many_concurrent_inserts_are_all_stored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _) = Store::open(&dir.path().join("t.db")).expect("open");
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .insert(new_msg(&format!("m{i}"), "x"))
                    .await
                    .expect("insert")
            }));
        }
        for t in tasks {
            assert_eq!(t.await.expect("join"), InsertOutcome::Inserted);
        }
        store.flush().await;
        drop(store);
        let (_s, snap) = Store::open(&dir.path().join("t.db")).expect("reopen");
        assert_eq!(snap.queued.len(), 200);
    }
}
