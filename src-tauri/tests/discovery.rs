//! Discovery for real: two network namespaces joined by a veth pair (addresses
//! inside the namespaces only), the relay in one, `saytype discover`, a paired agent
//! and a sender in the other.

mod common;

use std::time::{Duration, Instant};

use common::netns::{Lines, Netns};

/// The relay in `a`. Agents and senders in `b` use the desktop token, which the
/// relay accepts from the network only with `--allow-bearer-from-network`.
fn start_relay(ns: &Netns, data: &std::path::Path) -> (Lines, u16) {
    ns.serve(
        data,
        &[
            "--no-agent",
            "--device-id",
            "nsrelay",
            "--allow-bearer-from-network",
        ],
    )
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

    // An agent in the other namespace, paired from the relay's link (an agent no
    // longer trusts whatever answers over mDNS: tests/agent_pairing_netns.rs), and a
    // message sent from there reaches it.
    let link = ns.pairing_link(&dir.path().join("relay"));
    let mut agent_cmd = ns.exec(false);
    agent_cmd
        .args([
            "agent",
            "--pair",
            &link,
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
