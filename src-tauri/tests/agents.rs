//! Agents on `/ws` (PROTOCOL.md §4) with real WebSocket clients: registration,
//! duplicates, heartbeat, disconnects and bad frames.

mod common;

use std::time::Duration;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn upgrade_needs_the_token_in_header_or_query() {
    let relay = TestRelay::start().await;
    let err = ws_connect(&relay.ws_url(), None)
        .await
        .expect_err("refused");
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 401),
        other => panic!("expected an HTTP 401, got {other:?}"),
    }
    let err = ws_connect(&relay.ws_url(), Some("wrong"))
        .await
        .expect_err("refused");
    assert!(matches!(err, tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 401));
    let mut ws = ws_connect(&format!("{}?token={TOKEN}", relay.ws_url()), None)
        .await
        .expect("query token works");
    ws.send(Message::Text(
        json!({"type":"register","deviceId":"q"}).to_string().into(),
    ))
    .await
    .expect("send");
    let mut agent = Agent {
        ws,
        device: String::new(),
    };
    assert_eq!(agent.next_json().await["type"], "registered");
}

#[tokio::test]
async fn invalid_device_id_is_closed_with_4003() {
    let relay = TestRelay::start().await;
    let mut agent = Agent::connect(&relay).await;
    agent
        .send_json(json!({"type": "register", "deviceId": "not/valid"}))
        .await;
    assert_eq!(agent.closed_with().await, Some(4003));
}

#[tokio::test]
async fn registration_must_come_in_time() {
    let relay = TestRelay::with(Options {
        registration_timeout: Duration::from_millis(200),
        ..Options::default()
    })
    .await;
    let mut agent = Agent::connect(&relay).await;
    assert_eq!(agent.closed_with().await, Some(4002));
}

#[tokio::test]
async fn frames_before_registration_get_errors_and_the_connection_stays() {
    let relay = TestRelay::start().await;
    let mut agent = Agent::connect(&relay).await;
    agent.ack("x").await;
    let e = agent.next_json().await;
    assert_eq!(e["type"], "error");
    assert_eq!(e["code"], "NOT_REGISTERED");
    agent
        .ws
        .send(Message::Text("{oops".into()))
        .await
        .expect("send");
    assert_eq!(agent.next_json().await["code"], "INVALID_JSON");
    agent
        .send_json(json!({"type": "register", "deviceId": "desk"}))
        .await;
    assert_eq!(agent.next_json().await["type"], "registered");
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_change_nothing() {
    let relay = TestRelay::start().await;
    let (other, _) = Agent::register(&relay, "other").await;
    drop(other);
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let r = relay
        .post(json!({"text": "keep me", "id": "k-1", "deviceId": "other"}))
        .await;
    assert_eq!(r.status, 200);
    for (frame, code) in [
        (Message::Text("not json".into()), "INVALID_JSON"),
        (Message::Text(r#"{"type":"dance"}"#.into()), "UNKNOWN_TYPE"),
        (Message::Text(r#"{"type":"ack"}"#.into()), "INVALID_FRAME"),
        (Message::Text(r#"{"no":"type"}"#.into()), "INVALID_FRAME"),
        (
            Message::Text(r#"{"type":"result","id":"k-1","status":"maybe"}"#.into()),
            "INVALID_FRAME",
        ),
        (
            Message::Text(r#"{"type":"register","deviceId":"again"}"#.into()),
            "ALREADY_REGISTERED",
        ),
        (Message::Binary(vec![1, 2, 3].into()), "INVALID_JSON"),
    ] {
        agent.ws.send(frame).await.expect("send");
        let e = agent.next_json().await;
        assert_eq!(e["type"], "error");
        assert_eq!(e["code"], code);
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // An agent cannot ACK or settle another device's message.
    agent.ack("k-1").await;
    agent
        .send_json(json!({"type": "result", "id": "k-1", "status": "injected"}))
        .await;
    // Still connected and working.
    let (r, _) = agent
        .ack_while(relay.post(json!({"text": "still here"})))
        .await;
    assert_eq!(r.json().expect("json")["status"], "delivered");
    assert_eq!(relay.status_of("k-1").await["status"], "queued");
}

#[tokio::test]
async fn oversize_frames_close_with_1009_and_the_relay_carries_on() {
    let relay = TestRelay::start().await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let huge = format!(r#"{{"type":"ack","id":"{}"}}"#, "a".repeat(70 * 1024));
    let _ = agent.ws.send(Message::Text(huge.into())).await;
    assert_eq!(agent.closed_with().await, Some(1009));
    eventually("agent offline", || async {
        relay.devices().await[0]["online"] == false
    })
    .await;
    let (_agent, registered) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(registered["queued"], 0);
}

#[tokio::test]
async fn a_live_duplicate_is_refused_and_the_first_agent_is_undisturbed() {
    let relay = TestRelay::with(Options {
        ack_timeout: Duration::from_secs(5),
        ..Options::default()
    })
    .await;
    let (mut first, _) = Agent::register(&relay, DEFAULT_DEVICE).await;

    // A POST is waiting for the first agent's ACK while the duplicate arrives.
    let pending = relay.api().spawn_post(json!({"text": "one", "id": "w-1"}));
    let f = first.next_json().await;
    assert_eq!(f["id"], "w-1");

    let mut dup = Agent::connect(&relay).await;
    dup.send_json(json!({"type": "register", "deviceId": "DESK"}))
        .await;
    assert_eq!(dup.closed_with().await, Some(4000));

    // The first agent's pending wait survived: its ACK still delivers.
    first.ack("w-1").await;
    let r = pending.await.expect("join");
    assert_eq!(r.json().expect("json")["status"], "delivered");
    // And it keeps receiving.
    let (r, _) = first.ack_while(relay.post(json!({"text": "two"}))).await;
    assert_eq!(r.json().expect("json")["status"], "delivered");
    assert_eq!(relay.devices().await[0]["online"], true);
}

// The heartbeat tests run on paused time: the relay and the agents share the test's
// one-thread runtime, and time jumps to the next timer whenever all of them wait, so
// a second of heartbeat takes no real time. Loopback TCP delivers a write before the
// writer's syscall returns, so a frame in flight still wakes its reader first.

/// Whether `id` is listed online (`None`: not listed at all).
async fn online(relay: &TestRelay, id: &str) -> Option<bool> {
    relay
        .devices()
        .await
        .as_array()
        .and_then(|a| a.iter().find(|d| d["deviceId"] == id))
        .map(|d| d["online"] == true)
}

#[tokio::test(start_paused = true)]
async fn an_agent_that_missed_a_pong_is_replaced_by_the_newcomer() {
    // Pings at 1 s and 2 s; the second finds the first unanswered (one miss), and
    // the third, at 3 s, would terminate. The newcomer arrives in between.
    let relay = TestRelay::with(Options {
        heartbeat: Duration::from_secs(1),
        ..Options::default()
    })
    .await;
    let (mut stale, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    // The stale agent stops reading, so it answers no pings.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let (mut fresh, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(stale.closed_with().await, Some(4000));
    let (r, _) = fresh
        .ack_while(relay.post(json!({"text": "to the newcomer"})))
        .await;
    assert_eq!(r.json().expect("json")["status"], "delivered");
}

#[tokio::test(start_paused = true)]
async fn heartbeat_keeps_live_agents_and_drops_silent_ones_after_two_misses() {
    let relay = TestRelay::with(Options {
        heartbeat: Duration::from_secs(1),
        ack_timeout: Duration::from_secs(60),
        ..Options::default()
    })
    .await;
    // A reading agent answers every ping: still registered after many intervals.
    let (mut live, _) = Agent::register(&relay, "live").await;
    let reader = tokio::spawn(async move {
        live.expect_silence(Duration::from_secs(600)).await;
        live
    });
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(online(&relay, "live").await, Some(true));

    // A silent agent (not reading, so no pongs) is dropped after 2 missed pongs:
    // ping at 1 s, first miss at 2 s, second miss (terminate) at 3 s. A POST to it
    // waits for an ACK meanwhile.
    let (mut silent, _) = Agent::register(&relay, "silent").await;
    let registered = tokio::time::Instant::now();
    let pending = relay
        .api()
        .spawn_post(json!({"text": "never acked", "id": "s-1", "deviceId": "silent"}));
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(
        online(&relay, "silent").await,
        Some(true),
        "one miss is tolerated"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        online(&relay, "silent").await,
        Some(false),
        "the second miss drops it"
    );
    // Its pending ACK wait ended with the connection, long before the ACK timeout.
    let r = pending.await.expect("join");
    assert_eq!(r.json().expect("json")["status"], "queued");
    assert!(registered.elapsed() < Duration::from_secs(5));
    // Its socket was terminated.
    silent.closed_with().await;
    assert_eq!(online(&relay, "live").await, Some(true));
    assert!(!reader.is_finished(), "the live agent is still connected");
    reader.abort();
}

#[tokio::test]
async fn disconnect_unregisters_at_once_and_fails_pending_waits() {
    let relay = TestRelay::with(Options {
        ack_timeout: Duration::from_secs(30),
        ..Options::default()
    })
    .await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let started = std::time::Instant::now();
    let post = relay.api().spawn_post(json!({"text": "x", "id": "d-1"}));
    assert_eq!(agent.next_json().await["id"], "d-1");
    agent.ws.close(None).await.expect("close");
    let r = post.await.expect("join");
    let took = started.elapsed();
    assert_eq!(r.json().expect("json")["status"], "queued");
    assert!(
        took < Duration::from_secs(10),
        "the wait ended with the connection, not the 30 s timeout"
    );
    assert_eq!(relay.devices().await[0]["online"], false);
    // The unACKed message goes out again on the next registration.
    let (mut agent, registered) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(registered["queued"], 1);
    assert_eq!(agent.next_json().await["id"], "d-1");
}

#[tokio::test]
async fn rotating_the_token_revokes_the_old_one_at_once() {
    let relay = TestRelay::start().await;
    let (mut agent, _) = Agent::register(&relay, "laptop").await;
    let mut c = relay.client().await;
    let r = c
        .request(hyper::Method::POST, "/token/rotate", Some(TOKEN), None)
        .await
        .expect("rotate");
    assert_eq!(r.status, 200);
    let new = r.json().expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(new, TOKEN);
    assert!(new.len() >= 22);
    // The agent that connected with the old token is closed with 4001.
    assert_eq!(agent.closed_with().await, Some(4001));
    // The old token is refused everywhere, the new one works.
    assert_eq!(
        c.get("/devices", Some(TOKEN)).await.expect("get").status,
        401
    );
    assert_eq!(
        c.get("/devices", Some(&new)).await.expect("get").status,
        200
    );
    assert!(ws_connect(&relay.ws_url(), Some(TOKEN)).await.is_err());
    assert!(ws_connect(&relay.ws_url(), Some(&new)).await.is_ok());
    // And it is stored for the next start.
    let stored = std::fs::read_to_string(relay.dir.path().join("token")).expect("token file");
    assert_eq!(stored.trim(), new);
}
