//! Agents on other desktops, paired (docs/sealed-link.md §7), against a real relay
//! on real sockets: the handshake by hand (both proofs), sealed frames both ways,
//! a replayed and an altered frame refused with their close codes, a wrong proof
//! refused, a revoked agent closed and refused with clear words, and a paired
//! agent's key unusable as a phone's. The agent binary against a rogue relay in a
//! network namespace: tests/agent_pairing_netns.rs.

mod common;

use futures_util::{SinkExt, StreamExt};
use hyper::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use common::agent::{ws_connect, Ws};
use common::phone::{pairing_code, post_raw, SealedPhone};
use common::sealed_frames::{open_frame, seal_frame};
use common::{TestRelay, SOON, TOKEN};
use saytype::agent::pairing::{self, StoredPairing};
use saytype::agent::PairedKey;
use saytype::protocol::agent_link::{close, Handshake};
use saytype::protocol::sealed::{b64, b64_array, b64_vec};
use saytype::sealed::{agent_proof, random, verify_proof, DirectionKeys, FrameChannel};

async fn paired_agent(relay: &TestRelay, host: &str) -> (StoredPairing, PairedKey) {
    let code = pairing_code(&relay.http_url()).await;
    let link = format!("{}/#pair={code}", relay.http_url());
    let stored = pairing::pair(&link, host).await.expect("pairs");
    let key = stored.paired_key().expect("key");
    (stored, key)
}

fn agent_ws(relay: &TestRelay) -> String {
    format!("ws://{}/agent/v1/ws", relay.addr)
}

async fn next_text(ws: &mut Ws) -> Result<String, Option<(u16, String)>> {
    loop {
        let msg = tokio::time::timeout(SOON, ws.next())
            .await
            .expect("the relay answers");
        match msg {
            Some(Ok(Message::Text(t))) => return Ok(t.to_string()),
            Some(Ok(Message::Close(f))) => {
                return Err(f.map(|f| (u16::from(f.code), f.reason.to_string())))
            }
            Some(Ok(_)) => continue,
            _ => return Err(None),
        }
    }
}

/// Connect to `/agent/v1/ws` and say hello as `agent` (any id, a fixed nonce).
async fn hello_as(relay: &TestRelay, agent: &str) -> Ws {
    let mut ws = ws_connect(&agent_ws(relay), None).await.expect("connects");
    let hello = Handshake::Hello {
        v: 1,
        agent: agent.to_owned(),
        nonce: b64(&[1; 32]),
    };
    ws.send(Message::Text(hello.to_json().into()))
        .await
        .expect("hello");
    ws
}

/// The handshake as the agent makes it; the channel, after checking the relay's proof.
async fn handshake(relay: &TestRelay, key: &PairedKey) -> (Ws, FrameChannel) {
    let mut ws = ws_connect(&agent_ws(relay), None).await.expect("connects");
    let an = random::<32>().expect("random");
    let hello = Handshake::Hello {
        v: 1,
        agent: key.agent_id.clone(),
        nonce: b64(&an),
    };
    ws.send(Message::Text(hello.to_json().into()))
        .await
        .expect("hello");
    let Some(Handshake::Challenge { nonce, proof, .. }) =
        Handshake::parse(&next_text(&mut ws).await.expect("challenge"))
    else {
        panic!("not a challenge");
    };
    let rn: [u8; 32] = b64_array(&nonce).expect("nonce");
    let tag = b64_vec(&proof).expect("proof");
    verify_proof(&key.key, true, &key.agent_id, &an, &rn, &tag).expect("the relay proves the key");
    let answer = Handshake::Proof {
        v: 1,
        proof: b64(&agent_proof(&key.key, &key.agent_id, &an, &rn)),
    };
    ws.send(Message::Text(answer.to_json().into()))
        .await
        .expect("proof");
    let mut channel = FrameChannel::new(&key.key, &an, &rn, true);
    // First, sealed: the addresses the relay can be reached at (none on loopback).
    let raw = next_text(&mut ws).await.expect("addresses");
    let v = open_frame(&mut channel, &raw);
    assert_eq!(v, json!({"type": "addresses", "relays": []}), "{v}");
    (ws, channel)
}

fn seal(channel: &mut FrameChannel, v: &Value) -> String {
    seal_frame(channel, &v.to_string())
}

async fn open_next(ws: &mut Ws, channel: &mut FrameChannel) -> (String, Value) {
    let raw = next_text(ws).await.expect("a frame");
    let v = open_frame(channel, &raw);
    (raw, v)
}

async fn register(ws: &mut Ws, channel: &mut FrameChannel, device: &str) -> String {
    let frame = seal(channel, &json!({"type": "register", "deviceId": device}));
    ws.send(Message::Text(frame.clone().into()))
        .await
        .expect("send");
    let (_, v) = open_next(ws, channel).await;
    assert_eq!(v["type"], "registered", "{v}");
    frame
}

async fn closed_with(ws: &mut Ws) -> (u16, String) {
    loop {
        match next_text(ws).await {
            Ok(_) => continue,
            Err(close) => return close.expect("a close frame"),
        }
    }
}

#[tokio::test]
async fn a_paired_agent_and_its_relay_prove_the_key_then_speak_sealed_frames() {
    let relay = TestRelay::start().await;
    let (stored, key) = paired_agent(&relay, "laptop").await;
    assert!(stored.agent_id.starts_with("agent."), "{}", stored.agent_id);
    assert_eq!(stored.relay, agent_ws(&relay));

    // Listed with the paired phones, as an agent.
    let list = relay.get("/ui/api/phones").await.json().expect("json");
    let names: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|p| p["id"] == stored.agent_id.as_str())
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["Agent on laptop"], "{list}");

    let (mut ws, mut channel) = handshake(&relay, &key).await;
    let register_frame = register(&mut ws, &mut channel, "laptop").await;
    let list = relay.get("/ui/api/phones").await.json().expect("json");
    let seen = list
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["id"] == stored.agent_id.as_str())
        .and_then(|p| p["lastSeen"].as_i64());
    assert!(seen.is_some(), "last seen when it connected: {list}");
    assert!(
        !register_frame.contains("laptop"),
        "the frame is sealed: {register_frame}"
    );

    // The real relay makes it type: the transcription arrives sealed, the ACK goes back.
    let text = "secret dictation for the laptop";
    let sent = relay
        .post(json!({"text": text, "deviceId": "laptop", "id": "m-sealed-1"}))
        .await;
    assert!(sent.status.is_success(), "{:?}", sent.body);
    let (raw, frame) = open_next(&mut ws, &mut channel).await;
    assert_eq!(frame["text"], text);
    assert!(!raw.contains("secret"), "on the wire: {raw}");
    let ack = seal(&mut channel, &json!({"type": "ack", "id": "m-sealed-1"}));
    ws.send(Message::Text(ack.into())).await.expect("ack");
    let result = seal(
        &mut channel,
        &json!({"type": "result", "id": "m-sealed-1", "status": "injected"}),
    );
    ws.send(Message::Text(result.into())).await.expect("result");
    let settled = relay.wait_status("m-sealed-1", "injected").await;
    assert_eq!(settled["status"], "injected", "{settled}");

    // A frame sent again (here: the register frame, counter 1): refused, closed.
    ws.send(Message::Text(register_frame.into()))
        .await
        .expect("replay");
    let (code, reason) = closed_with(&mut ws).await;
    assert_eq!(code, close::REPLAYED, "{reason}");
    assert!(reason.contains("REPLAYED"), "{reason}");

    // An altered frame: refused, closed.
    let (mut ws, mut channel) = handshake(&relay, &key).await;
    let frame = seal(
        &mut channel,
        &json!({"type": "register", "deviceId": "laptop"}),
    );
    let mut v: Value = serde_json::from_str(&frame).expect("json");
    let mut boxed = b64_vec(v["box"].as_str().expect("box")).expect("b64");
    boxed[0] ^= 1;
    v["box"] = b64(&boxed).into();
    ws.send(Message::Text(v.to_string().into()))
        .await
        .expect("send");
    let (code, reason) = closed_with(&mut ws).await;
    assert_eq!(code, close::SEAL_INVALID, "{reason}");

    // A plain frame after the handshake is no frame at all.
    let (mut ws, _) = handshake(&relay, &key).await;
    let plain = json!({"type": "register", "deviceId": "laptop"}).to_string();
    ws.send(Message::Text(plain.into())).await.expect("send");
    assert_eq!(closed_with(&mut ws).await.0, close::SEAL_INVALID);
}

#[tokio::test]
async fn without_the_key_nobody_passes_the_handshake() {
    let relay = TestRelay::start().await;
    let (_, key) = paired_agent(&relay, "laptop").await;

    // The right id, a wrong proof: refused before any frame.
    let mut ws = hello_as(&relay, &key.agent_id).await;
    next_text(&mut ws).await.expect("challenge");
    let forged = Handshake::Proof {
        v: 1,
        proof: b64(&[0; 32]),
    };
    ws.send(Message::Text(forged.to_json().into()))
        .await
        .expect("proof");
    assert_eq!(closed_with(&mut ws).await.0, close::SEAL_INVALID);

    // Frames before the handshake: refused.
    let mut ws = ws_connect(&agent_ws(&relay), None).await.expect("connects");
    let register = json!({"type": "register", "deviceId": "x"}).to_string();
    ws.send(Message::Text(register.into())).await.expect("send");
    assert_eq!(closed_with(&mut ws).await.0, close::HANDSHAKE);

    // A phone's key is no agent's: its id is not paired as an agent.
    let code = pairing_code(&relay.http_url()).await;
    let phone = SealedPhone::pair(&relay.http_url(), &code)
        .await
        .expect("phone");
    let mut ws = hello_as(&relay, &phone.id).await;
    assert_eq!(closed_with(&mut ws).await.0, close::NOT_PAIRED);

    // And an agent's key is no phone's: the sealed phone route does not know it.
    let mut as_phone = SealedPhone {
        url: relay.http_url(),
        id: key.agent_id.clone(),
        keys: DirectionKeys::derive(&key.key),
        counter: 0,
    };
    let (_, envelope) = as_phone.envelope("GET", "/devices", None);
    let reply = post_raw(&relay.http_url(), "/phone/v1/sealed", envelope).await;
    assert_eq!(reply.status.as_u16(), 401, "{:?}", reply.body);
}

#[tokio::test]
async fn a_revoked_agent_is_closed_and_refused_with_clear_words() {
    let relay = TestRelay::start().await;
    let (stored, key) = paired_agent(&relay, "laptop").await;
    let (mut ws, mut channel) = handshake(&relay, &key).await;
    register(&mut ws, &mut channel, "laptop").await;

    let path = format!("/ui/api/phones/{}", stored.agent_id);
    let revoked = relay
        .client()
        .await
        .request(Method::DELETE, &path, Some(TOKEN), None)
        .await
        .expect("revoke");
    assert!(revoked.status.is_success(), "{:?}", revoked.body);
    let (code, reason) = closed_with(&mut ws).await;
    assert_eq!(code, close::NOT_PAIRED, "{reason}");
    assert!(reason.contains("not paired"), "{reason}");

    // Connecting again, it is told so with a proof on its own nonce (hello_as's),
    // made with its key: no one else could have made it.
    let mut ws = hello_as(&relay, &key.agent_id).await;
    let Some(Handshake::Revoked { proof, .. }) =
        Handshake::parse(&next_text(&mut ws).await.expect("the revocation"))
    else {
        panic!("no proven revocation");
    };
    let tag = b64_vec(&proof).expect("b64");
    saytype::sealed::verify_revoked_proof(&key.key, &key.agent_id, &[1; 32], &tag)
        .expect("proven with the agent's key on its nonce");
    let (code, reason) = closed_with(&mut ws).await;
    assert_eq!(code, close::NOT_PAIRED);
    assert!(reason.contains("pair it again"), "{reason}");
    // An id that was never paired: refused, but nothing proven.
    let mut ws = hello_as(&relay, "agent.never-paired").await;
    let (code, _) = closed_with(&mut ws).await;
    assert_eq!(code, close::NOT_PAIRED);
}
