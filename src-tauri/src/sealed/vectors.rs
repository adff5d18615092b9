//! The shared test vectors, `docs/sealed-link-vectors.json`: the node unit tests
//! check the phone page's code against the same file. `SAYTYPE_WRITE_VECTORS=1`
//! writes it anew (only when the scheme changes on purpose).

use serde_json::{json, Value};

use super::*;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn computed() -> Value {
    let code = "q8vA3kPZr0Wm1cXy7sTnLg";
    let phone_secret = [0x11u8; 32];
    let relay_secret = [0x22u8; 32];
    let phone_id = "Ph7xKq2mVb9sLw0e";
    let keys = CodeKeys::derive(code);
    let hello = phone_hello(&keys, &phone_secret);
    let (answer, key) = relay_answer(&keys, &hello, &relay_secret, phone_id).expect("answer");
    let dir = DirectionKeys::derive(&key);
    let counter = 1_764_650_000_000_001u64;
    let request_nonce = [0x33u8; NONCE_LEN];
    let response_nonce = [0x44u8; NONCE_LEN];
    let request = r#"{"method":"POST","path":"/transcription","body":{"text":"Hello from my phone","id":"m-1"}}"#;
    let response = r#"{"status":200,"body":{"id":"m-1","status":"delivered","deviceId":"desk"}}"#;
    let agent_id = "agent.Ag7xKq2mVb9sLw0e";
    let (agent_nonce, relay_nonce) = ([0x55u8; 32], [0x66u8; 32]);
    let frame_nonce = [0x77u8; NONCE_LEN];
    let frame = r#"{"type":"register","deviceId":"laptop"}"#;
    let mut channel = FrameChannel::new(&key, &agent_nonce, &relay_nonce, true);
    let (frame_ctr, frame_box) = channel.seal(&frame_nonce, frame.as_bytes());
    json!({
        "agentId": agent_id,
        "agentKey": hex(&key),
        "agentNonce": hex(&agent_nonce),
        "agentRelayNonce": hex(&relay_nonce),
        "agentRelayProof": hex(&relay_proof(&key, agent_id, &agent_nonce, &relay_nonce)),
        "agentProof": hex(&agent_proof(&key, agent_id, &agent_nonce, &relay_nonce)),
        "agentRevokedProof": hex(&revoked_proof(&key, agent_id, &agent_nonce)),
        "agentKeyToRelay": hex(&frame_key(&key, &agent_nonce, &relay_nonce, Direction::AgentToRelay)),
        "agentKeyToAgent": hex(&frame_key(&key, &agent_nonce, &relay_nonce, Direction::RelayToAgent)),
        "agentFrameAad": String::from_utf8_lossy(&frame_aad(Direction::AgentToRelay, frame_ctr)),
        "agentFrameNonce": hex(&frame_nonce),
        "agentFramePlain": frame,
        "agentFrameBox": hex(&frame_box),
        "about": "Test vectors of docs/sealed-link.md; bytes in hex. Checked by src-tauri/src/sealed/vectors.rs and src-tauri/tests/browser/unit/sealed.test.js (the agent* ones, section 7, by the Rust side only: the phone does not use them).",
        "code": code,
        "codeId": hex(&keys.id),
        "codeMacKey": hex(&keys.mac),
        "codeSalt": hex(&keys.salt),
        "phoneSecret": hex(&phone_secret),
        "phonePub": hex(&hello.phone_pub),
        "phoneProof": hex(&hello.proof),
        "relaySecret": hex(&relay_secret),
        "relayPub": hex(&answer.relay_pub),
        "phoneId": phone_id,
        "relayProof": hex(&answer.proof),
        "confirm": hex(&answer.confirm),
        "phoneKey": hex(&key),
        "requestKey": hex(&dir.request),
        "responseKey": hex(&dir.response),
        "counter": counter,
        "requestAad": String::from_utf8_lossy(&envelope::request_aad(phone_id, counter)),
        "requestNonce": hex(&request_nonce),
        "requestPlain": request,
        "requestBox": hex(&seal_request(&dir.request, phone_id, counter, &request_nonce, request.as_bytes())),
        "responseAad": String::from_utf8_lossy(&envelope::response_aad(phone_id, counter)),
        "responseNonce": hex(&response_nonce),
        "responsePlain": response,
        "responseBox": hex(&seal_response(&dir.response, phone_id, counter, &response_nonce, response.as_bytes())),
    })
}

#[test]
fn the_shared_vectors_hold() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/sealed-link-vectors.json");
    let now = computed();
    if std::env::var_os("SAYTYPE_WRITE_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&now).expect("json") + "\n";
        std::fs::write(&path, text).expect("write vectors");
    }
    let text = std::fs::read_to_string(&path).expect("docs/sealed-link-vectors.json");
    let stored: Value = serde_json::from_str(&text).expect("vectors parse");
    assert_eq!(stored, now);
    // And the stored boxes open with the stored keys.
    let unhex = |v: &Value| -> Vec<u8> {
        let s = v.as_str().expect("hex");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let key: [u8; 32] = unhex(&stored["requestKey"]).try_into().expect("32");
    let nonce: [u8; NONCE_LEN] = unhex(&stored["requestNonce"]).try_into().expect("24");
    let counter = stored["counter"].as_u64().expect("counter");
    let plain = open_request(
        &key,
        "Ph7xKq2mVb9sLw0e",
        counter,
        &nonce,
        &unhex(&stored["requestBox"]),
    )
    .expect("opens");
    assert_eq!(
        plain,
        stored["requestPlain"].as_str().expect("plain").as_bytes()
    );
}
