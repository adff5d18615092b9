//! Durable queue and history in SQLite, on a thread of its own.
//!
//! rusqlite's `Connection` is not `Sync`, and SQLite work is blocking, so one thread
//! owns the connection and is fed by a channel (the actor shape). The thread takes
//! every operation that is waiting, runs them all in **one transaction**, commits, and
//! only then answers: under load, 30 concurrent inserts cost one commit (group
//! commit), and an insert is never reported stored before it is.
//!
//! Durability: WAL with `synchronous=NORMAL`. A committed transaction is in the WAL
//! file before the insert is answered, so a relay killed with `kill -9` loses nothing
//! it accepted; only a power loss may lose the last commits (the price of answering
//! in microseconds instead of waiting for an fsync per message).

use std::path::Path;
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tokio::sync::oneshot;

use super::registry::QueuedMessage;
use crate::protocol::{DeviceId, MessageId, Status};

/// Largest number of operations committed together.
const MAX_BATCH: usize = 1024;

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
    TouchDevice {
        device_id: DeviceId,
        at: i64,
    },
    /// Answered once everything sent before it is committed.
    Flush(oneshot::Sender<()>),
}

/// Cheap, cloneable handle to the store thread.
#[derive(Clone, Debug)]
pub struct Store {
    tx: Sender<Op>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
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
    /// the store thread.
    pub fn open(path: &Path) -> Result<(Store, Snapshot), StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let snapshot = load_snapshot(&conn)?;
        let (tx, rx) = crossbeam_channel::unbounded();
        thread::Builder::new()
            .name("saytype-store".into())
            .spawn(move || run(conn, rx))
            .map_err(|_| StoreError::Closed)?;
        Ok((Store { tx }, snapshot))
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Op) -> Result<T, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(make(reply)).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Store a new message as `queued`, or return the one that already has its id.
    pub async fn insert(&self, msg: NewMessage) -> Result<InsertOutcome, StoreError> {
        self.ask(|reply| Op::Insert(msg, reply)).await
    }

    pub async fn get(&self, id: &str) -> Result<Option<MessageRecord>, StoreError> {
        let id = id.to_owned();
        self.ask(|reply| Op::Get(id, reply)).await
    }

    /// Record an ACK from a device's agent for one of that device's messages. Fire
    /// and forget: ops run in order, so any later read sees it.
    pub fn mark_delivered(&self, id: String, device_id: DeviceId, at: i64) {
        let _ = self.tx.send(Op::MarkDelivered { id, device_id, at });
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
        let _ = self.tx.send(Op::MarkResult {
            id,
            device_id,
            status,
            error,
            at,
        });
    }

    pub fn touch_device(&self, device_id: DeviceId, at: i64) {
        let _ = self.tx.send(Op::TouchDevice { device_id, at });
    }

    /// Wait until everything sent so far is committed.
    pub async fn flush(&self) {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(Op::Flush(reply)).is_ok() {
            let _ = rx.await;
        }
    }
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
    Get(Reply<Option<MessageRecord>>, Result<Option<MessageRecord>, StoreError>),
    Flush(oneshot::Sender<()>),
}

fn run(mut conn: Connection, rx: Receiver<Op>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Ok(first) = rx.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let answers = apply_batch(&mut conn, batch.drain(..));
        for answer in answers {
            match answer {
                Answer::Insert(reply, result) => {
                    let _ = reply.send(result);
                }
                Answer::Get(reply, result) => {
                    let _ = reply.send(result);
                }
                Answer::Flush(reply) => {
                    let _ = reply.send(());
                }
            }
        }
    }
    tracing::debug!("store thread finished");
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
            store.insert(new_msg("m1", "desk", "hello")).await.expect("insert"),
            InsertOutcome::Inserted
        );
        let again = store.insert(new_msg("m1", "desk", "other")).await.expect("insert");
        let InsertOutcome::Existing(rec) = again else {
            panic!("expected existing");
        };
        assert_eq!(rec.text, "hello");
        assert_eq!(rec.status, Status::Queued);

        store.insert(new_msg("m2", "desk", "two")).await.expect("insert");
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
