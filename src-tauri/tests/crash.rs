//! Nothing lost when the desktop side crashes or stops: the real relay (in-process,
//! loopback) and the real agent with a scripted injector that can be held at an
//! exact character, then crashed there (its runtime dropped at once, as a
//! `kill -9` would) or stopped gracefully. Each of the three defects of the
//! "nothing lost" issue has a test that failed before the agent kept an inbox:
//!
//! 1. ACKed messages still waiting to be typed were lost with the agent;
//! 2. a message cut short stayed `delivered` for ever;
//! 3. a result the relay did not read was never sent again.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::local_agent::{start_agent, TestAgent};
use common::*;
use serde_json::{json, Value};

/// The same port across a relay restart.
fn fixed_port() -> Options {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    Options {
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        ..Options::default()
    }
}

async fn hold_at(agent: &TestAgent, what: &str) {
    eventually(what, || async { agent.gate.is_holding() }).await;
}

async fn post_all(relay: &TestRelay, messages: &[(&str, &str)]) {
    for (id, text) in messages {
        let r = relay.post(json!({"text": text, "id": id})).await;
        assert_eq!(r.status, 200, "{id}");
    }
}

/// Wait for `id` to reach `want`, and insist that it did.
async fn reaches(relay: &TestRelay, id: &str, want: &str) -> Value {
    let s = relay.wait_status(id, want).await;
    assert_eq!(s["status"], want, "{id}: {s}");
    s
}

fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn messages_acked_before_a_crash_are_typed_after_the_restart() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut first = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    first.wait_connected().await;
    first.gate.arm(0);
    post_all(
        &relay,
        &[("l-1", "first"), ("l-2", "second"), ("l-3", "third")],
    )
    .await;
    hold_at(&first, "l-1 held before its first key").await;
    for id in ["l-2", "l-3"] {
        // ACKed: the relay will never send them again.
        reaches(&relay, id, "delivered").await;
    }
    first.crash();

    let mut second = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    second.wait_connected().await;
    reaches(&relay, "l-2", "injected").await;
    reaches(&relay, "l-3", "injected").await;
    assert_eq!(second.typed(), ["second", "third"], "in order, once each");
    // l-1 was started: it is never typed again, and says so.
    let l1 = reaches(&relay, "l-1", "failed").await;
    assert!(
        error_of(&l1).starts_with("interrupted after 0 of 5 characters"),
        "{l1}"
    );
    second.stop().await;
}

#[tokio::test]
async fn a_message_cut_short_by_a_crash_is_failed_with_how_far_it_got() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut first = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    first.wait_connected().await;
    first.gate.arm(4);
    post_all(&relay, &[("h-1", "hello world")]).await;
    hold_at(&first, "h-1 held after 4 characters").await;
    first.crash();

    let mut second = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    second.wait_connected().await;
    let h1 = reaches(&relay, "h-1", "failed").await;
    assert!(
        error_of(&h1).starts_with("interrupted after 4 of 11 characters"),
        "{h1}"
    );
    assert!(h1["deliveredAt"].as_i64().is_some());
    // The rest is not typed again, automatically or otherwise.
    post_all(&relay, &[("h-2", "next")]).await;
    reaches(&relay, "h-2", "injected").await;
    assert_eq!(second.typed(), ["next"]);
    second.stop().await;
}

#[tokio::test]
async fn a_stopping_relay_reads_what_an_agent_sent_before_it_closes() {
    let opts = fixed_port();
    let relay = TestRelay::with(opts.clone()).await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let posted = relay.api().spawn_post(json!({"text": "hi", "id": "s-1"}));
    assert_eq!(agent.next_json().await["id"], "s-1");
    agent.ack("s-1").await;
    assert_eq!(
        posted.await.expect("post").json().expect("json")["status"],
        "delivered"
    );
    relay.begin_stop();
    // The relay has let the agent go and is closing; the agent, which has not read
    // the close frame yet, reports its result now.
    eventually("the agent is let go", || async {
        !relay.is_online(DEFAULT_DEVICE)
    })
    .await;
    agent
        .send_json(json!({"type": "result", "id": "s-1", "status": "injected"}))
        .await;
    drop(agent);
    let dir = relay.stop().await;
    let relay = TestRelay::on_dir(dir, opts).await;
    reaches(&relay, "s-1", "injected").await;
}

#[tokio::test]
async fn results_are_confirmed_to_agents_that_ask_and_only_to_them() {
    let relay = TestRelay::start().await;
    let mut agent = Agent::connect(&relay).await;
    agent
        .send_json(json!({"type": "register", "deviceId": DEFAULT_DEVICE, "resultAck": true}))
        .await;
    assert_eq!(
        agent.next_json().await,
        json!({"type": "registered", "deviceId": DEFAULT_DEVICE, "queued": 0, "resultAck": true})
    );
    let posted = relay.api().spawn_post(json!({"text": "hi", "id": "k-1"}));
    assert_eq!(agent.next_json().await["id"], "k-1");
    agent.ack("k-1").await;
    posted.await.expect("post");
    agent
        .send_json(json!({"type": "result", "id": "k-1", "status": "injected"}))
        .await;
    assert_eq!(
        agent.next_json().await,
        json!({"type": "resultAck", "id": "k-1"})
    );
    // Confirmed once stored: the status already says so.
    assert_eq!(relay.status_of("k-1").await["status"], "injected");
    drop(agent);

    // An agent of the protocol as written gets exactly its frames, and no more.
    eventually("first agent gone", || async {
        !relay.is_online(DEFAULT_DEVICE)
    })
    .await;
    let (mut plain, registered) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(
        registered,
        json!({"type": "registered", "deviceId": DEFAULT_DEVICE, "queued": 0})
    );
    let posted = relay.api().spawn_post(json!({"text": "hi", "id": "k-2"}));
    assert_eq!(plain.next_json().await["id"], "k-2");
    plain.ack("k-2").await;
    posted.await.expect("post");
    plain
        .send_json(json!({"type": "result", "id": "k-2", "status": "injected"}))
        .await;
    reaches(&relay, "k-2", "injected").await;
    assert!(
        matches!(
            plain.next_event(Duration::from_millis(200)).await,
            Event::Silence
        ),
        "no resultAck for an agent that did not ask"
    );
}

#[tokio::test]
async fn a_result_the_relay_never_read_is_sent_again_after_it_returns() {
    let opts = fixed_port();
    let relay = TestRelay::with(opts.clone()).await;
    let mut agent = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, None);
    agent.wait_connected().await;
    agent.gate.arm(2);
    post_all(&relay, &[("r-1", "typed while away")]).await;
    hold_at(&agent, "r-1 being typed").await;
    reaches(&relay, "r-1", "delivered").await;
    // The relay goes away while the message is being typed; the typing ends and
    // its result has no relay to go to.
    let dir = relay.stop().await;
    agent.gate.release();
    eventually("typed", || async { agent.typed().len() == 1 }).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let relay = TestRelay::on_dir(dir, opts).await;
    agent.wait_connected().await;
    let r1 = reaches(&relay, "r-1", "injected").await;
    assert!(r1["injectedAt"].as_i64().is_some());
    assert_eq!(agent.typed(), ["typed while away"]);
    agent.stop().await;
}

#[tokio::test]
async fn a_result_survives_an_agent_crash_before_it_was_reported() {
    let opts = fixed_port();
    let relay = TestRelay::with(opts.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut first = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    first.wait_connected().await;
    first.gate.arm(1);
    post_all(&relay, &[("c-1", "done, then dead")]).await;
    hold_at(&first, "c-1 being typed").await;
    let relay_dir = relay.stop().await;
    first.gate.release();
    eventually("typed", || async { first.typed().len() == 1 }).await;
    // Typed and stored, never reported: the agent dies before the relay is back.
    first.crash();

    let relay = TestRelay::on_dir(relay_dir, opts).await;
    let mut second = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    second.wait_connected().await;
    let c1 = reaches(&relay, "c-1", "injected").await;
    assert!(second.typed().is_empty(), "not typed a second time");
    // Where it went is kept with the result, and replayed with it.
    assert_eq!(c1["target"], local_agent::scripted_target(), "{c1}");
    let history = relay
        .get("/ui/api/history?id=c-1")
        .await
        .json()
        .expect("history");
    assert_eq!(
        history[0]["target"],
        local_agent::scripted_target(),
        "{history}"
    );
    second.stop().await;
}

#[tokio::test]
async fn a_graceful_stop_interrupts_reports_and_keeps_the_rest_for_the_next_start() {
    let relay = TestRelay::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut first = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    first.wait_connected().await;
    first.gate.arm(3);
    post_all(
        &relay,
        &[("g-1", "a long message"), ("g-2", "waits"), ("g-3", "too")],
    )
    .await;
    hold_at(&first, "g-1 held after 3 characters").await;
    reaches(&relay, "g-3", "delivered").await;
    // SIGTERM or Quit: the typing stops at its next batch of keys.
    first.stop().await;
    let g1 = reaches(&relay, "g-1", "failed").await;
    assert!(
        error_of(&g1).starts_with("interrupted after 3 of 14 characters"),
        "reported before the agent went: {g1}"
    );
    for id in ["g-2", "g-3"] {
        assert_eq!(relay.status_of(id).await["status"], "delivered");
    }

    let mut second = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    second.wait_connected().await;
    reaches(&relay, "g-3", "injected").await;
    assert_eq!(second.typed(), ["waits", "too"]);
    second.stop().await;
}

#[tokio::test]
async fn a_relay_and_agent_stopping_together_still_record_the_interruption() {
    // `saytype serve` and the tray app stop their relay and local agent at once.
    let opts = fixed_port();
    let relay = TestRelay::with(opts.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut agent = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, Some(dir.path()));
    agent.wait_connected().await;
    agent.gate.arm(5);
    post_all(&relay, &[("t-1", "cut short by a quit")]).await;
    hold_at(&agent, "t-1 held after 5 characters").await;
    relay.begin_stop();
    agent.begin_stop();
    agent.stopped().await.expect("stops cleanly");
    let relay_dir = relay.stop().await;

    // Recorded before the relay went, not only at the agent's next start.
    let relay = TestRelay::on_dir(relay_dir, opts).await;
    let t1 = relay.status_of("t-1").await;
    assert_eq!(t1["status"], "failed", "{t1}");
    assert!(
        error_of(&t1).starts_with("interrupted after 5 of 19 characters"),
        "{t1}"
    );
}
