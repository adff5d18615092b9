//! The relay against the seed's Node/Fastify stack (`../shared/peer-node`), in the
//! same run, with the same ordinary load generator (tokio + hyper, sleeping on its
//! sockets, TCP_NODELAY on every socket, like the real agent and phone page). Both
//! servers run side by side; the latency and throughput rounds alternate between
//! them so that a change in the machine's load hits both alike.
//!
//! SayType persists every message in SQLite before it sends it; the Node stack keeps
//! its queue in memory (it compares speed, not guarantees).
//!
//! Run (copies the Node stack, installs its locked deps, then this bench):
//! `scripts/bench-versus-node.sh`, or with `SAYTYPE_PEER_NODE=DIR` (a peer-node copy
//! with node_modules): `cargo bench -p saytype --no-default-features --bench versus_node`.
//! One part: `... -- latency|throughput|memory`; `SAYTYPE_BENCH_SCALE=0.1` for a smoke run.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use saytype::client::HttpClient;
use tokio_util::sync::CancellationToken;

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../load/mod.rs"]
mod load;
mod server;

use common::Ws;
use load::{check, cpu_time, micros, percentile, run_acking_agent, Received};
use server::{connect_agent, wait_online, Server};

fn scale(n: usize) -> usize {
    let factor: f64 = std::env::var("SAYTYPE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * factor).round() as usize).max(1)
}

/// `n` agents `agent-0..n`, each ACKing at once, and their stop switch.
struct Agents {
    tasks: Vec<tokio::task::JoinHandle<(Ws, Instant)>>,
    received: Received,
    stop: CancellationToken,
}

impl Agents {
    async fn start(server: &Server, n: usize, prefix: &str) -> Agents {
        let received: Received = Arc::default();
        let stop = CancellationToken::new();
        let mut tasks = Vec::new();
        for a in 0..n {
            let device = format!("{prefix}-{a}");
            let ws = connect_agent(&server.ws_url(), &device, Ipv4Addr::LOCALHOST).await;
            tasks.push(tokio::spawn(run_acking_agent(
                ws,
                device,
                received.clone(),
                None,
                stop.clone(),
            )));
        }
        wait_online(server, n).await;
        Agents {
            tasks,
            received,
            stop,
        }
    }

    /// Stop, and what each device received.
    async fn stop(self) -> HashMap<String, Vec<String>> {
        // Late ACKs and frames still on their way.
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.stop.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        let received = self.received.lock().expect("lock").clone();
        received
    }
}

/// Sequential POSTs of one sender to one agent: each answered after the agent's ACK.
/// Returns the latencies of the measured ones.
async fn sequential(
    client: &mut HttpClient,
    device: &str,
    tag: &str,
    n: usize,
    sent: &mut Vec<String>,
) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("{tag}-{i}");
        let started = Instant::now();
        let r = load::post(
            client,
            "The quick brown fox jumps over the lazy dog.",
            &id,
            Some(device),
        )
        .await;
        latencies.push(started.elapsed());
        assert!(load::delivered(&r), "not delivered: {r:?}");
        sent.push(id);
    }
    latencies
}

/// p50 and p99 of each stack, in the same order as `servers`.
async fn latency(servers: &[Server]) -> Vec<(Duration, Duration)> {
    let (warmup, rounds, per_round) = (scale(1_000), 5, scale(1_000));
    println!(
        "latency: 1 agent, 1 sender, sequential POST -> ACK -> 200; {warmup} warm-up, then {rounds} alternating rounds of {per_round}"
    );
    let mut setups = Vec::new();
    for server in servers {
        let agents = Agents::start(server, 1, "seq").await;
        let client = HttpClient::connect(server.url()).await.expect("connect");
        setups.push((agents, client, Vec::new(), Vec::new()));
    }
    for (s, (_, client, sent, _)) in setups.iter_mut().enumerate() {
        sequential(client, "seq-0", &format!("warm{s}"), warmup, sent).await;
    }
    for round in 0..rounds {
        for (_, client, sent, latencies) in setups.iter_mut() {
            latencies
                .extend(sequential(client, "seq-0", &format!("r{round}"), per_round, sent).await);
        }
    }
    let mut figures = Vec::new();
    for (server, (agents, _, sent, mut latencies)) in servers.iter().zip(setups) {
        latencies.sort();
        let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
        let received = agents.stop().await;
        let expected = HashMap::from([("seq-0".to_owned(), sent)]);
        println!(
            "  {:<8} p50 {}  p90 {}  p99 {}  max {}  ({})",
            server.name(),
            micros(p50),
            micros(percentile(&latencies, 0.9)),
            micros(p99),
            micros(latencies[latencies.len() - 1]),
            check(&expected, &received)
        );
        figures.push((p50, p99));
    }
    figures
}

/// 32 concurrent senders, each POSTing `per_sender` messages round the 50 agents.
async fn burst(
    server: &Server,
    tag: &str,
    per_sender: usize,
) -> (f64, HashMap<String, Vec<String>>) {
    const AGENTS: usize = 50;
    const SENDERS: usize = 32;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..SENDERS {
        let url = server.url().to_owned();
        let tag = tag.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut client = HttpClient::connect(&url).await.expect("connect");
            let mut sent = Vec::with_capacity(per_sender);
            for i in 0..per_sender {
                let device = format!("tp-{}", (s * 7 + i) % AGENTS);
                let id = format!("{tag}-{s}-{i}");
                let r = load::post(&mut client, load::DICTATED, &id, Some(&device)).await;
                assert!(load::delivered(&r), "not delivered: {r:?}");
                sent.push((device, id));
            }
            sent
        }));
    }
    let mut expected: HashMap<String, Vec<String>> = HashMap::new();
    for t in tasks {
        for (device, id) in t.await.expect("sender") {
            expected.entry(device).or_default().push(id);
        }
    }
    let rate = (SENDERS * per_sender) as f64 / started.elapsed().as_secs_f64();
    (rate, expected)
}

/// Messages per second of each stack (mean of the measured rounds).
async fn throughput(servers: &[Server]) -> Vec<f64> {
    let (rounds, per_sender) = (3, scale(1_000));
    println!(
        "throughput: 50 agents, 32 concurrent senders, {} messages per round; a warm-up round, then {rounds} alternating rounds",
        32 * per_sender
    );
    let mut setups = Vec::new();
    for server in servers {
        setups.push((
            Agents::start(server, 50, "tp").await,
            Vec::new(),
            HashMap::new(),
        ));
    }
    for (server, (_, _, expected)) in servers.iter().zip(setups.iter_mut()) {
        let (_, sent) = burst(server, "warm", per_sender / 4).await;
        merge(expected, sent);
    }
    let mut cpu = vec![Duration::ZERO; servers.len()];
    // The load generator's own CPU (this process), to show what is left of the 2
    // cores for the server at a given rate.
    let mut own = vec![Duration::ZERO; servers.len()];
    for round in 0..rounds {
        for (s, (server, (_, rates, expected))) in servers.iter().zip(setups.iter_mut()).enumerate()
        {
            let before = cpu_time(server.pid());
            let own_before = cpu_time(std::process::id());
            let (rate, sent) = burst(server, &format!("r{round}"), per_sender).await;
            cpu[s] += cpu_time(server.pid()) - before;
            own[s] += cpu_time(std::process::id()) - own_before;
            rates.push(rate);
            merge(expected, sent);
        }
    }
    let mut figures = Vec::new();
    for (s, (server, (agents, rates, expected))) in servers.iter().zip(setups).enumerate() {
        let received = agents.stop().await;
        let mean = rates.iter().sum::<f64>() / rates.len() as f64;
        let each: Vec<String> = rates.iter().map(|r| format!("{r:.0}")).collect();
        let messages = (rounds * 32 * per_sender) as f64;
        let per_message = cpu[s].as_secs_f64() * 1e6 / messages;
        let generator = own[s].as_secs_f64() * 1e6 / messages;
        println!(
            "  {:<8} {mean:.0} msg/s (rounds: {}); server CPU {per_message:.0} µs per message, load generator {generator:.0} µs  ({})",
            server.name(),
            each.join(", "),
            check(&expected, &received)
        );
        figures.push(mean);
    }
    figures
}

fn merge(into: &mut HashMap<String, Vec<String>>, from: HashMap<String, Vec<String>>) {
    for (device, ids) in from {
        into.entry(device).or_default().extend(ids);
    }
}

/// KiB of RSS per idle registered agent connection, one server at a time.
async fn memory(server: &Server) -> f64 {
    let n = scale(2_000);
    let ws_url = server.ws_url();
    // Warm up (allocator arenas, the first connections, the store).
    let mut warm = Vec::new();
    for i in 0..20 {
        warm.push(connect_agent(&ws_url, &format!("warm-{i}"), Ipv4Addr::new(127, 0, 0, 9)).await);
    }
    wait_online(server, 20).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = load::rss_kib(server.pid());
    let mut idle = Vec::with_capacity(n);
    let indices: Vec<usize> = (0..n).collect();
    for chunk in indices.chunks(100) {
        let batch = futures_util::future::join_all(chunk.iter().map(|&i| {
            let ws_url = ws_url.clone();
            // 100 agents per address, from 127.0.0.10 on.
            let from = Ipv4Addr::new(127, 0, 0, 10 + (i / 100) as u8);
            async move { connect_agent(&ws_url, &format!("idle-{i}"), from).await }
        }))
        .await;
        idle.extend(batch);
    }
    wait_online(server, n + 20).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = load::rss_kib(server.pid());
    let per = after.saturating_sub(before) as f64 / n as f64;
    println!(
        "  {:<8} RSS {before} KiB -> {after} KiB with {n} idle agents: {per:.2} KiB per connection",
        server.name()
    );
    drop(idle);
    drop(warm);
    per
}

/// `ours / theirs` and whether it meets `target` (at most, or at least).
fn ratio_line(figure: &str, node: f64, ours: f64, unit: &str, target: f64, at_most: bool) -> bool {
    let ratio = ours / node;
    let met = if at_most {
        ratio <= target
    } else {
        ratio >= target
    };
    println!(
        "  {figure:<34} Node {node:>9.1} {unit:<5} SayType {ours:>9.1} {unit:<5} ratio {ratio:>5.2}x  target {} {target}x  {}",
        if at_most { "<=" } else { ">=" },
        if met { "MET" } else { "NOT MET" }
    );
    met
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let node_dir = std::env::var("SAYTYPE_PEER_NODE")
        .unwrap_or_else(|_| format!("{}/../../shared/peer-node", env!("CARGO_MANIFEST_DIR")));
    assert!(
        std::path::Path::new(&node_dir).join("node_modules").is_dir(),
        "no node_modules in {node_dir}: run scripts/bench-versus-node.sh (it installs them in a copy)"
    );
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("cannot raise the open-file limit: {e}");
    }
    // One thread for the load generator, as in the relay bench: the client side never
    // hops threads, so its own scheduling is the same for both stacks.
    let single = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "SayType relay vs the seed's Node stack ({} cores, load average {})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut lines = Vec::new();
    if run("latency") {
        let servers = [Server::node(&node_dir), Server::saytype()];
        let f = single.block_on(latency(&servers));
        let (node, ours) = (f[0], f[1]);
        lines.push((
            "sequential p50 (µs)",
            node.0.as_secs_f64() * 1e6,
            ours.0.as_secs_f64() * 1e6,
            "µs",
            0.8,
            true,
        ));
        lines.push((
            "sequential p99 (µs)",
            node.1.as_secs_f64() * 1e6,
            ours.1.as_secs_f64() * 1e6,
            "µs",
            0.8,
            true,
        ));
    }
    if run("throughput") {
        let servers = [Server::node(&node_dir), Server::saytype()];
        let f = multi.block_on(throughput(&servers));
        lines.push((
            "50 agents x 32 senders (msg/s)",
            f[0],
            f[1],
            "msg/s",
            3.0,
            false,
        ));
    }
    if run("memory") {
        println!("memory: RSS per idle registered agent connection");
        let node = multi.block_on(memory(&Server::node(&node_dir)));
        let ours = multi.block_on(memory(&Server::saytype()));
        lines.push(("RSS per idle agent (KiB)", node, ours, "KiB", 1.0, true));
    }
    println!("ratios (SayType / Node):");
    let mut all = true;
    for (figure, node, ours, unit, target, at_most) in lines {
        all &= ratio_line(figure, node, ours, unit, target, at_most);
    }
    println!(
        "{}",
        if all {
            "all targets met"
        } else {
            "some targets not met"
        }
    );
}
