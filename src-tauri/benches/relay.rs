//! Load generator for the relay: drives a real `saytype serve --no-agent` over
//! loopback with real WebSocket agents that ACK at once, and reports latency
//! percentiles, throughput, memory per connection and queue-drain time, each with a
//! correctness check (lost / duplicated / misrouted messages).
//!
//! Run: `cargo bench -p saytype --no-default-features --bench relay`
//! One scenario: `... --bench relay -- latency|throughput|memory|drain`
//! Sizes can be scaled down for a smoke run with `SAYTYPE_BENCH_SCALE=0.1`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use saytype::client::HttpClient;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

fn scale(n: usize) -> usize {
    let factor: f64 = std::env::var("SAYTYPE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * factor).round() as usize).max(1)
}

// The tests' helpers: the real binary as a child process, the token, a WebSocket.
#[path = "../tests/common/mod.rs"]
mod common;

use common::{served, ws_connect_from, Ws, DEFAULT_DEVICE, TOKEN};

mod load;
use load::{check, micros, percentile, run_acking_agent, summary, Frame, Received};

/// A `saytype serve --no-agent` child process on a fresh data directory.
struct Relay {
    served: served::Served,
    url: String,
    _dir: tempfile::TempDir,
}

impl Relay {
    fn start() -> Relay {
        let (served, dir) = load::spawn_relay();
        Relay {
            url: served.url.clone(),
            served,
            _dir: dir,
        }
    }

    fn ws_url(&self) -> String {
        self.served.ws_url()
    }

    /// Resident memory of the relay process, in KiB.
    fn rss_kib(&self) -> u64 {
        load::rss_kib(self.served.child.id())
    }
}

async fn connect_agent(relay_ws: &str, device: &str) -> (Ws, usize) {
    connect_agent_from(relay_ws, device, None).await
}

/// An agent connecting from the loopback address `from`: the relay holds at most
/// 128 connections per client address, and real agents come from many machines.
async fn connect_agent_from(
    relay_ws: &str,
    device: &str,
    from: Option<std::net::IpAddr>,
) -> (Ws, usize) {
    let mut ws = ws_connect_from(relay_ws, Some(TOKEN), from)
        .await
        .expect("ws connect");
    crate::load::register(&mut ws, device).await;
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json");
                assert_eq!(v["type"], "registered", "{v}");
                return (ws, v["queued"].as_u64().unwrap_or(0) as usize);
            }
            Some(Ok(_)) => continue,
            other => panic!("registration failed: {other:?}"),
        }
    }
}

/// One agent, one sender, sequential POSTs, each answered after the agent's ACK.
async fn latency() {
    let relay = Relay::start();
    let received: Received = Arc::default();
    let (ws, _) = connect_agent(&relay.ws_url(), DEFAULT_DEVICE).await;
    let stop = CancellationToken::new();
    let agent = tokio::spawn(run_acking_agent(
        ws,
        DEFAULT_DEVICE.into(),
        received.clone(),
        None,
        stop.clone(),
    ));
    let mut client = HttpClient::connect(&relay.url).await.expect("connect");
    let (warmup, n) = (scale(2_000), scale(20_000));
    let mut expected = Vec::with_capacity(n);
    let mut latencies = Vec::with_capacity(n);
    let mut not_delivered = 0;
    for i in 0..warmup + n {
        let id = format!("lat-{i}");
        let started = Instant::now();
        let r = load::post(
            &mut client,
            "The quick brown fox jumps over the lazy dog.",
            &id,
            None,
        )
        .await;
        let took = started.elapsed();
        if !load::delivered(&r) {
            not_delivered += 1;
        }
        expected.push(id);
        if i >= warmup {
            latencies.push(took);
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    let _ = agent.await;
    latencies.sort();
    let total: Duration = latencies.iter().sum();
    println!("latency: 1 agent, 1 sender, {n} sequential POSTs (after {warmup} warm-up)");
    println!("{}  mean {}", summary(&latencies), micros(total / n as u32));
    let expected = HashMap::from([(DEFAULT_DEVICE.to_owned(), expected)]);
    let received = received.lock().expect("lock").clone();
    println!(
        "  correctness: {}, not answered 'delivered' {not_delivered}",
        check(&expected, &received)
    );
}

/// The same sequential scenario with a load generator that never sleeps: one thread
/// drives the sender and the agent over non-blocking sockets and spins between
/// reads. On this VM waking a sleeping thread costs 20-40 µs (a blocking TCP
/// ping-pong between two processes takes 57 µs, 19 µs when one side spins), and a
/// delivered POST crosses two round trips; spinning keeps the generator's own
/// wake-ups out of the relay's figure. The sleeping-client figure above includes them.
fn latency_spinning() {
    use std::io::{ErrorKind, Read, Write};
    let relay = Relay::start();
    let authority = relay.url.trim_start_matches("http://").to_owned();
    // The agent: tungstenite over a blocking handshake, then non-blocking.
    let stream = std::net::TcpStream::connect(&authority).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = relay.ws_url().into_client_request().expect("request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {TOKEN}").parse().expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::tungstenite::client(req, stream).expect("handshake");
    ws.send(Message::Text(
        json!({"type": "register", "deviceId": DEFAULT_DEVICE})
            .to_string()
            .into(),
    ))
    .expect("register");
    let registered = ws.read().expect("registered");
    assert!(registered.to_text().unwrap_or("").contains("registered"));
    ws.get_mut().set_nonblocking(true).expect("nonblocking");
    // The sender: plain HTTP/1.1 on a keep-alive socket.
    let mut http = std::net::TcpStream::connect(&authority).expect("connect");
    http.set_nodelay(true).expect("nodelay");
    http.set_nonblocking(true).expect("nonblocking");

    let (warmup, n) = (scale(2_000), scale(20_000));
    let mut latencies = Vec::with_capacity(n);
    let (mut received, mut not_delivered) = (Vec::with_capacity(warmup + n), 0usize);
    let mut buf = vec![0u8; 4096];
    for i in 0..warmup + n {
        let body =
            format!(r#"{{"text":"The quick brown fox jumps over the lazy dog.","id":"spin-{i}"}}"#);
        let request = format!(
            "POST /transcription HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let started = Instant::now();
        http.write_all(request.as_bytes()).expect("write");
        let mut response = Vec::new();
        loop {
            match ws.read() {
                Ok(Message::Text(t)) => {
                    if let Ok(Frame {
                        kind: "transcription",
                        id: Some(id),
                    }) = serde_json::from_str::<Frame>(t.as_str())
                    {
                        received.push(id.to_owned());
                        let ack = format!(r#"{{"type":"ack","id":"{id}"}}"#);
                        ws.send(Message::Text(ack.into())).expect("ack");
                    }
                }
                Ok(_) => {}
                Err(tokio_tungstenite::tungstenite::Error::Io(e))
                    if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("agent socket: {e}"),
            }
            match http.read(&mut buf) {
                Ok(0) => panic!("relay closed the HTTP connection"),
                Ok(k) => response.extend_from_slice(&buf[..k]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("http socket: {e}"),
            }
            if response_complete(&response) {
                break;
            }
            std::hint::spin_loop();
        }
        let took = started.elapsed();
        if !response.windows(11).any(|w| w == b"\"delivered\"") {
            not_delivered += 1;
        }
        if i >= warmup {
            latencies.push(took);
        }
    }
    latencies.sort();
    println!("latency, spinning load generator: 1 agent, 1 sender, {n} sequential POSTs");
    println!("{}", summary(&latencies));
    let expected: Vec<String> = (0..warmup + n).map(|i| format!("spin-{i}")).collect();
    let expected = HashMap::from([(DEFAULT_DEVICE.to_owned(), expected)]);
    let received = HashMap::from([(DEFAULT_DEVICE.to_owned(), received)]);
    println!(
        "  correctness: {}, not answered 'delivered' {not_delivered}",
        check(&expected, &received)
    );
}

/// Whether `bytes` holds a whole HTTP response (headers and Content-Length body).
fn response_complete(bytes: &[u8]) -> bool {
    let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    bytes.len() >= end + 4 + length
}

/// Where the time of one request goes: bare HTTP, + store insert, + ACK round trip.
async fn breakdown() {
    let relay = Relay::start();
    let (ws, _) = connect_agent(&relay.ws_url(), "offline").await;
    drop(ws);
    let mut client = HttpClient::connect(&relay.url).await.expect("connect");
    let n = scale(5_000);
    let mut health = Vec::with_capacity(n);
    let mut stored = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        client.get("/health", None).await.expect("health");
        health.push(t.elapsed());
        let t = Instant::now();
        load::post(
            &mut client,
            "The quick brown fox.",
            &format!("b-{i}"),
            Some("offline"),
        )
        .await;
        stored.push(t.elapsed());
    }
    health.sort();
    stored.sort();
    println!("breakdown: {n} requests each");
    println!(
        "  GET /health            p50 {} p99 {}",
        micros(percentile(&health, 0.5)),
        micros(percentile(&health, 0.99))
    );
    println!(
        "  POST, device offline   p50 {} p99 {}",
        micros(percentile(&stored, 0.5)),
        micros(percentile(&stored, 0.99))
    );
}

/// Many agents, many concurrent senders, every message persisted and ACKed.
async fn throughput() {
    let (agents, senders, per_sender) = (50usize, 32usize, scale(5_000));
    let relay = Relay::start();
    let received: Received = Arc::default();
    let mut agent_tasks = Vec::new();
    let stop = CancellationToken::new();
    for a in 0..agents {
        let device = format!("agent-{a}");
        let (ws, _) = connect_agent(&relay.ws_url(), &device).await;
        agent_tasks.push(tokio::spawn(run_acking_agent(
            ws,
            device,
            received.clone(),
            None,
            stop.clone(),
        )));
    }
    let started = Instant::now();
    let mut sender_tasks = Vec::new();
    for s in 0..senders {
        let url = relay.url.clone();
        sender_tasks.push(tokio::spawn(async move {
            let mut client = HttpClient::connect(&url).await.expect("connect");
            let mut sent: Vec<(String, String)> = Vec::with_capacity(per_sender);
            let mut not_delivered = 0usize;
            for i in 0..per_sender {
                let device = format!("agent-{}", (s * 7 + i) % agents);
                let id = format!("t-{s}-{i}");
                let r = load::post(&mut client, load::DICTATED, &id, Some(&device)).await;
                if !load::delivered(&r) {
                    not_delivered += 1;
                }
                sent.push((device, id));
            }
            (sent, not_delivered)
        }));
    }
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    let mut not_delivered = 0;
    for t in sender_tasks {
        let (sent, nd) = t.await.expect("sender");
        not_delivered += nd;
        for (device, id) in sent {
            expected.entry(device).or_default().push(id);
        }
    }
    let elapsed = started.elapsed();
    let total = senders * per_sender;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.cancel();
    for t in agent_tasks {
        let _ = t.await;
    }
    let received = received.lock().expect("lock").clone();
    println!("throughput: {agents} agents, {senders} concurrent senders, {total} messages");
    println!(
        "  {:.0} messages/s ({:.2} s)",
        total as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "  correctness: {}, not answered 'delivered' {not_delivered}",
        check(&expected, &received)
    );
}

/// Resident memory per idle registered agent connection.
async fn memory() {
    let n = scale(2_000);
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("cannot raise the open-file limit: {e}");
    }
    let relay = Relay::start();
    // Warm up the relay (allocator arenas, first connection, store thread).
    let mut warm = Vec::new();
    for i in 0..20 {
        warm.push(connect_agent(&relay.ws_url(), &format!("warm-{i}")).await.0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = relay.rss_kib();
    let ws_url = relay.ws_url();
    let mut idle = Vec::with_capacity(n);
    let chunks: Vec<Vec<usize>> = (0..n)
        .collect::<Vec<_>>()
        .chunks(100)
        .map(<[usize]>::to_vec)
        .collect();
    for chunk in chunks {
        let batch =
            futures_util::future::join_all(
                chunk.iter().map(|i| {
                    let ws_url = ws_url.clone();
                    // 100 agents per address, from 127.0.0.10 on.
                    let from = std::net::Ipv4Addr::new(127, 0, 0, 10 + (i / 100) as u8);
                    async move {
                        connect_agent_from(&ws_url, &format!("idle-{i}"), Some(from.into())).await
                    }
                }),
            )
            .await;
        idle.extend(batch.into_iter().map(|(ws, _)| ws));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = relay.rss_kib();
    let mut client = HttpClient::connect(&relay.url).await.expect("connect");
    let online = load::online(&load::devices(&mut client).await);
    println!("memory: {n} idle registered agents");
    println!(
        "  relay RSS {before} KiB -> {after} KiB: {:.2} KiB per connection ({online} online)",
        (after.saturating_sub(before)) as f64 / n as f64
    );
    drop(idle);
    drop(warm);
}

/// Time for a reconnecting agent to receive 1,000 queued messages.
async fn drain() {
    let n = scale(1_000);
    let rounds = 5;
    let relay = Relay::start();
    let mut times = Vec::new();
    let mut ack_times = Vec::new();
    let mut checks = Vec::new();
    for round in 0..rounds {
        let device = format!("drain-{round}");
        let (ws, _) = connect_agent(&relay.ws_url(), &device).await;
        drop(ws);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut client = HttpClient::connect(&relay.url).await.expect("connect");
        let mut ids = Vec::with_capacity(n);
        for i in 0..n {
            let id = format!("d-{round}-{i}");
            load::post(
                &mut client,
                "Queued while the desktop was away.",
                &id,
                Some(&device),
            )
            .await;
            ids.push(id);
        }
        let received: Received = Arc::default();
        let started = Instant::now();
        let (ws, queued) = connect_agent(&relay.ws_url(), &device).await;
        assert_eq!(queued, n);
        let (_ws, last) = run_acking_agent(
            ws,
            device.clone(),
            received.clone(),
            Some(n),
            CancellationToken::new(),
        )
        .await;
        times.push(last - started);
        // And until the relay has taken every ACK (queue empty).
        loop {
            let queued = load::devices(&mut client)
                .await
                .into_iter()
                .find(|d| d["deviceId"] == device.as_str())
                .and_then(|d| d["queued"].as_u64())
                .unwrap_or(u64::MAX);
            if queued == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        ack_times.push(started.elapsed());
        let expected = HashMap::from([(device.clone(), ids)]);
        let got = received.lock().expect("lock").clone();
        // Order matters here too.
        let in_order = got.get(&device) == expected.get(&device);
        checks.push(format!("{}, in order {in_order}", check(&expected, &got)));
    }
    times.sort();
    ack_times.sort();
    println!("drain: {n} queued messages to a reconnecting agent, {rounds} rounds");
    println!(
        "  connect -> all received: median {:.1} ms (min {:.1}, max {:.1})",
        times[rounds / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[rounds - 1].as_secs_f64() * 1e3
    );
    println!(
        "  connect -> all ACKed at the relay: median {:.1} ms",
        ack_times[rounds / 2].as_secs_f64() * 1e3
    );
    println!("  correctness: {}", checks.join("; "));
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "saytype relay benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if run("breakdown") {
        single.block_on(breakdown());
    }
    if run("latency") {
        // One thread for the client side: sender and agent never hop threads, so the
        // figure is the relay's, not the load generator's scheduling.
        single.block_on(latency());
    }
    if run("latency-spin") {
        latency_spinning();
    }
    if run("throughput") {
        rt.block_on(throughput());
    }
    if run("memory") {
        rt.block_on(memory());
    }
    if run("drain") {
        single.block_on(drain());
    }
}
