//! The agent's client against real relays (in-process, loopback): results reach
//! the history, it reconnects after a relay restart, stops on a refused token,
//! retries a refused duplicate, and never injects an id twice, even across restarts.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::local_agent::start_agent;
use common::*;
use futures_util::{SinkExt, StreamExt};
use saytype::agent::{AgentError, AgentStatus};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn results_reach_the_history() {
    let relay = TestRelay::start().await;
    let mut agent = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, None);
    agent.wait_connected().await;
    for (id, text) in [("ok", "hello"), ("bad", "fail"), ("nodisp", "no display")] {
        let r = relay.post(json!({"text": text, "id": id})).await;
        assert_eq!(r.json().expect("json")["status"], "delivered");
    }
    assert_eq!(
        relay.wait_status("ok", "injected").await["status"],
        "injected"
    );
    let bad = relay.wait_status("bad", "failed").await;
    assert_eq!(bad["status"], "failed");
    assert_eq!(bad["error"], "the window went away");
    let nodisp = relay.wait_status("nodisp", "failed").await;
    assert_eq!(nodisp["status"], "failed");
    assert_eq!(nodisp["error"], "no display: DISPLAY is not set");
    assert_eq!(agent.typed(), ["hello"]);
    agent.stop().await;
}

#[tokio::test]
async fn the_agent_reconnects_after_a_relay_restart_and_gets_what_was_queued() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let opts = || Options {
        bind: SocketAddr::from(([127, 0, 0, 1], port)),
        ..Options::default()
    };
    let relay = TestRelay::with(opts()).await;
    let mut agent = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, None);
    agent.wait_connected().await;
    relay.post(json!({"text": "before", "id": "r-1"})).await;
    let dir = relay.stop().await;
    // The relay is down: the agent keeps trying (with backoff) without giving up.
    agent
        .wait_status("disconnected", |s| {
            matches!(s, AgentStatus::Disconnected { .. })
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let relay = TestRelay::on_dir(dir, opts()).await;
    relay
        .post(json!({"text": "while reconnecting", "id": "r-2"}))
        .await;
    agent.wait_connected().await;
    eventually("both typed", || async { agent.typed().len() == 2 }).await;
    assert_eq!(agent.typed(), ["before", "while reconnecting"]);
    agent.stop().await;
}

#[tokio::test]
async fn a_refused_token_stops_the_agent_with_a_reason() {
    let relay = TestRelay::start().await;
    let agent = start_agent(&relay.ws_url(), "wrong-token", DEFAULT_DEVICE, None);
    let err = agent.stopped().await.expect_err("refused");
    assert_eq!(
        err.downcast_ref::<AgentError>(),
        Some(&AgentError::Unauthorized)
    );
    assert!(err.to_string().contains("401"));
}

#[tokio::test]
async fn a_refused_duplicate_retries_until_the_device_id_is_free() {
    let relay = TestRelay::start().await;
    let (holder, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let mut agent = start_agent(&relay.ws_url(), TOKEN, DEFAULT_DEVICE, None);
    agent
        .wait_status(
            "refused with 4000",
            |s| matches!(s, AgentStatus::Disconnected { reason, .. } if reason.contains("4000")),
        )
        .await;
    drop(holder);
    agent.wait_connected().await;
    agent.stop().await;
}

/// A stand-in relay (of the protocol as written: it never confirms results) that
/// sends the same transcription on every connection and counts the ACKs and the
/// results it gets back.
async fn resending_relay() -> (String, Arc<Mutex<usize>>, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acks = Arc::new(Mutex::new(0usize));
    let results = Arc::new(Mutex::new(0usize));
    let (counter, reported) = (acks.clone(), results.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (counter, reported) = (counter.clone(), reported.clone());
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                    return;
                };
                let _register = ws.next().await;
                let frames = [
                    json!({"type": "registered", "deviceId": "desk", "queued": 1}),
                    json!({"type": "transcription", "id": "same-id", "text": "only once", "timestamp": 1}),
                ];
                for f in frames {
                    if ws.send(Message::Text(f.to_string().into())).await.is_err() {
                        return;
                    }
                }
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.to_text().is_ok_and(|t| t.contains("\"ack\"")) {
                        *counter.lock().expect("lock") += 1;
                    }
                    if msg.to_text().is_ok_and(|t| t.contains("\"result\"")) {
                        *reported.lock().expect("lock") += 1;
                    }
                }
            });
        }
    });
    (format!("ws://{addr}/ws"), acks, results)
}

#[tokio::test]
async fn an_id_is_never_injected_twice_even_across_agent_restarts() {
    let (url, acks, results) = resending_relay().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = start_agent(&url, TOKEN, "desk", Some(dir.path()));
    first.wait_connected().await;
    eventually("typed once", || async { first.typed().len() == 1 }).await;
    eventually("reported", || async { *results.lock().expect("lock") == 1 }).await;
    first.stop().await;

    // A new agent process (same data directory) gets the same id again: it ACKs it
    // (so the relay can drop it), answers with the stored result (the relay may
    // have missed it) and types nothing.
    let mut second = start_agent(&url, TOKEN, "desk", Some(dir.path()));
    second.wait_connected().await;
    eventually("second ack", || async { *acks.lock().expect("lock") >= 2 }).await;
    eventually("answered with its result", || async {
        *results.lock().expect("lock") >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        second.typed().is_empty(),
        "typed again: {:?}",
        second.typed()
    );
    second.stop().await;
}

/// A stand-in relay that sends one transcription, then records every frame the
/// agent sends back.
async fn relay_sending(text: &'static str) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let frames = Arc::new(Mutex::new(Vec::new()));
    let seen = frames.clone();
    tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else {
            return;
        };
        let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
            return;
        };
        let _register = ws.next().await;
        for f in [
            json!({"type": "registered", "deviceId": "desk", "queued": 1}),
            json!({"type": "transcription", "id": "rogue-1", "text": text, "timestamp": 1}),
        ] {
            if ws.send(Message::Text(f.to_string().into())).await.is_err() {
                return;
            }
        }
        while let Some(Ok(msg)) = ws.next().await {
            if let Ok(v) = serde_json::from_str(msg.to_text().unwrap_or_default()) {
                seen.lock().expect("lock").push(v);
            }
        }
    });
    (format!("ws://{addr}/ws"), frames)
}

#[tokio::test]
async fn a_rogue_relay_cannot_make_the_agent_press_keys() {
    // Return, Escape and Delete as text: the relay's own rules refuse them; a rogue
    // or buggy relay sends them anyway.
    refused_by_the_agent("a\rb\u{1b}c\u{7f}", "control characters").await;
}

#[tokio::test]
async fn a_rogue_relay_cannot_make_the_agent_type_invisible_format_characters() {
    // A right-to-left override would show "pay 2100" as typed text reading
    // otherwise; a zero-width space and a line separator are invisible or differ
    // between applications. The relay refuses them; the agent refuses them too.
    for text in ["pay \u{202E}0012", "zero\u{200B}width", "line\u{2028}sep"] {
        refused_by_the_agent(text, "format characters").await;
    }
}

/// A relay sends `text`; the agent ACKs it, types nothing and reports it `failed`
/// with a reason that contains `why`.
async fn refused_by_the_agent(text: &'static str, why: &str) {
    let (url, frames) = relay_sending(text).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut agent = start_agent(&url, TOKEN, "desk", Some(dir.path()));
    agent.wait_connected().await;
    eventually("a result", || async {
        frames
            .lock()
            .expect("lock")
            .iter()
            .any(|f| f["type"] == "result")
    })
    .await;
    let frames = frames.lock().expect("lock").clone();
    assert!(
        frames.contains(&json!({"type": "ack", "id": "rogue-1"})),
        "{frames:?}"
    );
    let result = frames
        .iter()
        .find(|f| f["type"] == "result")
        .expect("result");
    assert_eq!(result["status"], "failed");
    let reason = result["error"].as_str().unwrap_or_default();
    assert!(reason.contains(why), "{reason}");
    assert!(agent.typed().is_empty(), "typed: {:?}", agent.typed());
    agent.stop().await;
}
