//! History retention: finished messages (delivered, injected, failed) are kept for
//! a number of days, up to a number of messages and of text bytes, newest first.
//! Queued messages are never pruned: they were accepted and are still owed to an
//! agent (their number and bytes are capped when they are accepted instead).

use rusqlite::{Connection, OptionalExtension};

use crate::config::StorageLimits;

/// Run the prune after this many inserts (and once at startup): history then
/// exceeds its caps by at most this many messages.
pub(super) const PRUNE_EVERY: usize = 64;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The size of the history (finished messages: count and text bytes), kept up to
/// date by triggers on this connection, so that a prune costs what it deletes rather
/// than a scan of the whole history. (Scanning 10,000 messages every 64 inserts cost
/// more CPU than everything else a message does: 80 µs per message, issue 14.) TEMP:
/// nothing changes on disk, and each open counts once from the table itself.
const TRACK: &str = "
CREATE TEMP TABLE IF NOT EXISTS history_size (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    messages INTEGER NOT NULL,
    bytes INTEGER NOT NULL
);
DELETE FROM temp.history_size;
INSERT INTO temp.history_size
    SELECT 1, COUNT(*), COALESCE(SUM(length(CAST(text AS BLOB))), 0)
    FROM main.messages WHERE status != 'queued';
CREATE TEMP TRIGGER IF NOT EXISTS history_size_insert AFTER INSERT ON main.messages
WHEN NEW.status != 'queued' BEGIN
    UPDATE temp.history_size SET messages = messages + 1,
        bytes = bytes + length(CAST(NEW.text AS BLOB));
END;
CREATE TEMP TRIGGER IF NOT EXISTS history_size_delete AFTER DELETE ON main.messages
WHEN OLD.status != 'queued' BEGIN
    UPDATE temp.history_size SET messages = messages - 1,
        bytes = bytes - length(CAST(OLD.text AS BLOB));
END;
CREATE TEMP TRIGGER IF NOT EXISTS history_size_update AFTER UPDATE OF status, text ON main.messages
WHEN (OLD.status = 'queued') != (NEW.status = 'queued') OR OLD.text IS NOT NEW.text BEGIN
    UPDATE temp.history_size SET
        messages = messages + (NEW.status != 'queued') - (OLD.status != 'queued'),
        bytes = bytes + (NEW.status != 'queued') * length(CAST(NEW.text AS BLOB))
                      - (OLD.status != 'queued') * length(CAST(OLD.text AS BLOB));
END;
";

/// Start tracking the history's size on `conn` (the store's writing connection);
/// [`prune`] needs it.
pub(super) fn track(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(TRACK)
}

/// Delete the finished messages beyond the retention of `limits`, oldest first;
/// how many went. Each step reads only what it deletes (and one row more).
pub(super) fn prune(
    conn: &Connection,
    now: i64,
    limits: &StorageLimits,
) -> rusqlite::Result<usize> {
    let cutoff = now.saturating_sub(i64::from(limits.history_days).saturating_mul(DAY_MS));
    // Messages are stored in the order they arrive, so the oldest finished one
    // expires first: only when it has expired is the history searched for the
    // others (an index on the age instead cost every ACK an index write).
    let oldest: Option<i64> = conn
        .prepare_cached(
            "SELECT created_at FROM messages WHERE status != 'queued' ORDER BY seq LIMIT 1",
        )?
        .query_row([], |r| r.get(0))
        .optional()?;
    let mut gone = 0;
    if oldest.is_some_and(|at| at < cutoff) {
        gone += conn
            .prepare_cached("DELETE FROM messages WHERE status != 'queued' AND created_at < ?1")?
            .execute([cutoff])?;
    }
    let (messages, bytes) = size(conn)?;
    let excess = messages - i64::from(limits.history_messages);
    if excess > 0 {
        gone += conn
            .prepare_cached(
                "DELETE FROM messages WHERE seq IN (SELECT seq FROM messages \
                 WHERE status != 'queued' ORDER BY seq LIMIT ?1)",
            )?
            .execute([excess])?;
    }
    let (_, bytes_after) = if excess > 0 {
        size(conn)?
    } else {
        (messages, bytes)
    };
    let excess_bytes = bytes_after - i64::try_from(limits.history_bytes).unwrap_or(i64::MAX);
    if excess_bytes > 0 {
        // The newest messages whose texts fit stay: delete from the oldest until
        // what went covers the excess.
        let mut last = None;
        let mut freed = 0i64;
        let mut oldest = conn.prepare_cached(
            "SELECT seq, length(CAST(text AS BLOB)) FROM messages \
             WHERE status != 'queued' ORDER BY seq",
        )?;
        let mut rows = oldest.query([])?;
        while let Some(row) = rows.next()? {
            if freed >= excess_bytes {
                break;
            }
            last = Some(row.get::<_, i64>(0)?);
            freed += row.get::<_, i64>(1)?;
        }
        drop(rows);
        if let Some(last) = last {
            gone += conn
                .prepare_cached("DELETE FROM messages WHERE status != 'queued' AND seq <= ?1")?
                .execute([last])?;
        }
    }
    Ok(gone)
}

/// The history's size as the triggers of [`track`] keep it: (messages, bytes).
fn size(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.prepare_cached("SELECT messages, bytes FROM temp.history_size")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
}

/// Forget a device the registry forgot (its history rows keep its name).
pub(super) fn forget_device(conn: &Connection, device: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM devices WHERE device_id = ?1")?
        .execute([device])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(super::super::sql::SCHEMA)
            .expect("schema");
        super::super::sql::migrate(&conn).expect("migrate");
        track(&conn).expect("track");
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

    #[test]
    fn the_tracked_size_follows_inserts_status_changes_and_deletes() {
        let conn = db();
        let recount = |conn: &Connection| -> (i64, i64) {
            conn.query_row(
                "SELECT COUNT(*), COALESCE(SUM(length(CAST(text AS BLOB))), 0) \
                 FROM messages WHERE status != 'queued'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("recount")
        };
        add(&conn, "a", "queued", 1, "héllo");
        add(&conn, "b", "injected", 1, "0123456789");
        add(&conn, "c", "queued", 1, "xyz");
        assert_eq!(size(&conn).expect("size"), (1, 10));
        let set = |sql: &str| conn.execute(sql, []).expect("update");
        set("UPDATE messages SET status = 'delivered', delivered_at = 2 WHERE id = 'a'");
        set("UPDATE messages SET status = 'injected' WHERE id = 'a'");
        set("UPDATE messages SET status = 'failed' WHERE id = 'c'");
        set("UPDATE messages SET status = 'queued' WHERE id = 'b'");
        assert_eq!(size(&conn).expect("size"), recount(&conn));
        set("DELETE FROM messages WHERE id = 'a'");
        assert_eq!(size(&conn).expect("size"), recount(&conn));
        assert_eq!(size(&conn).expect("size"), (1, 3));
        // Counted again from the table when a connection starts tracking.
        track(&conn).expect("track again");
        assert_eq!(size(&conn).expect("size"), (1, 3));
    }
}
