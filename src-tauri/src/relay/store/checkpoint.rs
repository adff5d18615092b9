//! The checkpointer: moves the WAL into the database file now and then, on a
//! thread and a connection of its own, so that the fsyncs (the only ones the store
//! does) happen off every request's path. It sleeps until a commit wakes it (a
//! WAL hook on the writer's connection), so an idle relay never wakes up for it.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{select, Receiver, RecvTimeoutError, Sender};
use rusqlite::Connection;

use super::StoreError;

/// How long after a commit the checkpointer moves the WAL into the database file
/// (the commits in between share the checkpoint).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// A WAL file larger than this is reset with a `TRUNCATE` checkpoint. `PASSIVE`
/// alone never lets a busy writer start the WAL over (new frames keep arriving
/// while it copies), so under a steady stream of writes the file only grew: a
/// review saw 266 MB. `TRUNCATE` waits for the writer's current commit (the
/// writer waits in turn, a few milliseconds) and leaves an empty WAL.
const WAL_TRUNCATE_ABOVE: u64 = 8 * 1024 * 1024;

/// Start the checkpointer for the database at `db`, woken by the commits of
/// `writer`. It runs until the returned sender is dropped (with the store), then
/// does a last checkpoint and ends.
pub(super) fn start(
    db: &Path,
    writer: &mut Connection,
    journal_size_limit: i64,
) -> Result<Sender<()>, StoreError> {
    let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
    // One pending wake-up is enough: a commit while one waits costs no syscall.
    let (wake, woken) = crossbeam_channel::bounded::<()>(1);
    writer.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, _pages| {
        // Full: a wake-up is already pending; disconnected: the thread has ended.
        let _ = wake.try_send(());
        Ok(())
    }))?;
    let db = db.to_path_buf();
    thread::Builder::new()
        .name("saytype-checkpoint".into())
        .spawn(move || run(&db, journal_size_limit, &stopped, &woken))
        .map_err(|e| StoreError::Checkpointer(e.into()))?;
    Ok(stop)
}

/// `PASSIVE` never blocks the writer. A last `TRUNCATE` checkpoint on shutdown
/// leaves a small WAL behind.
fn run(db: &PathBuf, journal_size_limit: i64, stop: &Receiver<()>, woken: &Receiver<()>) {
    let conn = match Connection::open(db) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("checkpointer cannot open the database: {e}");
            return;
        }
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    let _ = conn.pragma_update(None, "journal_size_limit", journal_size_limit);
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    let wal_is_large = || std::fs::metadata(&wal).is_ok_and(|m| m.len() > WAL_TRUNCATE_ABOVE);
    let checkpoint = |mode: &str| {
        if let Err(e) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
            tracing::debug!("checkpoint failed: {e}");
        }
    };
    // Runs until the store is dropped (the channel disconnects): asleep until a
    // commit, then a checkpoint a moment later.
    loop {
        select! {
            recv(woken) -> commit => if commit.is_err() { break },
            recv(stop) -> _ => break,
        }
        if !matches!(
            stop.recv_timeout(CHECKPOINT_EVERY),
            Err(RecvTimeoutError::Timeout)
        ) {
            break;
        }
        // Commits from here on wake the loop again.
        let _ = woken.try_recv();
        checkpoint(if wal_is_large() {
            "TRUNCATE"
        } else {
            "PASSIVE"
        });
    }
    checkpoint("TRUNCATE");
}
