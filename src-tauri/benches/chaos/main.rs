//! Chaos soak for "Nothing lost when the desktop side crashes" (issue 9): the real
//! `saytype` binaries type into a real xterm under Xvfb while they are killed
//! (`kill -9`) and stopped (`SIGTERM`) at random and at aimed moments; senders
//! retry every message with its own id until the relay answers 200. At the end
//! every accepted id is checked against the relay's history AND the window's file:
//! typed exactly once (`injected`, one complete copy, byte-exact), or `failed`
//! with a reason (an interrupted one leaves at most one partial copy, as long as
//! the reason says, give or take one batch of 16 keys). Lost, doubled and stuck
//! must be 0.
//!
//! Run: `cargo bench -p saytype --no-default-features --bench chaos`
//! One scenario: `... --bench chaos -- split|local` (default both):
//! - `split`: `saytype serve --no-agent` (relay) and `saytype agent --inject type`,
//!   two processes, each killed and stopped on its own;
//! - `local`: `saytype serve --inject type`, the relay with its built-in agent.
//!
//! `SAYTYPE_CHAOS_SECS` (default 600): how long the killing goes on, in total (60%
//! split, 40% local when both run); settling and checking come on top.
//! `SAYTYPE_CHAOS_SEED`: the random seed (printed; same seed, same schedule of
//! choices, though not of timings). Needs Xvfb, xterm and xdotool. Everything
//! listens on 127.0.0.1 only. Logs of every process incarnation and the window's
//! file are kept under `target/tmp/chaos-<time>/` for post-mortems.
//!
//! One file per idea: [`rng`], [`clock`], [`journal`], [`texts`] (the messages),
//! [`senders`] (posting them, the ledger), [`procs`] (the real processes),
//! [`desk`] (one scenario's processes), [`xkeys`] (keys held down in X),
//! [`window`] (reading the window's file), [`scenario`], [`kills`] (the chaos),
//! [`settle`], [`check`], [`run`] (one scenario's steps), [`report`] (printing).

use std::path::Path;
use std::time::Instant;

#[path = "../../tests/common/mod.rs"]
mod common;

mod check;
mod clock;
mod desk;
mod journal;
mod kills;
mod procs;
mod report;
mod rng;
mod run;
mod scenario;
mod senders;
mod settle;
mod texts;
mod window;
mod xkeys;

use common::desktop::XDisplay;

use crate::clock::unix_ms;
use crate::report::{print_outcome, print_total};
use crate::run::run;
use crate::scenario::Scenario;

fn main() {
    let secs: u64 = std::env::var("SAYTYPE_CHAOS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let seed: u64 = std::env::var("SAYTYPE_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let mut b = [0u8; 8];
            getrandom::fill(&mut b).expect("random seed");
            u64::from_le_bytes(b) % 1_000_000_000
        });
    let arg = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    let scenarios: Vec<(Scenario, u64)> = match arg.as_str() {
        "split" => vec![(Scenario::Split, secs)],
        "local" => vec![(Scenario::Local, secs)],
        _ => vec![
            (Scenario::Split, secs * 6 / 10),
            (Scenario::Local, secs - secs * 6 / 10),
        ],
    };
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("chaos-{}", unix_ms() / 1000));
    std::fs::create_dir_all(&root).expect("run dir");
    println!(
        "chaos soak: SAYTYPE_CHAOS_SECS={secs} SAYTYPE_CHAOS_SEED={seed}; run dir {}",
        root.display()
    );
    let display = XDisplay::start().expect("Xvfb (scripts/setup.sh test installs it)");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let t0 = Instant::now();
    let mut outcomes = Vec::new();
    for (i, (scenario, secs)) in scenarios.into_iter().enumerate() {
        let first_n = 1 + 100_000 * i as u64;
        outcomes.push(rt.block_on(run(scenario, &display, &root, secs, seed, first_n)));
    }
    for o in &outcomes {
        print_outcome(o);
    }
    let bad = print_total(&outcomes, t0.elapsed());
    // `exit` runs no destructors: end Xvfb first.
    drop(rt);
    drop(display);
    if bad > 0 {
        println!(
            "FAILED: see the problems above and the logs in {}",
            root.display()
        );
        std::process::exit(1);
    }
}
