//! The agent's client against real relays (in-process, loopback): results reach
//! the history, it reconnects after a relay restart, stops on a refused token,
//! retries a refused duplicate, and never injects an id twice, even across restarts.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use saytype::agent::inject::{InjectError, Injector, Method, Readiness};
use saytype::agent::{Agent as DesktopAgent, AgentError, AgentOptions, AgentStatus};
use saytype::protocol::DeviceId;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Records what it was asked to inject; "fail" fails, "no display" is unavailable.
struct Recorder(Arc<Mutex<Vec<String>>>);

impl Injector for Recorder {
    fn inject(&mut self, text: &str) -> Result<Method, InjectError> {
        match text {
            "fail" => Err(InjectError::Failed("the window went away".into())),
            "no display" => Err(InjectError::Unavailable(
                "no display: DISPLAY is not set".into(),
            )),
            _ => {
                self.0.lock().expect("lock").push(text.to_owned());
                Ok(Method::Typed)
            }
        }
    }
    fn readiness(&mut self) -> Readiness {
        Readiness::Ready("recorder".into())
    }
}

struct TestAgent {
    agent: DesktopAgent,
    typed: Arc<Mutex<Vec<String>>>,
    shutdown: CancellationToken,
}

fn start_agent(
    url: &str,
    token: &str,
    device: &str,
    data_dir: Option<&std::path::Path>,
) -> TestAgent {
    let typed = Arc::new(Mutex::new(Vec::new()));
    let sink = typed.clone();
    let mut opts = AgentOptions::new(
        url.to_owned(),
        token.to_owned(),
        DeviceId::parse(device).expect("id"),
    );
    opts.backoff_base = Duration::from_millis(20);
    opts.backoff_cap = Duration::from_millis(200);
    let shutdown = CancellationToken::new();
    let agent = DesktopAgent::start_with(
        opts,
        move || Box::new(Recorder(sink)),
        data_dir,
        shutdown.clone(),
    )
    .expect("agent starts");
    TestAgent {
        agent,
        typed,
        shutdown,
    }
}

impl TestAgent {
    async fn wait_connected(&mut self) {
        let status = &mut self.agent.status;
        tokio::time::timeout(
            SOON,
            status.wait_for(|s| matches!(s, AgentStatus::Connected { .. })),
        )
        .await
        .expect("agent connects in time")
        .expect("status channel");
    }

    fn typed(&self) -> Vec<String> {
        self.typed.lock().expect("lock").clone()
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(SOON, self.agent.wait())
            .await
            .expect("stops")
            .expect("cleanly");
    }
}

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
    tokio::time::timeout(
        SOON,
        agent
            .agent
            .status
            .wait_for(|s| matches!(s, AgentStatus::Disconnected { .. })),
    )
    .await
    .expect("notices")
    .expect("status");
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
    let result = tokio::time::timeout(SOON, agent.agent.wait())
        .await
        .expect("stops by itself");
    let err = result.expect_err("refused");
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
    tokio::time::timeout(
        SOON,
        agent.agent.status.wait_for(
            |s| matches!(s, AgentStatus::Disconnected { reason, .. } if reason.contains("4000")),
        ),
    )
    .await
    .expect("refused with 4000")
    .expect("status");
    drop(holder);
    agent.wait_connected().await;
    agent.stop().await;
}

/// A stand-in relay that sends the same transcription on every connection and
/// counts the ACKs it gets back.
async fn resending_relay() -> (String, Arc<Mutex<usize>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let acks = Arc::new(Mutex::new(0usize));
    let counter = acks.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let counter = counter.clone();
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
                }
            });
        }
    });
    (format!("ws://{addr}/ws"), acks)
}

#[tokio::test]
async fn an_id_is_never_injected_twice_even_across_agent_restarts() {
    let (url, acks) = resending_relay().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first = start_agent(&url, TOKEN, "desk", Some(dir.path()));
    first.wait_connected().await;
    eventually("typed once", || async { first.typed().len() == 1 }).await;
    first.stop().await;

    // A new agent process (same data directory) gets the same id again: it ACKs it
    // (so the relay can drop it) and types nothing.
    let mut second = start_agent(&url, TOKEN, "desk", Some(dir.path()));
    second.wait_connected().await;
    eventually("second ack", || async { *acks.lock().expect("lock") >= 2 }).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        second.typed().is_empty(),
        "typed again: {:?}",
        second.typed()
    );
    second.stop().await;
}
