//! The address a phone gets, on a machine that also has a Docker-like bridge and a
//! VPN-like interface (a tun device): in a network namespace whose default route goes through the
//! veth (the "Wi-Fi"), with `docker0` (a bridge, 172.17.0.1) and `wg0` (10.8.0.2)
//! beside it. The pairing link (`saytype pair`, the window's API) and
//! `saytype doctor` carry the veth's address, and name the others with why.

mod common;

use std::process::Command;

use common::netns::Netns;
use serde_json::Value;

/// `ip -n NS ARGS…`, which must succeed.
fn ip(ns: &str, args: &[&str]) {
    let status = Command::new("ip")
        .args(["-n", ns])
        .args(args)
        .status()
        .expect("ip");
    assert!(status.success(), "ip -n {ns} {args:?}");
}

#[test]
fn the_link_carries_the_default_routes_address_never_docker_or_vpn() {
    let Some(ns) = Netns::create(true) else {
        return;
    };
    // The bridge and the tunnel sort before the veth's 10.200.x address by number,
    // so only the ranking can put the veth first.
    ip(&ns.a, &["link", "add", "docker0", "type", "bridge"]);
    ip(&ns.a, &["addr", "add", "172.17.0.1/16", "dev", "docker0"]);
    ip(&ns.a, &["link", "set", "docker0", "up"]);
    ip(&ns.a, &["tuntap", "add", "dev", "wg0", "mode", "tun"]);
    ip(&ns.a, &["addr", "add", "10.8.0.2/24", "dev", "wg0"]);
    ip(&ns.a, &["link", "set", "wg0", "up"]);
    ip(&ns.a, &["route", "add", "default", "via", &ns.other_ip]);

    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (_relay, port) = ns.serve(&data, &["--no-agent", "--no-mdns", "--bind", "0.0.0.0"]);

    let out = ns
        .exec(true)
        .args(["pair", "--data-dir"])
        .arg(&data)
        .output()
        .expect("pair");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("http://{}:{port}/#pair=", ns.relay_ip)),
        "{text}"
    );
    assert!(
        text.contains("172.17.0.1 (docker0 is a Docker bridge"),
        "{text}"
    );
    assert!(text.contains("10.8.0.2 (wg0 is a WireGuard VPN"), "{text}");

    let out = ns
        .exec(true)
        .args(["doctor", "--json", "--mdns-timeout-ms", "200"])
        .env("SAYTYPE_DATA_DIR", &data)
        .output()
        .expect("doctor");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let addresses = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["id"] == "addresses")
        .expect("addresses check");
    assert_eq!(addresses["ok"], true, "{addresses}");
    let summary = addresses["summary"].as_str().expect("summary");
    assert!(
        summary.starts_with(&format!("the QR code carries {} because", ns.relay_ip))
            && summary.contains("holds the default route"),
        "{summary}"
    );
}
