//! The agent's durable inbox: every transcription it ACKs, and what became of it.
//!
//! The ACK tells the relay "the desktop has it on disk": the relay never sends an
//! ACKed message again, so the agent must not lose it afterwards. Each message is
//! written here (committed) **before** its ACK, and moves through
//!
//! ```text
//! received ──start──▶ started ──finish──▶ done ──(relay took the result)──▶ reported
//! ```
//!
//! - `received`: on disk, not typed yet. After a crash it is typed on the next start.
//! - `started`: typing began (recorded before the first key, so it is typed at most
//!   once). `progress` keeps how many characters are in. After a crash it is never
//!   typed again: it ends `failed` with "interrupted after N of M characters".
//! - `done`: the result (`injected`, or `failed` with a reason) is stored, and sent
//!   after every registration until the relay confirms it (`reported`).
//!
//! A redelivered id (a lost ACK) is recognised here and answered with its stored
//! result, never typed twice. This replaces the old list of seen ids: its rows are
//! taken over as done and reported.
//!
//! SQLite in WAL mode with `synchronous=NORMAL`, as the relay's store: a commit
//! survives the process being killed (only a power cut may lose the last ones),
//! and costs tens of microseconds, not an fsync, so recording progress every chunk
//! of keys is cheap.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

use crate::protocol::ws::Target;
use crate::protocol::{MessageId, ResultStatus};

/// Finished and reported messages kept (to recognise redeliveries). The relay only
/// redelivers what is still in its queue, so thousands is far more than enough.
pub const KEEP_FINISHED: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("the agent's inbox database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Private(#[from] crate::config::ConfigError),
}

/// A message's stored result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResult {
    pub status: ResultStatus,
    pub error: Option<String>,
    /// Where the text went (or was going), when the injector could tell: kept
    /// with the result so a result replayed after a crash still says it.
    pub target: Option<Target>,
}

impl StoredResult {
    pub fn injected() -> StoredResult {
        StoredResult {
            status: ResultStatus::Injected,
            error: None,
            target: None,
        }
    }

    pub fn failed(reason: impl Into<String>) -> StoredResult {
        StoredResult {
            status: ResultStatus::Failed,
            error: Some(reason.into()),
            target: None,
        }
    }

    pub fn with_target(self, target: Option<Target>) -> StoredResult {
        StoredResult { target, ..self }
    }
}

/// What the inbox knew of a transcription that just arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// First time: stored, to be typed.
    New,
    /// Already here and not finished (waiting or being typed): nothing to do.
    Pending,
    /// Already finished: answer with this result again.
    Done(StoredResult),
}

/// A message waiting to be typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub id: MessageId,
    pub text: String,
    /// When the agent received it (ms since the epoch).
    pub received_at: i64,
}

/// What a start finds in the inbox after the previous run ended.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Received but never started: to be typed, oldest first.
    pub waiting: Vec<Waiting>,
    /// Started but never finished: now `failed`, with how far they got.
    pub interrupted: Vec<(MessageId, StoredResult)>,
}

pub struct Inbox {
    db: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS inbox (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    text         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('received', 'started', 'done')),
    total_chars  INTEGER NOT NULL,
    typed_chars  INTEGER NOT NULL DEFAULT 0,
    status       TEXT CHECK (status IN ('injected', 'failed')),
    error        TEXT,
    target       TEXT,
    reported     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS inbox_open ON inbox(state, seq) WHERE state != 'done';
CREATE INDEX IF NOT EXISTS inbox_unreported ON inbox(seq) WHERE state = 'done' AND reported = 0;
";

impl Inbox {
    /// Open (or create) the inbox file, taking over the ids of the old `seen` table.
    pub fn open(path: &Path) -> Result<Inbox, InboxError> {
        // Private before SQLite opens it (its -wal and -shm follow its mode).
        crate::config::private_file(path)?;
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        Inbox::with(db)
    }

    /// A real SQLite inbox held in memory (tests, or when the data directory cannot
    /// be written: then a crash loses what it held, as the log says).
    pub fn in_memory() -> Result<Inbox, InboxError> {
        Inbox::with(Connection::open_in_memory()?)
    }

    fn with(db: Connection) -> Result<Inbox, InboxError> {
        db.execute_batch(SCHEMA)?;
        add_target_column(&db)?;
        let had_seen: bool = db
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'seen'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        if had_seen {
            // Ids injected by an older agent: finished, nothing left to report.
            db.execute_batch(
                "BEGIN;
                 INSERT OR IGNORE INTO inbox (id, text, received_at, state, total_chars, reported)
                     SELECT id, '', 0, 'done', 0, 1 FROM seen ORDER BY seq;
                 DROP TABLE seen;
                 COMMIT;",
            )?;
        }
        Ok(Inbox { db })
    }

    /// Record a transcription that just arrived. When this returns `New`, it is
    /// committed: the ACK may go out.
    pub fn receive(&mut self, id: &MessageId, text: &str, now: i64) -> Result<Arrival, InboxError> {
        let inserted = self
            .db
            .prepare_cached(
                "INSERT INTO inbox (id, text, received_at, state, total_chars) \
                 VALUES (?1, ?2, ?3, 'received', ?4) ON CONFLICT(id) DO NOTHING",
            )?
            .execute(params![id.as_str(), text, now, text.chars().count() as i64])?;
        if inserted == 1 {
            return Ok(Arrival::New);
        }
        let row = self
            .db
            .prepare_cached("SELECT state, status, error, target FROM inbox WHERE id = ?1")?
            .query_row([id.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?;
        Ok(match row {
            (state, Some(status), error, target) if state == "done" => {
                Arrival::Done(stored_result(&status, error, target))
            }
            // An old `seen` id: done, with no result kept. It was typed.
            (state, None, ..) if state == "done" => Arrival::Done(StoredResult::injected()),
            _ => Arrival::Pending,
        })
    }

    /// Mark a message as being typed, before the first key. `false` when it is not
    /// waiting (already started or finished): then it must not be typed.
    pub fn start(&mut self, id: &MessageId) -> Result<bool, InboxError> {
        let changed = self
            .db
            .prepare_cached(
                "UPDATE inbox SET state = 'started' WHERE id = ?1 AND state = 'received'",
            )?
            .execute([id.as_str()])?;
        Ok(changed == 1)
    }

    /// How many characters of a started message are in.
    pub fn progress(&mut self, id: &MessageId, typed_chars: usize) -> Result<(), InboxError> {
        self.db
            .prepare_cached(
                "UPDATE inbox SET typed_chars = ?2 WHERE id = ?1 AND state = 'started'",
            )?
            .execute(params![id.as_str(), typed_chars as i64])?;
        Ok(())
    }

    /// Store a message's result. A message that is still `received` may be
    /// finished too (discarded or failed before typing).
    pub fn finish(&mut self, id: &MessageId, result: &StoredResult) -> Result<(), InboxError> {
        self.db
            .prepare_cached(
                "UPDATE inbox SET state = 'done', status = ?2, error = ?3, target = ?4, \
                 text = '' WHERE id = ?1 AND state != 'done'",
            )?
            .execute(params![
                id.as_str(),
                status_str(result.status),
                result.error,
                target_json(result.target.as_ref()),
            ])?;
        Ok(())
    }

    /// The relay has the result: stop sending it.
    pub fn mark_reported(&mut self, id: &str) -> Result<(), InboxError> {
        self.db
            .prepare_cached("UPDATE inbox SET reported = 1 WHERE id = ?1 AND state = 'done'")?
            .execute([id])?;
        Ok(())
    }

    /// Results the relay has not confirmed yet, oldest first.
    pub fn unreported(&self) -> Result<Vec<(MessageId, StoredResult)>, InboxError> {
        let mut stmt = self.db.prepare_cached(
            "SELECT id, status, error, target FROM inbox \
             WHERE state = 'done' AND reported = 0 ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, status, error, target) = row?;
            if let Some(id) = MessageId::parse(&id) {
                out.push((id, stored_result(&status, error, target)));
            }
        }
        Ok(out)
    }

    /// Called once at start, before anything new arrives: what was started and not
    /// finished is failed (never typed again automatically), and what was received
    /// and not started is handed back, oldest first.
    pub fn recover(&mut self) -> Result<Recovery, InboxError> {
        let tx = self.db.transaction()?;
        let mut recovery = Recovery::default();
        {
            let mut stmt = tx.prepare(
                "SELECT id, typed_chars, total_chars FROM inbox WHERE state = 'started' ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (id, typed, total) = row?;
                if let Some(id) = MessageId::parse(&id) {
                    recovery.interrupted.push((
                        id,
                        StoredResult::failed(interrupted_reason(typed as usize, total as usize)),
                    ));
                }
            }
        }
        for (id, result) in &recovery.interrupted {
            tx.execute(
                "UPDATE inbox SET state = 'done', status = 'failed', error = ?2, text = '' \
                 WHERE id = ?1",
                params![id.as_str(), result.error],
            )?;
        }
        {
            let mut stmt = tx.prepare(
                "SELECT id, text, received_at FROM inbox WHERE state = 'received' ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (id, text, received_at) = row?;
                if let Some(id) = MessageId::parse(&id) {
                    recovery.waiting.push(Waiting {
                        id,
                        text,
                        received_at,
                    });
                }
            }
        }
        tx.commit()?;
        Ok(recovery)
    }

    /// Forget the oldest finished and reported messages beyond `keep`.
    pub fn prune(&mut self, keep: usize) -> Result<usize, InboxError> {
        let removed = self.db.execute(
            "DELETE FROM inbox WHERE state = 'done' AND reported = 1 AND seq <= \
             (SELECT seq FROM inbox WHERE state = 'done' AND reported = 1 \
              ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
            params![keep as i64],
        )?;
        Ok(removed)
    }

    /// The stored state of one message, for tests and diagnostics.
    pub fn state_of(&self, id: &str) -> Result<Option<(String, usize)>, InboxError> {
        Ok(self
            .db
            .query_row(
                "SELECT state, typed_chars FROM inbox WHERE id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as usize)),
            )
            .optional()?)
    }
}

/// The reason a message that was cut short carries.
pub fn interrupted_reason(typed: usize, total: usize) -> String {
    format!(
        "interrupted after {typed} of {total} characters: the rest was not typed \
         (copy it from the history)"
    )
}

fn status_str(status: ResultStatus) -> &'static str {
    match status {
        ResultStatus::Injected => "injected",
        ResultStatus::Failed => "failed",
    }
}

fn stored_result(status: &str, error: Option<String>, target: Option<String>) -> StoredResult {
    StoredResult {
        status: if status == "injected" {
            ResultStatus::Injected
        } else {
            ResultStatus::Failed
        },
        error,
        // Written by this code from a `Target`: unreadable only if the file was
        // edited, and then the result is still worth sending without it.
        target: target.and_then(|t| serde_json::from_str(&t).ok()),
    }
}

fn target_json(target: Option<&Target>) -> Option<String> {
    target.and_then(|t| serde_json::to_string(t).ok())
}

/// Inboxes written before results kept their target lack the column.
fn add_target_column(db: &Connection) -> Result<(), InboxError> {
    let has: bool = db.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('inbox') WHERE name = 'target'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has {
        db.execute_batch("ALTER TABLE inbox ADD COLUMN target TEXT")?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
