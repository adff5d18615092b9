//! A paired agent follows its relay to another address (issue 11; docs/sealed-link.md
//! §7): after each handshake the relay announces, sealed, where it can be reached;
//! the agent keeps that with its pairing (0600) and, when the address it paired
//! with no longer answers (a new DHCP lease), finds the relay at another one. The
//! binary in two network namespaces: the relay's machine has two addresses; it is
//! restarted listening on the second only, on the same port.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::netns::{wait_until, Lines, Netns};

const WAIT: Duration = Duration::from_secs(20);

fn ip(args: &[&str]) {
    let ok = Command::new("ip")
        .args(args)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "ip {args:?}");
}

/// `saytype serve` in `a` on `bind` and `port`, once it listens.
fn serve(ns: &Netns, data: &Path, bind: &str, port: &str) -> Lines {
    let mut cmd = ns.exec(true);
    cmd.args(["serve", "--port", port, "--bind", bind, "--data-dir"])
        .arg(data)
        .args([
            "--no-agent",
            "--device-id",
            "desk",
            "--allow-bearer-from-network",
        ]);
    let relay = Lines::spawn(cmd);
    relay
        .wait_for("listening on", Duration::from_secs(10))
        .expect("relay starts");
    relay
}

/// Whether `saytype send` from `a` through `relay` (http://HOST:PORT) was delivered
/// to the agent's device.
fn delivered(ns: &Netns, relay: &str, id: &str) -> bool {
    let out = ns
        .exec(true)
        .args(["send", "followed the relay", "--relay", relay])
        .args(["--device", "agentb", "--id", id])
        .output()
        .expect("send");
    let answer = String::from_utf8_lossy(&out.stdout);
    answer.contains("\"status\":\"delivered\"") || answer.contains("\"status\":\"injected\"")
}

#[test]
fn a_paired_agent_finds_its_relay_at_the_other_address_it_announced() {
    let Some(ns) = Netns::create(false) else {
        return;
    };
    // A second address on each side of the link (another subnet).
    let subnet = ns.relay_ip.split('.').nth(2).expect("subnet").to_owned();
    let (second, other_second) = (format!("10.201.{subnet}.1"), format!("10.201.{subnet}.2"));
    let veth_b = ns.veth_a.replacen("va", "vb", 1);
    ip(&[
        "-n",
        &ns.a,
        "addr",
        "add",
        &format!("{second}/24"),
        "dev",
        &ns.veth_a,
    ]);
    ip(&[
        "-n",
        &ns.b,
        "addr",
        "add",
        &format!("{other_second}/24"),
        "dev",
        &veth_b,
    ]);

    let dir = tempfile::tempdir().expect("tempdir");
    let relay_data = dir.path().join("relay");
    // A fresh namespace: any port is free; the same one after the restart.
    let port = "7373";
    let relay = serve(&ns, &relay_data, "0.0.0.0", port);
    let link = ns.pairing_link(&relay_data);
    assert!(link.contains(&ns.relay_ip), "{link}");

    let agent_data = dir.path().join("agent");
    let log = dir.path().join("agent.log");
    let mut cmd = ns.exec(false);
    cmd.args([
        "agent",
        "--inject",
        "none",
        "--device-id",
        "agentb",
        "--pair",
        &link,
    ])
    .arg("--data-dir")
    .arg(&agent_data)
    .stdout(Stdio::null())
    .stderr(Stdio::from(fs::File::create(&log).expect("log")));
    let mut agent = cmd.spawn().expect("agent");
    let first = format!("http://{}:{port}", ns.relay_ip);
    wait_until("a delivery at the first address", WAIT, || {
        delivered(&ns, &first, "moved-1")
    });
    // The relay announced both addresses; the agent keeps the other one.
    let pairing = agent_data.join("agent-pairing.json");
    wait_until("the announced address kept", WAIT, || {
        fs::read_to_string(&pairing).is_ok_and(|p| p.contains(&second))
    });

    // The relay comes back on the second address only (same port, same data).
    drop(relay);
    let _relay = serve(&ns, &relay_data, &second, port);
    let moved = format!("http://{second}:{port}");
    wait_until("a delivery after the move", WAIT, || {
        delivered(&ns, &moved, "moved-2")
    });
    let said = fs::read_to_string(&log).unwrap_or_default();
    let _ = agent.kill();
    let _ = agent.wait();
    eprintln!("the agent said: {said}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&pairing).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
