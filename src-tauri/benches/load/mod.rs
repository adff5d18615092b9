//! What the relay benchmarks share: an agent that ACKs at once, the
//! lost / duplicated / misrouted check, percentiles, and reading a process's RSS.
//! Each bench uses a part of it.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{FutureExt, SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::common::{Ws, TOKEN};
use saytype::client::{HttpClient, HttpResponse};

/// `saytype serve --no-agent` on a fresh data directory (its own agent off: the
/// bench's agents are the load), and that directory.
pub(crate) fn spawn_relay() -> (crate::common::served::Served, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = crate::common::served::Served::spawn(
        dir.path(),
        Some(TOKEN),
        &["--no-agent"],
        &[("RUST_LOG", "warn")],
    );
    (served, dir)
}

/// The text the throughput rounds send.
pub(crate) const DICTATED: &str = "Dictated text, typed on the desktop.";

/// `POST /transcription` of `text` as `id`, for `device` (or the only agent).
pub(crate) async fn post(
    client: &mut HttpClient,
    text: &str,
    id: &str,
    device: Option<&str>,
) -> HttpResponse {
    let mut body = serde_json::json!({"text": text, "id": id});
    if let Some(device) = device {
        body["deviceId"] = device.into();
    }
    client
        .post_json("/transcription", Some(TOKEN), &body)
        .await
        .expect("post")
}

/// The answer says `delivered` (the agent ACKed it before the relay answered).
pub(crate) fn delivered(r: &HttpResponse) -> bool {
    r.body.windows(11).any(|w| w == b"\"delivered\"")
}

/// `GET /devices`.
pub(crate) async fn devices(client: &mut HttpClient) -> Vec<serde_json::Value> {
    let v: serde_json::Value = client
        .get("/devices", Some(TOKEN))
        .await
        .expect("devices")
        .json()
        .expect("json");
    v.as_array().cloned().unwrap_or_default()
}

/// How many of `devices` are online.
pub(crate) fn online(devices: &[serde_json::Value]) -> usize {
    devices.iter().filter(|d| d["online"] == true).count()
}

/// Register `device` on a connected agent socket (the answer is the caller's to read).
pub(crate) async fn register(ws: &mut Ws, device: &str) {
    ws.send(Message::Text(
        serde_json::json!({"type": "register", "deviceId": device})
            .to_string()
            .into(),
    ))
    .await
    .expect("register");
}

#[derive(serde::Deserialize)]
pub(crate) struct Frame<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'a str,
    #[serde(default, borrow)]
    pub(crate) id: Option<&'a str>,
}

/// Received ids per device, shared with the checker.
pub(crate) type Received = Arc<Mutex<HashMap<String, Vec<String>>>>;

/// An agent that ACKs every transcription at once (ACKs for frames that arrived
/// together are flushed together), recording what it got. Stops after `stop_after`
/// transcriptions, or when the socket closes.
pub(crate) async fn run_acking_agent(
    mut ws: Ws,
    device: String,
    received: Received,
    stop_after: Option<usize>,
    stop: CancellationToken,
) -> (Ws, Instant) {
    let mut count = 0usize;
    let mut mine = Vec::new();
    let mut last = Instant::now();
    'outer: loop {
        let msg = tokio::select! {
            biased;
            msg = ws.next() => match msg {
                Some(Ok(msg)) => msg,
                _ => break,
            },
            _ = stop.cancelled() => break,
        };
        let mut pending = Some(msg);
        while let Some(msg) = pending.take() {
            if let Message::Text(t) = msg {
                if let Ok(Frame {
                    kind: "transcription",
                    id: Some(id),
                }) = serde_json::from_str::<Frame>(t.as_str())
                {
                    let ack = format!(r#"{{"type":"ack","id":"{id}"}}"#);
                    mine.push(id.to_owned());
                    count += 1;
                    if ws.feed(Message::Text(ack.into())).await.is_err() {
                        break 'outer;
                    }
                }
            }
            if stop_after.is_some_and(|n| count >= n) {
                last = Instant::now();
                let _ = ws.flush().await;
                break 'outer;
            }
            pending = match ws.next().now_or_never() {
                Some(Some(Ok(m))) => Some(m),
                _ => None,
            };
        }
        if ws.flush().await.is_err() {
            break;
        }
    }
    received
        .lock()
        .expect("lock")
        .entry(device)
        .or_default()
        .extend(mine);
    (ws, last)
}

/// Lost / duplicated / misrouted counts of a run.
pub(crate) fn check(
    expected: &HashMap<String, Vec<String>>,
    received: &HashMap<String, Vec<String>>,
) -> String {
    let owner: HashMap<&str, &str> = expected
        .iter()
        .flat_map(|(d, ids)| ids.iter().map(move |id| (id.as_str(), d.as_str())))
        .collect();
    let mut seen = HashSet::new();
    let (mut duplicated, mut misrouted) = (0, 0);
    for (device, ids) in received {
        for id in ids {
            if !seen.insert(id.as_str()) {
                duplicated += 1;
            }
            if owner.get(id.as_str()) != Some(&device.as_str()) {
                misrouted += 1;
            }
        }
    }
    let lost = owner.keys().filter(|id| !seen.contains(*id)).count();
    format!("lost {lost}, duplicated {duplicated}, misrouted {misrouted}")
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

/// Percentiles of sorted latencies, one line.
pub(crate) fn summary(sorted: &[Duration]) -> String {
    format!(
        "  p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
        micros(percentile(sorted, 0.50)),
        micros(percentile(sorted, 0.90)),
        micros(percentile(sorted, 0.99)),
        micros(percentile(sorted, 0.999)),
        micros(sorted[sorted.len() - 1]),
    )
}

pub(crate) fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// Resident memory of process `pid`, in KiB (`VmRSS` of /proc/PID/status).
pub(crate) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// CPU time (user + system) process `pid` has used so far (/proc/PID/stat).
pub(crate) fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 =
        fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}
