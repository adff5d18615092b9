//! Discovery for real: two network namespaces joined by a veth pair (addresses
//! inside the namespaces only), the relay in one, `saytype discover`, an agent that
//! finds the relay over mDNS and a sender in the other.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::served::BIN;
use common::TOKEN;

/// Two namespaces, `a` (10.200.N.1) and `b` (10.200.N.2), deleted on drop.
struct Netns {
    a: String,
    b: String,
    pub relay_ip: String,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Netns {
    /// `None` (with a note) where namespaces cannot be made; under CI that fails.
    /// Without `multicast`, mDNS (UDP 5353) is dropped in both namespaces
    /// (nftables), as on networks that block multicast.
    fn create(multicast: bool) -> Option<Netns> {
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

    fn exec(&self, in_a: bool) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", if in_a { &self.a } else { &self.b }, BIN]);
        cmd.env("SAYTYPE_TOKEN", TOKEN).env_remove("RUST_LOG");
        cmd
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A child whose stdout lines arrive on a channel.
struct Lines {
    child: Child,
    rx: mpsc::Receiver<String>,
}

impl Lines {
    fn spawn(mut cmd: Command) -> Lines {
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
    fn wait_for(&self, needle: &str, within: Duration) -> Option<String> {
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

    fn signal(&self, sig: &str) {
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

fn start_relay(ns: &Netns, data: &std::path::Path) -> (Lines, u16) {
    let mut cmd = ns.exec(true);
    cmd.args([
        "serve",
        "--no-agent",
        "--port",
        "0",
        "--device-id",
        "nsrelay",
        "--data-dir",
    ])
    .arg(data);
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

#[test]
fn a_relay_is_found_from_another_network_namespace_and_withdrawn_on_shutdown() {
    let Some(ns) = Netns::create(true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (relay, port) = start_relay(&ns, &dir.path().join("relay"));

    // A watcher in the other namespace sees the relay, at its veth address.
    let mut watch = ns.exec(false);
    watch.args(["discover", "--watch", "--timeout-ms", "20000"]);
    let watcher = Lines::spawn(watch);
    let found = watcher
        .wait_for("found nsrelay", Duration::from_secs(10))
        .expect("relay discovered");
    assert!(found.contains(&ns.relay_ip), "{found}");
    assert!(found.contains(&format!("port {port}")), "{found}");
    eprintln!("discovery: {found}");

    // `saytype discover` lists it too.
    let out = ns
        .exec(false)
        .args(["discover", "--timeout-ms", "2500"])
        .output()
        .expect("discover");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && listing.contains("nsrelay"),
        "{listing}"
    );

    // An agent in the other namespace finds the relay over mDNS, and a message sent
    // from there reaches it.
    let mut agent_cmd = ns.exec(false);
    agent_cmd
        .args([
            "agent",
            "--inject",
            "none",
            "--device-id",
            "agentb",
            "--data-dir",
        ])
        .arg(dir.path().join("agent"));
    let _agent = Lines::spawn(agent_cmd);
    let relay_url = format!("http://{}:{port}", ns.relay_ip);
    let mut answer = String::new();
    for _ in 0..100 {
        let out = ns
            .exec(false)
            .args([
                "send",
                "from the other namespace",
                "--relay",
                &relay_url,
                "--device",
                "agentb",
                "--id",
                "ns-1",
            ])
            .output()
            .expect("send");
        answer = String::from_utf8_lossy(&out.stdout).into_owned();
        if answer.contains("delivered") {
            break;
        }
        // Not registered yet: the first attempts answer 404 UNKNOWN_DEVICE.
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(answer.contains("\"status\":\"delivered\""), "{answer}");

    // SIGTERM: the record is withdrawn at once, long before its TTL would expire.
    let stopped = Instant::now();
    relay.signal("-TERM");
    let gone = watcher
        .wait_for("gone nsrelay", Duration::from_secs(10))
        .expect("withdrawn");
    eprintln!(
        "withdrawal seen {} ms after SIGTERM: {gone}",
        stopped.elapsed().as_millis()
    );
}

#[test]
fn with_multicast_blocked_discovery_says_so_and_the_link_still_works() {
    let Some(ns) = Netns::create(false) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_relay, port) = start_relay(&ns, &dir.path().join("relay"));
    let out = ns
        .exec(false)
        .args(["discover", "--timeout-ms", "2000"])
        .output()
        .expect("discover");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("No SayType relay found") && text.contains("saytype pair"),
        "{text}"
    );
    // The pairing link's address works without any multicast.
    let relay_url = format!("http://{}:{port}", ns.relay_ip);
    let out = ns
        .exec(false)
        .args([
            "send",
            "over the link",
            "--relay",
            &relay_url,
            "--device",
            "nsrelay",
        ])
        .output()
        .expect("send");
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(answer.contains("\"status\":\"queued\""), "{answer}");
}
