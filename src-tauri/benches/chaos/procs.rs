//! The real processes under test, `saytype serve` and `saytype agent`: started
//! again and again on the same port and data, signalled, waited for, and each
//! incarnation's log kept (with how it ended) for post-mortems.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::clock::{ms, sleep, unix_ms};
use crate::common::served::{Served, BIN};
use crate::common::TOKEN;

/// How long a process may take to exit after a signal before it gets `kill -9`.
const EXIT_WAIT: Duration = Duration::from_secs(20);
const REGISTERED_LINE: &str = "agent registered with the relay";

/// `saytype serve` (relay only, or relay + local agent), restartable on a fixed
/// port; each incarnation's stderr is appended to `log` when it ends.
pub(crate) struct ServeProc {
    pub(crate) served: Option<Served>,
    pub(crate) data: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) log: PathBuf,
    pub(crate) incarnation: u32,
}

impl ServeProc {
    pub(crate) fn start(&mut self) {
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

    pub(crate) fn is_up(&self) -> bool {
        self.served.is_some()
    }

    pub(crate) fn registered(&self) -> bool {
        self.served
            .as_ref()
            .is_some_and(|s| s.stderr().contains(REGISTERED_LINE))
    }

    /// Signal it, wait for it to exit, keep its log.
    pub(crate) async fn stop(&mut self, sig: &str, why: &str) -> String {
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

/// `saytype agent --inject type`, restartable; stderr of all incarnations in `log`.
pub(crate) struct AgentProc {
    pub(crate) child: Option<Child>,
    pub(crate) args: Vec<String>,
    pub(crate) display: String,
    pub(crate) log: PathBuf,
    pub(crate) log_offset: u64,
    pub(crate) incarnation: u32,
}

impl AgentProc {
    pub(crate) fn start(&mut self) {
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

    pub(crate) fn is_up(&self) -> bool {
        self.child.is_some()
    }

    /// This incarnation has logged its registration.
    pub(crate) fn registered(&self) -> bool {
        let Ok(mut f) = std::fs::File::open(&self.log) else {
            return false;
        };
        let mut s = String::new();
        f.seek(SeekFrom::Start(self.log_offset)).is_ok()
            && f.read_to_string(&mut s).is_ok()
            && s.contains(REGISTERED_LINE)
    }

    pub(crate) async fn stop(&mut self, sig: &str, why: &str) -> String {
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

/// How long a stopped process took to exit, from [`wait_child`]'s answer
/// (`u128::MAX` when it did not).
pub(crate) fn term_ms(how: &str) -> u128 {
    how.strip_prefix("exited after ")
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(u128::MAX)
}
