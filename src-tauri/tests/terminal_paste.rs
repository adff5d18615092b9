//! Never run a command by accident: dictating two lines into a real `bash` in a
//! plain xterm (no translation override), and inside tmux in that xterm, through
//! the real `saytype serve --inject auto|type`. A line break used to go in as
//! Shift+Return, which a terminal reads as Return: the first line ran. Now the text
//! goes in through the terminal's own paste (PRIMARY + Shift+Insert), bash's
//! bracketed paste inserts it, and nothing runs.

mod common;

use std::path::PathBuf;

use common::bash::Bash;
use common::desktop::XDisplay;
use common::served::Served;
use common::{RelayClient, TOKEN};
use serde_json::json;

/// What the phone dictates: a command, a line break, another, a trailing break.
const DICTATED: &str = "touch made-by-saytype\necho second\n";

async fn dictate_two_lines(inject: &str, in_tmux: bool) {
    dictate(
        inject,
        in_tmux,
        DICTATED,
        "touch made-by-saytype\necho second",
    )
    .await;
}

/// Dictate `text` into bash (in xterm, or tmux in xterm); `on_prompt` is what must
/// sit on the prompt afterwards, with nothing run and PRIMARY given back.
async fn dictate(inject: &str, in_tmux: bool, text: &str, on_prompt: &str) {
    if in_tmux && which("tmux").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is required under CI (scripts/setup.sh test)"
        );
        eprintln!("SKIPPED: tmux is not installed");
        return;
    }
    let Some(display) = XDisplay::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let shell = if in_tmux {
        Bash::start_in_tmux(&display, dir.path(), "saytype-shell")
    } else {
        Bash::start(&display, dir.path(), "saytype-shell")
    };
    display.set_primary("the user's selection");
    let served = Served::spawn(
        &dir.path().join("data"),
        Some(TOKEN),
        &["--inject", inject],
        &[("DISPLAY", display.name.as_str())],
    );
    served.wait_online(TOKEN, "desk").await;
    let relay = RelayClient::new(&served.url, TOKEN);
    let r = relay.post(&json!({"text": text, "id": "two-lines"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let s = relay.wait_status("two-lines", "injected").await;
    assert_eq!(s["status"], "injected", "{s}");
    // Where it went, for the pages: the status and the history say so.
    let into = json!({"app": "XTerm", "title": "saytype-shell", "method": "pasted"});
    assert_eq!(s["target"], into, "{s}");
    let history = relay
        .get("/ui/api/history?id=two-lines")
        .await
        .json()
        .expect("history");
    assert_eq!(history[0]["target"], into, "{history}");

    let line = shell.prompt_line(&display);
    assert!(
        !dir.path().join("made-by-saytype").exists(),
        "the first line ran as a command"
    );
    assert_eq!(
        line, on_prompt,
        "the text sits on the prompt, without the trailing line break"
    );
    assert_eq!(
        display.primary(),
        "the user's selection",
        "the user's PRIMARY selection is back"
    );
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}

#[tokio::test]
async fn two_lines_into_bash_in_xterm_run_nothing() {
    dictate_two_lines("auto", false).await;
}

#[tokio::test]
async fn two_lines_typed_into_bash_in_xterm_run_nothing() {
    dictate_two_lines("type", false).await;
}

#[tokio::test]
async fn two_lines_into_bash_in_tmux_in_xterm_run_nothing() {
    dictate_two_lines("auto", true).await;
}

/// A paste without a line break (`--inject paste`, or characters off the layout)
/// used Ctrl+Shift+V, which plain xterm ignores: nothing arrived. It goes through
/// PRIMARY + Shift+Insert like a text with a line break.
#[tokio::test]
async fn one_line_pasted_into_bash_in_xterm_arrives() {
    dictate(
        "paste",
        false,
        "touch made-by-saytype\n",
        "touch made-by-saytype",
    )
    .await;
}
