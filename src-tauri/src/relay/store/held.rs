//! The held state of queued messages in SQLite: `held_since` (a column added to
//! older databases at open) and ending a message that was never typed (discarded
//! on the desktop, cancelled from the phone). Only `queued` rows are touched, so a
//! message that got delivered meanwhile is never rewritten.

use rusqlite::{params, Connection};

/// Add `held_since` to a database created before it existed.
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'held_since'")?
        .exists([])?;
    if !has {
        conn.execute_batch("ALTER TABLE messages ADD COLUMN held_since INTEGER")?;
    }
    Ok(())
}

/// Record that these queued messages are held since `at`.
pub(super) fn mark_held(conn: &Connection, ids: &[String], at: i64) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(
        "UPDATE messages SET held_since = ?2 WHERE id = ?1 AND status = 'queued'",
    )?;
    let mut n = 0;
    for id in ids {
        n += stmt.execute(params![id, at])?;
    }
    Ok(n)
}

/// "Type now": the message is no longer held. Whether it was.
pub(super) fn clear_held(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE messages SET held_since = NULL \
             WHERE id = ?1 AND status = 'queued' AND held_since IS NOT NULL",
        )?
        .execute([id])?
        == 1)
}

/// End a queued message as `failed` with `reason`. Whether it was still queued.
pub(super) fn fail_queued(
    conn: &Connection,
    id: &str,
    reason: &str,
    at: i64,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "UPDATE messages SET status = 'failed', failed_at = ?3, error = ?2, held_since = NULL \
             WHERE id = ?1 AND status = 'queued'",
        )?
        .execute(params![id, reason, at])?
        == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_database_gains_the_column_and_only_queued_rows_change() {
        let conn = Connection::open_in_memory().expect("db");
        conn.execute_batch(super::super::sql::SCHEMA)
            .expect("schema");
        migrate(&conn).expect("migrate");
        migrate(&conn).expect("twice is fine");
        conn.execute_batch(
            "INSERT INTO messages (id, device_id, text, timestamp, status, created_at) \
             VALUES ('a', 'desk', 'x', 1, 'queued', 1), ('b', 'desk', 'y', 1, 'injected', 1)",
        )
        .expect("rows");
        assert_eq!(
            mark_held(&conn, &["a".into(), "b".into()], 5).expect("held"),
            1
        );
        assert!(clear_held(&conn, "a").expect("clear"));
        assert!(!clear_held(&conn, "a").expect("not held any more"));
        assert!(fail_queued(&conn, "a", "cancelled from the phone", 9).expect("fail"));
        assert!(!fail_queued(&conn, "a", "again", 10).expect("once"));
        assert!(!fail_queued(&conn, "b", "typed already", 10).expect("typed"));
        let error: String = conn
            .query_row("SELECT error FROM messages WHERE id = 'a'", [], |r| {
                r.get(0)
            })
            .expect("row");
        assert_eq!(error, "cancelled from the phone");
    }
}
