//! The SQL of the store, as plain functions over a connection or transaction: the
//! schema, each query, and the snapshot read at startup. No threads, no async, so
//! each is tested on an in-memory database below.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{HistoryQuery, InsertOutcome, NewMessage, Snapshot, StoreError, StoredMessage};
use crate::protocol::ui::HistoryItem;
use crate::protocol::ws::Target;
use crate::protocol::{DeviceId, MessageId, MessageView, Status};
use crate::relay::registry::QueuedMessage;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq          INTEGER PRIMARY KEY,
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

/// The columns of [`message_view`], in its order.
const VIEW_COLUMNS: &str =
    "id, device_id, status, created_at, delivered_at, injected_at, error, held_since, target";

/// Migration 2: the window a message went into (`target`, JSON of
/// [`Target`]), on databases made before it.
pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has_target = conn
        .prepare("SELECT 1 FROM pragma_table_info('messages') WHERE name = 'target'")?
        .exists([])?;
    if !has_target {
        conn.execute_batch(
            "ALTER TABLE messages ADD COLUMN target TEXT; PRAGMA user_version = 2;",
        )?;
    }
    Ok(())
}

/// A target column: JSON written by [`mark_result`]; unreadable shows as none.
fn target(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Target>> {
    let json: Option<String> = r.get(i)?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

/// Read a status column; a value this build does not know shows as failed.
fn status(r: &Row<'_>, i: usize) -> rusqlite::Result<Status> {
    let s: String = r.get(i)?;
    Ok(Status::parse(&s).unwrap_or(Status::Failed))
}

/// A [`MessageView`] from the [`VIEW_COLUMNS`] starting at column `at`.
fn message_view(r: &Row<'_>, at: usize) -> rusqlite::Result<MessageView> {
    let status = status(r, at + 2)?;
    // Held only while queued (the column is cleared when it ends, but be sure).
    let held_since: Option<i64> = r.get(at + 7)?;
    let held_since = held_since.filter(|_| status == Status::Queued);
    Ok(MessageView {
        id: r.get(at)?,
        device_id: r.get(at + 1)?,
        status,
        created_at: r.get(at + 3)?,
        delivered_at: r.get(at + 4)?,
        injected_at: r.get(at + 5)?,
        error: r.get(at + 6)?,
        held: held_since.is_some(),
        held_since,
        target: target(r, at + 8)?,
    })
}

/// Store a new message as `queued`, or return the one that already has its id.
pub(super) fn insert(conn: &Connection, msg: &NewMessage) -> Result<InsertOutcome, StoreError> {
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
        Some(existing) => Ok(InsertOutcome::Existing(Box::new(existing))),
        // Only possible if the row was deleted between the two statements.
        None => Err(StoreError::Vanished(msg.id.to_string())),
    }
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<StoredMessage>, StoreError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT text, {VIEW_COLUMNS} FROM messages WHERE id = ?1"
        ))?
        .query_row([id], |r| {
            Ok(StoredMessage {
                text: r.get(0)?,
                view: message_view(r, 1)?,
            })
        })
        .optional()?;
    Ok(found)
}

pub(super) fn history(conn: &Connection, q: &HistoryQuery) -> Result<Vec<HistoryItem>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT seq, text, failed_at, typed, {VIEW_COLUMNS} FROM messages \
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR id = ?2) AND (?3 IS NULL OR seq < ?3) \
         ORDER BY seq DESC LIMIT ?4"
    ))?;
    let rows = stmt.query_map(
        params![
            q.status.map(Status::as_str),
            q.id,
            q.before,
            q.limit.clamp(1, 1_000)
        ],
        |r| {
            Ok(HistoryItem {
                seq: r.get(0)?,
                text: r.get(1)?,
                failed_at: r.get(2)?,
                typed: r.get(3)?,
                message: message_view(r, 4)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Remove one message; its device and status if it existed.
pub(super) fn delete(conn: &Connection, id: &str) -> Result<Option<(String, Status)>, StoreError> {
    let found = conn
        .prepare_cached("DELETE FROM messages WHERE id = ?1 RETURNING device_id, status")?
        .query_row([id], |r| Ok((r.get::<_, String>(0)?, status(r, 1)?)))
        .optional()?;
    Ok(found)
}

/// Remove every message that is no longer queued; how many went.
pub(super) fn clear_finished(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM messages WHERE status != 'queued'", [])?)
}

/// An ACK from the device's agent, for one of that device's queued messages.
pub(super) fn mark_delivered(
    conn: &Connection,
    id: &str,
    device: &DeviceId,
    at: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "UPDATE messages SET status = 'delivered', delivered_at = ?3 \
         WHERE id = ?1 AND device_id = ?2 AND status = 'queued'",
    )?
    .execute(params![id, device.as_str(), at])
}

/// An agent's `result` for one of its own messages (which implies its delivery).
pub(super) fn mark_result(
    conn: &Connection,
    id: &str,
    device: &DeviceId,
    status: Status,
    error: Option<&str>,
    target: Option<&Target>,
    at: i64,
) -> rusqlite::Result<usize> {
    let target = target.and_then(|t| serde_json::to_string(t).ok());
    let (injected_at, failed_at) = match status {
        Status::Injected => (Some(at), None),
        _ => (None, Some(at)),
    };
    conn.prepare_cached(
        "UPDATE messages SET status = ?3, injected_at = ?4, failed_at = ?5, \
         error = ?6, delivered_at = COALESCE(delivered_at, ?7), target = ?8 \
         WHERE id = ?1 AND device_id = ?2 AND status IN ('queued', 'delivered')",
    )?
    .execute(params![
        id,
        device.as_str(),
        status.as_str(),
        injected_at,
        failed_at,
        error,
        at,
        target
    ])
}

/// A device registered or went away: remember it (and when) across restarts.
pub(super) fn touch_device(
    conn: &Connection,
    device: &DeviceId,
    at: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO devices (device_id, first_seen, last_seen) VALUES (?1, ?2, ?2) \
         ON CONFLICT(device_id) DO UPDATE SET last_seen = ?2",
    )?
    .execute(params![device.as_str(), at])
}

/// What the relay needs at startup: known devices and every queued message.
pub(super) fn snapshot(conn: &Connection) -> Result<Snapshot, StoreError> {
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
        "SELECT device_id, id, text, timestamp, created_at, held_since FROM messages \
         WHERE status = 'queued' ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, Option<i64>>(5)?,
        ))
    })?;
    for row in rows {
        let (device, id, text, timestamp, created_at, held_since) = row?;
        if let (Some(device), Some(id)) = (DeviceId::parse(&device), MessageId::parse(&id)) {
            let mut msg = QueuedMessage::new(id, &text, timestamp).accepted_at(created_at);
            msg.held_since = held_since;
            snapshot.queued.push((device, msg));
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch(SCHEMA).expect("schema");
        super::super::held::migrate(&conn).expect("held_since");
        migrate(&conn).expect("migrate");
        super::super::typed::migrate(&conn).expect("typed");
        conn
    }

    fn dev(s: &str) -> DeviceId {
        DeviceId::parse(s).expect("device")
    }

    fn new_msg(id: &str, device: &str, text: &str) -> NewMessage {
        NewMessage {
            id: MessageId::parse(id).expect("id"),
            device_id: dev(device),
            text: text.into(),
            timestamp: 7,
            created_at: 8,
        }
    }

    fn all(conn: &Connection) -> Vec<HistoryItem> {
        let q = HistoryQuery {
            limit: 10,
            ..HistoryQuery::default()
        };
        history(conn, &q).expect("list")
    }

    #[test]
    fn insert_is_idempotent_and_keeps_the_first_text() {
        let conn = db();
        let first = insert(&conn, &new_msg("m1", "desk", "hello")).expect("insert");
        assert_eq!(first, InsertOutcome::Inserted);
        let again = insert(&conn, &new_msg("m1", "desk", "other")).expect("insert");
        let InsertOutcome::Existing(existing) = again else {
            panic!("expected the existing message");
        };
        assert_eq!(existing.text, "hello");
        assert_eq!(existing.view.status, Status::Queued);
        assert_eq!(existing.view.created_at, 8);
    }

    #[test]
    fn the_lifecycle_is_recorded_for_the_owning_device_only() {
        let conn = db();
        insert(&conn, &new_msg("m1", "desk", "a")).expect("insert");
        insert(&conn, &new_msg("m2", "desk", "b")).expect("insert");
        assert_eq!(mark_delivered(&conn, "m1", &dev("desk"), 10).ok(), Some(1));
        assert_eq!(mark_delivered(&conn, "m1", &dev("desk"), 11).ok(), Some(0));
        mark_result(&conn, "m1", &dev("desk"), Status::Injected, None, None, 12).expect("result");
        let changed = mark_result(
            &conn,
            "m2",
            &dev("intruder"),
            Status::Failed,
            None,
            None,
            13,
        );
        assert_eq!(changed.ok(), Some(0));
        let m1 = get(&conn, "m1").expect("get").expect("exists").view;
        assert_eq!(m1.status, Status::Injected);
        assert_eq!((m1.delivered_at, m1.injected_at), (Some(10), Some(12)));
        // A result without an ACK still dates the delivery.
        mark_result(
            &conn,
            "m2",
            &dev("desk"),
            Status::Failed,
            Some("boom"),
            None,
            14,
        )
        .expect("r");
        let m2 = get(&conn, "m2").expect("get").expect("exists").view;
        assert_eq!(
            (m2.delivered_at, m2.error.as_deref()),
            (Some(14), Some("boom"))
        );
        assert_eq!(get(&conn, "nope").expect("get"), None);
    }

    #[test]
    fn the_target_is_kept_and_an_older_database_gets_its_column() {
        let conn = db();
        migrate(&conn).expect("a second run changes nothing");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, 2);
        insert(&conn, &new_msg("t1", "desk", "hi")).expect("ins");
        let into = Target {
            app: "firefox".into(),
            title: Some("Inbox".into()),
            method: Some("typed".into()),
        };
        mark_result(
            &conn,
            "t1",
            &dev("desk"),
            Status::Injected,
            None,
            Some(&into),
            9,
        )
        .expect("r");
        let got = get(&conn, "t1").expect("get").expect("exists");
        assert_eq!(got.view.target.as_ref(), Some(&into));
        assert_eq!(got.text, "hi");
        assert_eq!(all(&conn)[0].message.target.as_ref(), Some(&into));
    }

    #[test]
    fn history_filters_pages_deletes_and_clears() {
        let conn = db();
        for i in 0..5 {
            insert(
                &conn,
                &new_msg(&format!("h{i}"), "desk", &format!("text {i}")),
            )
            .expect("ins");
        }
        mark_result(
            &conn,
            "h1",
            &dev("desk"),
            Status::Failed,
            Some("boom"),
            None,
            9,
        )
        .expect("r");
        let rows = all(&conn);
        let ids: Vec<&str> = rows.iter().map(|h| h.message.id.as_str()).collect();
        assert_eq!(ids, ["h4", "h3", "h2", "h1", "h0"], "newest first");
        assert_eq!(
            (rows[3].text.as_str(), rows[3].failed_at),
            ("text 1", Some(9))
        );
        let failed = HistoryQuery {
            status: Some(Status::Failed),
            limit: 10,
            ..HistoryQuery::default()
        };
        assert_eq!(history(&conn, &failed).expect("list").len(), 1);
        let page = HistoryQuery {
            before: Some(rows[1].seq),
            limit: 2,
            ..HistoryQuery::default()
        };
        let page: Vec<String> = history(&conn, &page)
            .expect("list")
            .into_iter()
            .map(|h| h.message.id)
            .collect();
        assert_eq!(page, ["h2", "h1"]);
        assert_eq!(
            delete(&conn, "h0").expect("delete"),
            Some(("desk".into(), Status::Queued))
        );
        assert_eq!(delete(&conn, "h0").expect("delete"), None);
        assert_eq!(
            clear_finished(&conn).expect("clear"),
            1,
            "only the failed one"
        );
        assert_eq!(all(&conn).len(), 3);
    }

    #[test]
    fn the_snapshot_has_known_devices_and_queued_messages_in_order() {
        let conn = db();
        touch_device(&conn, &dev("desk"), 5).expect("touch");
        touch_device(&conn, &dev("desk"), 13).expect("touch");
        for id in ["q1", "q2", "q3"] {
            insert(&conn, &new_msg(id, "desk", "x")).expect("insert");
        }
        mark_delivered(&conn, "q2", &dev("desk"), 9).expect("ack");
        let snap = snapshot(&conn).expect("snapshot");
        assert_eq!(snap.devices, [(dev("desk"), Some(13))]);
        let queued: Vec<&str> = snap.queued.iter().map(|(_, m)| m.id.as_str()).collect();
        assert_eq!(queued, ["q1", "q3"]);
    }
}
