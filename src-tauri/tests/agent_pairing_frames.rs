//! The paired agent's side of the sealed link (docs/sealed-link.md §7): a relay
//! that holds the agent's key (here the test, so that it can also act as someone on
//! the path) proves it, and the agent types a sealed transcription once; the same
//! frame sent again, or an altered one, is refused and the connection closed with
//! its code; nothing is typed twice or from a frame that does not open.

mod common;

use futures_util::{SinkExt, StreamExt};
use saytype::agent::{AgentOptions, AgentStatus, PairedKey};
use saytype::protocol::agent_link::{close, Handshake};
use saytype::protocol::sealed::{b64, b64_array, b64_vec};
use saytype::protocol::{DeviceId, RelayFrame};
use saytype::sealed::{relay_proof, revoked_proof, verify_proof, FrameChannel};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use common::local_agent::{start_agent_with, TestAgent};
use common::sealed_frames::{open_frame, seal_frame};
use common::{eventually, SOON};

type Ws = WebSocketStream<tokio::net::TcpStream>;

const KEY: [u8; 32] = [42; 32];
const AGENT: &str = "agent.test";

async fn next_text(ws: &mut Ws) -> Result<String, Option<u16>> {
    loop {
        let msg = tokio::time::timeout(SOON, ws.next())
            .await
            .expect("the agent answers");
        match msg {
            Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
            Some(Ok(Message::Close(f))) => return Err(f.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            _ => return Err(None),
        }
    }
}

/// The relay's side of the handshake, then the agent's register answered.
async fn accept(listener: &TcpListener) -> (Ws, FrameChannel) {
    let (tcp, _) = listener.accept().await.expect("accept");
    let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
    let Some(Handshake::Hello { agent, nonce, .. }) =
        Handshake::parse(&next_text(&mut ws).await.expect("hello"))
    else {
        panic!("no hello");
    };
    assert_eq!(agent, AGENT);
    let an: [u8; 32] = b64_array(&nonce).expect("nonce");
    let rn = [9u8; 32];
    let challenge = Handshake::Challenge {
        v: 1,
        nonce: b64(&rn),
        proof: b64(&relay_proof(&KEY, AGENT, &an, &rn)),
    };
    ws.send(Message::Text(challenge.to_json().into()))
        .await
        .expect("challenge");
    let Some(Handshake::Proof { proof, .. }) =
        Handshake::parse(&next_text(&mut ws).await.expect("proof"))
    else {
        panic!("no proof");
    };
    let tag = b64_vec(&proof).expect("b64");
    verify_proof(&KEY, false, AGENT, &an, &rn, &tag).expect("the agent proves the key");
    let mut channel = FrameChannel::new(&KEY, &an, &rn, false);
    let register = open_frame(&mut channel, &next_text(&mut ws).await.expect("register"));
    assert_eq!(register["type"], "register", "{register}");
    let registered = RelayFrame::Registered {
        device_id: "laptop".into(),
        queued: 0,
        result_ack: false,
    };
    let frame = seal_frame(&mut channel, &registered.to_json());
    ws.send(Message::Text(frame.into()))
        .await
        .expect("registered");
    (ws, channel)
}

async fn closed_with(ws: &mut Ws) -> Option<u16> {
    loop {
        if let Err(code) = next_text(ws).await {
            return code;
        }
    }
}

fn transcription(id: &str, text: &str) -> String {
    RelayFrame::Transcription {
        id: id.into(),
        text: text.into(),
        timestamp: 1,
    }
    .to_json()
}

/// The agent, paired with [`KEY`], started against a listener that stands in for
/// its relay.
async fn paired_agent() -> (TcpListener, TestAgent, tempfile::TempDir) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/agent/v1/ws", listener.local_addr().expect("addr"));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = AgentOptions::new(url, String::new(), DeviceId::parse("laptop").expect("id"));
    opts.paired = Some(PairedKey {
        agent_id: AGENT.into(),
        key: KEY,
    });
    let agent = start_agent_with(opts, Some(dir.path()));
    (listener, agent, dir)
}

#[tokio::test]
async fn the_agent_refuses_a_replayed_or_altered_frame_and_types_each_message_once() {
    let (listener, agent, _dir) = paired_agent().await;

    // A sealed transcription: typed, ACKed (sealed).
    let (mut ws, mut channel) = accept(&listener).await;
    let frame = seal_frame(&mut channel, &transcription("m-1", "typed once"));
    ws.send(Message::Text(frame.clone().into()))
        .await
        .expect("send");
    let ack = open_frame(&mut channel, &next_text(&mut ws).await.expect("ack"));
    assert_eq!(ack["type"], "ack", "{ack}");
    eventually("typed", || async { agent.typed() == ["typed once"] }).await;

    // The same frame again (someone on the path): refused, connection closed.
    ws.send(Message::Text(frame.into())).await.expect("replay");
    assert_eq!(closed_with(&mut ws).await, Some(close::REPLAYED));

    // The agent comes back; an altered frame: refused, connection closed.
    let (mut ws, mut channel) = accept(&listener).await;
    let frame = seal_frame(&mut channel, &transcription("m-2", "never typed"));
    let mut v: Value = serde_json::from_str(&frame).expect("json");
    let mut boxed = b64_vec(v["box"].as_str().expect("box")).expect("b64");
    let last = boxed.len() - 1;
    boxed[last] ^= 1;
    v["box"] = b64(&boxed).into();
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
    assert_eq!(closed_with(&mut ws).await, Some(close::SEAL_INVALID));

    // And a plain frame, as a rogue would send it: refused too.
    let (mut ws, _) = accept(&listener).await;
    ws.send(Message::Text(transcription("m-3", "never typed").into()))
        .await
        .expect("send");
    assert_eq!(closed_with(&mut ws).await, Some(close::SEAL_INVALID));
    assert_eq!(agent.typed(), ["typed once"]);
    agent.stop().await;
}

/// Take the agent's next connection and hello; its nonce.
async fn hello(listener: &TcpListener) -> (Ws, [u8; 32]) {
    let (tcp, _) = listener.accept().await.expect("accept");
    let mut ws = tokio_tungstenite::accept_async(tcp).await.expect("upgrade");
    let Some(Handshake::Hello { nonce, .. }) =
        Handshake::parse(&next_text(&mut ws).await.expect("hello"))
    else {
        panic!("no hello");
    };
    (ws, b64_array(&nonce).expect("nonce"))
}

async fn close_with(ws: &mut Ws, code: u16, reason: &str) {
    let frame = CloseFrame {
        code: code.into(),
        reason: reason.to_owned().into(),
    };
    let _ = ws.send(Message::Close(Some(frame))).await;
}

#[tokio::test]
async fn an_unproven_not_paired_keeps_the_agent_trying_only_a_proven_revocation_stops_it() {
    let (listener, mut agent, _dir) = paired_agent().await;

    // Someone who took the relay's address answers the hello with a plain 4010, or
    // a revocation it cannot prove: the agent says so and comes back.
    for _ in 0..3 {
        let (mut ws, _) = hello(&listener).await;
        close_with(
            &mut ws,
            close::NOT_PAIRED,
            "NOT_PAIRED: this agent is not paired",
        )
        .await;
        agent
            .wait_status("told of an unproven refusal", |s| {
                matches!(s, AgentStatus::Disconnected { reason, .. } if reason.contains("without proof"))
            })
            .await;
    }
    let (mut ws, an) = hello(&listener).await;
    let forged = Handshake::Revoked {
        v: 1,
        proof: b64(&revoked_proof(&[7; 32], AGENT, &an)),
    };
    ws.send(Message::Text(forged.to_json().into()))
        .await
        .expect("send");
    close_with(&mut ws, close::NOT_PAIRED, "NOT_PAIRED").await;

    // After the handshake too: a close 4010 or 4001 in the clear is no reason to stop.
    let (mut ws, _) = accept(&listener).await;
    close_with(&mut ws, close::NOT_PAIRED, "NOT_PAIRED").await;
    let (mut ws, _) = accept(&listener).await;
    close_with(
        &mut ws,
        saytype::protocol::close::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    let (mut ws, _) = accept(&listener).await;
    close_with(
        &mut ws,
        saytype::protocol::close::INVALID_DEVICE_ID,
        "bad id",
    )
    .await;

    // The relay's real revocation, proven on the agent's nonce: it stops, with words.
    let (mut ws, an) = hello(&listener).await;
    let revoked = Handshake::Revoked {
        v: 1,
        proof: b64(&revoked_proof(&KEY, AGENT, &an)),
    };
    ws.send(Message::Text(revoked.to_json().into()))
        .await
        .expect("send");
    close_with(&mut ws, close::NOT_PAIRED, "NOT_PAIRED").await;
    agent
        .wait_status("stopped", |s| {
            matches!(s, AgentStatus::Stopped { reason } if reason.contains("revoked it") && reason.contains("--pair"))
        })
        .await;
    assert!(agent.typed().is_empty());
    // And it does not come back.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), listener.accept())
            .await
            .is_err(),
        "a revoked agent does not connect again"
    );
}
