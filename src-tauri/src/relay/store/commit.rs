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
    // SQLite may roll a whole transaction back on SQLITE_FULL (a full disk, the
    // size ceiling): the jobs after that would run outside any transaction, each
    // committed on its own while the batch reports failure. They are refused
    // instead, so an answer never contradicts the store.
    let rolled_back = StoreError::Sqlite(Arc::new(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
        Some("the transaction was rolled back (disk or database full)".into()),
    )));
    let replies = jobs
        .into_iter()
        .map(|job| {
            if tx.is_autocommit() {
                job(Err(&rolled_back))
            } else {
                job(Ok(&tx))
            }
        })
        .collect();
    let committed = if tx.is_autocommit() {
        tracing::error!("a batch was rolled back: {rolled_back}");
        Err(rolled_back)
    } else {
        tx.commit().map_err(|e| {
            tracing::error!("commit failed: {e}");
            StoreError::from(e)
        })
    };
    Replies { replies, committed }
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
}
