//! The agent binary against relays in another network namespace (issue 11, "agents
//! on other desktops"): an agent that is not paired refuses to use whatever
//! answers over mDNS (it used to send the desktop token to it and type what it
//! sent); a paired agent sent to a rogue relay gives it no credential and types
//! nothing, then types from its own relay end to end; revoked, it stops with clear
//! words.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::netns::{wait_until, Lines, Netns};
use common::TOKEN;

const WAIT: Duration = Duration::from_secs(15);

/// A child with its stderr (the agent's log) in a file.
fn spawn_logged(mut cmd: Command, log: &Path) -> Child {
    let file = fs::File::create(log).expect("log file");
    cmd.stdout(Stdio::null())
        .stderr(Stdio::from(file))
        .spawn()
        .expect("spawn")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

/// The exit status once the child has exited (within [`WAIT`]).
fn exited(child: &mut Child) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// `saytype agent --inject none --device-id agentb --data-dir DATA EXTRA…` in `b`
/// (with the desktop token in its environment: it must never send it).
fn agent_in_b(ns: &Netns, data: &Path, extra: &[&str]) -> Command {
    let mut cmd = ns.exec(false);
    cmd.args(["agent", "--inject", "none", "--device-id", "agentb"])
        .args(extra)
        .arg("--data-dir")
        .arg(data);
    cmd
}

#[test]
fn an_agent_that_is_not_paired_uses_no_relay_found_over_mdns() {
    let Some(ns) = Netns::create(true) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // A relay that would take the token from the network and register the agent.
    let (_rogue, _) = ns.serve(
        &dir.path().join("rogue"),
        &[
            "--no-agent",
            "--device-id",
            "desk",
            "--bind",
            "0.0.0.0",
            "--allow-bearer-from-network",
        ],
    );
    let log = dir.path().join("agent.log");
    let cmd = agent_in_b(&ns, &dir.path().join("agent"), &[]);
    let mut agent = spawn_logged(cmd, &log);
    let status = exited(&mut agent);
    let _ = agent.kill();
    let _ = agent.wait();
    let said = read(&log);
    let status = status.unwrap_or_else(|| panic!("the agent kept running (connected?): {said}"));
    eprintln!("the agent that is not paired said: {said}");
    assert!(!status.success());
    assert!(
        said.contains("not paired") && said.contains("--pair"),
        "{said}"
    );
}

#[test]
fn a_paired_agent_gives_a_rogue_relay_nothing_and_types_from_its_own() {
    let Some(ns) = Netns::create(false) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let relay_data = dir.path().join("relay");
    let (_relay, port) = ns.serve(
        &relay_data,
        &["--no-agent", "--device-id", "desk", "--bind", "0.0.0.0"],
    );
    let link = ns.pairing_link(&relay_data);

    // The rogue: answers any WebSocket, records every byte, tries to make it type.
    let rogue_log = dir.path().join("rogue.log");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/rogue_relay.py");
    let mut rogue_cmd = ns.run(true, "python3");
    rogue_cmd.arg(&script).arg(&ns.relay_ip).arg(&rogue_log);
    let rogue = Lines::spawn(rogue_cmd);
    let rogue_port = rogue
        .wait_for("", Duration::from_secs(10))
        .expect("rogue port");

    // Pair with the real relay, then (as if the rogue had taken its address) go
    // to the rogue. SAYTYPE_TOKEN is set: it must not be sent.
    let agent_data = dir.path().join("agent");
    let log = dir.path().join("agent.log");
    let rogue_url = format!("ws://{}:{}/ws", ns.relay_ip, rogue_port.trim());
    let cmd = agent_in_b(&ns, &agent_data, &["--pair", &link, "--relay", &rogue_url]);
    let mut agent = spawn_logged(cmd, &log);
    wait_until("the agent to refuse the rogue", WAIT, || {
        read(&log).contains("did not prove")
    });
    wait_until("the agent to close", WAIT, || {
        read(&rogue_log).contains("\"close\"")
    });
    let _ = agent.kill();
    let _ = agent.wait();

    let pairing = read(&agent_data.join("agent-pairing.json"));
    let stored: serde_json::Value = serde_json::from_str(&pairing).expect("pairing file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(agent_data.join("agent-pairing.json")).expect("meta");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    let key = stored["key"].as_str().expect("key");
    let agent_id = stored["agentId"].as_str().expect("id");
    let seen = read(&rogue_log);
    let frames: Vec<serde_json::Value> = seen
        .lines()
        .map(|l| serde_json::from_str(l).expect("log line"))
        .collect();
    let request = frames[0]["data"].as_str().expect("request").to_lowercase();
    assert!(!request.contains("authorization"), "{request}");
    assert!(
        !seen.contains(TOKEN) && !seen.contains(key),
        "credential leaked: {seen}"
    );
    // Only hellos (its id and a nonce; it tries again) and closes: no proof, no ACK.
    let texts: Vec<&str> = frames
        .iter()
        .filter(|f| f["kind"] == "frame")
        .filter_map(|f| f["data"].as_str())
        .collect();
    assert!(!texts.is_empty(), "{seen}");
    for text in &texts {
        assert!(
            text.contains("\"hello\"") && text.contains(agent_id),
            "{seen}"
        );
    }
    assert!(
        !seen.contains("rogue-1"),
        "the agent ACKed the rogue: {seen}"
    );

    // Its own relay: the message is delivered end to end, sealed.
    let log = dir.path().join("agent2.log");
    let cmd = agent_in_b(&ns, &agent_data, &[]);
    let mut agent = spawn_logged(cmd, &log);
    let relay_url = format!("http://127.0.0.1:{port}");
    let mut answer = String::new();
    wait_until("the message to be delivered", WAIT, || {
        let out = ns
            .exec(true)
            .args(["send", "typed end to end", "--relay", &relay_url])
            .args(["--device", "agentb", "--id", "paired-1"])
            .output()
            .expect("send");
        answer = String::from_utf8_lossy(&out.stdout).into_owned();
        answer.contains("\"status\":\"delivered\"")
    });

    // Revoked in the window: the agent is closed, and stops with clear words.
    let revoke = ns
        .run(true, "curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "DELETE",
        ])
        .args(["-H", &format!("Authorization: Bearer {TOKEN}")])
        .arg(format!("{relay_url}/ui/api/phones/{agent_id}"))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&revoke.stdout), "200");
    let status = exited(&mut agent);
    let _ = agent.kill();
    let said = read(&log);
    eprintln!("delivered: {answer}\nthe revoked agent said: {said}");
    assert!(status.is_some_and(|s| !s.success()), "{said}");
    assert!(said.contains("not paired with this desktop"), "{said}");
}
