//! Connection limits on real loopback sockets: half-sent requests and idle
//! connections are dropped after the header timeout, a half-sent body after the
//! body timeout, and a flood of connections from one address (127.0.0.2) is capped
//! so that a client on another address (127.0.0.1) is still served.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::*;
use saytype::config::ConnLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

const FLOODER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const PHONE: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));

fn short_limits() -> ConnLimits {
    ConnLimits {
        header_timeout: Duration::from_millis(300),
        body_timeout: Duration::from_millis(300),
        max_connections: 64,
        max_per_address: 16,
    }
}

async fn relay_with(limits: ConnLimits) -> TestRelay {
    TestRelay::with(Options {
        limits,
        ..Options::default()
    })
    .await
}

/// A TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

/// Read until the relay closes the connection (or `SOON` passes): what it sent.
async fn read_until_closed(tcp: &mut TcpStream) -> Option<String> {
    read_until_closed_by(tcp, tokio::time::Instant::now() + SOON).await
}

/// Read until the relay closes the connection (or `deadline` passes).
async fn read_until_closed_by(
    tcp: &mut TcpStream,
    deadline: tokio::time::Instant,
) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return None, // still open
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// One whole request from `from` with `Connection: close`: the response's status line.
async fn request_from(from: IpAddr, relay: &TestRelay, head: &str, body: &str) -> String {
    let mut tcp = connect_from(from, relay.addr).await.expect("connect");
    let raw = format!(
        "{head}\r\nHost: {}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        relay.addr,
        body.len()
    );
    tcp.write_all(raw.as_bytes()).await.expect("write");
    let response = read_until_closed(&mut tcp)
        .await
        .expect("answered and closed");
    response.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn half_sent_requests_and_idle_connections_are_dropped_after_the_header_timeout() {
    let relay = relay_with(short_limits()).await;

    // A request head that never ends.
    let mut half = connect_from(PHONE, relay.addr).await.expect("connect");
    half.write_all(b"POST /transcription HTTP/1.1\r\nHost: localhost\r\nContent-Le")
        .await
        .expect("write");
    assert!(
        read_until_closed(&mut half).await.is_some(),
        "a half-sent head is dropped"
    );

    // A connection that says nothing at all.
    let mut silent = connect_from(PHONE, relay.addr).await.expect("connect");
    assert!(read_until_closed(&mut silent).await.is_some());

    // A kept-alive connection that goes quiet after one answered request.
    let mut idle = connect_from(PHONE, relay.addr).await.expect("connect");
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let answered = read_until_closed(&mut idle)
        .await
        .expect("closed when idle");
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");

    // A head with a body that never comes in full: 408, closed, nothing stored.
    let mut slow = connect_from(PHONE, relay.addr).await.expect("connect");
    let head = format!(
        "POST /transcription HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"text\": \"hal"
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    let answer = read_until_closed(&mut slow)
        .await
        .expect("answered and closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("REQUEST_TIMEOUT"), "{answer}");
    assert_eq!(relay.devices().await[0]["queued"], 0);
}

#[tokio::test]
async fn a_flood_from_one_address_does_not_starve_another() {
    let limits = short_limits();
    let relay = relay_with(ConnLimits {
        // Long enough that the flood is still held while the phone is served.
        header_timeout: Duration::from_secs(30),
        ..limits
    })
    .await;
    let mut flood = Vec::new();
    for _ in 0..200 {
        let mut tcp = connect_from(FLOODER, relay.addr).await.expect("connect");
        let _ = tcp
            .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n")
            .await;
        flood.push(tcp);
    }
    // Everything past the per-address cap is closed at once (the first ones are
    // held until their header timeout).
    let mut closed = 0;
    let deadline = tokio::time::Instant::now() + SOON;
    for tcp in flood.iter_mut().skip(limits.max_per_address) {
        if read_until_closed_by(tcp, deadline).await.is_some() {
            closed += 1;
        }
    }
    assert_eq!(closed, 200 - limits.max_per_address);

    // A phone on another address is served: health and a transcription.
    assert_eq!(
        request_from(PHONE, &relay, "GET /health HTTP/1.1", "").await,
        "HTTP/1.1 200 OK"
    );
    assert_eq!(
        request_from(
            PHONE,
            &relay,
            "POST /transcription HTTP/1.1",
            r#"{"text": "still here"}"#
        )
        .await,
        "HTTP/1.1 200 OK"
    );
    // The flooder itself gets its place back as its connections end.
    drop(flood);
    eventually("a place for the flooder again", || async {
        served_from(FLOODER, relay.addr).await
    })
    .await;
}

/// Whether a `GET /health` from `from` is answered 200.
async fn served_from(from: IpAddr, to: SocketAddr) -> bool {
    let Ok(mut tcp) = connect_from(from, to).await else {
        return false;
    };
    let _ = tcp
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await;
    read_until_closed(&mut tcp)
        .await
        .is_some_and(|a| a.starts_with("HTTP/1.1 200"))
}

#[tokio::test]
async fn the_total_cap_holds_across_addresses() {
    let relay = relay_with(ConnLimits {
        header_timeout: Duration::from_secs(30),
        max_connections: 8,
        max_per_address: 8,
        ..short_limits()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(connect_from(FLOODER, relay.addr).await.expect("connect"));
    }
    // Wait until the relay has accepted all eight (one answered request on the
    // last one proves the loop has reached it).
    let last = held.last_mut().expect("last");
    last.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 12];
    last.read_exact(&mut buf).await.expect("answered");
    let mut ninth = connect_from(PHONE, relay.addr).await.expect("connect");
    assert!(
        read_until_closed(&mut ninth).await.is_some(),
        "the ninth connection is closed at once"
    );
    drop(held);
    eventually("room again", || async {
        served_from(PHONE, relay.addr).await
    })
    .await;
}
