//! A relay that listens on one LAN address only (`saytype serve --bind
//! 192.168.1.20`): this machine's own agent and scripts connect from that address,
//! not from loopback, and are still "this machine" for the desktop token; another
//! machine is not. (Found with issue 11: the local agent was refused with 401 and
//! stopped, so nothing was ever typed.) The binary in two network namespaces.

mod common;

use std::time::Duration;

use common::netns::{wait_until, Netns};

#[test]
fn a_relay_bound_to_one_lan_address_types_from_its_own_agent_and_refuses_the_network() {
    let Some(ns) = Netns::create(false) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_relay, port) = ns.serve(
        &dir.path().join("relay"),
        &[
            "--bind",
            &ns.relay_ip,
            "--device-id",
            "desk",
            "--inject",
            "none",
        ],
    );
    let url = format!("http://{}:{port}", ns.relay_ip);
    let send = |in_a: bool, id: &str| {
        let out = ns
            .exec(in_a)
            .args(["send", "from this machine", "--relay", &url, "--id", id])
            .output()
            .expect("send");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // This machine: accepted, and its own agent takes it.
    wait_until(
        "the local agent to take the message",
        Duration::from_secs(15),
        || {
            let (out, _) = send(true, "bound-1");
            out.contains("\"status\":\"delivered\"") || out.contains("\"status\":\"injected\"")
        },
    );
    // Another machine with the token: refused, the flag named.
    let (out, err) = send(false, "bound-2");
    assert!(!out.contains("\"status\""), "{out}");
    assert!(err.contains("allow-bearer-from-network"), "{err}");
}
