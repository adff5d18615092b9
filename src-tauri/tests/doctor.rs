//! `saytype doctor` for real: with no display, under Xvfb, under headless sway, with
//! the relay on loopback, and in network namespaces with nftables dropping the
//! relay's port or mDNS. Each case gives the right ✗ and a fix, read from `--json`;
//! where the fix is a command, it is run and the check passes after it.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::desktop::XDisplay;
use common::netns::Netns;
use common::served::{Served, BIN};
use common::wayland::{Layout, Sway};
use common::TOKEN;
use serde_json::Value;

/// The checks by id, from `saytype doctor --json` run through `cmd`.
fn report(mut cmd: Command) -> HashMap<String, Value> {
    let out = cmd
        .args(["doctor", "--json", "--mdns-timeout-ms", "1500"])
        .output()
        .expect("run doctor");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let all_ok = json["ok"].as_bool().expect("ok");
    assert_eq!(out.status.success(), all_ok, "exit status follows `ok`");
    json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| (c["id"].as_str().expect("id").to_owned(), c.clone()))
        .collect()
}

/// The doctor binary with only the given display variables.
fn doctor(data: &Path, env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(BIN);
    for k in [
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "SWAYSOCK",
        "XDG_CURRENT_DESKTOP",
        "XDG_SESSION_DESKTOP",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("SAYTYPE_DATA_DIR", data);
    for (k, v) in env.iter().filter(|(_, v)| !v.is_empty()) {
        cmd.env(k, v);
    }
    cmd
}

fn summary(checks: &HashMap<String, Value>, id: &str) -> String {
    checks[id]["summary"].as_str().expect("summary").to_owned()
}

fn fix(checks: &HashMap<String, Value>, id: &str) -> String {
    checks[id]["fix"].as_str().unwrap_or("").to_owned()
}

fn ok(checks: &HashMap<String, Value>, id: &str) -> bool {
    checks[id]["ok"].as_bool().expect("ok")
}

#[test]
fn without_a_display_the_session_route_and_clipboard_fail_with_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = report(doctor(&dir.path().join("data"), &[]));
    for id in ["session", "route", "clipboard"] {
        assert!(!ok(&c, id), "{id}: {:?}", c[id]);
        assert!(!fix(&c, id).is_empty(), "{id} has a fix");
    }
    assert!(summary(&c, "session").contains("no graphical session"));
    assert!(
        summary(&c, "route").contains("no display"),
        "{}",
        summary(&c, "route")
    );
    assert!(!ok(&c, "relay"));
    assert!(summary(&c, "relay").contains("not running"));
    assert!(fix(&c, "relay").contains("saytype serve"));
    // The data directory is not made by looking.
    assert!(ok(&c, "data_dir"));
    assert!(!dir.path().join("data").exists());
}

#[test]
fn under_xvfb_the_x11_route_and_the_clipboard_work() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // The user's clipboard is left as it was.
    display.set_clipboard("the user's own text");
    let c = report(doctor(
        &dir.path().join("data"),
        &[("DISPLAY", display.name.clone())],
    ));
    assert!(ok(&c, "session"), "{:?}", c["session"]);
    assert!(
        summary(&c, "session").starts_with("X11"),
        "{}",
        summary(&c, "session")
    );
    assert!(ok(&c, "route"), "{:?}", c["route"]);
    assert!(
        summary(&c, "route").contains("X11"),
        "{}",
        summary(&c, "route")
    );
    assert!(ok(&c, "clipboard"), "{:?}", c["clipboard"]);
    assert_eq!(display.clipboard(), "the user's own text");
}

#[test]
fn under_headless_sway_the_wayland_route_is_named() {
    let Some(sway) = Sway::start(false, Layout::Us) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let env: Vec<(&str, String)> = sway.env();
    let c = report(doctor(&dir.path().join("data"), &env));
    assert!(ok(&c, "session"), "{:?}", c["session"]);
    let session = summary(&c, "session");
    assert!(
        session.starts_with("Wayland (sway)") && session.contains("without Xwayland"),
        "{session}"
    );
    assert!(ok(&c, "route"), "{:?}", c["route"]);
    assert!(ok(&c, "clipboard"), "{:?}", c["clipboard"]);
}

#[tokio::test]
async fn a_relay_on_loopback_is_running_but_unreachable_for_phones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // Served binds 127.0.0.1.
    let _served = Served::start(&data, 0, Some(TOKEN), &[]);
    let c = report(doctor(&data, &[]));
    assert!(!ok(&c, "relay"), "{:?}", c["relay"]);
    assert!(
        summary(&c, "relay").contains("loopback only"),
        "{}",
        summary(&c, "relay")
    );
    assert!(fix(&c, "relay").contains("--bind 0.0.0.0"));
    assert!(!ok(&c, "addresses"));
    assert!(
        summary(&c, "addresses").contains("no QR code"),
        "{}",
        summary(&c, "addresses")
    );
}

/// Run a fix that the doctor gave (commands joined by `&&`), in namespace `a`.
fn apply(ns: &Netns, fix: &str) {
    for command in fix.split(" && ") {
        let words: Vec<&str> = command
            .strip_prefix("sudo ")
            .unwrap_or(command)
            .split_whitespace()
            .collect();
        let status = ns
            .run(true, words[0])
            .args(&words[1..])
            .status()
            .expect("run the fix");
        assert!(status.success(), "the fix {command:?} runs");
    }
}

#[test]
fn a_firewall_rule_dropping_the_port_is_named_and_its_fix_works() {
    let Some(ns) = Netns::create(true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (_relay, port) = ns.serve(&data, &["--no-agent", "--no-mdns", "--bind", "0.0.0.0"]);
    let healthy = report(doctor_in(&ns, &data));
    assert!(ok(&healthy, "relay"), "{:?}", healthy["relay"]);
    assert!(ok(&healthy, "firewall"), "{:?}", healthy["firewall"]);
    assert!(summary(&healthy, "addresses").contains(&ns.relay_ip));

    for rule in [
        "add table inet saytest".to_owned(),
        "add chain inet saytest input { type filter hook input priority 0; policy accept; }".into(),
        format!("add rule inet saytest input tcp dport {port} drop"),
    ] {
        let status = ns
            .run(true, "nft")
            .args(rule.split_whitespace())
            .status()
            .expect("nft");
        assert!(status.success(), "nft {rule}");
    }
    let c = report(doctor_in(&ns, &data));
    assert!(!ok(&c, "firewall"), "{:?}", c["firewall"]);
    assert!(
        summary(&c, "firewall").contains(&format!("drops tcp port {port}")),
        "{}",
        summary(&c, "firewall")
    );
    apply(&ns, &fix(&c, "firewall"));
    let c = report(doctor_in(&ns, &data));
    assert!(ok(&c, "firewall"), "after the fix: {:?}", c["firewall"]);
}

#[test]
fn multicast_dropped_by_nftables_fails_mdns_with_the_rule_and_its_fix() {
    let Some(ns) = Netns::create(false) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let c = report(doctor_in(&ns, &data));
    assert!(!ok(&c, "mdns"), "{:?}", c["mdns"]);
    assert!(
        summary(&c, "mdns").contains("udp port 5353"),
        "{}",
        summary(&c, "mdns")
    );
    apply(&ns, &fix(&c, "mdns"));
    let c = report(doctor_in(&ns, &data));
    assert!(ok(&c, "mdns"), "after the fix: {:?}", c["mdns"]);
}

/// The doctor in namespace `a`, without a display.
fn doctor_in(ns: &Netns, data: &Path) -> Command {
    let mut cmd = ns.exec(true);
    cmd.env("SAYTYPE_DATA_DIR", data)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    cmd
}
