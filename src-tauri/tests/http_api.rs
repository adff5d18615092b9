//! The HTTP API of PROTOCOL.md §3 against a real relay on loopback: validation and
//! every error code, routing, ACK waits and idempotency.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn error_code(r: &saytype::client::HttpResponse) -> String {
    let v = r.json().expect("error body is JSON");
    v["error"]["code"].as_str().expect("error.code").to_owned()
}

#[tokio::test]
async fn health_and_phone_page_need_no_token() {
    let relay = TestRelay::start().await;
    let mut c = relay.client().await;
    let health = c.get("/health", None).await.expect("get");
    assert_eq!(health.status, 200);
    let v = health.json().expect("json");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let page = c.get("/", None).await.expect("get");
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("SayType"));
}

#[tokio::test]
async fn everything_else_needs_the_token() {
    let relay = TestRelay::start().await;
    let mut c = relay.client().await;
    for (path, token) in [
        ("/devices", None),
        ("/devices", Some("wrong")),
        ("/transcription/x", None),
    ] {
        let r = c.get(path, token).await.expect("get");
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(error_code(&r), "UNAUTHORIZED");
    }
    let r = c
        .post_json("/transcription", Some("wrong"), &json!({"text": "secret"}))
        .await
        .expect("post");
    assert_eq!(r.status, 401);
    // A token in the query string is for WebSocket clients only.
    let r = c
        .get(&format!("/devices?token={TOKEN}"), None)
        .await
        .expect("get");
    assert_eq!(r.status, 401);
    // Nothing was stored by the refused POST.
    assert_eq!(relay.devices().await[0]["queued"], 0);
}

#[tokio::test]
async fn validation_errors_have_clear_codes_and_change_nothing() {
    let relay = TestRelay::start().await;
    let cases = [
        (json!({}), 400, "INVALID_TEXT"),
        (json!({"text": "   \n "}), 400, "INVALID_TEXT"),
        (json!({"text": 12}), 400, "INVALID_TEXT"),
        (json!({"text": "bell \u{7}"}), 400, "INVALID_TEXT"),
        (json!({"text": "x".repeat(10_001)}), 400, "INVALID_TEXT"),
        (
            json!({"text": "hi", "deviceId": "no/slash"}),
            400,
            "INVALID_DEVICE_ID",
        ),
        (
            json!({"text": "hi", "deviceId": ""}),
            400,
            "INVALID_DEVICE_ID",
        ),
        (json!({"text": "hi", "id": "has space"}), 400, "INVALID_ID"),
        (
            json!({"text": "hi", "id": "x".repeat(129)}),
            400,
            "INVALID_ID",
        ),
        (
            json!({"text": "hi", "timestamp": "noon"}),
            400,
            "INVALID_JSON",
        ),
        (
            json!({"text": "hi", "deviceId": "never-seen"}),
            404,
            "UNKNOWN_DEVICE",
        ),
    ];
    for (body, status, code) in cases {
        let r = relay.post(body.clone()).await;
        assert_eq!(r.status, status, "{body}");
        assert_eq!(error_code(&r), code, "{body}");
    }
    for (body, ctype, status, code) in [
        (&b"{not json"[..], "application/json", 400, "INVALID_JSON"),
        (&b"[1,2]"[..], "application/json", 400, "INVALID_JSON"),
        (
            &br#"{"text":"hi"}"#[..],
            "text/plain",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ] {
        let r = post_raw(&relay, body, Some(ctype)).await;
        assert_eq!(r.0, status, "{ctype}");
        assert!(r.1.contains(code), "{}", r.1);
    }
    // No Content-Type at all.
    let r = post_raw(&relay, br#"{"text":"hi"}"#, None).await;
    assert_eq!(r.0, 415);
    // 64 KiB cap on the body, whatever it holds.
    let big = format!(r#"{{"text":"hi","pad":"{}"}}"#, "x".repeat(70_000));
    let r = post_raw(&relay, big.as_bytes(), Some("application/json")).await;
    assert_eq!(r.0, 413);
    assert!(r.1.contains("PAYLOAD_TOO_LARGE"));
    // A body just under the cap with valid text is fine.
    let ok = relay.post(json!({"text": "é".repeat(10_000)})).await;
    assert_eq!(ok.status, 200);
    // Only that last message was stored.
    assert_eq!(relay.devices().await[0]["queued"], 1);
}

#[tokio::test]
async fn invisible_format_characters_are_refused_with_invalid_text() {
    let relay = TestRelay::start().await;
    for c in [
        '\u{202E}', '\u{2066}', '\u{2028}', '\u{2029}', '\u{200B}', '\u{2060}', '\u{FEFF}',
    ] {
        let r = relay.post(json!({"text": format!("pay {c}100")})).await;
        assert_eq!(r.status, 400, "U+{:04X}", u32::from(c));
        assert_eq!(error_code(&r), "INVALID_TEXT");
        let message = r.json().expect("json")["error"]["message"].to_string();
        assert!(
            message.contains(&format!("U+{:04X}", u32::from(c))),
            "{message}"
        );
    }
    // Nothing stored; what real writing needs (ZWJ, ZWNJ, RLM, variation
    // selectors) is accepted.
    assert_eq!(relay.devices().await[0]["queued"], 0);
    let ok = relay
        .post(json!({"text": "👩\u{200D}💻 می\u{200C}خواهم \u{200F}❤\u{FE0F}"}))
        .await;
    assert_eq!(ok.status, 200);
}

/// POST with a raw body and content type over a plain TCP socket.
async fn post_raw(relay: &TestRelay, body: &[u8], ctype: Option<&str>) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(relay.addr)
        .await
        .expect("connect");
    let mut head = format!(
        "POST /transcription HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(ctype) = ctype {
        head.push_str(&format!("Content-Type: {ctype}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.expect("write");
    // The relay may answer 413 before reading the whole body; ignore write errors.
    let _ = s.write_all(body).await;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let relay = TestRelay::start().await;
    let r = relay.get("/nope").await;
    assert_eq!(r.status, 404);
    assert_eq!(error_code(&r), "NOT_FOUND");
    let r = relay.get("/transcription/unknown-id").await;
    assert_eq!(r.status, 404);
    assert_eq!(error_code(&r), "NOT_FOUND");
    let mut c = relay.client().await;
    let r = c
        .request(hyper::Method::DELETE, "/devices", Some(TOKEN), None)
        .await
        .expect("request");
    assert_eq!(r.status, 405);
    assert_eq!(error_code(&r), "METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn offline_default_device_queues_and_online_agent_gets_delivered() {
    let relay = TestRelay::start().await;
    // No agent yet: the default device queues.
    let r = relay.post(json!({"text": "first", "id": "m-1"})).await;
    assert_eq!(r.status, 200);
    let v = r.json().expect("json");
    assert_eq!(
        v,
        json!({"id": "m-1", "status": "queued", "deviceId": DEFAULT_DEVICE})
    );
    let s = relay.status_of("m-1").await;
    assert_eq!(s["status"], "queued");
    assert!(s["createdAt"].as_i64().expect("createdAt") > 0);
    assert!(s.get("deliveredAt").is_none());

    let (mut agent, registered) = Agent::register(&relay, "Desk.local").await;
    assert_eq!(
        registered,
        json!({"type": "registered", "deviceId": "desk", "queued": 1})
    );
    let f = agent.next_json().await;
    assert_eq!(f["type"], "transcription");
    assert_eq!(f["id"], "m-1");
    assert_eq!(f["text"], "first");
    assert!(f["timestamp"].as_i64().is_some());
    agent.ack("m-1").await;
    assert_eq!(
        relay.wait_status("m-1", "delivered").await["status"],
        "delivered"
    );

    // Online: the POST answers only after the ACK, with "delivered".
    let (r, f) = agent
        .ack_while(relay.post(json!({"text": "second", "deviceId": "DESK", "timestamp": 1234})))
        .await;
    assert_eq!(f["text"], "second");
    assert_eq!(f["timestamp"], 1234);
    let id = f["id"].as_str().expect("id");
    let v = r.json().expect("json");
    assert_eq!(v["status"], "delivered");
    assert_eq!(v["deviceId"], "desk");
    assert_eq!(v["id"], id);
    // Generated ids are UUIDs.
    assert_eq!(id.len(), 36);
    let s = relay.status_of(id).await;
    assert_eq!(s["status"], "delivered");
    assert!(s["deliveredAt"].as_i64().is_some());
}

#[tokio::test]
async fn result_frames_feed_the_history() {
    let relay = TestRelay::start().await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    for (id, status, error) in [
        ("ok-1", "injected", None),
        ("bad-1", "failed", Some("no display")),
    ] {
        let (r, f) = agent
            .ack_while(relay.post(json!({"text": "x", "id": id})))
            .await;
        assert_eq!(r.json().expect("json")["status"], "delivered");
        let mut result = json!({"type": "result", "id": f["id"], "status": status});
        if let Some(e) = error {
            result["error"] = e.into();
        }
        agent.send_json(result).await;
    }
    let ok = relay.wait_status("ok-1", "injected").await;
    assert_eq!(ok["status"], "injected");
    assert!(ok["injectedAt"].as_i64().is_some());
    assert!(ok.get("error").is_none());
    let bad = relay.wait_status("bad-1", "failed").await;
    assert_eq!(bad["status"], "failed");
    assert_eq!(bad["error"], "no display");
    assert!(bad.get("injectedAt").is_none());
}

#[tokio::test]
async fn same_id_is_delivered_once_and_other_text_conflicts() {
    let relay = TestRelay::start().await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let (r, f) = agent
        .ack_while(relay.post(json!({"text": "hello", "id": "dup-1"})))
        .await;
    assert_eq!(f["id"], "dup-1");
    assert_eq!(r.json().expect("json")["status"], "delivered");

    // Same id, same text: current status, no second delivery.
    let again = relay.post(json!({"text": "hello", "id": "dup-1"})).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json().expect("json")["status"], "delivered");
    // Same id, other text (or other device): conflict.
    let other = relay.post(json!({"text": "bye", "id": "dup-1"})).await;
    assert_eq!(other.status, 409);
    assert_eq!(error_code(&other), "ID_CONFLICT");
    agent.expect_silence(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn ack_timeout_answers_queued_and_a_late_ack_still_counts() {
    let relay = TestRelay::with(Options {
        ack_timeout: Duration::from_millis(200),
        ..Options::default()
    })
    .await;
    let (mut agent, _) = Agent::register(&relay, DEFAULT_DEVICE).await;
    let r = relay.post(json!({"text": "slow", "id": "late-1"})).await;
    assert_eq!(r.json().expect("json")["status"], "queued");
    let f = agent.next_json().await;
    assert_eq!(f["id"], "late-1");
    // Not sent again on the same connection.
    agent.expect_silence(Duration::from_millis(300)).await;
    agent.ack("late-1").await;
    assert_eq!(
        relay.wait_status("late-1", "delivered").await["status"],
        "delivered",
        "the late ACK counts"
    );
    assert_eq!(relay.devices().await[0]["queued"], 0);
    // Reconnect: it is not sent again.
    drop(agent);
    eventually("agent offline", || async {
        relay.devices().await[0]["online"] == false
    })
    .await;
    let (mut agent, registered) = Agent::register(&relay, DEFAULT_DEVICE).await;
    assert_eq!(registered["queued"], 0);
    agent.expect_silence(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn queue_cap_gives_429_but_a_retry_of_a_stored_message_is_answered() {
    let relay = TestRelay::with(Options {
        queue_cap: 3,
        ..Options::default()
    })
    .await;
    for i in 0..3 {
        let r = relay
            .post(json!({"text": "t", "id": format!("q-{i}")}))
            .await;
        assert_eq!(r.status, 200);
    }
    let r = relay.post(json!({"text": "t", "id": "q-3"})).await;
    assert_eq!(r.status, 429);
    assert_eq!(error_code(&r), "QUEUE_FULL");
    let retry = relay.post(json!({"text": "t", "id": "q-1"})).await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.json().expect("json")["status"], "queued");
    let r = relay.get("/transcription/q-3").await;
    assert_eq!(r.status, 404, "the refused message was not stored");
}

#[tokio::test]
async fn devices_lists_online_state_queue_and_last_seen() {
    let relay = TestRelay::start().await;
    let (agent, _) = Agent::register(&relay, "laptop").await;
    relay
        .post(json!({"text": "q", "deviceId": DEFAULT_DEVICE}))
        .await;
    let list = relay.devices().await;
    assert_eq!(
        list,
        json!([
            {"deviceId": "desk", "default": true, "online": false, "queued": 1},
            {"deviceId": "laptop", "online": true, "queued": 0}
        ])
    );
    drop(agent);
    eventually("laptop offline with lastSeen", || async {
        let list = relay.devices().await;
        list[1]["online"] == false && list[1]["lastSeen"].as_i64().is_some()
    })
    .await;
    // Known devices stay routable while offline.
    let r = relay
        .post(json!({"text": "later", "deviceId": "laptop"}))
        .await;
    assert_eq!(r.json().expect("json")["status"], "queued");
}

#[tokio::test]
async fn a_post_during_shutdown_gets_503_and_is_not_stored() {
    let relay = TestRelay::start().await;
    let mut s = tokio::net::TcpStream::connect(relay.addr)
        .await
        .expect("connect");
    let body = br#"{"text":"too late","id":"late-shutdown"}"#;
    let head = format!(
        "POST /transcription HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.expect("write");
    s.write_all(&body[..5]).await.expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    relay.shutdown.cancel();
    s.write_all(&body[5..]).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(SOON, s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("SHUTTING_DOWN"));
    let dir = relay.stop().await;
    let relay = TestRelay::on_dir(dir, Options::default()).await;
    assert_eq!(relay.get("/transcription/late-shutdown").await.status, 404);
}
