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

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use saytype::client::HttpClient;
use serde_json::{json, Value};

#[path = "../tests/common/mod.rs"]
mod common;

use common::desktop::{Target, XDisplay};
use common::served::{Served, BIN};
use common::{RelayClient, DEFAULT_DEVICE, TOKEN};

/// Concurrent senders.
const SENDERS: usize = 3;
/// A sender gives up on one message after this long (never expected).
const POST_GIVE_UP: Duration = Duration::from_secs(240);
/// One POST attempt may take this long (a POST waits up to 5 s for the ACK).
const POST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a process may take to exit after a signal before it gets `kill -9`.
const EXIT_WAIT: Duration = Duration::from_secs(20);
/// The agent records its progress every this many keys.
const REPORT_EVERY: usize = 16;
/// Messages at least this long are "long" (aimed kills land in them).
const LONG: usize = 300;
const REGISTERED_LINE: &str = "agent registered with the relay";

// ---------------------------------------------------------------------------------
// Small tools.

/// xorshift64*: enough for a schedule of choices, and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// A line into the run's event log (and stdout when `loud`).
#[derive(Clone)]
struct Journal {
    file: Arc<Mutex<std::fs::File>>,
    t0: Instant,
}

impl Journal {
    fn new(path: &Path) -> Journal {
        Journal {
            file: Arc::new(Mutex::new(
                std::fs::File::create(path).expect("journal file"),
            )),
            t0: Instant::now(),
        }
    }
    fn note(&self, loud: bool, what: &str) {
        let line = format!(
            "[{:8.3}s {}] {what}",
            self.t0.elapsed().as_secs_f64(),
            unix_ms()
        );
        if loud {
            println!("  {line}");
        }
        if let Ok(mut f) = self.file.lock() {
            let _ = writeln!(f, "{line}");
        }
    }
}

// ---------------------------------------------------------------------------------
// Messages: unique, self-delimiting texts, and what became of each POST.

/// Words to build texts from: ASCII words and punctuation, and accented letters
/// (typed through spare keycodes), separated by spaces. Never `<`: markers are
/// found by it.
const WORDS: &str = r#"the quick brown fox jumps over lazy dog HELLO World! (42) a+b=c x_y "quoted" it's ~`#$%^&* [a]{b}|c 100% q? k:v; 1,234.56 a/b\c @home --> Grüße Köln ça naïve Ñandú déjà vu São Paulo smörgåsbord façade über niño crème brûlée €5"#;

fn open_marker(n: u64) -> String {
    format!("<c{n}>")
}

/// `<cN>` + about `len` characters of words + `</cN>` + newline.
fn make_text(n: u64, len: usize, rng: &mut Rng) -> String {
    let words: Vec<&str> = WORDS.split(' ').collect();
    let mut body = String::new();
    let mut count = 0;
    while count < len {
        let w = *rng.pick(&words);
        body.push_str(w);
        count += w.chars().count() + 1;
        body.push(match rng.next() % 40 {
            0 => '\t',
            1 => '\n',
            _ => ' ',
        });
    }
    format!("{}{}</c{n}>\n", open_marker(n), body.trim_end())
}

fn message_id(n: u64) -> String {
    format!("chaos-{n}")
}

struct Msg {
    text: String,
    /// The first 200 answer's status (`delivered` / `queued`), if any.
    accepted: Option<String>,
    attempts: u32,
}

type Ledger = Arc<Mutex<BTreeMap<u64, Msg>>>;

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    refused: AtomicU64,
    unavailable: AtomicU64,
    timeouts: AtomicU64,
    other_status: AtomicU64,
    given_up: AtomicU64,
}

/// One POST attempt: `Ok(response)` or the connection failed.
async fn post_once(url: &str, body: &Value) -> Result<(u16, Value), String> {
    let mut c = HttpClient::connect(url).await.map_err(|e| e.to_string())?;
    let r = c
        .post_json("/transcription", Some(TOKEN), body)
        .await
        .map_err(|e| e.to_string())?;
    Ok((r.status.as_u16(), r.json().unwrap_or(Value::Null)))
}

/// Post messages one after the other until `stop`; each is retried with the same
/// id until the relay answers 200.
#[allow(clippy::too_many_arguments)]
async fn sender(
    k: usize,
    url: String,
    ledger: Ledger,
    next_n: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    seed: u64,
    journal: Journal,
) {
    let mut rng = Rng::new(seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    while !stop.load(Ordering::Acquire) {
        let n = next_n.fetch_add(1, Ordering::AcqRel);
        let len = if rng.chance(30) {
            rng.range(LONG as u64, 1_000)
        } else {
            rng.range(10, 120)
        } as usize;
        let text = make_text(n, len, &mut rng);
        let body = json!({"text": text, "id": message_id(n)});
        ledger.lock().expect("ledger").insert(
            n,
            Msg {
                text,
                accepted: None,
                attempts: 0,
            },
        );
        let started = Instant::now();
        loop {
            if let Some(m) = ledger.lock().expect("ledger").get_mut(&n) {
                m.attempts += 1;
            }
            match tokio::time::timeout(POST_TIMEOUT, post_once(&url, &body)).await {
                Ok(Ok((200, v))) => {
                    let status = v["status"].as_str().unwrap_or("?").to_owned();
                    if let Some(m) = ledger.lock().expect("ledger").get_mut(&n) {
                        m.accepted = Some(status);
                    }
                    counters.accepted.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(Ok((503, _))) => {
                    counters.unavailable.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Ok((code, v))) => {
                    counters.other_status.fetch_add(1, Ordering::Relaxed);
                    journal.note(
                        true,
                        &format!("sender {k}: {} answered {code} {v}", message_id(n)),
                    );
                }
                Ok(Err(_)) => {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    counters.timeouts.fetch_add(1, Ordering::Relaxed);
                    journal.note(
                        false,
                        &format!("sender {k}: {} POST timed out", message_id(n)),
                    );
                }
            }
            if started.elapsed() > POST_GIVE_UP {
                counters.given_up.fetch_add(1, Ordering::Relaxed);
                journal.note(true, &format!("sender {k}: gave up on {}", message_id(n)));
                break;
            }
            sleep(ms(rng.range(100, 300))).await;
        }
        sleep(ms(rng.range(400, 2_400))).await;
    }
}

// ---------------------------------------------------------------------------------
// The processes.

/// `saytype serve` (relay only, or relay + local agent), restartable on a fixed
/// port; each incarnation's stderr is appended to `log` when it ends.
struct ServeProc {
    served: Option<Served>,
    data: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    log: PathBuf,
    incarnation: u32,
}

impl ServeProc {
    fn start(&mut self) {
        self.incarnation += 1;
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        for _ in 0..40 {
            let spawned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                Served::spawn(&self.data, Some(TOKEN), &args, &env)
            }));
            if let Ok(s) = spawned {
                self.served = Some(s);
                return;
            }
            std::thread::sleep(ms(250));
        }
        panic!(
            "saytype serve would not start again; see {}",
            self.log.display()
        );
    }

    fn is_up(&self) -> bool {
        self.served.is_some()
    }

    fn registered(&self) -> bool {
        self.served
            .as_ref()
            .is_some_and(|s| s.stderr().contains(REGISTERED_LINE))
    }

    /// Signal it, wait for it to exit, keep its log.
    async fn stop(&mut self, sig: &str, why: &str) -> String {
        let Some(mut s) = self.served.take() else {
            return "not running".into();
        };
        signal(&mut s.child, sig);
        let outcome = wait_child(&mut s.child, sig).await;
        let ended = ended_line(self.incarnation, s.child.id(), why, sig, &outcome);
        let mut f = append_to(&self.log);
        let _ = writeln!(f, "{ended}\n{}", s.stderr());
        outcome
    }
}

/// A log file, opened for appending.
fn append_to(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("log file")
}

/// The line a process incarnation's log ends with.
fn ended_line(incarnation: u32, pid: u32, why: &str, sig: &str, outcome: &str) -> String {
    format!(
        "===== incarnation {incarnation} (pid {pid}) ended: {why} ({sig}): {outcome} at {} =====",
        unix_ms()
    )
}

/// `-KILL` at once (no `kill` process to start first: an aimed kill lands within
/// a millisecond), other signals through `kill`.
fn signal(child: &mut Child, sig: &str) {
    if sig == "-KILL" {
        let _ = child.kill();
    } else {
        let _ = Command::new("kill")
            .args([sig, &child.id().to_string()])
            .status();
    }
}

/// Wait (asynchronously) for a signalled child; `kill -9` after [`EXIT_WAIT`].
async fn wait_child(child: &mut Child, sig: &str) -> String {
    let t = Instant::now();
    while t.elapsed() < EXIT_WAIT {
        if let Ok(Some(status)) = child.try_wait() {
            return format!("exited after {} ms, {status}", t.elapsed().as_millis());
        }
        sleep(ms(if sig == "-KILL" { 2 } else { 10 })).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    format!(
        "DID NOT EXIT within {} s of {sig}: killed",
        EXIT_WAIT.as_secs()
    )
}

/// `saytype agent --inject type`, restartable; stderr of all incarnations in `log`.
struct AgentProc {
    child: Option<Child>,
    args: Vec<String>,
    display: String,
    log: PathBuf,
    log_offset: u64,
    incarnation: u32,
}

impl AgentProc {
    fn start(&mut self) {
        self.incarnation += 1;
        let mut f = append_to(&self.log);
        let _ = writeln!(
            f,
            "===== incarnation {} starting at {} =====",
            self.incarnation,
            unix_ms()
        );
        self.log_offset = f.metadata().map_or(0, |m| m.len());
        let child = Command::new(BIN)
            .arg("agent")
            .args(&self.args)
            .env("DISPLAY", &self.display)
            .env("SAYTYPE_TOKEN", TOKEN)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(f)
            .spawn()
            .expect("spawn saytype agent");
        self.child = Some(child);
    }

    fn is_up(&self) -> bool {
        self.child.is_some()
    }

    /// This incarnation has logged its registration.
    fn registered(&self) -> bool {
        let Ok(mut f) = std::fs::File::open(&self.log) else {
            return false;
        };
        let mut s = String::new();
        f.seek(SeekFrom::Start(self.log_offset)).is_ok()
            && f.read_to_string(&mut s).is_ok()
            && s.contains(REGISTERED_LINE)
    }

    async fn stop(&mut self, sig: &str, why: &str) -> String {
        let Some(mut child) = self.child.take() else {
            return "not running".into();
        };
        let pid = child.id();
        signal(&mut child, sig);
        let outcome = wait_child(&mut child, sig).await;
        let ended = ended_line(self.incarnation, pid, why, sig, &outcome);
        let _ = writeln!(append_to(&self.log), "{ended}");
        outcome
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

// ---------------------------------------------------------------------------------
// Watching the window and the X server.

/// Keys the X server holds down now (as keysyms of their first level), e.g. a
/// Shift that a killed agent pressed and never released. Diagnostics only: the
/// soak never releases them itself.
fn keys_down(display: &str) -> Vec<String> {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::ConnectionExt;
    let Ok((conn, _)) = x11rb::connect(Some(display)) else {
        return vec!["(no X connection)".into()];
    };
    let Ok(Ok(keymap)) = conn.query_keymap().map(|c| c.reply()) else {
        return vec!["(QueryKeymap failed)".into()];
    };
    let min = conn.setup().min_keycode;
    let max = conn.setup().max_keycode;
    let mapping = conn
        .get_keyboard_mapping(min, max - min + 1)
        .ok()
        .and_then(|c| c.reply().ok());
    let mut down = Vec::new();
    for code in min..=max {
        if keymap.keys[usize::from(code / 8)] & (1 << (code % 8)) != 0 {
            let sym = mapping.as_ref().map_or(0, |m| {
                let per = usize::from(m.keysyms_per_keycode);
                m.keysyms
                    .get(usize::from(code - min) * per)
                    .copied()
                    .unwrap_or(0)
            });
            let name = match sym {
                0xffe1 => "Shift_L".to_owned(),
                0xffe2 => "Shift_R".to_owned(),
                0xffe3 => "Control_L".to_owned(),
                0xffe9 => "Alt_L".to_owned(),
                0xfe03 => "ISO_Level3_Shift".to_owned(),
                0xff7e => "Mode_switch".to_owned(),
                _ => format!("keysym {sym:#x}"),
            };
            down.push(format!("keycode {code} ({name})"));
        }
    }
    down
}

/// The last opening marker in the window's file, if its message is long, not
/// closed yet, and between 5% and 50% typed: `(n, typed bytes)`.
fn long_in_progress(out: &Path, ledger: &Ledger) -> Option<(u64, usize)> {
    let mut f = std::fs::File::open(out).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(4_096))).ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    let tail = String::from_utf8_lossy(&buf);
    let (at, n) = openings(&tail).last().copied()?;
    let typed = tail.len() - at;
    let ledger = ledger.lock().ok()?;
    let total = ledger.get(&n)?.text.len();
    (total >= LONG && typed * 20 >= total && typed * 2 <= total).then_some((n, typed))
}

/// Byte offsets and numbers of every `<cN>` in `s`.
fn openings(s: &str) -> Vec<(usize, u64)> {
    let b = s.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(p) = s[i..].find("<c") {
        let start = i + p;
        let mut j = start + 2;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > start + 2 && j < b.len() && b[j] == b'>' {
            if let Ok(n) = s[start + 2..j].parse() {
                found.push((start, n));
            }
            i = j + 1;
        } else {
            i = start + 2;
        }
    }
    found
}

// ---------------------------------------------------------------------------------
// One scenario.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scenario {
    /// Relay and agent, two processes.
    Split,
    /// `saytype serve` with its built-in agent.
    Local,
}

impl Scenario {
    fn label(self) -> &'static str {
        match self {
            Scenario::Split => "split",
            Scenario::Local => "local",
        }
    }
}

/// The processes of a scenario.
struct Desk {
    relay: ServeProc,
    /// `None` in the local scenario (the relay's own agent types).
    agent: Option<AgentProc>,
    display: String,
    /// After which stops of the typist keys were left pressed in the X server.
    keys_left_down: Vec<String>,
}

impl Desk {
    /// The process that types.
    fn typist_registered(&self) -> bool {
        match &self.agent {
            Some(a) => a.registered(),
            None => self.relay.registered(),
        }
    }

    fn start_typist(&mut self) {
        match &mut self.agent {
            Some(a) => a.start(),
            None => self.relay.start(),
        }
    }

    async fn stop_typist(&mut self, sig: &str, why: &str) -> String {
        let how = match &mut self.agent {
            Some(a) => a.stop(sig, why).await,
            None => self.relay.stop(sig, why).await,
        };
        let down = keys_down(&self.display);
        if down.is_empty() {
            how
        } else {
            self.keys_left_down
                .push(format!("{why} ({sig}): {}", down.join(", ")));
            format!("{how}; KEYS LEFT DOWN in the X server: {}", down.join(", "))
        }
    }

    fn ensure_up(&mut self) {
        if !self.relay.is_up() {
            self.relay.start();
        }
        if let Some(a) = &mut self.agent {
            if !a.is_up() {
                a.start();
            }
        }
    }
}

#[derive(Default)]
struct Report {
    kills: BTreeMap<String, u32>,
    aimed_misses: BTreeMap<String, u32>,
    /// Aimed "register" kills: how long after the registration line they landed.
    register_delays: Vec<u64>,
    /// Aimed "typing" kills: how far the long message was, in bytes of bytes.
    typing_fractions: Vec<(u64, usize, usize)>,
    term_exits: Vec<u128>,
}

impl Report {
    fn count(&mut self, kind: &str) {
        *self.kills.entry(kind.to_owned()).or_default() += 1;
    }
}

struct Outcome {
    scenario: Scenario,
    chaos: Duration,
    total: Duration,
    figures: Figures,
    report: Report,
    counters: Arc<Counters>,
    problems: Vec<String>,
    keys_left_down: Vec<String>,
    stops_of_typist: u32,
}

#[allow(clippy::too_many_lines)]
async fn run(
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
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let port_s = port.to_string();
    let target = Target::xterm_named(
        display,
        &dir,
        false,
        &format!("SayTypeChaos{}", scenario.label()),
    );
    let mut relay_args = vec!["--port".to_owned(), port_s.clone()];
    let mut relay_env = Vec::new();
    match scenario {
        Scenario::Split => relay_args.push("--no-agent".into()),
        Scenario::Local => {
            relay_args.extend(["--inject".into(), "type".into()]);
            relay_env.push(("DISPLAY".to_owned(), display.name.clone()));
        }
    }
    let mut desk = Desk {
        relay: ServeProc {
            served: None,
            data: dir.join("relay-data"),
            args: relay_args,
            env: relay_env,
            log: dir.join("relay.log"),
            incarnation: 0,
        },
        agent: (scenario == Scenario::Split).then(|| AgentProc {
            child: None,
            args: vec![
                "--relay".into(),
                format!("ws://127.0.0.1:{port}/ws"),
                "--data-dir".into(),
                dir.join("agent-data").display().to_string(),
                "--device-id".into(),
                DEFAULT_DEVICE.into(),
                "--inject".into(),
                "type".into(),
            ],
            display: display.name.clone(),
            log: dir.join("agent.log"),
            log_offset: 0,
            incarnation: 0,
        }),
        display: display.name.clone(),
        keys_left_down: Vec::new(),
    };
    tokio::task::block_in_place(|| desk.ensure_up());
    if let Some(s) = &desk.relay.served {
        s.wait_online(TOKEN, DEFAULT_DEVICE).await;
    }
    println!(
        "{}: relay on {url}, window file {}, logs in {}",
        scenario.label(),
        target.out.display(),
        dir.display()
    );

    let ledger: Ledger = Arc::default();
    let next_n = Arc::new(AtomicU64::new(first_n));
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let senders: Vec<_> = (0..SENDERS)
        .map(|k| {
            tokio::spawn(sender(
                k,
                url.clone(),
                ledger.clone(),
                next_n.clone(),
                stop.clone(),
                counters.clone(),
                seed,
                journal.clone(),
            ))
        })
        .collect();

    // The chaos.
    let mut rng = Rng::new(seed ^ 0xC4A0_5EED);
    let mut report = Report::default();
    let chaos_for = Duration::from_secs(secs);
    // Actions and weights.
    let actions: &[(&str, u64)] = match scenario {
        Scenario::Split => &[
            ("relay -9", 12),
            ("relay TERM", 10),
            ("agent -9", 15),
            ("agent TERM", 10),
            ("aimed register", 25),
            ("aimed typing", 28),
        ],
        Scenario::Local => &[
            ("serve -9", 20),
            ("serve TERM", 15),
            ("aimed register", 30),
            ("aimed typing", 35),
        ],
    };
    let total_weight: u64 = actions.iter().map(|a| a.1).sum();
    let typist = if scenario == Scenario::Split {
        "agent"
    } else {
        "serve"
    };
    while started.elapsed() < chaos_for {
        sleep(ms(rng.range(1_000, 5_000))).await;
        if started.elapsed() >= chaos_for {
            break;
        }
        let mut roll = rng.next() % total_weight;
        let action = actions
            .iter()
            .find(|(_, w)| {
                if roll < *w {
                    true
                } else {
                    roll -= w;
                    false
                }
            })
            .map_or("relay -9", |a| a.0);
        match action {
            "relay -9" | "relay TERM" | "serve -9" | "serve TERM" | "agent -9" | "agent TERM" => {
                let sig = if action.ends_with("-9") {
                    "-KILL"
                } else {
                    "-TERM"
                };
                // In the local scenario the relay is the typist too.
                let how = if action.starts_with(typist) {
                    desk.stop_typist(sig, action).await
                } else {
                    desk.relay.stop(sig, action).await
                };
                journal.note(true, &format!("{action}: {how}"));
                report.count(action);
                if sig == "-TERM" {
                    report.term_exits.push(term_ms(&how));
                }
                sleep(ms(rng.range(100, 2_000))).await;
                tokio::task::block_in_place(|| desk.ensure_up());
            }
            "aimed register" => {
                // Down for a while so that a backlog builds (split: in the relay's
                // queue; local: whatever the senders retry), then killed 0–50 ms
                // after it registers and starts receiving it.
                let how = desk.stop_typist("-KILL", "aimed register: setup").await;
                report.count(&format!("{typist} -9 (setup of an aimed kill)"));
                journal.note(true, &format!("aimed register, setup kill: {how}"));
                sleep(ms(rng.range(1_000, 4_000))).await;
                tokio::task::block_in_place(|| desk.start_typist());
                let t = Instant::now();
                while !desk.typist_registered() && t.elapsed() < Duration::from_secs(30) {
                    sleep(ms(2)).await;
                }
                if desk.typist_registered() {
                    let delay = rng.range(0, 50);
                    sleep(ms(delay)).await;
                    let how = desk.stop_typist("-KILL", "aimed register").await;
                    report.count(&format!("{typist} -9 aimed: 0–50 ms after registering"));
                    report.register_delays.push(delay);
                    journal.note(
                        true,
                        &format!(
                            "aimed register: killed {delay} ms after the registration line: {how}"
                        ),
                    );
                } else {
                    *report.aimed_misses.entry(action.into()).or_default() += 1;
                    journal.note(true, "aimed register: never registered within 30 s");
                }
                sleep(ms(rng.range(100, 1_500))).await;
                tokio::task::block_in_place(|| desk.ensure_up());
            }
            "aimed typing" => {
                // Kill (or stop) while a long message is being typed: the window's
                // file grows inside a long message.
                let t = Instant::now();
                let mut hit = None;
                while t.elapsed() < Duration::from_secs(20) {
                    if let Some((n, a)) = long_in_progress(&target.out, &ledger) {
                        sleep(ms(3)).await;
                        if let Some((n2, b)) = long_in_progress(&target.out, &ledger) {
                            if n2 == n && b > a {
                                hit = Some(n);
                                break;
                            }
                        }
                    }
                    sleep(ms(3)).await;
                }
                if let Some(n) = hit {
                    let term = rng.chance(35);
                    let sig = if term { "-TERM" } else { "-KILL" };
                    let how = desk.stop_typist(sig, "aimed typing").await;
                    let kind = if term {
                        format!("{typist} TERM aimed: mid long message")
                    } else {
                        format!("{typist} -9 aimed: mid long message")
                    };
                    report.count(&kind);
                    if term {
                        report.term_exits.push(term_ms(&how));
                    }
                    let typed = std::fs::read_to_string(&target.out)
                        .ok()
                        .and_then(|s| {
                            openings(&s)
                                .iter()
                                .rev()
                                .find(|o| o.1 == n)
                                .map(|o| s.len() - o.0)
                        })
                        .unwrap_or(0);
                    let total = ledger
                        .lock()
                        .expect("ledger")
                        .get(&n)
                        .map_or(0, |m| m.text.len());
                    report.typing_fractions.push((n, typed, total));
                    journal.note(
                        true,
                        &format!("{kind}: <c{n}> ({total} bytes) had {typed} in the window just after; {how}"),
                    );
                    sleep(ms(rng.range(100, 1_500))).await;
                    tokio::task::block_in_place(|| desk.ensure_up());
                } else {
                    *report.aimed_misses.entry(action.into()).or_default() += 1;
                    journal.note(
                        false,
                        "aimed typing: no long message being typed within 20 s",
                    );
                }
            }
            _ => unreachable!(),
        }
    }
    let chaos = started.elapsed();
    journal.note(
        true,
        "chaos over: no more kills; senders finish their last message",
    );

    // Settle.
    tokio::task::block_in_place(|| desk.ensure_up());
    stop.store(true, Ordering::Release);
    for s in senders {
        let _ = s.await;
    }
    let accepted: Vec<u64> = ledger
        .lock()
        .expect("ledger")
        .iter()
        .filter(|(_, m)| m.accepted.is_some())
        .map(|(n, _)| *n)
        .collect();
    let backlog_chars: usize = ledger
        .lock()
        .expect("ledger")
        .values()
        .map(|m| m.text.len())
        .sum();
    journal.note(
        true,
        &format!(
            "{} accepted; settling (waiting for every id to be final)",
            accepted.len()
        ),
    );
    let client = RelayClient::new(&url, TOKEN);
    let settle_deadline = Instant::now() + Duration::from_secs(240) + ms(backlog_chars as u64 / 20);
    let mut statuses: HashMap<u64, Value> = HashMap::new();
    loop {
        let mut open = 0;
        for &n in &accepted {
            if statuses
                .get(&n)
                .is_some_and(|s| s["status"] == "injected" || s["status"] == "failed")
            {
                continue;
            }
            let r = client
                .get(&format!("/transcription/{}", message_id(n)))
                .await;
            let v = r.json().unwrap_or(Value::Null);
            let v = if r.status == 200 {
                v
            } else {
                json!({"status": format!("HTTP {}", r.status), "body": v})
            };
            if v["status"] != "injected" && v["status"] != "failed" {
                open += 1;
            }
            statuses.insert(n, v);
        }
        if open == 0 || Instant::now() > settle_deadline {
            break;
        }
        sleep(ms(1_000)).await;
    }
    // The window: quiet for 3 s.
    let mut last = String::new();
    let mut quiet = Instant::now();
    let quiet_deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = target.text();
        if now != last {
            last = now;
            quiet = Instant::now();
        } else if quiet.elapsed() > Duration::from_secs(3) || Instant::now() > quiet_deadline {
            break;
        }
        sleep(ms(100)).await;
    }
    let total = started.elapsed();
    journal.note(true, "settled; checking");

    // What was sent, for post-mortems.
    if let Ok(mut f) = std::fs::File::create(dir.join("sent.jsonl")) {
        for (n, m) in ledger.lock().expect("ledger").iter() {
            let line = json!({"id": message_id(*n), "text": m.text, "accepted": m.accepted, "attempts": m.attempts, "status": statuses.get(n)});
            let _ = writeln!(f, "{line}");
        }
    }
    let (figures, problems) = check(&accepted, &ledger, &statuses, &target.text());
    for p in &problems {
        journal.note(false, &format!("PROBLEM {p}"));
    }
    // Stop everything gracefully; keep the logs.
    if let Some(a) = &mut desk.agent {
        a.stop("-TERM", "end of the scenario").await;
    }
    desk.relay.stop("-TERM", "end of the scenario").await;
    std::fs::copy(&target.out, dir.join("window.txt")).ok();
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
        counters,
        problems,
        keys_left_down: desk.keys_left_down,
        stops_of_typist,
    }
}

fn term_ms(how: &str) -> u128 {
    how.strip_prefix("exited after ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u128::MAX)
}

// ---------------------------------------------------------------------------------
// The check.

#[derive(Default, Debug)]
struct Figures {
    accepted: usize,
    typed_once: usize,
    failed_with_reason: usize,
    /// Of those: "interrupted after N of M", and how many left a partial copy.
    interrupted: usize,
    partial_copies: usize,
    /// Partial copies: typed prefix minus N, min and max.
    partial_excess: Option<(i64, i64)>,
    /// Interrupted ones whose copy is complete (N = M or the last batch went out).
    interrupted_complete: usize,
    other_failures: BTreeMap<String, usize>,
    lost: usize,
    doubled: usize,
    stuck: usize,
    /// A status the window contradicts (injected but partial or garbled; a
    /// partial copy longer or shorter than the reason says).
    disagree: usize,
    /// Bytes in the window that belong to no message.
    stray: Vec<String>,
}

/// Parse "interrupted after N of M characters".
fn interrupted_counts(error: &str) -> Option<(usize, usize)> {
    let rest = error.strip_prefix("interrupted after ")?;
    let mut it = rest.split_whitespace();
    let n = it.next()?.parse().ok()?;
    (it.next()? == "of").then_some(())?;
    let m = it.next()?.parse().ok()?;
    Some((n, m))
}

#[allow(clippy::too_many_lines)]
fn check(
    accepted: &[u64],
    ledger: &Ledger,
    statuses: &HashMap<u64, Value>,
    window: &str,
) -> (Figures, Vec<String>) {
    let ledger = ledger.lock().expect("ledger");
    let mut f = Figures {
        accepted: accepted.len(),
        ..Figures::default()
    };
    let mut problems = Vec::new();
    // Segments: from each opening marker to the next.
    let opens = openings(window);
    if let Some(first) = opens.first() {
        if first.0 > 0 {
            f.stray.push(window[..first.0].to_owned());
        }
    } else if !window.is_empty() {
        f.stray.push(window.to_owned());
    }
    let mut copies: HashMap<u64, Vec<&str>> = HashMap::new();
    for (i, &(at, n)) in opens.iter().enumerate() {
        let end = opens.get(i + 1).map_or(window.len(), |o| o.0);
        let seg = &window[at..end];
        // A complete copy followed by a fragment of something else (a marker cut
        // short before its `>`): split the fragment off as stray.
        let seg = match ledger.get(&n) {
            Some(m) if seg.len() > m.text.len() && seg.starts_with(&m.text) => {
                f.stray.push(seg[m.text.len()..].to_owned());
                &seg[..m.text.len()]
            }
            _ => seg,
        };
        copies.entry(n).or_default().push(seg);
    }
    for n in copies.keys() {
        if !accepted.contains(n) {
            let id = message_id(*n);
            problems.push(format!(
                "{id}: in the window but never accepted (POST never answered 200)"
            ));
        }
    }
    for &n in accepted {
        let id = message_id(n);
        let text = &ledger[&n].text;
        let total_chars = text.chars().count();
        let s = statuses.get(&n).cloned().unwrap_or(Value::Null);
        let status = s["status"].as_str().unwrap_or("missing");
        let error = s["error"].as_str().unwrap_or("");
        let mine = copies.get(&n).cloned().unwrap_or_default();
        if mine.len() > 1 {
            f.doubled += 1;
            problems.push(format!(
                "{id}: DOUBLED: {} copies in the window (status {status}); lengths {:?}",
                mine.len(),
                mine.iter().map(|c| c.len()).collect::<Vec<_>>()
            ));
            continue;
        }
        let copy = mine.first().copied();
        match status {
            "injected" => match copy {
                Some(c) if c == text => f.typed_once += 1,
                Some(c) => {
                    f.disagree += 1;
                    let same = c
                        .chars()
                        .zip(text.chars())
                        .take_while(|(a, b)| a == b)
                        .count();
                    problems.push(format!(
                        "{id}: injected, but the window's copy differs from char {same} \
                         ({} of {total_chars} chars): {:?} vs sent {:?}",
                        c.chars().count(),
                        c.chars().skip(same).take(30).collect::<String>(),
                        text.chars().skip(same).take(30).collect::<String>()
                    ));
                }
                None if window.contains(&format!("</c{n}>\n")) => {
                    f.disagree += 1;
                    problems.push(format!(
                        "{id}: injected, its closing marker is in the window but not its opening one (garbled head)"
                    ));
                }
                None => {
                    f.lost += 1;
                    problems.push(format!("{id}: LOST: injected, but not in the window"));
                }
            },
            "failed" if error.is_empty() => {
                f.lost += 1;
                problems.push(format!("{id}: failed without a reason: {s}"));
            }
            "failed" => {
                f.failed_with_reason += 1;
                let typed = copy.map_or(0, |c| c.chars().count());
                let prefix_ok = copy.is_none_or(|c| text.starts_with(c));
                if !prefix_ok {
                    f.disagree += 1;
                    problems.push(format!(
                        "{id}: failed ({error}), and its copy in the window is not a prefix of the text"
                    ));
                    continue;
                }
                match interrupted_counts(error) {
                    Some((done, of)) => {
                        f.interrupted += 1;
                        if of != total_chars {
                            f.disagree += 1;
                            problems.push(format!(
                                "{id}: {error:?} but the text has {total_chars} characters"
                            ));
                        }
                        if copy.is_some() && typed < total_chars {
                            f.partial_copies += 1;
                        }
                        if typed == total_chars {
                            f.interrupted_complete += 1;
                        }
                        let excess = typed as i64 - done as i64;
                        let (lo, hi) = f.partial_excess.unwrap_or((excess, excess));
                        f.partial_excess = Some((lo.min(excess), hi.max(excess)));
                        if excess < 0 || excess > REPORT_EVERY as i64 {
                            f.disagree += 1;
                            problems.push(format!(
                                "{id}: {error:?} but the window has {typed} of its {total_chars} characters"
                            ));
                        }
                    }
                    None => {
                        let key: String = error.chars().take(60).collect();
                        *f.other_failures.entry(key).or_default() += 1;
                        if copy.is_some() {
                            problems.push(format!(
                                "{id}: failed ({error}) with {typed} of {total_chars} characters in the window"
                            ));
                        }
                    }
                }
            }
            "queued" | "delivered" => {
                f.stuck += 1;
                problems.push(format!(
                    "{id}: STUCK {status} (window has {} chars of it): {s}",
                    copy.map_or(0, |c| c.chars().count())
                ));
            }
            _ => {
                f.lost += 1;
                problems.push(format!("{id}: LOST: the relay says {s}"));
            }
        }
    }
    for s in &f.stray {
        problems.push(format!("stray bytes in the window: {s:?}"));
    }
    (f, problems)
}

// ---------------------------------------------------------------------------------

fn print_outcome(o: &Outcome) {
    let f = &o.figures;
    let c = &o.counters;
    println!(
        "\n== {}: {:.0} s of chaos, {:.0} s in all (settling included)",
        o.scenario.label(),
        o.chaos.as_secs_f64(),
        o.total.as_secs_f64()
    );
    println!("  kills: {} in all", o.report.kills.values().sum::<u32>());
    for (k, v) in &o.report.kills {
        println!("    {v:4}  {k}");
    }
    for (k, v) in &o.report.aimed_misses {
        println!("    {v:4}  {k}: no moment found (skipped)");
    }
    if !o.report.term_exits.is_empty() {
        let mut t = o.report.term_exits.clone();
        t.sort_unstable();
        println!(
            "  SIGTERM to exit: median {} ms, max {} ms",
            t[t.len() / 2],
            t[t.len() - 1]
        );
    }
    if !o.report.typing_fractions.is_empty() {
        let pct: Vec<usize> = o
            .report
            .typing_fractions
            .iter()
            .map(|(_, a, b)| a * 100 / (*b).max(1))
            .collect();
        println!(
            "  aimed mid-message kills landed at {:?}% of the message",
            pct
        );
    }
    println!(
        "  senders: {} accepted; retries: {} connection refused/reset, {} 503, {} timeouts, {} other; {} given up",
        c.accepted.load(Ordering::Relaxed),
        c.refused.load(Ordering::Relaxed),
        c.unavailable.load(Ordering::Relaxed),
        c.timeouts.load(Ordering::Relaxed),
        c.other_status.load(Ordering::Relaxed),
        c.given_up.load(Ordering::Relaxed)
    );
    println!("  accepted            {}", f.accepted);
    println!("  typed once          {}", f.typed_once);
    println!(
        "  failed with reason  {} ({} interrupted: {} left a partial copy, {} a complete one, {} none; typed minus N: {:?})",
        f.failed_with_reason,
        f.interrupted,
        f.partial_copies,
        f.interrupted_complete,
        f.interrupted - f.partial_copies - f.interrupted_complete,
        f.partial_excess
    );
    for (k, v) in &f.other_failures {
        println!("    {v:4}  failed: {k}");
    }
    println!("  lost                {}", f.lost);
    println!("  doubled             {}", f.doubled);
    println!("  stuck               {}", f.stuck);
    println!("  status ≠ window     {}", f.disagree);
    println!("  stray fragments     {}", f.stray.len());
    println!(
        "  typist stops that left keys pressed in the X server: {} of {}",
        o.keys_left_down.len(),
        o.stops_of_typist
    );
    for k in &o.keys_left_down {
        println!("    {k}");
    }
    for p in o.problems.iter().take(40) {
        println!("  ! {p}");
    }
    if o.problems.len() > 40 {
        println!("  ! ... and {} more", o.problems.len() - 40);
    }
}

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
    let sum = |f: fn(&Figures) -> usize| outcomes.iter().map(|o| f(&o.figures)).sum::<usize>();
    let kills: u32 = outcomes
        .iter()
        .map(|o| o.report.kills.values().sum::<u32>())
        .sum();
    println!(
        "\n== total: {:.0} s ({:.0} s of chaos), {kills} kills; accepted {}, typed once {}, failed with reason {}, lost {}, doubled {}, stuck {}, status ≠ window {}",
        t0.elapsed().as_secs_f64(),
        outcomes.iter().map(|o| o.chaos.as_secs_f64()).sum::<f64>(),
        sum(|f| f.accepted),
        sum(|f| f.typed_once),
        sum(|f| f.failed_with_reason),
        sum(|f| f.lost),
        sum(|f| f.doubled),
        sum(|f| f.stuck),
        sum(|f| f.disagree),
    );
    let bad = sum(|f| f.lost + f.doubled + f.stuck + f.disagree);
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
