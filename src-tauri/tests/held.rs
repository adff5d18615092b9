//! Issue 13, "nothing typed blindly after a wait", over real sockets: a message
//! that waited for its desktop longer than the hold limit is held when the agent
//! comes back, not sent; the desktop releases it ("Type now") or discards it; a
//! paired phone cancels one of its own messages that was not typed yet, never one
//! its desktop already has.
//!
//! The limit is zero here (every message that had to wait is held), so no test
//! waits for a clock; a limit of `None` shows the old behaviour.

mod common;

use std::time::Duration;

use common::agent::Agent;
use common::phone::{pairing_code, SealedPhone};
use common::relay::Options;
use common::{eventually, TestRelay, TOKEN};
use saytype::client::HttpClient;
use serde_json::{json, Value};

async fn relay(hold_after: Option<Duration>) -> TestRelay {
    TestRelay::with(Options {
        hold_after,
        ..Options::default()
    })
    .await
}

/// A desktop call (`/ui/api/...`) with the token: status and JSON body.
async fn ui_post(relay: &TestRelay, path: &str) -> (u16, Value) {
    let mut c = HttpClient::connect(&relay.http_url())
        .await
        .expect("connect");
    let r = c
        .request(hyper::Method::POST, path, Some(TOKEN), None)
        .await
        .expect("request");
    (r.status.as_u16(), r.json().unwrap_or(Value::Null))
}

async fn wait_held(relay: &TestRelay, id: &str) -> Value {
    eventually(&format!("{id} held"), || async {
        relay.status_of(id).await["held"] == true
    })
    .await;
    relay.status_of(id).await
}

#[tokio::test]
async fn without_a_limit_a_message_that_waited_is_typed_when_the_desktop_returns() {
    // The behaviour before issue 13, still there when the user turns holding off.
    let relay = relay(None).await;
    relay.post(json!({"text": "old", "id": "old-1"})).await;
    let (mut agent, registered) = Agent::register(&relay, "desk").await;
    assert_eq!(registered["queued"], 1);
    assert_eq!(agent.ack_next().await["id"], "old-1");
}

#[tokio::test]
async fn a_message_that_waited_is_held_then_typed_now_or_discarded() {
    let relay = relay(Some(Duration::ZERO)).await;
    let r = relay
        .post(json!({"text": "while away", "id": "away-1"}))
        .await;
    assert_eq!(r.json().expect("json")["status"], "queued");
    relay
        .post(json!({"text": "also away", "id": "away-2"}))
        .await;

    let (mut agent, _) = Agent::register(&relay, "desk").await;
    let held = wait_held(&relay, "away-1").await;
    // Existing clients see a waiting message; the extension says why it waits.
    assert_eq!(held["status"], "queued", "{held}");
    assert!(held["heldSince"].as_i64().is_some(), "{held}");
    wait_held(&relay, "away-2").await;
    // The history carries it too (the window's held filter).
    let history: Value = relay
        .get("/ui/api/history?status=queued")
        .await
        .json()
        .expect("json");
    assert!(
        history
            .as_array()
            .is_some_and(|rows| rows.iter().filter(|r| r["held"] == true).count() == 2),
        "{history}"
    );

    // A message sent now goes out at once: the first frame the agent gets, so the
    // held ones were not sent at registration.
    let (answer, frame) = agent
        .ack_while(relay.post(json!({"text": "fresh", "id": "fresh-1"})))
        .await;
    assert_eq!(frame["id"], "fresh-1", "{frame}");
    assert_eq!(answer.json().expect("json")["status"], "delivered");

    // Type now: sent to the agent, then delivered like any message.
    let (status, v) = ui_post(&relay, "/ui/api/messages/away-1/release").await;
    assert_eq!(status, 204, "{v}");
    let frame = agent.ack_next().await;
    assert_eq!(
        (frame["id"].as_str(), frame["text"].as_str()),
        (Some("away-1"), Some("while away"))
    );
    let s = relay.wait_status("away-1", "delivered").await;
    assert_eq!(s["status"], "delivered");
    assert!(s.get("held").is_none(), "{s}");

    // Discard: failed with the reason, and never sent afterwards.
    let (status, v) = ui_post(&relay, "/ui/api/messages/away-2/discard").await;
    assert_eq!(status, 204, "{v}");
    let s = relay.status_of("away-2").await;
    assert_eq!(
        (s["status"].as_str(), s["error"].as_str()),
        (Some("failed"), Some("discarded on the desktop"))
    );
    let (status, v) = ui_post(&relay, "/ui/api/messages/away-2/release").await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (409, Some("NOT_HELD"))
    );
    // Delivered messages are neither released nor discarded.
    let (status, v) = ui_post(&relay, "/ui/api/messages/fresh-1/discard").await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (409, Some("NOT_CANCELLABLE"))
    );
    let (status, _) = ui_post(&relay, "/ui/api/messages/nope/release").await;
    assert_eq!(status, 404);
    // The next frame is the next message, not the discarded one.
    let (_, frame) = agent
        .ack_while(relay.post(json!({"text": "last", "id": "last-1"})))
        .await;
    assert_eq!(frame["id"], "last-1", "{frame}");
}

#[tokio::test]
async fn held_messages_stay_held_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = Options {
        hold_after: Some(Duration::ZERO),
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Options::default()
    };
    let relay = TestRelay::on_dir(dir, opts.clone()).await;
    relay.post(json!({"text": "kept", "id": "kept-1"})).await;
    let (agent, _) = Agent::register(&relay, "desk").await;
    wait_held(&relay, "kept-1").await;
    drop(agent);
    let dir = relay.stop().await;
    let relay = TestRelay::on_dir(dir, opts).await;
    let (mut agent, _) = Agent::register(&relay, "desk").await;
    assert_eq!(relay.status_of("kept-1").await["held"], true);
    let (_, frame) = agent
        .ack_while(relay.post(json!({"text": "new", "id": "new-1"})))
        .await;
    assert_eq!(frame["id"], "new-1", "{frame}");
}

#[tokio::test]
async fn a_phone_cancels_its_message_until_the_desktop_has_it() {
    let relay = relay(Some(Duration::ZERO)).await;
    let url = relay.http_url();
    let mut phone = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("pairs");
    let mut other = SealedPhone::pair(&url, &pairing_code(&url).await)
        .await
        .expect("pairs");
    for id in ["p-1", "p-2"] {
        let r = phone
            .call(
                "POST",
                "/transcription",
                Some(json!({"text": id, "id": id})),
            )
            .await;
        assert_eq!((r.status, r.body["status"].as_str()), (200, Some("queued")));
    }

    // Queued, desktop away: cancelled, and the answer says so.
    let r = phone.call("POST", "/transcription/p-1/cancel", None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        (r.body["status"].as_str(), r.body["error"].as_str()),
        (Some("failed"), Some("cancelled from the phone"))
    );
    // Another phone cannot even see it.
    let r = other.call("POST", "/transcription/p-2/cancel", None).await;
    assert_eq!(r.status, 404, "{:?}", r.body);

    // The desktop comes back: p-2 is held; the phone cancels it too.
    let (mut agent, _) = Agent::register(&relay, "desk").await;
    wait_held(&relay, "p-2").await;
    let r = phone.call("POST", "/transcription/p-2/cancel", None).await;
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("failed")));

    // Neither is ever sent: the first frame is the next message.
    let (r, frame) = tokio::join!(
        phone.call(
            "POST",
            "/transcription",
            Some(json!({"text": "typed", "id": "p-3"}))
        ),
        agent.ack_next()
    );
    assert_eq!(frame["id"], "p-3", "{frame}");
    assert_eq!(r.status, 200);
    relay.wait_status("p-3", "delivered").await;

    // Delivered: the desktop has it, too late to cancel.
    let r = phone.call("POST", "/transcription/p-3/cancel", None).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (409, Some("NOT_CANCELLABLE")),
        "{:?}",
        r.body
    );
    assert_eq!(relay.status_of("p-3").await["status"], "delivered");
    // Cancelling twice is refused too, and changes nothing.
    let r = phone.call("POST", "/transcription/p-1/cancel", None).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        relay.status_of("p-1").await["error"],
        "cancelled from the phone"
    );
}
