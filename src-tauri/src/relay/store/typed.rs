//! What an agent typed for a message when it is not the text as dictated (voice
//! commands, a joining space): the column `typed`, added to older databases at
//! open. The migration looks at the schema itself, not at `user_version`, so it
//! is right whatever other migrations ran before or after it, and runs any
//! number of times.

use rusqlite::{params, Connection};

use crate::protocol::DeviceId;

/// Add `typed` to a database created before it existed.
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has: bool = conn
        .prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'typed'")?
        .exists([])?;
    if !has {
        conn.execute_batch("ALTER TABLE messages ADD COLUMN typed TEXT")?;
    }
    Ok(())
}

/// Record what went in for one of `device`'s messages (with its result).
pub(super) fn mark_typed(
    conn: &Connection,
    id: &str,
    device: &DeviceId,
    typed: &str,
) -> rusqlite::Result<usize> {
    conn.prepare_cached("UPDATE messages SET typed = ?3 WHERE id = ?1 AND device_id = ?2")?
        .execute(params![id, device.as_str(), typed])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_database_gets_the_column_once_and_keeps_its_rows() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(super::super::sql::SCHEMA)
            .expect("schema");
        conn.execute(
            "INSERT INTO messages (id, device_id, text, timestamp, status, created_at) \
             VALUES ('m1', 'desk', 'hello new line', 0, 'delivered', 1)",
            [],
        )
        .expect("insert");
        // Whatever user_version another migration left.
        conn.execute_batch("PRAGMA user_version = 7")
            .expect("version");
        migrate(&conn).expect("migrate");
        migrate(&conn).expect("twice is fine");
        let desk = DeviceId::parse("desk").expect("device");
        assert_eq!(mark_typed(&conn, "m1", &desk, "hello\n").expect("mark"), 1);
        let other = DeviceId::parse("other").expect("device");
        assert_eq!(mark_typed(&conn, "m1", &other, "x").expect("not its"), 0);
        let typed: String = conn
            .query_row("SELECT typed FROM messages WHERE id = 'm1'", [], |r| {
                r.get(0)
            })
            .expect("row");
        assert_eq!(typed, "hello\n");
    }
}
