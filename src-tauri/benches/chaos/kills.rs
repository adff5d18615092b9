//! The chaos itself: every 1–5 s one action drawn by weight from the scenario's
//! menu — a plain `kill -9` or `SIGTERM` of a process, or an aimed kill that
//! waits for a dangerous moment (just after the typist registers, or in the
//! middle of a long message) — and the tally of what was done.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::clock::{ms, sleep};
use crate::desk::Desk;
use crate::journal::Journal;
use crate::procs::term_ms;
use crate::rng::Rng;
use crate::scenario::Scenario;
use crate::senders::Ledger;
use crate::window::{long_in_progress, openings};

/// What the chaos did.
#[derive(Default)]
pub(crate) struct Report {
    pub(crate) kills: BTreeMap<String, u32>,
    pub(crate) aimed_misses: BTreeMap<String, u32>,
    /// Aimed "register" kills: how long after the registration line they landed.
    pub(crate) register_delays: Vec<u64>,
    /// Aimed "typing" kills: how far the long message was, in bytes of bytes.
    pub(crate) typing_fractions: Vec<(u64, usize, usize)>,
    pub(crate) term_exits: Vec<u128>,
}

impl Report {
    fn count(&mut self, kind: &str) {
        *self.kills.entry(kind.to_owned()).or_default() += 1;
    }
}

/// The chaos of one scenario, over its processes, window file and ledger.
pub(crate) struct Kills<'a> {
    desk: &'a mut Desk,
    journal: &'a Journal,
    /// The window's file.
    out: &'a Path,
    ledger: &'a Ledger,
    actions: &'static [(&'static str, u64)],
    typist: &'static str,
    rng: Rng,
    report: Report,
}

impl<'a> Kills<'a> {
    pub(crate) fn new(
        scenario: Scenario,
        seed: u64,
        desk: &'a mut Desk,
        journal: &'a Journal,
        out: &'a Path,
        ledger: &'a Ledger,
    ) -> Kills<'a> {
        Kills {
            desk,
            journal,
            out,
            ledger,
            actions: scenario.actions(),
            typist: scenario.typist(),
            rng: Rng::new(seed ^ 0xC4A0_5EED),
            report: Report::default(),
        }
    }

    /// Act until `chaos_for` has passed since `started`.
    pub(crate) async fn run(mut self, started: Instant, chaos_for: Duration) -> Report {
        while started.elapsed() < chaos_for {
            sleep(ms(self.rng.range(1_000, 5_000))).await;
            if started.elapsed() >= chaos_for {
                break;
            }
            let action = self.draw();
            match action {
                "relay -9" | "relay TERM" | "serve -9" | "serve TERM" | "agent -9"
                | "agent TERM" => self.stop(action).await,
                "aimed register" => self.aimed_register(action).await,
                "aimed typing" => self.aimed_typing(action).await,
                _ => unreachable!(),
            }
        }
        self.report
    }

    /// An action, by weight.
    fn draw(&mut self) -> &'static str {
        let total_weight: u64 = self.actions.iter().map(|a| a.1).sum();
        let mut roll = self.rng.next() % total_weight;
        self.actions
            .iter()
            .find(|(_, w)| {
                if roll < *w {
                    true
                } else {
                    roll -= w;
                    false
                }
            })
            .map_or("relay -9", |a| a.0)
    }

    /// `kill -9` or `SIGTERM` of one process, then start it again.
    async fn stop(&mut self, action: &str) {
        let sig = if action.ends_with("-9") {
            "-KILL"
        } else {
            "-TERM"
        };
        // In the local scenario the relay is the typist too.
        let how = if action.starts_with(self.typist) {
            self.desk.stop_typist(sig, action).await
        } else {
            self.desk.relay.stop(sig, action).await
        };
        self.journal.note(true, &format!("{action}: {how}"));
        self.report.count(action);
        if sig == "-TERM" {
            self.report.term_exits.push(term_ms(&how));
        }
        sleep(ms(self.rng.range(100, 2_000))).await;
        tokio::task::block_in_place(|| self.desk.ensure_up());
    }

    /// Down for a while so that a backlog builds (split: in the relay's queue;
    /// local: whatever the senders retry), then killed 0–50 ms after it
    /// registers and starts receiving it.
    async fn aimed_register(&mut self, action: &str) {
        let typist = self.typist;
        let how = self
            .desk
            .stop_typist("-KILL", "aimed register: setup")
            .await;
        self.report
            .count(&format!("{typist} -9 (setup of an aimed kill)"));
        self.journal
            .note(true, &format!("aimed register, setup kill: {how}"));
        sleep(ms(self.rng.range(1_000, 4_000))).await;
        tokio::task::block_in_place(|| self.desk.start_typist());
        let t = Instant::now();
        while !self.desk.typist_registered() && t.elapsed() < Duration::from_secs(30) {
            sleep(ms(2)).await;
        }
        if self.desk.typist_registered() {
            let delay = self.rng.range(0, 50);
            sleep(ms(delay)).await;
            let how = self.desk.stop_typist("-KILL", "aimed register").await;
            self.report
                .count(&format!("{typist} -9 aimed: 0–50 ms after registering"));
            self.report.register_delays.push(delay);
            self.journal.note(
                true,
                &format!("aimed register: killed {delay} ms after the registration line: {how}"),
            );
        } else {
            *self.report.aimed_misses.entry(action.into()).or_default() += 1;
            self.journal
                .note(true, "aimed register: never registered within 30 s");
        }
        sleep(ms(self.rng.range(100, 1_500))).await;
        tokio::task::block_in_place(|| self.desk.ensure_up());
    }

    /// Kill (or stop) while a long message is being typed: the window's file
    /// grows inside a long message.
    async fn aimed_typing(&mut self, action: &str) {
        let Some(n) = self.long_message_typing().await else {
            *self.report.aimed_misses.entry(action.into()).or_default() += 1;
            self.journal.note(
                false,
                "aimed typing: no long message being typed within 20 s",
            );
            return;
        };
        let typist = self.typist;
        let term = self.rng.chance(35);
        let sig = if term { "-TERM" } else { "-KILL" };
        let how = self.desk.stop_typist(sig, "aimed typing").await;
        let kind = if term {
            format!("{typist} TERM aimed: mid long message")
        } else {
            format!("{typist} -9 aimed: mid long message")
        };
        self.report.count(&kind);
        if term {
            self.report.term_exits.push(term_ms(&how));
        }
        let typed = std::fs::read_to_string(self.out)
            .ok()
            .and_then(|s| {
                openings(&s)
                    .iter()
                    .rev()
                    .find(|o| o.1 == n)
                    .map(|o| s.len() - o.0)
            })
            .unwrap_or(0);
        let total = self
            .ledger
            .lock()
            .expect("ledger")
            .get(&n)
            .map_or(0, |m| m.text.len());
        self.report.typing_fractions.push((n, typed, total));
        self.journal.note(
            true,
            &format!("{kind}: <c{n}> ({total} bytes) had {typed} in the window just after; {how}"),
        );
        sleep(ms(self.rng.range(100, 1_500))).await;
        tokio::task::block_in_place(|| self.desk.ensure_up());
    }

    /// Within 20 s, a long message whose copy in the window is growing right now.
    async fn long_message_typing(&self) -> Option<u64> {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(20) {
            if let Some((n, a)) = long_in_progress(self.out, self.ledger) {
                sleep(ms(3)).await;
                if let Some((n2, b)) = long_in_progress(self.out, self.ledger) {
                    if n2 == n && b > a {
                        return Some(n);
                    }
                }
            }
            sleep(ms(3)).await;
        }
        None
    }
}
