//! The terminal, as a new user meets it: `--version`, help texts in plain words, logs
//! without colour codes when they go to a file or a pipe, and `serve` saying how to
//! pair a phone after its `listening on` line.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::served::{Served, BIN};
use common::{Agent, TOKEN};

#[test]
fn version_is_printed() {
    let out = Command::new(BIN).arg("--version").output().expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("saytype {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_texts_speak_to_users_not_to_the_code() {
    for command in ["", "serve", "agent", "send", "discover", "pair"] {
        let mut cmd = Command::new(BIN);
        if !command.is_empty() {
            cmd.arg(command);
        }
        let out = cmd.arg("--help").output().expect("run");
        assert!(out.status.success(), "{command} --help");
        let help = String::from_utf8_lossy(&out.stdout);
        // Rustdoc links ("see [`choose_method`]") leak from doc comments into clap.
        assert!(
            !help.contains("[`") && !help.contains("`]"),
            "`saytype {command} --help` refers to the code:\n{help}"
        );
    }
}

#[tokio::test]
async fn logs_to_a_file_or_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = Served::start(&dir.path().join("data"), 0, Some(TOKEN), &[]);
    // A registration is logged (at info, with its level and target).
    let _agent = Agent::register_at(&served.ws_url(), "desk").await;
    let mut log = served.stderr();
    for _ in 0..500 {
        if log.contains("agent registered") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        log = served.stderr();
    }
    assert!(
        log.contains("agent registered"),
        "the log is written: {log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "escape codes in a log file: {log:?}"
    );
}

#[test]
fn serve_says_how_to_pair_a_phone() {
    let lines = |bind: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--no-mdns",
                "--no-agent",
                "--port",
                "0",
                "--bind",
                bind,
            ])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env("SAYTYPE_TOKEN", TOKEN)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        out.read_line(&mut first).expect("first line");
        // The hint is written with the first line; after the kill, the rest of the
        // pipe is read to its end without waiting on a live process.
        let _ = child.kill();
        let _ = child.wait();
        let mut rest = String::new();
        out.read_to_string(&mut rest).expect("rest");
        (first, rest)
    };
    let (first, hint) = lines("0.0.0.0");
    assert!(first.starts_with("listening on http://"), "{first}");
    assert!(hint.contains("saytype pair"), "{hint}");
    let (_, hint) = lines("127.0.0.1");
    assert!(
        hint.contains("loopback") && hint.contains("--bind 0.0.0.0"),
        "{hint}"
    );
}
