//! DNS rebinding and foreign browser pages, on a real relay over loopback: a `Host`
//! that does not name the relay is refused (421) before anything else, and `/ws`
//! refuses a browser `Origin` other than the relay's own or the tray app's.

mod common;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Send `head` (request line and headers, without the final blank line) with
/// `Connection: close`; the status line and the body of the answer.
async fn raw(relay: &TestRelay, head: &str) -> (String, String) {
    let mut tcp = TcpStream::connect(relay.addr).await.expect("connect");
    tcp.write_all(format!("{head}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut answer = Vec::new();
    // A 101 keeps the socket open: read what arrives within a moment.
    let _ = tokio::time::timeout(SOON, tcp.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_owned();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn ws_head(host: &str, origin: Option<&str>) -> String {
    let mut head = format!(
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: Bearer {TOKEN}"
    );
    if let Some(origin) = origin {
        head.push_str(&format!("\r\nOrigin: {origin}"));
    }
    head
}

/// Like [`raw`], but for a WebSocket handshake: only its status line (a 101 keeps
/// the socket open, so read the head only).
async fn handshake(relay: &TestRelay, host: &str, origin: Option<&str>) -> String {
    let mut tcp = TcpStream::connect(relay.addr).await.expect("connect");
    tcp.write_all(format!("{}\r\n\r\n", ws_head(host, origin)).as_bytes())
        .await
        .expect("write");
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(SOON, tcp.read(&mut buf))
        .await
        .expect("answered")
        .expect("read");
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_host_that_does_not_name_the_relay_is_refused() {
    let relay = TestRelay::start().await;
    let port = relay.addr.port();
    for host in [
        "attacker.example".to_owned(),
        format!("attacker.example:{port}"),
        format!("127.0.0.1.nip.example:{port}"),
    ] {
        let (status, body) = raw(&relay, &format!("GET /health HTTP/1.1\r\nHost: {host}")).await;
        assert_eq!(status, "HTTP/1.1 421 Misdirected Request", "{host}");
        assert!(body.contains("HOST_NOT_ALLOWED"), "{body}");
        // The phone page and the token-guarded routes alike.
        let (status, _) = raw(&relay, &format!("GET / HTTP/1.1\r\nHost: {host}")).await;
        assert!(status.contains(" 421 "), "{status}");
        let (status, _) = raw(
            &relay,
            &format!("GET /devices HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}"),
        )
        .await;
        assert!(status.contains(" 421 "), "{status}");
    }
    // The relay's own names are served.
    let own = gethostname::gethostname().to_string_lossy().to_lowercase();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        format!("desk.local:{port}"),
        format!("{own}:{port}"),
    ] {
        let (status, _) = raw(&relay, &format!("GET /health HTTP/1.1\r\nHost: {host}")).await;
        assert_eq!(status, "HTTP/1.1 200 OK", "{host}");
    }
    // No Host at all (HTTP/1.0 tools): no browser, served.
    let (status, _) = raw(&relay, "GET /health HTTP/1.0").await;
    assert!(status.ends_with(" 200 OK"), "{status}");
}

#[tokio::test]
async fn the_websocket_refuses_foreign_browser_origins() {
    let relay = TestRelay::start().await;
    let host = relay.addr.to_string();
    for origin in [
        "http://attacker.example",
        "http://127.0.0.1:1",
        "null",
        "https://evil.example",
    ] {
        let status = handshake(&relay, &host, Some(origin)).await;
        assert_eq!(status, "HTTP/1.1 403 Forbidden", "{origin}");
    }
    let (_, body) = raw(&relay, &ws_head(&host, Some("http://attacker.example"))).await;
    assert!(body.contains("ORIGIN_NOT_ALLOWED"), "{body}");
    // No device was registered by any of them.
    let devices = relay.devices().await;
    assert_eq!(devices.as_array().map(Vec::len), Some(1), "{devices}");

    // The relay's own pages, the tray app, and clients that are no browser.
    for origin in [
        Some(format!("http://{host}")),
        Some("tauri://localhost".to_owned()),
        None,
    ] {
        let status = handshake(&relay, &host, origin.as_deref()).await;
        assert_eq!(status, "HTTP/1.1 101 Switching Protocols", "{origin:?}");
    }
    // And a real agent still registers.
    let (_agent, registered) = Agent::register(&relay, "laptop").await;
    assert_eq!(registered["type"], "registered");
}
