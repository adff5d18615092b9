//! The ids an agent has already injected, remembered durably, so that a message
//! redelivered after a lost ACK, a relay restart or an agent restart is never typed a
//! second time.
//!
//! The most recent [`DEFAULT_CAPACITY`] ids are kept (in memory for the check, in
//! SQLite for the restart); the relay only redelivers what is still in its queue, so
//! a window of thousands of messages is far more than enough.

use std::collections::{HashSet, VecDeque};
use std::path::Path;

use rusqlite::{params, Connection};

pub const DEFAULT_CAPACITY: usize = 10_000;

pub struct SeenIds {
    db: Option<Connection>,
    set: HashSet<String>,
    order: VecDeque<String>,
    capacity: usize,
}

impl SeenIds {
    /// Open (or create) the file and load the most recent ids.
    pub fn open(path: &Path, capacity: usize) -> rusqlite::Result<SeenIds> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS seen (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)",
        )?;
        let mut seen = SeenIds::in_memory(capacity);
        {
            let mut stmt = db.prepare("SELECT id FROM seen ORDER BY seq DESC LIMIT ?1")?;
            let ids = stmt.query_map([capacity as i64], |r| r.get::<_, String>(0))?;
            let mut recent: Vec<String> = ids.collect::<Result<_, _>>()?;
            recent.reverse();
            for id in recent {
                seen.remember(id);
            }
        }
        seen.db = Some(db);
        Ok(seen)
    }

    /// Memory only (tests, or when the data directory cannot be written).
    pub fn in_memory(capacity: usize) -> SeenIds {
        SeenIds {
            db: None,
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    /// Record an id; `Ok(true)` the first time, `Ok(false)` if it was already there.
    /// Durable (committed) when this returns.
    pub fn insert(&mut self, id: &str) -> rusqlite::Result<bool> {
        if self.set.contains(id) {
            return Ok(false);
        }
        if let Some(db) = &self.db {
            db.prepare_cached("INSERT OR IGNORE INTO seen (id) VALUES (?1)")?
                .execute(params![id])?;
            // Trim the table now and then, not on every insert.
            if self.order.len().is_multiple_of(1_000) {
                db.execute(
                    "DELETE FROM seen WHERE seq <= (SELECT MAX(seq) FROM seen) - ?1",
                    params![self.capacity as i64],
                )?;
            }
        }
        self.remember(id.to_owned());
        Ok(true)
    }

    fn remember(&mut self, id: String) {
        if self.set.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_across_reopen_and_forgets_the_oldest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("seen.db");
        {
            let mut seen = SeenIds::open(&path, 3).expect("open");
            assert_eq!(seen.insert("a"), Ok(true));
            assert_eq!(seen.insert("a"), Ok(false));
            for id in ["b", "c", "d"] {
                assert_eq!(seen.insert(id), Ok(true));
            }
            assert!(!seen.contains("a"), "capacity 3: the oldest is forgotten");
        }
        let seen = SeenIds::open(&path, 3).expect("reopen");
        assert!(seen.contains("b") && seen.contains("c") && seen.contains("d"));
        assert!(!seen.contains("a"));
    }
}
