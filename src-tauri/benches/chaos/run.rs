//! One scenario from start to end, as named steps: set up the window and the
//! processes, start the senders, let the chaos loose, settle, then check the
//! window against the ledger and the relay and keep everything for post-mortems.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::check::{check, Figures};
use crate::common::desktop::{Target, XDisplay};
use crate::common::{DEFAULT_DEVICE, TOKEN};
use crate::desk::Desk;
use crate::journal::Journal;
use crate::kills::{Kills, Report};
use crate::scenario::Scenario;
use crate::senders::{Counters, Ledger, Senders};
use crate::settle::{final_statuses, window_quiet};
use crate::texts::message_id;

/// What one scenario did and found.
pub(crate) struct Outcome {
    pub(crate) scenario: Scenario,
    pub(crate) chaos: Duration,
    pub(crate) total: Duration,
    pub(crate) figures: Figures,
    pub(crate) report: Report,
    pub(crate) counters: Arc<Counters>,
    pub(crate) problems: Vec<String>,
    pub(crate) keys_left_down: Vec<String>,
    pub(crate) stops_of_typist: u32,
}

/// Run `scenario` with `secs` of chaos, its files under `root/<label>/`, its
/// messages numbered from `first_n`.
pub(crate) async fn run(
    scenario: Scenario,
    display: &XDisplay,
    root: &Path,
    secs: u64,
    seed: u64,
    first_n: u64,
) -> Outcome {
    let dir = root.join(scenario.label());
    std::fs::create_dir_all(&dir).expect("scenario dir");
    let journal = Journal::new(&dir.join("events.log"));
    let started = Instant::now();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let target = Target::xterm_named(
        display,
        &dir,
        false,
        &format!("SayTypeChaos{}", scenario.label()),
    );
    let mut desk = Desk::new(scenario, &display.name, &dir, port);
    bring_up(&mut desk).await;
    println!(
        "{}: relay on {url}, window file {}, logs in {}",
        scenario.label(),
        target.out.display(),
        dir.display()
    );

    let mut senders = Senders::start(&url, first_n, seed, &journal);
    let chaos_for = Duration::from_secs(secs);
    let report = Kills::new(
        scenario,
        seed,
        &mut desk,
        &journal,
        &target.out,
        &senders.ledger,
    )
    .run(started, chaos_for)
    .await;
    let chaos = started.elapsed();
    journal.note(
        true,
        "chaos over: no more kills; senders finish their last message",
    );

    // Settle.
    tokio::task::block_in_place(|| desk.ensure_up());
    senders.finish().await;
    let (accepted, statuses) = final_statuses(&url, &senders.ledger, &journal).await;
    window_quiet(&target).await;
    let total = started.elapsed();
    journal.note(true, "settled; checking");

    write_sent(&dir, &senders.ledger, &statuses);
    let (figures, problems) = check(&accepted, &senders.ledger, &statuses, &target.text());
    for p in &problems {
        journal.note(false, &format!("PROBLEM {p}"));
    }
    stop_all(&mut desk).await;
    std::fs::copy(&target.out, dir.join("window.txt")).ok();
    let typist = scenario.typist();
    let stops_of_typist = report
        .kills
        .iter()
        .filter(|(k, _)| k.starts_with(typist))
        .map(|(_, v)| *v)
        .sum();
    Outcome {
        scenario,
        chaos,
        total,
        figures,
        report,
        counters: senders.counters,
        problems,
        keys_left_down: desk.keys_left_down,
        stops_of_typist,
    }
}

/// A port free on 127.0.0.1 now (the relay keeps it across its restarts).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Start the processes and wait until the relay sees the typist online.
async fn bring_up(desk: &mut Desk) {
    tokio::task::block_in_place(|| desk.ensure_up());
    if let Some(s) = &desk.relay.served {
        s.wait_online(TOKEN, DEFAULT_DEVICE).await;
    }
}

/// What was sent, for post-mortems: `sent.jsonl`.
fn write_sent(dir: &Path, ledger: &Ledger, statuses: &HashMap<u64, Value>) {
    if let Ok(mut f) = std::fs::File::create(dir.join("sent.jsonl")) {
        for (n, m) in ledger.lock().expect("ledger").iter() {
            let line = json!({"id": message_id(*n), "text": m.text, "accepted": m.accepted, "attempts": m.attempts, "status": statuses.get(n)});
            let _ = writeln!(f, "{line}");
        }
    }
}

/// Stop everything gracefully; keep the logs.
async fn stop_all(desk: &mut Desk) {
    if let Some(a) = &mut desk.agent {
        a.stop("-TERM", "end of the scenario").await;
    }
    desk.relay.stop("-TERM", "end of the scenario").await;
}
