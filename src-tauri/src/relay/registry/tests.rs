//! The registry's unit tests (a file of their own: mod.rs stays the logic).
use super::*;
use crate::protocol::MessageId;
use tokio::sync::mpsc;

fn dev(s: &str) -> DeviceId {
    DeviceId::parse(s).expect("valid id")
}

fn msg(id: &str) -> QueuedMessage {
    QueuedMessage::new(MessageId::parse(id).expect("valid id"), "hello", 1)
}

fn drain(rx: &mut mpsc::UnboundedReceiver<Outbound>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(o) = rx.try_recv() {
        out.push(match o {
            Outbound::Text(t) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json frame");
                match v["type"].as_str() {
                    Some("transcription") => v["id"].as_str().unwrap_or("?").to_owned(),
                    Some(t) => format!("<{t}:{}>", v["queued"]),
                    None => "?".into(),
                }
            }
            Outbound::Close(code, _) => format!("close {code}"),
        });
    }
    out
}

fn enqueue(r: &mut Registry, d: &DeviceId, id: &str) -> Option<oneshot::Receiver<bool>> {
    let m = msg(id);
    r.reserve(d, m.frame.len()).expect("room");
    r.enqueue(d, m)
}

#[test]
fn offline_messages_wait_and_go_out_in_order_on_register() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 10);
    assert!(enqueue(&mut r, &d, "a").is_none());
    assert!(enqueue(&mut r, &d, "b").is_none());
    let (tx, mut rx) = mpsc::unbounded_channel();
    r.register(&d, tx, 5, false).expect("registers");
    assert_eq!(drain(&mut rx), ["<registered:2>", "a", "b"]);
    assert!(enqueue(&mut r, &d, "c").is_some());
    assert_eq!(drain(&mut rx), ["c"]);
    assert_eq!(r.queued_len(&d), 3);
    assert!(r.ack(&d, "b"));
    assert!(!r.ack(&d, "b"), "a repeated ack changes nothing");
    assert_eq!(r.queued_len(&d), 2);
}

#[test]
fn ack_completes_the_wait_and_disconnect_fails_it() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 10);
    let (tx, _rx) = mpsc::unbounded_channel();
    let conn = r.register(&d, tx, 0, false).expect("registers");
    let mut first = enqueue(&mut r, &d, "a").expect("sent");
    let mut second = enqueue(&mut r, &d, "b").expect("sent");
    assert!(r.ack(&d, "a"));
    assert_eq!(first.try_recv(), Ok(true));
    r.unregister(&d, conn, 9);
    assert_eq!(second.try_recv(), Ok(false));
    assert!(!r.is_online(&d));
    // The unACKed message is still first in line for the next connection.
    let (tx, mut rx) = mpsc::unbounded_channel();
    r.register(&d, tx, 10, false).expect("registers again");
    assert_eq!(drain(&mut rx), ["<registered:1>", "b"]);
}

#[test]
fn a_live_duplicate_is_refused_without_disturbing_the_first() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 10);
    let (tx1, mut rx1) = mpsc::unbounded_channel();
    let conn1 = r.register(&d, tx1, 0, false).expect("registers");
    let mut wait = enqueue(&mut r, &d, "a").expect("sent");
    let (tx2, mut rx2) = mpsc::unbounded_channel();
    assert_eq!(r.register(&d, tx2, 1, false), Err(RegisterError::Duplicate));
    assert!(drain(&mut rx2).is_empty());
    assert_eq!(drain(&mut rx1), ["<registered:0>", "a"]);
    assert!(
        wait.try_recv().is_err(),
        "the first agent's ack wait is intact"
    );
    assert!(enqueue(&mut r, &d, "b").is_some());
    assert_eq!(drain(&mut rx1), ["b"]);
    // A stale unregister from the refused connection must not touch the first.
    r.unregister(&d, ConnId(999), 2);
    assert!(r.is_online(&d));
    assert!(r.ack(&d, "a"));
    assert_eq!(wait.try_recv(), Ok(true));
    r.unregister(&d, conn1, 3);
    assert!(!r.is_online(&d));
}

#[test]
fn an_agent_that_missed_a_pong_is_replaced() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 10);
    let (tx1, mut rx1) = mpsc::unbounded_channel();
    let conn1 = r.register(&d, tx1, 0, false).expect("registers");
    let mut wait = enqueue(&mut r, &d, "a").expect("sent");
    assert_eq!(r.heartbeat_tick(&d, conn1), Beat::Ping);
    assert_eq!(r.heartbeat_tick(&d, conn1), Beat::Ping); // one missed
    let (tx2, mut rx2) = mpsc::unbounded_channel();
    let conn2 = r.register(&d, tx2, 1, false).expect("replaces");
    assert_ne!(conn1, conn2);
    assert_eq!(drain(&mut rx1), ["<registered:0>", "a", "close 4000"]);
    assert_eq!(wait.try_recv(), Ok(false));
    assert_eq!(drain(&mut rx2), ["<registered:1>", "a"]);
    // The old task's late unregister leaves the newcomer in place.
    r.unregister(&d, conn1, 2);
    assert!(r.is_online(&d));
    assert_eq!(r.heartbeat_tick(&d, conn1), Beat::Terminate);
}

#[test]
fn a_dead_connection_task_does_not_block_a_newcomer() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 10);
    let (tx1, rx1) = mpsc::unbounded_channel();
    r.register(&d, tx1, 0, false).expect("registers");
    drop(rx1);
    let (tx2, _rx2) = mpsc::unbounded_channel();
    assert!(r.register(&d, tx2, 1, false).is_ok());
}

#[test]
fn queue_cap_counts_reservations() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 2);
    r.reserve(&d, 0).expect("room");
    r.reserve(&d, 0).expect("room");
    assert_eq!(r.reserve(&d, 0), Err(QueueFull::Messages(2)));
    r.release(&d, 0);
    assert!(r.enqueue(&d, msg("a")).is_none());
    r.reserve(&d, 0).expect("room again");
    assert!(r.enqueue(&d, msg("b")).is_none());
    assert_eq!(r.reserve(&d, 0), Err(QueueFull::Messages(2)));
    assert!(r.ack(&d, "a"));
    assert!(r.reserve(&d, 0).is_ok());
}

#[test]
fn queued_bytes_are_capped_and_given_back() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 100);
    let one = msg("a").frame.len();
    r.set_byte_caps(ByteCaps {
        per_device: 2 * one,
        total: usize::MAX,
    });
    for id in ["a", "b"] {
        let m = msg(id);
        r.reserve(&d, m.frame.len()).expect("room");
        r.enqueue(&d, m);
    }
    assert_eq!(r.reserve(&d, one), Err(QueueFull::DeviceBytes(2 * one)));
    assert!(r.ack(&d, "a"));
    r.reserve(&d, one).expect("room after an ACK");
    r.release(&d, one);
    assert!(r.remove(&d, "b"));
    r.reserve(&d, 2 * one).expect("room after a removal");
}

#[test]
fn routing_and_device_listing() {
    let d = dev("desk");
    let mut r = Registry::new(d.clone(), 10);
    let other = dev("laptop");
    assert!(r.is_routable(&d));
    assert!(!r.is_routable(&other));
    r.restore_device(other.clone(), Some(42));
    assert!(r.is_routable(&other));
    r.restore_queued(other.clone(), msg("x"));
    let list = r.devices();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].device_id, d);
    assert_eq!(list[1].queued, 1);
    assert_eq!(list[1].last_seen, Some(42));
    // A stranger reserving a slot does not become listed or routable.
    let _ = r.reserve(&dev("stranger"), 0);
    assert_eq!(r.devices().len(), 2);
    assert!(!r.is_routable(&dev("stranger")));
}
