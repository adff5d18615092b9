//! The real `saytype` binary: `serve` prints its address, shuts down gracefully on
//! SIGTERM, survives `kill -9` without losing an accepted message, keeps text out of
//! its logs; `send` works as a script would use it.

mod common;

use std::process::Command;
use std::time::Duration;

use common::served::{Served, BIN};
use common::{Agent, RelayClient, TOKEN};
use saytype::client::HttpClient;
use serde_json::json;

/// The served relay's API with the tests' token.
fn api(served: &Served) -> RelayClient {
    RelayClient::new(&served.url, TOKEN)
}

async fn register(served: &Served, device: &str) -> Agent {
    Agent::register_at(&served.ws_url(), device).await.0
}

#[tokio::test]
async fn serve_prints_its_address_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut served = Served::start(&data, 0, Some(TOKEN), &[]);
    assert_ne!(served.port, 0, "--port 0 picks a free port");
    let mut c = HttpClient::connect(&served.url).await.expect("connect");
    assert_eq!(c.get("/health", None).await.expect("health").status, 200);
    let r = api(&served)
        .post(&json!({"text": "kept", "id": "g-1"}))
        .await;
    assert_eq!(r.json().expect("json")["status"], "queued");
    let mut agent = register(&served, "laptop").await;

    served.signal("-TERM");
    let status = served.wait_exit();
    assert!(status.success(), "graceful exit, got {status:?}");
    // The agent was told the relay is going away.
    assert_eq!(agent.closed_with().await, Some(1001));

    // Nothing queued was lost.
    let served = Served::start(&data, 0, Some(TOKEN), &[]);
    assert_eq!(api(&served).status("g-1").await["status"], "queued");
}

#[tokio::test]
async fn kill_9_loses_nothing_that_was_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let served = Served::start(&data, 0, Some(TOKEN), &["--ack-timeout-ms", "1000"]);
    // Some delivered, some left unACKed on a live agent, some queued offline.
    let mut agent = register(&served, "desk").await;
    let url = served.url.clone();
    let sender = tokio::spawn(async move {
        let mut c = HttpClient::connect(&url).await.expect("connect");
        let mut answers = Vec::new();
        for i in 0..60 {
            let r = c
                .post_json(
                    "/transcription",
                    Some(TOKEN),
                    &json!({"text": format!("k {i}"), "id": format!("k-{i:03}")}),
                )
                .await
                .expect("post");
            answers.push(
                r.json().expect("json")["status"]
                    .as_str()
                    .expect("s")
                    .to_owned(),
            );
        }
        answers
    });
    let mut acked = Vec::new();
    for i in 0..60 {
        let f = agent.next_json().await;
        let id = f["id"].as_str().expect("id").to_owned();
        if i < 20 {
            agent.ack(&id).await;
            acked.push(id);
        } else if i == 20 {
            // Stop ACKing and disconnect: this one and the rest are queued.
            break;
        }
    }
    drop(agent);
    let answers = sender.await.expect("sender");
    assert_eq!(answers.iter().filter(|s| *s == "delivered").count(), 20);
    let mut served = served;
    served.signal("-KILL");
    let _ = served.wait_exit();

    let served = Served::start(&data, 0, Some(TOKEN), &[]);
    let mut agent = register(&served, "desk").await;
    let expected: Vec<String> = (20..60).map(|i| format!("k-{i:03}")).collect();
    assert_eq!(agent.take_transcriptions(40).await, expected);
    for id in &acked {
        assert_eq!(api(&served).status(id).await["status"], "delivered", "{id}");
    }
}

#[tokio::test]
async fn transcription_text_stays_out_of_the_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(&dir.path().join("data"), 0, Some(TOKEN), &[]);
    let mut agent = register(&served, "desk").await;
    let secret = "my-bank-pin-is-4711";
    let poster = api(&served).spawn_post(json!({"text": secret}));
    let f = agent.next_json().await;
    agent.ack(f["id"].as_str().expect("id")).await;
    agent
        .send_json(
            json!({"type": "result", "id": f["id"], "status": "failed", "error": "no display"}),
        )
        .await;
    poster.await.expect("post");
    api(&served)
        .post(&json!({"text": format!("{secret}\u{7}")}))
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = served.stderr();
    assert!(
        log.contains("agent registered"),
        "the log is written: {log}"
    );
    assert!(!log.contains(secret), "text leaked into the log: {log}");
}

#[tokio::test]
async fn a_token_is_created_on_first_start_and_send_uses_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let served = Served::start(&data, 0, None, &[]);
    let token = std::fs::read_to_string(data.join("token")).expect("token file");
    let token = token.trim();
    assert!(token.len() >= 22);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("token"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "token readable by its owner only");
    }
    assert_eq!(api(&served).post(&json!({"text": "x"})).await.status, 401);

    let send = |args: &[&str], env_token: Option<&str>| {
        let mut cmd = Command::new(BIN);
        cmd.arg("send").args(args).args(["--relay", &served.url]);
        cmd.env("SAYTYPE_DATA_DIR", &data).env_remove("RUST_LOG");
        match env_token {
            Some(t) => cmd.env("SAYTYPE_TOKEN", t),
            None => cmd.env_remove("SAYTYPE_TOKEN"),
        };
        cmd.output().expect("run send")
    };
    // Token from the data directory.
    let out = send(&["hello from a script", "--id", "s-1"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json out");
    assert_eq!(
        v,
        json!({"id": "s-1", "status": "queued", "deviceId": "desk"})
    );
    // A wrong token: non-zero exit and a clear message.
    let out = send(&["x"], Some("wrong"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("UNAUTHORIZED"));
    // An unknown device.
    let out = send(&["x", "--device", "nowhere"], Some(token));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("UNKNOWN_DEVICE"));
}

#[test]
fn bad_flags_are_refused_with_usage() {
    let out = Command::new(BIN)
        .args(["serve", "--port", "notaport"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--port"));
    let out = Command::new(BIN)
        .args([
            "serve",
            "--device-id",
            "bad/id",
            "--port",
            "0",
            "--no-agent",
        ])
        .env("SAYTYPE_DATA_DIR", tempfile::tempdir().expect("dir").path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid device id"));
}

#[tokio::test]
async fn without_a_display_a_message_fails_with_a_readable_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::spawn(
        &dir.path().join("data"),
        Some(TOKEN),
        &["--inject", "type"],
        &[
            ("DISPLAY", ""),
            ("WAYLAND_DISPLAY", ""),
            ("XDG_SESSION_TYPE", ""),
        ],
    );
    // The local agent registers right after start.
    let api = api(&served);
    let answer = api
        .post_until_taken(&json!({"text": "hello", "id": "nd-1"}))
        .await;
    assert_ne!(
        answer["status"], "queued",
        "the local agent took it: {answer}"
    );
    let status = api.wait_status("nd-1", "failed").await;
    assert_eq!(status["status"], "failed", "{status}");
    assert!(
        status["error"]
            .as_str()
            .is_some_and(|e| e.contains("no display")),
        "{status}"
    );
}

#[test]
fn pair_makes_no_code_for_a_relay_on_loopback_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let _served = Served::start(&data, 0, Some(TOKEN), &[]);
    let out = Command::new(BIN)
        .args(["pair", "--data-dir"])
        .arg(&data)
        .env("SAYTYPE_TOKEN", TOKEN)
        .output()
        .expect("pair");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this computer only") && err.contains("--bind 0.0.0.0"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("#pair="));
}

#[tokio::test]
async fn pair_rotates_the_token_and_the_local_agent_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // No SAYTYPE_TOKEN: the relay uses (and rotates) the data directory's token.
    // On the network, as phones need it (on loopback `pair` makes no code).
    let served = Served::spawn(
        &data,
        None,
        &["--inject", "none", "--bind", "0.0.0.0"],
        &[("SAYTYPE_TOKEN", "")],
    );
    let old = std::fs::read_to_string(data.join("token")).expect("token");
    let old = old.trim().to_owned();

    let pair = |args: &[&str]| {
        Command::new(BIN)
            .arg("pair")
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("SAYTYPE_TOKEN")
            .output()
            .expect("pair")
    };
    let out = pair(&[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    // The link carries a one-time pairing code, never the desktop token.
    assert!(text.contains(&format!(":{}/#pair=", served.port)), "{text}");
    assert!(!text.contains(&old), "{text}");
    assert!(
        text.contains('█') || text.contains('▀'),
        "a QR code is drawn: {text}"
    );

    let out = pair(&["--rotate"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new = std::fs::read_to_string(data.join("token")).expect("token");
    let new = new.trim().to_owned();
    assert_ne!(new, old);
    assert!(text.contains("#pair="), "{text}");
    assert!(!text.contains(&new), "{text}");

    let mut c = HttpClient::connect(&served.url).await.expect("connect");
    let refused = c
        .post_json("/transcription", Some(&old), &json!({"text": "x"}))
        .await
        .expect("post");
    assert_eq!(refused.status, 401);
    // The local agent followed the rotation: a message is still delivered and recorded.
    let api = RelayClient::new(&served.url, &new);
    let answer = api
        .post_until_taken(&json!({"text": "after rotation", "id": "rot-1"}))
        .await;
    assert_ne!(answer["status"], "queued", "{answer}");
    let status = api.wait_status("rot-1", "injected").await;
    assert_eq!(status["status"], "injected", "{status}");
    drop(served);

    // With SayType stopped, no code is made and the user is told how to start it.
    let out = pair(&[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("#pair="), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not running") && err.contains("saytype serve"),
        "{err}"
    );
}
