//! Durable queue and history in SQLite.
//!
//! **Group commit without a thread hop.** Operations go into a pending list; whoever
//! then gets the connection (try-lock, never a blocking wait) commits *everything*
//! pending in one transaction and answers each operation. Under load, thirty
//! concurrent inserts cost one commit; alone, an insert is committed by its own
//! caller at once. (A dedicated store thread was measured first: the hand-off there
//! and back cost 43 µs on this machine, more than the commit itself.) Whoever finds
//! the connection busy simply leaves its operation pending: the holder checks the
//! list again after letting go, so nothing is stranded.
//!
//! **Durability.** WAL with `synchronous=NORMAL`: a transaction is in the WAL file
//! before its insert is answered, so a relay killed with `kill -9` loses nothing it
//! accepted; only a power cut may lose the last commits (the price of answering in
//! microseconds rather than an fsync per message). Checkpoints, the only fsyncs, run
//! on a thread of their own with a second connection (`PASSIVE`: never blocking the
//! writer), so no request waits on the disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, Sender};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tokio::sync::oneshot;

use super::registry::QueuedMessage;
use crate::protocol::{DeviceId, MessageId, Status};

/// Batches one caller commits before handing the rest to a fresh task, so that no
/// request is held up for long doing others' work.
const MAX_BATCHES_PER_LEADER: usize = 4;
/// How often the checkpointer moves the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store has shut down")]
    Closed,
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

/// One stored message, as `GET /transcription/{id}` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    pub id: String,
    pub device_id: String,
    pub status: Status,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub text: String,
}

/// One row of the history, text included (for the desktop window only).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryItem {
    pub seq: i64,
    pub id: String,
    pub device_id: String,
    pub status: Status,
    pub text: String,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injected_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    Existing(MessageRecord),
}

/// What the relay needs at startup: known devices and every queued message.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub devices: Vec<(DeviceId, Option<i64>)>,
    /// Queued messages, oldest first, with their device.
    pub queued: Vec<(DeviceId, QueuedMessage)>,
}

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Op {
    Insert(NewMessage, Reply<InsertOutcome>),
    MarkDelivered {
        id: String,
        device_id: DeviceId,
        at: i64,
    },
    MarkResult {
        id: String,
        device_id: DeviceId,
        status: Status,
        error: Option<String>,
        at: i64,
    },
    Get(String, Reply<Option<MessageRecord>>),
    List(HistoryQuery, Reply<Vec<HistoryItem>>),
    /// Remove one message; answers its device and status if it existed.
    Delete(String, Reply<Option<(String, Status)>>),
    /// Remove every message that is no longer queued; answers how many.
    ClearFinished(Reply<usize>),
    TouchDevice {
        device_id: DeviceId,
        at: i64,
    },
    /// Answered once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
}

/// Cheap, cloneable handle to the store.
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

struct Shared {
    pending: Mutex<Vec<Op>>,
    conn: Mutex<Connection>,
    /// A commit of deferred work (ACKs, results) is already scheduled.
    commit_scheduled: AtomicBool,
    /// Dropping it stops the checkpointer.
    _stop_checkpointer: Sender<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    device_id    TEXT NOT NULL,
    text         TEXT NOT NULL,
    timestamp    INTEGER NOT NULL,
    status       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    delivered_at INTEGER,
    injected_at  INTEGER,
    failed_at    INTEGER,
    error        TEXT
);
CREATE INDEX IF NOT EXISTS messages_queued ON messages(device_id, seq) WHERE status = 'queued';
CREATE TABLE IF NOT EXISTS devices (
    device_id  TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL
);
PRAGMA user_version = 1;
";

impl Store {
    /// Open (or create) the database, read what the relay needs to resume, and start
    /// the checkpointer.
    pub fn open(path: &Path) -> Result<(Store, Snapshot), StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Checkpoints belong to the checkpointer thread, not to a commit.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let snapshot = load_snapshot(&conn)?;
        let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
        let db = path.to_path_buf();
        thread::Builder::new()
            .name("saytype-checkpoint".into())
            .spawn(move || checkpoint_loop(&db, &stopped))
            .map_err(|_| StoreError::Closed)?;
        let shared = Shared {
            pending: Mutex::new(Vec::new()),
            conn: Mutex::new(conn),
            commit_scheduled: AtomicBool::new(false),
            _stop_checkpointer: stop,
        };
        Ok((
            Store {
                shared: Arc::new(shared),
            },
            snapshot,
        ))
    }

    fn submit(&self, op: Op) {
        lock(&self.shared.pending).push(op);
    }

    /// Submit an operation, commit what is pending, and wait for the answer.
    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.submit(make(reply));
        self.commit_pending();
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Commit everything pending, unless someone else holds the connection (then
    /// they will). Runs on the caller's thread.
    fn commit_pending(&self) {
        for _ in 0..MAX_BATCHES_PER_LEADER {
            let mut conn = match self.shared.conn.try_lock() {
                Ok(conn) => conn,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => return,
            };
            let batch = std::mem::take(&mut *lock(&self.shared.pending));
            if batch.is_empty() {
                return;
            }
            let answers = apply_batch(&mut conn, batch.into_iter());
            // Let go before answering: the woken callers may want the connection.
            drop(conn);
            answer(answers);
            if lock(&self.shared.pending).is_empty() {
                return;
            }
        }
        // Still more: hand over to a fresh task rather than hold this caller up.
        self.commit_soon();
    }

    /// Commit what is pending from a separate task, after the caller's current work
    /// (so that an ACK wakes its waiting request before the commit, not after).
    fn commit_soon(&self) {
        if self.shared.commit_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = self.clone();
        let run = move || {
            store
                .shared
                .commit_scheduled
                .store(false, Ordering::Release);
            store.commit_pending();
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move { run() });
            }
            Err(_) => run(),
        }
    }

    /// Store a new message as `queued`, or return the one that already has its id.
    pub async fn insert(&self, msg: NewMessage) -> Result<InsertOutcome, StoreError> {
        self.ask(|reply| Op::Insert(msg, reply)).await
    }

    pub async fn get(&self, id: &str) -> Result<Option<MessageRecord>, StoreError> {
        let id = id.to_owned();
        self.ask(|reply| Op::Get(id, reply)).await
    }

    pub async fn history(&self, query: HistoryQuery) -> Result<Vec<HistoryItem>, StoreError> {
        self.ask(|reply| Op::List(query, reply)).await
    }

    pub async fn delete(&self, id: &str) -> Result<Option<(String, Status)>, StoreError> {
        let id = id.to_owned();
        self.ask(|reply| Op::Delete(id, reply)).await
    }

    pub async fn clear_finished(&self) -> Result<usize, StoreError> {
        self.ask(Op::ClearFinished).await
    }

    /// Record an ACK from a device's agent for one of that device's messages. Fire
    /// and forget: operations apply in order, so any later read sees it.
    pub fn mark_delivered(&self, id: String, device_id: DeviceId, at: i64) {
        self.submit(Op::MarkDelivered { id, device_id, at });
        self.commit_soon();
    }

    /// Record an agent's `result` for one of its own messages.
    pub fn mark_result(
        &self,
        id: String,
        device_id: DeviceId,
        status: Status,
        error: Option<String>,
        at: i64,
    ) {
        self.submit(Op::MarkResult {
            id,
            device_id,
            status,
            error,
            at,
        });
        self.commit_soon();
    }

    pub fn touch_device(&self, device_id: DeviceId, at: i64) {
        self.submit(Op::TouchDevice { device_id, at });
        self.commit_soon();
    }

    /// Wait until everything submitted so far is committed.
    pub async fn flush(&self) {
        let (reply, rx) = oneshot::channel();
        self.submit(Op::Flush(reply));
        self.commit_pending();
        let _ = rx.await;
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Move the WAL into the database file now and then, on a connection of its own.
/// `PASSIVE` never blocks the writer; the fsyncs happen here, off every request's
/// path. A last `TRUNCATE` checkpoint on shutdown leaves a small WAL behind.
fn checkpoint_loop(db: &PathBuf, stop: &crossbeam_channel::Receiver<()>) {
    let conn = match Connection::open(db) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("checkpointer cannot open the database: {e}");
            return;
        }
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    let checkpoint = |mode: &str| {
        if let Err(e) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
            tracing::debug!("checkpoint failed: {e}");
        }
    };
    // Runs until the store is dropped (the channel disconnects).
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        checkpoint("PASSIVE");
    }
    checkpoint("TRUNCATE");
}

fn load_snapshot(conn: &Connection) -> Result<Snapshot, StoreError> {
    let mut snapshot = Snapshot::default();
    let mut stmt = conn.prepare("SELECT device_id, last_seen FROM devices")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (device, last_seen) = row?;
        // Rows are only ever written with normalised ids; skip anything else.
        if let Some(device) = DeviceId::parse(&device) {
            snapshot.devices.push((device, Some(last_seen)));
        }
    }
    let mut stmt = conn.prepare(
        "SELECT device_id, id, text, timestamp FROM messages WHERE status = 'queued' ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (device, id, text, timestamp) = row?;
        if let (Some(device), Some(id)) = (DeviceId::parse(&device), MessageId::parse(&id)) {
            snapshot
                .queued
                .push((device, QueuedMessage::new(id, &text, timestamp)));
        }
    }
    Ok(snapshot)
}

/// Answers that wait for the commit of their batch.
enum Answer {
    Insert(Reply<InsertOutcome>, Result<InsertOutcome, StoreError>),
    Get(
        Reply<Option<MessageRecord>>,
        Result<Option<MessageRecord>, StoreError>,
    ),
    List(
        Reply<Vec<HistoryItem>>,
        Result<Vec<HistoryItem>, StoreError>,
    ),
    Delete(
        Reply<Option<(String, Status)>>,
        Result<Option<(String, Status)>, StoreError>,
    ),
    Count(Reply<usize>, Result<usize, StoreError>),
    Flush(oneshot::Sender<()>),
}

fn answer(answers: Vec<Answer>) {
    for answer in answers {
        match answer {
            Answer::Insert(reply, result) => {
                let _ = reply.send(result);
            }
            Answer::Get(reply, result) => {
                let _ = reply.send(result);
            }
            Answer::List(reply, result) => {
                let _ = reply.send(result);
            }
            Answer::Delete(reply, result) => {
                let _ = reply.send(result);
            }
            Answer::Count(reply, result) => {
                let _ = reply.send(result);
            }
            Answer::Flush(reply) => {
                let _ = reply.send(());
            }
        }
    }
}

fn apply_batch(conn: &mut Connection, ops: impl Iterator<Item = Op>) -> Vec<Answer> {
    let mut answers = Vec::new();
    let tx = match conn.transaction() {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!("cannot begin a transaction: {e}");
            return ops.filter_map(|op| fail(op, &e)).collect();
        }
    };
    for op in ops {
        match op {
            Op::Insert(msg, reply) => answers.push(Answer::Insert(reply, insert(&tx, &msg))),
            Op::Get(id, reply) => answers.push(Answer::Get(reply, get(&tx, &id))),
            Op::List(query, reply) => answers.push(Answer::List(reply, list(&tx, &query))),
            Op::Delete(id, reply) => answers.push(Answer::Delete(reply, delete(&tx, &id))),
            Op::ClearFinished(reply) => answers.push(Answer::Count(
                reply,
                tx.execute("DELETE FROM messages WHERE status != 'queued'", [])
                    .map_err(StoreError::from),
            )),
            Op::MarkDelivered { id, device_id, at } => log_failure(
                tx.prepare_cached(
                    "UPDATE messages SET status = 'delivered', delivered_at = ?3 \
                     WHERE id = ?1 AND device_id = ?2 AND status = 'queued'",
                )
                .and_then(|mut s| s.execute(params![id, device_id.as_str(), at])),
            ),
            Op::MarkResult {
                id,
                device_id,
                status,
                error,
                at,
            } => {
                let (injected_at, failed_at) = match status {
                    Status::Injected => (Some(at), None),
                    _ => (None, Some(at)),
                };
                log_failure(
                    tx.prepare_cached(
                        "UPDATE messages SET status = ?3, injected_at = ?4, failed_at = ?5, \
                         error = ?6, delivered_at = COALESCE(delivered_at, ?7) \
                         WHERE id = ?1 AND device_id = ?2 AND status IN ('queued', 'delivered')",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            device_id.as_str(),
                            status.as_str(),
                            injected_at,
                            failed_at,
                            error,
                            at
                        ])
                    }),
                )
            }
            Op::TouchDevice { device_id, at } => log_failure(
                tx.prepare_cached(
                    "INSERT INTO devices (device_id, first_seen, last_seen) VALUES (?1, ?2, ?2) \
                     ON CONFLICT(device_id) DO UPDATE SET last_seen = ?2",
                )
                .and_then(|mut s| s.execute(params![device_id.as_str(), at])),
            ),
            Op::Flush(reply) => answers.push(Answer::Flush(reply)),
        }
    }
    if let Err(e) = tx.commit() {
        tracing::error!("commit failed: {e}");
        // Nothing of this batch is stored: no insert may be reported as such.
        return answers
            .into_iter()
            .map(|a| match a {
                Answer::Insert(reply, _) => Answer::Insert(reply, Err(copy_err(&e))),
                other => other,
            })
            .collect();
    }
    answers
}

fn fail(op: Op, e: &rusqlite::Error) -> Option<Answer> {
    match op {
        Op::Insert(_, reply) => Some(Answer::Insert(reply, Err(copy_err(e)))),
        Op::Get(_, reply) => Some(Answer::Get(reply, Err(copy_err(e)))),
        Op::List(_, reply) => Some(Answer::List(reply, Err(copy_err(e)))),
        Op::Delete(_, reply) => Some(Answer::Delete(reply, Err(copy_err(e)))),
        Op::ClearFinished(reply) => Some(Answer::Count(reply, Err(copy_err(e)))),
        Op::Flush(reply) => Some(Answer::Flush(reply)),
        _ => None,
    }
}

fn copy_err(e: &rusqlite::Error) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
        Some(e.to_string()),
    ))
}

fn log_failure(result: Result<usize, rusqlite::Error>) {
    if let Err(e) = result {
        tracing::error!("store update failed: {e}");
    }
}

fn insert(conn: &Connection, msg: &NewMessage) -> Result<InsertOutcome, StoreError> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO messages (id, device_id, text, timestamp, status, created_at) \
             VALUES (?1, ?2, ?3, ?4, 'queued', ?5) ON CONFLICT(id) DO NOTHING",
        )?
        .execute(params![
            msg.id.as_str(),
            msg.device_id.as_str(),
            msg.text,
            msg.timestamp,
            msg.created_at
        ])?;
    if inserted == 1 {
        return Ok(InsertOutcome::Inserted);
    }
    match get(conn, msg.id.as_str())? {
        Some(existing) => Ok(InsertOutcome::Existing(existing)),
        None => Err(StoreError::Closed),
    }
}

fn list(conn: &Connection, q: &HistoryQuery) -> Result<Vec<HistoryItem>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, device_id, status, text, created_at, delivered_at, injected_at, \
         failed_at, error FROM messages \
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR id = ?2) AND (?3 IS NULL OR seq < ?3) \
         ORDER BY seq DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(
        params![
            q.status.map(Status::as_str),
            q.id,
            q.before,
            q.limit.clamp(1, 1_000)
        ],
        |r| {
            let status: String = r.get(3)?;
            Ok(HistoryItem {
                seq: r.get(0)?,
                id: r.get(1)?,
                device_id: r.get(2)?,
                status: Status::parse(&status).unwrap_or(Status::Failed),
                text: r.get(4)?,
                created_at: r.get(5)?,
                delivered_at: r.get(6)?,
                injected_at: r.get(7)?,
                failed_at: r.get(8)?,
                error: r.get(9)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn delete(conn: &Connection, id: &str) -> Result<Option<(String, Status)>, StoreError> {
    let found = conn
        .prepare_cached("DELETE FROM messages WHERE id = ?1 RETURNING device_id, status")?
        .query_row([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(found.map(|(d, s)| (d, Status::parse(&s).unwrap_or(Status::Failed))))
}

fn get(conn: &Connection, id: &str) -> Result<Option<MessageRecord>, StoreError> {
    let record = conn
        .prepare_cached(
            "SELECT id, device_id, status, created_at, delivered_at, injected_at, error, text \
             FROM messages WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let status: String = r.get(2)?;
            Ok(MessageRecord {
                id: r.get(0)?,
                device_id: r.get(1)?,
                status: Status::parse(&status).unwrap_or(Status::Failed),
                created_at: r.get(3)?,
                delivered_at: r.get(4)?,
                injected_at: r.get(5)?,
                error: r.get(6)?,
                text: r.get(7)?,
            })
        })
        .optional()?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_msg(id: &str, device: &str, text: &str) -> NewMessage {
        NewMessage {
            id: MessageId::parse(id).expect("id"),
            device_id: DeviceId::parse(device).expect("device"),
            text: text.into(),
            timestamp: 7,
            created_at: 8,
        }
    }

    #[tokio::test]
    async fn insert_is_idempotent_and_lifecycle_is_recorded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let (store, snap) = Store::open(&path).expect("open");
        assert!(snap.queued.is_empty());
        assert_eq!(
            store
                .insert(new_msg("m1", "desk", "hello"))
                .await
                .expect("insert"),
            InsertOutcome::Inserted
        );
        let again = store
            .insert(new_msg("m1", "desk", "other"))
            .await
            .expect("insert");
        let InsertOutcome::Existing(rec) = again else {
            panic!("expected existing");
        };
        assert_eq!(rec.text, "hello");
        assert_eq!(rec.status, Status::Queued);

        store
            .insert(new_msg("m2", "desk", "two"))
            .await
            .expect("insert");
        let desk = DeviceId::parse("desk").expect("device");
        store.mark_delivered("m1".into(), desk.clone(), 10);
        store.mark_result("m1".into(), desk.clone(), Status::Injected, None, 11);
        // A result from another device does not touch the message.
        store.mark_result(
            "m2".into(),
            DeviceId::parse("intruder").expect("device"),
            Status::Failed,
            None,
            12,
        );
        store.touch_device(desk, 13);
        let rec = store.get("m1").await.expect("get").expect("exists");
        assert_eq!(rec.status, Status::Injected);
        assert_eq!((rec.delivered_at, rec.injected_at), (Some(10), Some(11)));
        let json = serde_json::to_value(&rec).expect("json");
        assert_eq!(json["deviceId"], "desk");
        assert!(json.get("text").is_none());
        assert!(json.get("error").is_none());
        assert_eq!(store.get("nope").await.expect("get"), None);
        store.flush().await;
        drop(store);

        // Reopen: the queued message and the device come back.
        let (_store, snap) = Store::open(&path).expect("reopen");
        let queued: Vec<&str> = snap.queued.iter().map(|(_, m)| m.id.as_str()).collect();
        assert_eq!(queued, ["m2"]);
        assert_eq!(snap.devices.len(), 1);
        assert_eq!(snap.devices[0].1, Some(13));
    }

    #[tokio::test]
    async fn history_lists_filters_deletes_and_clears() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, _) = Store::open(&dir.path().join("t.db")).expect("open");
        for i in 0..5 {
            store
                .insert(new_msg(&format!("h{i}"), "desk", &format!("text {i}")))
                .await
                .expect("insert");
        }
        let desk = DeviceId::parse("desk").expect("device");
        store.mark_result("h1".into(), desk, Status::Failed, Some("boom".into()), 9);
        let all = store
            .history(HistoryQuery {
                limit: 10,
                ..HistoryQuery::default()
            })
            .await
            .expect("list");
        let ids: Vec<&str> = all.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["h4", "h3", "h2", "h1", "h0"], "newest first");
        assert_eq!(all[3].text, "text 1");
        let failed = store
            .history(HistoryQuery {
                status: Some(Status::Failed),
                limit: 10,
                ..HistoryQuery::default()
            })
            .await
            .expect("list");
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].error.as_deref(), Some("boom"));
        let page = store
            .history(HistoryQuery {
                before: Some(all[1].seq),
                limit: 2,
                ..HistoryQuery::default()
            })
            .await
            .expect("list");
        assert_eq!(
            page.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            ["h2", "h1"]
        );
        assert_eq!(
            store.delete("h0").await.expect("delete"),
            Some(("desk".into(), Status::Queued))
        );
        assert_eq!(store.delete("h0").await.expect("delete"), None);
        assert_eq!(
            store.clear_finished().await.expect("clear"),
            1,
            "only the failed one"
        );
        assert_eq!(
            store
                .history(HistoryQuery {
                    limit: 10,
                    ..HistoryQuery::default()
                })
                .await
                .expect("list")
                .len(),
            3
        );
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
                    .insert(new_msg(&format!("m{i}"), "desk", "x"))
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
