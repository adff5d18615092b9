//! The data directory and every file SayType keeps there are its owner's alone,
//! checked on the real binary: the databases (with their WAL and shared-memory
//! files), the agent's inbox, the lock, the token and settings are 0600, a
//! directory SayType creates is 0700, and a directory others can write to is
//! refused, and left as it was.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::served::{Served, BIN};
use common::{RelayClient, TOKEN};
use serde_json::json;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

#[tokio::test]
async fn every_file_in_the_data_directory_is_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // No token in the environment: the relay makes and stores its own.
    let served = Served::spawn(&data, None, &["--inject", "none"], &[("SAYTYPE_TOKEN", "")]);
    let token = std::fs::read_to_string(data.join("token")).expect("token file");
    let token = token.trim();
    served.wait_online(token, "desk").await;
    let client = RelayClient::new(&served.url, token);
    let r = client.post(&json!({"text": "private", "id": "f-1"})).await;
    assert_eq!(r.status, 200);
    client.wait_status("f-1", "injected").await;

    assert_eq!(mode(&data), 0o700, "a directory SayType created");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&data).expect("read_dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert_eq!(mode(&path) & 0o077, 0, "{name} is {:o}", mode(&path));
        names.push(name);
    }
    for expected in [
        "saytype.db",
        "saytype.db-wal",
        "relay.lock",
        "token",
        "agent-desk.db",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    drop(served);
}

#[test]
fn a_data_directory_others_can_write_to_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).expect("mkdir");
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--no-mdns",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
        ])
        .arg(&shared)
        .env("SAYTYPE_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("saytype serve");
    // Bounded: a relay that starts anyway must fail the test, not hang it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("saytype started in a directory every user can write to");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success(), "it must not start");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
        .expect("stderr");
    assert!(
        stderr.contains("can be written by other users"),
        "a clear message: {stderr}"
    );
    assert_eq!(
        mode(&shared),
        0o1777,
        "the user's directory is left as it was"
    );
    assert_eq!(
        std::fs::read_dir(&shared).expect("read_dir").count(),
        0,
        "nothing created there"
    );
}

#[test]
fn an_older_install_s_files_are_made_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let db = data.join("saytype.db");
    std::fs::write(&db, b"").expect("old db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--no-mdns",
            "--no-agent",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
        ])
        .arg(&data)
        .env("SAYTYPE_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("saytype serve");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("listening line");
    assert!(line.starts_with("listening on"), "{line}");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&data), 0o755, "an existing directory keeps its mode");
    let _ = child.kill();
    let _ = child.wait();
}
