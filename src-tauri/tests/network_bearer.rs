//! The desktop token from the network (issue 11): accepted from loopback as before,
//! refused from another machine with a 401 that names `--allow-bearer-from-network`,
//! and accepted from there with that flag. Real sockets between two network
//! namespaces, so the relay sees a real non-loopback peer.

mod common;

use std::time::{Duration, Instant};

use common::netns::{Lines, Netns};
use common::TOKEN;

/// `curl` in `a` (`in_a`) or `b`: (status, body).
fn curl(ns: &Netns, in_a: bool, args: &[&str]) -> (u16, String) {
    let out = ns
        .run(in_a, "curl")
        .args(["-s", "-m", "10", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs (scripts/setup.sh installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

fn post(ns: &Netns, in_a: bool, url: &str) -> (u16, String) {
    let auth = format!("Authorization: Bearer {TOKEN}");
    curl(
        ns,
        in_a,
        &[
            "-X",
            "POST",
            "-H",
            &auth,
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"text":"touch /tmp/pwned"}"#,
            url,
        ],
    )
}

#[test]
fn the_desktop_token_is_refused_from_the_network_unless_the_flag_allows_it() {
    let Some(ns) = Netns::create(false) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (relay, port) = ns.serve(&dir.path().join("relay"), &["--no-agent", "--no-mdns"]);
    let remote = format!("http://{}:{port}", ns.relay_ip);
    let local = format!("http://127.0.0.1:{port}");

    // From the other namespace: refused, with the flag named; the same on /ws
    // (`?token=`) and for the read routes.
    let (status, body) = post(&ns, false, &format!("{remote}/transcription"));
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("UNAUTHORIZED"), "{body}");
    assert!(body.contains("--allow-bearer-from-network"), "{body}");
    let auth = format!("Authorization: Bearer {TOKEN}");
    for path in ["/devices", "/transcription/x1"] {
        let (status, body) = curl(&ns, false, &["-H", &auth, &format!("{remote}{path}")]);
        assert_eq!(status, 401, "{path}: {body}");
        assert!(body.contains("--allow-bearer-from-network"), "{body}");
    }
    let ws = format!("{remote}/ws?token={TOKEN}");
    let (status, body) = curl(
        &ns,
        false,
        &[
            "-H",
            "Connection: Upgrade",
            "-H",
            "Upgrade: websocket",
            "-H",
            "Sec-WebSocket-Version: 13",
            "-H",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            &ws,
        ],
    );
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("--allow-bearer-from-network"), "{body}");
    // Nothing was accepted: the health check and the page stay open to all.
    let (status, _) = curl(&ns, false, &[&format!("{remote}/health")]);
    assert_eq!(status, 200);

    // From the relay's own machine (loopback): accepted as before.
    let (status, body) = post(&ns, true, &format!("{local}/transcription"));
    assert_eq!(status, 200, "{body}");
    drop(relay);

    // With the flag, the network may use it too, to send.
    let (_relay, port) = ns.serve(
        &dir.path().join("relay2"),
        &[
            "--no-agent",
            "--no-mdns",
            "--device-id",
            "desk",
            "--allow-bearer-from-network",
        ],
    );
    let remote = format!("http://{}:{port}", ns.relay_ip);
    let (status, body) = post(&ns, false, &format!("{remote}/transcription"));
    assert_eq!(status, 200, "{body}");

    // But what is the desktop's alone stays on the desktop (issue 12's roles):
    // rotating the token, making pairing codes, being the relay's own device.
    for path in ["/token/rotate", "/pairing/code"] {
        let (status, body) = curl(
            &ns,
            false,
            &["-X", "POST", "-H", &auth, &format!("{remote}{path}")],
        );
        assert_eq!(status, 403, "{path}: {body}");
        assert!(body.contains("FORBIDDEN"), "{body}");
    }
    let ws = format!("ws://{}:{port}/ws", ns.relay_ip);
    let agent = |device: &str| {
        let mut cmd = ns.exec(false);
        cmd.args([
            "agent",
            "--relay",
            &ws,
            "--inject",
            "none",
            "--device-id",
            device,
        ]);
        cmd
    };
    let out = agent("desk").output().expect("agent runs");
    assert!(
        !out.status.success(),
        "registering as the default device from afar"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("4001") || said.to_lowercase().contains("refused"),
        "{said}"
    );
    // As a device of its own, it registers.
    let laptop = Lines::spawn(agent("laptop"));
    let local = format!("http://127.0.0.1:{port}/devices");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, devices) = curl(&ns, true, &["-H", &auth, &local]);
        if devices.contains(r#""deviceId":"laptop","online":true"#) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "laptop never came online: {devices}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(laptop);
}
