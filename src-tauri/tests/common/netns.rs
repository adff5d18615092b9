//! Two network namespaces joined by a veth pair, with addresses inside the
//! namespaces only: `a` (10.200.N.1, where the relay runs) and `b` (10.200.N.2, the
//! "phone" or the other desktop), so traffic between them is real network traffic
//! (not loopback) and can be captured on the veth. Also [`Lines`], a child process
//! whose stdout lines arrive on a channel.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::served::BIN;
use super::TOKEN;

/// Two namespaces, `a` (10.200.N.1) and `b` (10.200.N.2), deleted on drop.
pub struct Netns {
    pub a: String,
    pub b: String,
    pub relay_ip: String,
    pub other_ip: String,
    /// The veth end inside `a`: where a capture sees everything between the two.
    pub veth_a: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// `None` (with a note) where namespaces cannot be made; under CI that fails.
    /// Without `multicast`, mDNS (UDP 5353) is dropped in both namespaces
    /// (nftables), as on networks that block multicast.
    pub fn create(multicast: bool) -> Option<Netns> {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let tag = format!("{}{n}", std::process::id() % 100_000);
        let (a, b) = (format!("sta{tag}"), format!("stb{tag}"));
        let (va, vb) = (format!("va{tag}"), format!("vb{tag}"));
        let subnet = 100 + n;
        let relay_ip = format!("10.200.{subnet}.1");
        let ns = Netns {
            a: a.clone(),
            b: b.clone(),
            relay_ip: relay_ip.clone(),
            other_ip: format!("10.200.{subnet}.2"),
            veth_a: va.clone(),
        };
        let steps: Vec<Vec<String>> = vec![
            vec!["netns".into(), "add".into(), a.clone()],
            vec!["netns".into(), "add".into(), b.clone()],
            vec!["link", "add", &va, "type", "veth", "peer", "name", &vb]
                .into_iter()
                .map(String::from)
                .collect(),
            vec!["link", "set", &va, "netns", &a]
                .into_iter()
                .map(String::from)
                .collect(),
            vec!["link", "set", &vb, "netns", &b]
                .into_iter()
                .map(String::from)
                .collect(),
            vec![
                "-n".into(),
                a.clone(),
                "addr".into(),
                "add".into(),
                format!("{relay_ip}/24"),
                "dev".into(),
                va.clone(),
            ],
            vec![
                "-n".into(),
                b.clone(),
                "addr".into(),
                "add".into(),
                format!("10.200.{subnet}.2/24"),
                "dev".into(),
                vb.clone(),
            ],
            vec!["-n", &a, "link", "set", &va, "up"]
                .into_iter()
                .map(String::from)
                .collect(),
            vec!["-n", &b, "link", "set", &vb, "up"]
                .into_iter()
                .map(String::from)
                .collect(),
            vec!["-n", &a, "link", "set", "lo", "up"]
                .into_iter()
                .map(String::from)
                .collect(),
            vec!["-n", &b, "link", "set", "lo", "up"]
                .into_iter()
                .map(String::from)
                .collect(),
        ];
        for step in steps {
            let out = Command::new("ip").args(&step).output();
            let ok = out.as_ref().is_ok_and(|o| o.status.success());
            if !ok {
                let why = match out {
                    Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
                    Err(e) => e.to_string(),
                };
                assert!(
                    std::env::var_os("CI").is_none(),
                    "network namespaces are required under CI: ip {step:?}: {why}"
                );
                eprintln!("SKIPPED: cannot create network namespaces here (ip {step:?}: {why})");
                return None;
            }
        }
        if !multicast {
            for name in [&a, &b] {
                for rule in [
                    "add table inet saytype_test",
                    "add chain inet saytype_test out { type filter hook output priority 0; }",
                    "add chain inet saytype_test in { type filter hook input priority 0; }",
                    "add rule inet saytype_test out udp dport 5353 drop",
                    "add rule inet saytype_test in udp dport 5353 drop",
                ] {
                    let ok = Command::new("ip")
                        .args(["netns", "exec", name, "nft", rule])
                        .status()
                        .is_ok_and(|s| s.success());
                    assert!(
                        ok,
                        "nft {rule} (nftables is installed by scripts/setup.sh test)"
                    );
                }
            }
        }
        Some(ns)
    }

    /// The saytype binary in `a` (`in_a`) or `b`, with the tests' token.
    pub fn exec(&self, in_a: bool) -> Command {
        let mut cmd = self.run(in_a, BIN);
        cmd.env("SAYTYPE_TOKEN", TOKEN).env_remove("RUST_LOG");
        cmd
    }

    /// Any program in `a` (`in_a`) or `b`.
    pub fn run(&self, in_a: bool, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            if in_a { &self.a } else { &self.b },
            program,
        ]);
        cmd
    }
}

impl Netns {
    /// A pairing link from the relay in `a` whose data directory is `relay_data`
    /// (`saytype pair` there, on its loopback), with the relay's veth address.
    pub fn pairing_link(&self, relay_data: &std::path::Path) -> String {
        let out = self
            .exec(true)
            .args(["pair", "--host", &self.relay_ip, "--data-dir"])
            .arg(relay_data)
            .output()
            .expect("pair");
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .find(|l| l.contains("#pair="))
            .unwrap_or_else(|| {
                let stderr = String::from_utf8_lossy(&out.stderr);
                panic!("no pairing link: {stdout} {stderr}")
            })
            .trim()
            .to_owned()
    }

    /// `saytype serve --port 0 --data-dir DATA EXTRA…` in `a`, once it listens;
    /// with its port.
    pub fn serve(&self, data: &std::path::Path, extra: &[&str]) -> (Lines, u16) {
        let mut cmd = self.exec(true);
        cmd.args(["serve", "--port", "0", "--data-dir"])
            .arg(data)
            .args(extra);
        let relay = Lines::spawn(cmd);
        let line = relay
            .wait_for("listening on", Duration::from_secs(10))
            .expect("relay starts");
        let port = line
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        (relay, port)
    }
}

/// Poll `check` (a command in a namespace, a file) until it holds, for at most
/// `within`.
pub fn wait_until(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting for {what}");
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A child whose stdout lines arrive on a channel.
pub struct Lines {
    child: Child,
    rx: mpsc::Receiver<String>,
}

impl Lines {
    pub fn spawn(mut cmd: Command) -> Lines {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Lines { child, rx }
    }

    /// The first line containing `needle`, within `within`.
    pub fn wait_for(&self, needle: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status();
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
