//! The store stays bounded, on a real relay over loopback with real SQLite: the
//! issue's repro (many made-up devices, many big ACKed messages) no longer grows the
//! database and its WAL without end; retention prunes delivered history only, never
//! a queued message; a hit cap answers 429 or 507 and leaves a sound store that
//! still holds everything it accepted.

mod common;

use std::path::Path;

use common::*;
use saytype::config::StorageLimits;
use serde_json::json;

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn big_text(i: usize) -> String {
    // About 30 KB, as in the repro (10,000 characters of 3 bytes each).
    format!("{i} {}", "語".repeat(9_990))
}

async fn relay_with(storage: StorageLimits) -> TestRelay {
    TestRelay::with(Options {
        storage,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn made_up_devices_and_big_acked_messages_stay_bounded() {
    let relay = relay_with(StorageLimits {
        history_messages: 100,
        history_bytes: 2 * 1024 * 1024,
        ..StorageLimits::default()
    })
    .await;
    let mut agents = Vec::new();
    for i in 0..40 {
        agents.push(Agent::register(&relay, &format!("made-up-{i}")).await.0);
    }
    // 800 messages of 30 KB (24 MB of text), each ACKed.
    for i in 0..800 {
        let a = i % agents.len();
        let (r, _) = agents[a]
            .ack_while(relay.post(json!({"text": big_text(i), "deviceId": format!("made-up-{a}")})))
            .await;
        assert_eq!(r.status, 200);
    }
    relay.state().store().flush().await;
    let db = relay.dir.path().join("saytype.db");
    let wal = relay.dir.path().join("saytype.db-wal");
    // History is pruned to its caps (plus what arrives between two prunes): the
    // database holds a few MB, not 24.
    assert!(
        file_len(&db) < 8 * 1024 * 1024,
        "database {} bytes",
        file_len(&db)
    );
    // The WAL is reset once it passes 8 MiB, and truncated to 4 MiB when it
    // starts over.
    eventually("a small WAL", || async {
        file_len(&wal) <= 9 * 1024 * 1024
    })
    .await;
}

#[tokio::test]
async fn retention_prunes_delivered_history_and_never_a_queued_message() {
    let relay = relay_with(StorageLimits {
        history_messages: 5,
        ..StorageLimits::default()
    })
    .await;
    // "laptop" registers once and goes away: its messages stay queued.
    drop(Agent::register(&relay, "laptop").await);
    eventually("laptop offline", || async { !relay.is_online("laptop") }).await;
    let mut queued = Vec::new();
    for i in 0..20 {
        let r = relay
            .post(json!({"text": format!("queued {i}"), "deviceId": "laptop", "id": format!("q-{i}")}))
            .await;
        assert_eq!(r.json().expect("json")["status"], "queued");
        queued.push(format!("q-{i}"));
    }
    // "desk" takes and ACKs 30 others.
    let (mut desk, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    for i in 0..30 {
        let (r, _) = desk
            .ack_while(relay.post(json!({"text": format!("done {i}"), "id": format!("d-{i}")})))
            .await;
        assert_eq!(r.json().expect("json")["status"], "delivered");
    }
    relay.state().store().flush().await;
    relay
        .state()
        .store()
        .prune(saytype::protocol::now_ms())
        .await
        .expect("prune");
    // The five newest delivered ones are kept, the older ones are gone.
    for i in 0..30 {
        let r = relay.get(&format!("/transcription/d-{i}")).await;
        assert_eq!(r.status, if i >= 25 { 200 } else { 404 }, "d-{i}");
    }
    // Every queued message is still there, and still goes out.
    for id in &queued {
        assert_eq!(relay.status_of(id).await["status"], "queued", "{id}");
    }
    let (mut laptop, registered) = Agent::register(&relay, "laptop").await;
    assert_eq!(registered["queued"], 20);
    let got = laptop.take_transcriptions(20).await;
    assert_eq!(got.len(), 20);
}

#[tokio::test]
async fn queued_bytes_caps_answer_429_per_device_and_507_in_all() {
    let one = 30_000 + 100; // a 30 KB text in its frame
    let relay = relay_with(StorageLimits {
        queued_bytes_per_device: 3 * one,
        queued_bytes_total: 5 * one,
        ..StorageLimits::default()
    })
    .await;
    drop(Agent::register(&relay, "laptop").await);
    eventually("laptop offline", || async { !relay.is_online("laptop") }).await;
    let post = |i: usize, device: &'static str| {
        relay.post(json!({"text": big_text(i), "deviceId": device, "id": format!("{device}-{i}")}))
    };
    for i in 0..3 {
        assert_eq!(post(i, "laptop").await.status, 200);
    }
    let full = post(3, "laptop").await;
    assert_eq!(full.status, 429);
    assert_eq!(full.json().expect("json")["error"]["code"], "QUEUE_FULL");
    // The default device has room of its own, until all queues together are full.
    assert_eq!(post(10, "desk").await.status, 200);
    assert_eq!(post(11, "desk").await.status, 200);
    let full = post(12, "desk").await;
    assert_eq!(full.status, 507);
    assert_eq!(full.json().expect("json")["error"]["code"], "STORAGE_FULL");
    // A retry of a stored message is still answered.
    assert_eq!(post(2, "laptop").await.status, 200);
    // An agent taking its messages frees the room.
    let (mut desk, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(
        desk.ack_all(std::time::Duration::from_millis(300))
            .await
            .len(),
        2
    );
    eventually("room again", || async {
        post(12, "desk").await.status == 200
    })
    .await;
}

#[tokio::test]
async fn a_full_database_answers_507_and_keeps_everything_it_accepted() {
    let relay = relay_with(StorageLimits {
        max_db_bytes: 1024 * 1024,
        ..StorageLimits::default()
    })
    .await;
    let mut accepted = Vec::new();
    let mut refused = None;
    for i in 0..200 {
        let id = format!("m-{i}");
        let r = relay.post(json!({"text": big_text(i), "id": id})).await;
        if r.status == 200 {
            accepted.push(id);
        } else {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.expect("the ceiling was reached");
    assert_eq!(refused.status, 507);
    assert_eq!(
        refused.json().expect("json")["error"]["code"],
        "STORAGE_FULL"
    );
    assert!(accepted.len() > 5, "{} accepted", accepted.len());
    // The relay still works, and still has every message it accepted.
    assert_eq!(relay.get("/health").await.status, 200);
    let dir = relay.stop().await;
    let relay = TestRelay::on_dir(dir, Options::default()).await;
    for id in &accepted {
        assert_eq!(relay.status_of(id).await["status"], "queued", "{id}");
    }
    let db = relay.dir.path().join("saytype.db");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
}

#[tokio::test]
async fn made_up_devices_are_forgotten_past_the_cap_but_not_those_with_messages() {
    let relay = relay_with(StorageLimits {
        max_known_devices: 5,
        ..StorageLimits::default()
    })
    .await;
    // "keeper" has a message waiting: it stays whatever comes after.
    drop(Agent::register(&relay, "keeper").await);
    eventually("keeper offline", || async { !relay.is_online("keeper") }).await;
    let r = relay
        .post(json!({"text": "for later", "deviceId": "keeper", "id": "k-1"}))
        .await;
    assert_eq!(r.status, 200);
    for i in 0..30 {
        let (agent, _) = Agent::register(&relay, &format!("made-up-{i}")).await;
        drop(agent);
        let name = format!("made-up-{i}");
        eventually("offline", || async { !relay.is_online(&name) }).await;
    }
    let devices = relay.devices().await;
    let names: Vec<&str> = devices
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d["deviceId"].as_str())
        .collect();
    assert!(names.len() <= 6, "{names:?}");
    assert!(names.contains(&"keeper"), "{names:?}");
    assert!(names.contains(&"made-up-29"), "the newest stays: {names:?}");
    // Forgotten in the store too: a restart remembers no more of them.
    let dir = relay.stop().await;
    let relay = TestRelay::on_dir(
        dir,
        Options {
            storage: StorageLimits {
                max_known_devices: 5,
                ..StorageLimits::default()
            },
            ..Options::default()
        },
    )
    .await;
    let after = relay.devices().await;
    assert!(after.as_array().map_or(0, Vec::len) <= 6, "{after}");
    assert_eq!(relay.status_of("k-1").await["status"], "queued");
}
