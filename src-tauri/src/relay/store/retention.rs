//! History retention: finished messages (delivered, injected, failed) are kept for
//! a number of days, up to a number of messages and of text bytes, newest first.
//! Queued messages are never pruned: they were accepted and are still owed to an
//! agent (their number and bytes are capped when they are accepted instead).

use rusqlite::{params, Connection};

use crate::config::StorageLimits;

/// Run the prune after this many inserts (and once at startup): history then
/// exceeds its caps by at most this many messages.
pub(super) const PRUNE_EVERY: usize = 64;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Delete the finished messages beyond the retention of `limits`; how many went.
pub(super) fn prune(
    conn: &Connection,
    now: i64,
    limits: &StorageLimits,
) -> rusqlite::Result<usize> {
    let cutoff = now.saturating_sub(i64::from(limits.history_days).saturating_mul(DAY_MS));
    let bytes = i64::try_from(limits.history_bytes).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "DELETE FROM messages WHERE status != 'queued' AND ( \
             created_at < ?1 \
             OR seq <= (SELECT seq FROM messages WHERE status != 'queued' \
                        ORDER BY seq DESC LIMIT 1 OFFSET ?2) \
             OR seq IN (SELECT seq FROM ( \
                 SELECT seq, SUM(length(CAST(text AS BLOB))) OVER (ORDER BY seq DESC) AS kept \
                 FROM messages WHERE status != 'queued') WHERE kept > ?3))",
    )?
    .execute(params![cutoff, limits.history_messages, bytes])
}

/// Forget a device the registry forgot (its history rows keep its name).
pub(super) fn forget_device(conn: &Connection, device: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM devices WHERE device_id = ?1")?
        .execute([device])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(super::super::sql::SCHEMA)
            .expect("schema");
        super::super::sql::migrate(&conn).expect("migrate");
        conn
    }

    fn add(conn: &Connection, id: &str, status: &str, created_at: i64, text: &str) {
        conn.execute(
            "INSERT INTO messages (id, device_id, text, timestamp, status, created_at) \
             VALUES (?1, 'desk', ?4, 0, ?2, ?3)",
            params![id, status, created_at, text],
        )
        .expect("insert");
    }

    fn ids(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT id FROM messages ORDER BY seq")
            .expect("prepare");
        let rows = stmt.query_map([], |r| r.get(0)).expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    }

    fn limits(days: u32, messages: u32, bytes: u64) -> StorageLimits {
        StorageLimits {
            history_days: days,
            history_messages: messages,
            history_bytes: bytes,
            ..StorageLimits::default()
        }
    }

    #[test]
    fn old_history_goes_queued_messages_stay() {
        let conn = db();
        let now = 100 * DAY_MS;
        add(&conn, "old-done", "injected", now - 31 * DAY_MS, "a");
        add(&conn, "old-queued", "queued", now - 60 * DAY_MS, "b");
        add(&conn, "old-failed", "failed", now - 40 * DAY_MS, "c");
        add(&conn, "new-done", "delivered", now - DAY_MS, "d");
        assert_eq!(
            prune(&conn, now, &limits(30, 100, 1 << 20)).expect("prune"),
            2
        );
        assert_eq!(ids(&conn), ["old-queued", "new-done"]);
    }

    #[test]
    fn only_the_newest_history_is_kept_by_count_and_by_bytes() {
        let conn = db();
        for i in 0..10 {
            add(&conn, &format!("done-{i}"), "injected", 1, "0123456789");
            add(&conn, &format!("queued-{i}"), "queued", 1, "0123456789");
        }
        prune(&conn, 2, &limits(30, 4, 1 << 20)).expect("prune");
        let left = ids(&conn);
        let done: Vec<&String> = left.iter().filter(|i| i.starts_with("done")).collect();
        assert_eq!(done, ["done-6", "done-7", "done-8", "done-9"]);
        assert_eq!(left.len(), 14, "every queued message stays");
        // 25 bytes of history: the two newest texts (10 bytes each) fit, a third not.
        prune(&conn, 2, &limits(30, 100, 25)).expect("prune");
        let done: Vec<String> = ids(&conn)
            .into_iter()
            .filter(|i| i.starts_with("done"))
            .collect();
        assert_eq!(done, ["done-8", "done-9"]);
    }
}
