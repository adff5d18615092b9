//! Desktop agent benchmark: the real `saytype serve --inject type|paste` (relay +
//! local agent + enigo/arboard injector) types and pastes into real X windows under
//! Xvfb — an xterm running `cat` into a file and a GTK 3 text view mirrored to a
//! file — and reports speed and exactness (every received text is compared with the
//! sent one, character by character).
//!
//! Run: `cargo bench -p saytype --no-default-features --bench inject`
//! One scenario: `... --bench inject -- type|type-ascii|paste|wayland` (`type-ascii`:
//! the same text without its non-ASCII characters, for comparison; `wayland`: each
//! wlroots route under headless sway, which needs sway; `kde-gnome`: KWin's
//! fake-input and mutter's RemoteDesktop, see `inject/desktops.rs`; `portal`: the
//! RemoteDesktop portal + libei route against a stand-in portal and an
//! in-process EIS server, SayType's side only, see `inject/portal.rs`;
//! `SAYTYPE_BENCH_ROUTES=paste` runs only the routes whose label contains it)
//! Needs Xvfb, xterm, xdotool and python3 with GTK 3 (python3-gi, gir1.2-gtk-3.0).
//! The number of runs can be scaled down for a smoke run with
//! `SAYTYPE_BENCH_SCALE=0.1`.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use saytype::client::HttpClient;
use serde_json::{json, Value};

/// Give up on a window that has not changed for this long (it has everything it
/// will ever get).
const SETTLED: Duration = Duration::from_secs(3);
/// Give up on a run after this long in any case.
const GIVE_UP: Duration = Duration::from_secs(120);

fn scale(n: usize) -> usize {
    let factor: f64 = std::env::var("SAYTYPE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * factor).round() as usize).max(1)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

// ---------------------------------------------------------------------------------
// The X display and the windows: the desktop tests' own helpers.

#[path = "../tests/common/mod.rs"]
mod common;

use common::desktop::{mixed_text_from as mixed_text, Target, XDisplay};

#[path = "inject/desktops.rs"]
mod desktops;
#[path = "inject/portal.rs"]
mod portal;
use common::TOKEN;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// xterm running `cat`; with `true`, Ctrl+V pastes the clipboard.
    Xterm(bool),
    Gtk,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Xterm(_) => "xterm",
            Kind::Gtk => "gtk",
        }
    }
}

/// A fresh focused window of `kind`, with a class / title of its own per run, so
/// that a window of an earlier run can never be the one found and focused.
fn open_target(display: &XDisplay, dir: &Path, kind: Kind, serial: usize) -> Target {
    std::fs::create_dir_all(dir).expect("target dir");
    match kind {
        Kind::Xterm(paste_keys) => Target::xterm_named(
            display,
            dir,
            paste_keys,
            &format!("SayTypeBenchXterm{serial}"),
        ),
        Kind::Gtk => Target::gtk_titled(display, dir, &format!("saytype-bench-gtk-{serial}")),
    }
}

/// Poll the window's file (every millisecond) until it holds exactly `expected`,
/// or until it has not changed for [`SETTLED`]. Times are measured from `started`.
fn watch(target: &Target, expected: &str, started: Instant) -> Arrival {
    let mut last = String::new();
    let mut last_change = started.elapsed();
    loop {
        let got = target.text();
        let now = started.elapsed();
        if got == expected {
            return Arrival {
                exact_after: Some(now),
                last_change: now,
                got,
            };
        }
        if got != last {
            last = got;
            last_change = now;
        } else if now - last_change > SETTLED || now > GIVE_UP {
            return Arrival {
                exact_after: None,
                last_change,
                got: last,
            };
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What one run measured.
struct Run {
    arrival: Arrival,
    /// POST to the agent's `injectedAt`, in ms.
    injected_after: Option<i64>,
    errors: Errors,
    hunks: Vec<Hunk>,
}

/// What a window received and when.
struct Arrival {
    /// When the window first held exactly the sent text.
    exact_after: Option<Duration>,
    /// When the window's content last changed.
    last_change: Duration,
    got: String,
}

// ---------------------------------------------------------------------------------
// The real binary, as the tests run it.

use common::served::Served;

/// Xvfb, then `saytype serve` with its agent online.
struct Desk {
    served: Served,
    display: XDisplay,
    dir: tempfile::TempDir,
    serial: usize,
}

impl Desk {
    async fn start(inject: &str) -> Desk {
        let display = XDisplay::start().expect("Xvfb (scripts/setup.sh test installs it)");
        let dir = tempfile::tempdir().expect("tempdir");
        let served = Served::spawn(
            &dir.path().join("data"),
            Some(TOKEN),
            &["--inject", inject],
            &[("DISPLAY", display.name.as_str()), ("RUST_LOG", "warn")],
        );
        let desk = Desk {
            served,
            display,
            dir,
            serial: 0,
        };
        desk.served.wait_online(TOKEN, "desk").await;
        desk
    }

    /// A fresh, focused, empty window.
    fn target(&mut self, kind: Kind) -> Target {
        self.serial += 1;
        let dir = self.dir.path().join(format!("target-{}", self.serial));
        open_target(&self.display, &dir, kind, self.serial)
    }

    /// One run: a fresh window, the text POSTed, its arrival watched, compared.
    async fn measure(&mut self, client: &mut HttpClient, kind: Kind, text: &str, id: &str) -> Run {
        let target = self.target(kind);
        measure(client, &target, text, id).await
    }
}

/// One run into `target`: the text POSTed, its arrival watched, compared.
async fn measure(client: &mut HttpClient, target: &Target, text: &str, id: &str) -> Run {
    let posted_ms = now_ms();
    let started = Instant::now();
    post(client, text, id).await;
    let arrival = watch(target, text, started);
    let injected_after = injected_at(client, id).await.map(|at| at - posted_ms);
    let (errors, hunks) = compare(text, &arrival.got);
    Run {
        arrival,
        injected_after,
        errors,
        hunks,
    }
}

mod posting {
    use super::*;

    /// POST a transcription; the answer must be "delivered" (the agent ACKed).
    pub(super) async fn post(client: &mut HttpClient, text: &str, id: &str) {
        let r = client
            .post_json(
                "/transcription",
                Some(TOKEN),
                &json!({"text": text, "id": id}),
            )
            .await
            .expect("post");
        let v = r.json().expect("json");
        assert_eq!(v["status"], "delivered", "POST answered {v}");
    }

    /// Wait for the message's final status; `injectedAt` (ms since the epoch).
    pub(super) async fn injected_at(client: &mut HttpClient, id: &str) -> Option<i64> {
        let deadline = Instant::now() + GIVE_UP;
        loop {
            let s: Value = client
                .get(&format!("/transcription/{id}"), Some(TOKEN))
                .await
                .expect("get")
                .json()
                .expect("json");
            match s["status"].as_str() {
                Some("injected") => return s["injectedAt"].as_i64(),
                Some("failed") => {
                    eprintln!("  message {id} failed: {s}");
                    return None;
                }
                _ if Instant::now() > deadline => {
                    eprintln!("  message {id} never reached a final status: {s}");
                    return None;
                }
                _ => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }
}

use posting::{injected_at, post};

// ---------------------------------------------------------------------------------
// Exactness.

#[derive(Default, Clone, Copy)]
struct Errors {
    /// Sent characters missing from the window.
    lost: usize,
    /// Sent characters that arrived as another character.
    changed: usize,
    /// Characters the window got that were not sent.
    extra: usize,
}

impl Errors {
    fn add(&mut self, o: Errors) {
        self.lost += o.lost;
        self.changed += o.changed;
        self.extra += o.extra;
    }
}

/// One place where the received text differs: character offset in the sent text,
/// what was sent there, what arrived instead.
struct Hunk {
    at: usize,
    sent: String,
    got: String,
}

/// A minimal character-level edit script from `sent` to `got` (Levenshtein, with the
/// common prefix and suffix trimmed first), as counts and hunks.
fn compare(sent: &str, got: &str) -> (Errors, Vec<Hunk>) {
    let a: Vec<char> = sent.chars().collect();
    let b: Vec<char> = got.chars().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    if a_mid.is_empty() && b_mid.is_empty() {
        return (Errors::default(), Vec::new());
    }
    let (n, m) = (a_mid.len(), b_mid.len());
    if (n + 1) * (m + 1) > 40_000_000 {
        // Too large to align: report it as one hunk.
        let errors = Errors {
            lost: n.saturating_sub(m),
            changed: n.min(m),
            extra: m.saturating_sub(n),
        };
        let hunk = Hunk {
            at: prefix,
            sent: a_mid.iter().collect(),
            got: b_mid.iter().collect(),
        };
        return (errors, vec![hunk]);
    }
    // dist[i][j]: edits from a_mid[..i] to b_mid[..j].
    let w = m + 1;
    let mut dist = vec![0u32; (n + 1) * w];
    for (j, d) in dist.iter_mut().enumerate().take(w) {
        *d = j as u32;
    }
    for i in 1..=n {
        dist[i * w] = i as u32;
        for j in 1..=m {
            let sub = dist[(i - 1) * w + j - 1] + u32::from(a_mid[i - 1] != b_mid[j - 1]);
            let del = dist[(i - 1) * w + j] + 1;
            let ins = dist[i * w + j - 1] + 1;
            dist[i * w + j] = sub.min(del).min(ins);
        }
    }
    // Walk back, collecting differing stretches.
    let mut errors = Errors::default();
    let mut hunks: Vec<Hunk> = Vec::new();
    let mut open: Option<(usize, Vec<char>, Vec<char>)> = None;
    let (mut i, mut j) = (n, m);
    let close = |open: &mut Option<(usize, Vec<char>, Vec<char>)>, hunks: &mut Vec<Hunk>| {
        if let Some((at, mut s, mut g)) = open.take() {
            s.reverse();
            g.reverse();
            hunks.push(Hunk {
                at: prefix + at,
                sent: s.into_iter().collect(),
                got: g.into_iter().collect(),
            });
        }
    };
    while i > 0 || j > 0 {
        let here = dist[i * w + j];
        if i > 0 && j > 0 && a_mid[i - 1] == b_mid[j - 1] && here == dist[(i - 1) * w + j - 1] {
            close(&mut open, &mut hunks);
            i -= 1;
            j -= 1;
            continue;
        }
        let entry = open.get_or_insert_with(|| (i, Vec::new(), Vec::new()));
        if i > 0 && j > 0 && here == dist[(i - 1) * w + j - 1] + 1 {
            errors.changed += 1;
            entry.1.push(a_mid[i - 1]);
            entry.2.push(b_mid[j - 1]);
            i -= 1;
            j -= 1;
        } else if i > 0 && here == dist[(i - 1) * w + j] + 1 {
            errors.lost += 1;
            entry.1.push(a_mid[i - 1]);
            i -= 1;
        } else {
            errors.extra += 1;
            entry.2.push(b_mid[j - 1]);
            j -= 1;
        }
        entry.0 = i;
    }
    close(&mut open, &mut hunks);
    hunks.reverse();
    (errors, hunks)
}

/// Print the differences of an inexact run, with a little context.
/// The exactness line of a scenario, then what differed in each inexact run.
fn print_exactness(
    label: &str,
    exact_runs: usize,
    runs: usize,
    chars: usize,
    total: &Errors,
    reports: &[(usize, String, String, Vec<Hunk>)],
) {
    println!(
        "         exactness: {exact_runs}/{runs} runs exact; over {} characters: lost {}, changed {}, extra {}",
        chars * runs,
        total.lost,
        total.changed,
        total.extra
    );
    for (run, sent, got, hunks) in reports {
        show_differences(label, *run, sent, got, hunks);
    }
}

fn show_differences(label: &str, run: usize, sent: &str, got: &str, hunks: &[Hunk]) {
    let chars: Vec<char> = sent.chars().collect();
    println!(
        "    {label} run {run}: NOT EXACT ({} characters sent, {} received), {} difference(s):",
        chars.len(),
        got.chars().count(),
        hunks.len()
    );
    for h in hunks.iter().take(20) {
        let from = h.at.saturating_sub(12);
        let before: String = chars[from..h.at].iter().collect();
        let after: String = chars
            .iter()
            .skip(h.at + h.sent.chars().count())
            .take(12)
            .collect();
        let codes = |s: &str| {
            s.chars()
                .map(|c| format!("U+{:04X}", u32::from(c)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "      at char {}: sent {:?} [{}] received {:?} [{}]  (context: {:?} _ {:?})",
            h.at,
            h.sent,
            codes(&h.sent),
            h.got,
            codes(&h.got),
            before,
            after
        );
    }
    if hunks.len() > 20 {
        println!("      ... and {} more", hunks.len() - 20);
    }
}

// ---------------------------------------------------------------------------------
// Figures.

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn median<T: Copy + PartialOrd>(v: &[T]) -> T {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    s[s.len() / 2]
}

fn min_max<T: Copy + PartialOrd>(v: &[T]) -> (T, T) {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    (s[0], s[s.len() - 1])
}

// ---------------------------------------------------------------------------------
// Scenarios.

/// The mixed text of the desktop tests without its non-ASCII characters: every
/// character is on the keyboard, so typing never rebinds a keycode.
fn ascii_text(n: usize, offset: usize) -> String {
    mixed_text(4 * n, offset)
        .chars()
        .filter(char::is_ascii)
        .take(n)
        .collect()
}

/// `--inject type`: `runs` texts of 1,000 characters, each into a fresh window.
async fn typing(name: &str, what: &str, make_text: fn(usize, usize) -> String) {
    let (chars, runs) = (1_000usize, scale(10));
    let mut desk = Desk::start("type").await;
    let mut client = HttpClient::connect(&desk.served.url)
        .await
        .expect("connect");
    println!(
        "{name}: {runs} runs of {chars} {what} characters per target, --inject type, fresh window per run"
    );
    for kind in [Kind::Xterm(false), Kind::Gtk] {
        let label = kind.label();
        let mut done = Vec::new();
        for run in 0..runs {
            let text = make_text(chars, run * 13);
            let id = format!("{name}-{label}-{run}");
            let measured = desk.measure(&mut client, kind, &text, &id).await;
            done.push((text, measured));
        }
        report_typing(label, chars, done);
    }
}

/// Speed and exactness of typing runs of `chars` characters each: (sent, run).
fn report_typing(label: &str, chars: usize, done: Vec<(String, Run)>) {
    let runs = done.len();
    let mut speeds = Vec::new();
    let mut windows = Vec::new();
    let mut agent_done = Vec::new();
    let mut total = Errors::default();
    let mut exact_runs = 0;
    let mut reports = Vec::new();
    for (run, (text, measured)) in done.into_iter().enumerate() {
        let Run {
            arrival,
            injected_after,
            errors,
            hunks,
        } = measured;
        agent_done.extend(injected_after);
        total.add(errors);
        match arrival.exact_after {
            Some(t) => {
                exact_runs += 1;
                windows.push(t);
                speeds.push(chars as f64 / t.as_secs_f64());
            }
            None => reports.push((run, text, arrival.got, hunks)),
        }
    }
    if speeds.is_empty() {
        println!("  {label:<6} no run arrived exactly");
    } else {
        let (lo, hi) = min_max(&speeds);
        let (wlo, whi) = min_max(&windows);
        println!(
            "  {label:<6} {:.0} chars/s median (min {lo:.0}, max {hi:.0}): POST -> window has all {} (min {}, max {})",
            median(&speeds),
            ms(median(&windows)),
            ms(wlo),
            ms(whi)
        );
        let each: Vec<String> = speeds.iter().map(|s| format!("{s:.0}")).collect();
        println!("         runs, chars/s: {}", each.join(" "));
    }
    if !agent_done.is_empty() {
        let (lo, hi) = min_max(&agent_done);
        println!(
            "         POST -> injectedAt (agent sent the last key): median {} ms (min {lo}, max {hi})",
            median(&agent_done)
        );
    }
    print_exactness(label, exact_runs, runs, chars, &total, &reports);
}

/// Wayland (issue 10): headless sway and a fresh GTK 3 window under
/// `GDK_BACKEND=wayland` per run, `saytype serve` without `DISPLAY`; one session
/// per route: the input method, the virtual keyboard (another input method holds
/// the seat), and paste.
async fn wayland() {
    use common::wayland::{serve_in, Layout, Sway};
    let (chars, runs) = (1_000usize, scale(10));
    println!(
        "wayland: {runs} runs of {chars} mixed characters per route, headless sway, GTK 3 (GDK_BACKEND=wayland), fresh window per run"
    );
    let routes = [
        ("input method", "type", false),
        ("virtual keyboard", "type", true),
        ("paste", "paste", false),
    ];
    // `SAYTYPE_BENCH_ROUTES=paste`: only the routes whose label contains it.
    let only = std::env::var("SAYTYPE_BENCH_ROUTES").unwrap_or_default();
    for (label, inject, other_im) in routes {
        if !label.contains(only.as_str()) {
            continue;
        }
        let sway =
            Sway::start(false, Layout::Us).expect("sway (scripts/setup.sh test installs it)");
        let _im = other_im.then(|| sway.hold_input_method());
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env = sway.env();
        env.push(("RUST_LOG", "warn".into()));
        let served = serve_in(&dir.path().join("data"), inject, &env).await;
        let mut client = HttpClient::connect(&served.url).await.expect("connect");
        let mut done = Vec::new();
        for run in 0..runs {
            let target_dir = dir.path().join(format!("target-{run}"));
            std::fs::create_dir_all(&target_dir).expect("target dir");
            let target = sway.gtk(&target_dir);
            let text = mixed_text(chars, run * 13);
            let measured = measure(
                &mut client,
                &target,
                &text,
                &format!("wl-{inject}-{other_im}-{run}"),
            )
            .await;
            done.push((text, measured));
        }
        report_typing(label, chars, done);
    }
}

/// `--inject paste`: 10,000 mixed characters, `runs` times, each into a fresh window.
async fn pasting() {
    let (chars, runs) = (10_000usize, scale(5));
    let mut desk = Desk::start("paste").await;
    let mut client = HttpClient::connect(&desk.served.url)
        .await
        .expect("connect");
    println!(
        "paste: {runs} runs of {chars} mixed characters per target, --inject paste, fresh window per run"
    );
    for kind in [Kind::Gtk, Kind::Xterm(true)] {
        let label = kind.label();
        let mut to_injected = Vec::new();
        let mut to_window = Vec::new();
        let mut total = Errors::default();
        let mut exact_runs = 0;
        let mut reports = Vec::new();
        for run in 0..runs {
            let text = mixed_text(chars, run * 13);
            let id = format!("paste-{label}-{run}");
            let Run {
                arrival,
                injected_after,
                errors,
                hunks,
            } = desk.measure(&mut client, kind, &text, &id).await;
            to_injected.extend(injected_after);
            total.add(errors);
            match arrival.exact_after {
                Some(t) => {
                    exact_runs += 1;
                    to_window.push(t);
                }
                None => {
                    to_window.push(arrival.last_change);
                    reports.push((run, text, arrival.got, hunks));
                }
            }
        }
        if !to_injected.is_empty() {
            let (lo, hi) = min_max(&to_injected);
            let each: Vec<String> = to_injected.iter().map(|t| t.to_string()).collect();
            println!(
                "  {label:<6} POST -> injectedAt (incl. the 200 ms clipboard hold): median {} ms (min {lo}, max {hi}; runs {})",
                median(&to_injected),
                each.join(" ")
            );
        }
        let (lo, hi) = min_max(&to_window);
        println!(
            "         POST -> window has all: median {} (min {}, max {})",
            ms(median(&to_window)),
            ms(lo),
            ms(hi)
        );
        print_exactness(label, exact_runs, runs, chars, &total, &reports);
    }
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let run = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "saytype desktop agent benchmark ({} cores, Xvfb)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    if run("type") {
        rt.block_on(typing("type", "mixed", mixed_text));
    }
    if run("type-ascii") {
        rt.block_on(typing("type-ascii", "ASCII-only", ascii_text));
    }
    if run("paste") {
        rt.block_on(pasting());
    }
    if run("wayland") {
        rt.block_on(wayland());
    }
    if run("kde-gnome") {
        rt.block_on(desktops::desktops());
    }
    if run("portal") {
        portal::portal();
    }
}
