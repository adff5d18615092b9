//! Group commit without a thread hop.
//!
//! Work goes into a pending list as [`Job`]s; whoever then gets the connection
//! (try-lock, never a blocking wait) commits *everything* pending in one
//! transaction and then lets each job answer. Under load, thirty concurrent inserts
//! cost one commit; alone, an insert is committed by its own caller at once. (A
//! dedicated store thread was measured first: the hand-off there and back cost
//! 43 µs on this machine, more than the commit itself.) Whoever finds the
//! connection busy simply leaves its job pending: the holder checks the list again
//! after letting go, so nothing is stranded.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, TryLockError};

use crossbeam_channel::Sender;
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::StoreError;
use crate::sync::lock;

/// Batches one caller commits before handing the rest to a fresh task, so that no
/// request is held up for long doing others' work.
const MAX_BATCHES_PER_LEADER: usize = 4;

/// What a job does once its batch is over: given the commit's outcome, answer.
pub(super) type Reply = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

/// One piece of work for the next batch. It runs inside the batch's transaction
/// (or is told that none could be begun) and returns its [`Reply`], which is
/// called only after the commit, once the connection is free again.
pub(super) type Job = Box<dyn FnOnce(Result<&Transaction<'_>, &StoreError>) -> Reply + Send>;

/// The pending jobs and the one connection that commits them.
pub(super) struct Committer {
    pending: Mutex<Vec<Job>>,
    conn: Mutex<Connection>,
    /// A commit of deferred work (ACKs, results) is already scheduled.
    commit_scheduled: AtomicBool,
    /// Dropping it (with the last handle, after the last scheduled commit) stops the
    /// checkpointer.
    _stop_checkpointer: Sender<()>,
}

impl Committer {
    pub(super) fn new(conn: Connection, stop_checkpointer: Sender<()>) -> Committer {
        Committer {
            pending: Mutex::new(Vec::new()),
            conn: Mutex::new(conn),
            commit_scheduled: AtomicBool::new(false),
            _stop_checkpointer: stop_checkpointer,
        }
    }

    pub(super) fn submit(&self, job: Job) {
        lock(&self.pending).push(job);
    }

    /// Commit everything pending, unless someone else holds the connection (then
    /// they will). Runs on the caller's thread.
    pub(super) fn commit_pending(self: &Arc<Self>) {
        for _ in 0..MAX_BATCHES_PER_LEADER {
            let mut conn = match self.conn.try_lock() {
                Ok(conn) => conn,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => return,
            };
            let batch = std::mem::take(&mut *lock(&self.pending));
            if batch.is_empty() {
                return;
            }
            let replies = run_batch(&mut conn, batch);
            // Let go before answering: the woken callers may want the connection.
            drop(conn);
            replies.answer();
            if lock(&self.pending).is_empty() {
                return;
            }
        }
        // Still more: hand over to a fresh task rather than hold this caller up.
        self.commit_soon();
    }

    /// Commit what is pending from a separate task, after the caller's current work
    /// (so that an ACK wakes its waiting request before the commit, not after).
    pub(super) fn commit_soon(self: &Arc<Self>) {
        if self.commit_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        let run = move || {
            this.commit_scheduled.store(false, Ordering::Release);
            this.commit_pending();
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move { run() });
            }
            Err(_) => run(),
        }
    }
}

/// The replies of one batch and how its commit went.
struct Replies {
    replies: Vec<Reply>,
    committed: Result<(), StoreError>,
}

impl Replies {
    fn answer(self) {
        for reply in self.replies {
            reply(self.committed.as_ref().map(|_| ()));
        }
    }
}

fn run_batch(conn: &mut Connection, jobs: Vec<Job>) -> Replies {
    // IMMEDIATE: the write lock is taken at BEGIN, waiting (busy timeout) while the
    // checkpointer resets the WAL. A deferred transaction whose first job only reads
    // (a prune's first look, a `get`) would hold a read snapshot instead, and its
    // first write would fail at once with "database is locked" (SQLite cannot wait
    // there) if the WAL changed meanwhile: the whole batch, inserts included, failed.
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!("cannot begin a transaction: {e}");
            let e = StoreError::from(e);
            let replies = jobs.into_iter().map(|job| job(Err(&e))).collect();
            return Replies {
                replies,
                committed: Err(e),
            };
        }
    };
    // SQLite rolls a whole transaction back on some errors (a full disk or the size
    // ceiling, an I/O error, an interrupt): the jobs after that would run outside
    // any transaction, each committed on its own while the batch reports failure.
    // They are refused instead, so an answer never contradicts the store, and every
    // job of the batch is told why (a full store is a 507, anything else a 500).
    super::take_last_sqlite_error();
    let mut rolled_back: Option<StoreError> = None;
    let mut replies = Vec::with_capacity(jobs.len());
    for job in jobs {
        if rolled_back.is_none() && tx.is_autocommit() {
            rolled_back = Some(rollback_error());
        }
        replies.push(match &rolled_back {
            Some(e) => job(Err(e)),
            None => job(Ok(&tx)),
        });
    }
    if rolled_back.is_none() && tx.is_autocommit() {
        rolled_back = Some(rollback_error());
    }
    let committed = match rolled_back {
        Some(e) => {
            tracing::error!("a batch was rolled back: {e}");
            Err(e)
        }
        None => tx.commit().map_err(|e| {
            tracing::error!("commit failed: {e}");
            StoreError::from(e)
        }),
    };
    Replies { replies, committed }
}

/// The error of a batch SQLite rolled back, with the cause a job ran into (when it
/// went through [`StoreError`]'s conversion).
fn rollback_error() -> StoreError {
    let cause = super::take_last_sqlite_error()
        .unwrap_or_else(|| rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR));
    let why = if cause.code == rusqlite::ErrorCode::DiskFull {
        "disk or database full".to_owned()
    } else {
        cause.to_string()
    };
    StoreError::Sqlite(Arc::new(rusqlite::Error::SqliteFailure(
        cause,
        Some(format!("the transaction was rolled back ({why})")),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn committer() -> Arc<Committer> {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (x INTEGER)")
            .expect("schema");
        Arc::new(Committer::new(conn, crossbeam_channel::bounded(0).0))
    }

    #[test]
    fn pending_jobs_run_in_order_in_one_batch_and_answer_after_the_commit() {
        let c = committer();
        let answered = Arc::new(AtomicUsize::new(0));
        for x in 0..3 {
            let answered = answered.clone();
            c.submit(Box::new(move |tx| {
                let tx = tx.expect("a transaction");
                tx.execute("INSERT INTO t VALUES (?1)", [x])
                    .expect("insert");
                let rows: i64 = tx
                    .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                    .expect("count");
                assert_eq!(rows, x + 1, "earlier jobs of the batch are visible");
                Box::new(move |committed| {
                    assert!(committed.is_ok());
                    answered.fetch_add(1, Ordering::SeqCst);
                })
            }));
        }
        assert_eq!(
            answered.load(Ordering::SeqCst),
            0,
            "nothing runs before a commit"
        );
        c.commit_pending();
        assert_eq!(answered.load(Ordering::SeqCst), 3);
        assert!(lock(&c.pending).is_empty());
    }

    #[test]
    fn a_batch_that_reads_first_still_writes_when_another_connection_wrote_meanwhile() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "journal_mode", "WAL")
            .expect("wal");
        conn.execute_batch("CREATE TABLE t (x INTEGER)")
            .expect("schema");
        let c = Arc::new(Committer::new(conn, crossbeam_channel::bounded(0).0));
        let other = Connection::open(&path).expect("open");
        other
            .busy_timeout(std::time::Duration::ZERO)
            .expect("no waiting");
        // First job: a read, then another connection (the checkpointer's place)
        // tries to write without waiting.
        c.submit(Box::new(move |tx| {
            let tx = tx.expect("a transaction");
            let _: i64 = tx
                .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                .expect("read");
            let _ = other.execute("INSERT INTO t VALUES (99)", []);
            Box::new(|_| {})
        }));
        let wrote = Arc::new(Mutex::new(None));
        let result = wrote.clone();
        c.submit(Box::new(move |tx| {
            let done = tx
                .expect("a transaction")
                .execute("INSERT INTO t VALUES (1)", [])
                .map_err(|e| e.to_string());
            *lock(&result) = Some(done);
            Box::new(|committed| assert!(committed.is_ok(), "the batch committed"))
        }));
        c.commit_pending();
        assert_eq!(*lock(&wrote), Some(Ok(1)), "the batch's write went in");
    }

    /// What a job was answered: the commit, or the error (whether it was "full").
    type Answer = Result<(), (bool, String)>;

    /// Runs a batch of three inserts, the second with `middle` (which may make
    /// SQLite roll the batch back); what each job was answered, and the rows kept.
    fn rolled_back_batch(
        conn: Connection,
        middle: impl FnOnce(&Transaction<'_>) -> Result<(), StoreError> + Send + 'static,
    ) -> (Vec<Answer>, i64) {
        let c = Arc::new(Committer::new(conn, crossbeam_channel::bounded(0).0));
        let answers = Arc::new(Mutex::new(Vec::new()));
        let answer = |answers: &Arc<Mutex<Vec<_>>>| -> Reply {
            let answers = answers.clone();
            Box::new(move |committed: Result<(), &StoreError>| {
                lock(&answers).push(committed.map_err(|e| (e.is_full(), e.to_string())));
            })
        };
        let (a1, a2, a3) = (answer(&answers), answer(&answers), answer(&answers));
        c.submit(Box::new(move |tx| {
            let _ = tx.map(|tx| tx.execute("INSERT INTO t VALUES (1)", []));
            a1
        }));
        c.submit(Box::new(move |tx| {
            if let Ok(tx) = tx {
                let _ = middle(tx);
            }
            a2
        }));
        c.submit(Box::new(move |tx| {
            let _ = tx.map(|tx| tx.execute("INSERT INTO t VALUES (3)", []));
            a3
        }));
        c.commit_pending();
        let rows = lock(&c.conn)
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        let answers = lock(&answers).clone();
        (answers, rows)
    }

    #[test]
    fn a_batch_rolled_back_by_an_interrupt_is_answered_with_that_not_as_full() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (x INTEGER)")
            .expect("schema");
        let interrupt = conn.get_interrupt_handle();
        let (answers, rows) = rolled_back_batch(conn, move |tx| {
            // A long insert, interrupted part way (SQLite then rolls the whole
            // transaction back).
            let stop = Arc::new(AtomicBool::new(false));
            let stopped = stop.clone();
            let interrupter = std::thread::spawn(move || {
                while !stopped.load(Ordering::Acquire) {
                    interrupt.interrupt();
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
            });
            let done = tx
                .execute(
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000000) \
                     INSERT INTO t SELECT x FROM c",
                    [],
                )
                .map(|_| ())
                .map_err(StoreError::from);
            stop.store(true, Ordering::Release);
            let _ = interrupter.join();
            done
        });
        assert_eq!(rows, 0, "nothing of the batch was kept");
        assert_eq!(answers.len(), 3);
        for answer in answers {
            let (full, message) = answer.expect_err("every job hears of the rollback");
            assert!(!full, "not a full store: {message}");
            assert!(message.contains("interrupted"), "{message}");
        }
    }

    #[test]
    fn a_batch_rolled_back_by_a_full_store_is_answered_as_full() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = Connection::open(dir.path().join("t.db")).expect("open");
        conn.execute_batch("CREATE TABLE t (x BLOB); PRAGMA max_page_count = 8;")
            .expect("schema");
        let (answers, rows) = rolled_back_batch(conn, |tx| {
            tx.execute("INSERT INTO t VALUES (zeroblob(1000000))", [])
                .map(|_| ())
                .map_err(StoreError::from)
        });
        assert_eq!(rows, 0, "nothing of the batch was kept");
        for answer in answers {
            let (full, message) = answer.expect_err("every job hears of the failure");
            assert!(full, "{message}");
        }
    }
}
