//! The terminal rule, the focus check and the target on Wayland (wlroots), for
//! real: headless sway, a native Wayland terminal (foot) running bash in tmux,
//! and the real `saytype serve` (no `DISPLAY`). A line break typed into a native
//! terminal used to run the line: now a trailing one is dropped, text with one is
//! pasted with the terminal's paste key (bracketed: bash inserts it, runs
//! nothing), and the result names the window (`foot`, its title). A message whose
//! window loses the focus part way stops there: `failed`, "focus moved to foot
//! after N of M characters".

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::served::Served;
use common::wayland::{serve_in, wait_for, Layout, Sway};
use common::{RelayClient, TOKEN};
use serde_json::json;

/// bash in tmux in foot, with a key (Ctrl+T, sent through tmux) that writes the
/// line being edited to `buffer`, so the test reads exactly what sits on the
/// prompt.
struct Foot {
    child: Child,
    buffer: PathBuf,
    socket: PathBuf,
}

/// foot, as root, on the session; `command` runs in it.
fn spawn_foot(sway: &Sway, title: &str, command: &[&str]) -> Child {
    let mut env = sway.env();
    env.retain(|(k, _)| *k != "DISPLAY");
    Command::new("foot")
        // No user configuration; a TERM that tmux and bash know everywhere.
        .args([
            "--config=/dev/null",
            "-o",
            "term=xterm-256color",
            "--title",
            title,
        ])
        .args(command)
        .envs(env)
        .env_remove("DISPLAY")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("foot (scripts/setup.sh test installs it)")
}

impl Foot {
    fn start(sway: &Sway, dir: &Path) -> Foot {
        let rc = common::shell::BashRc::write(dir);
        let bash = rc.command.clone();
        let ready = rc.ready.clone();
        let socket = dir.join("tmux.sock");
        let socket_arg = socket.display().to_string();
        let child = spawn_foot(
            sway,
            "saytype-shell",
            &[
                "tmux",
                "-S",
                &socket_arg,
                "-f",
                "/dev/null",
                "new-session",
                &bash,
            ],
        );
        wait_for(|| ready.exists().then_some(()), "bash in foot");
        wait_for(
            || sway.swaymsg("[app_id=foot] focus").then_some(()),
            "the foot window",
        );
        Foot {
            child,
            buffer: rc.buffer,
            socket,
        }
    }

    fn tmux(&self, args: &[&str]) {
        let status = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .status()
            .expect("tmux");
        assert!(status.success());
    }

    /// The line on bash's prompt, read with the Ctrl+T binding.
    fn prompt_line(&self) -> String {
        let buffer = self.buffer.clone();
        let _ = std::fs::remove_file(&buffer);
        self.tmux(&["send-keys", "C-t"]);
        // Written to a side file and renamed: whole once it exists.
        wait_for(|| buffer.exists().then_some(()), "the prompt line written");
        std::fs::read_to_string(&buffer).expect("buffer")
    }

    /// Empty bash's line (end of line, kill to its start, for each line).
    fn clear_prompt(&self) {
        self.tmux(&["send-keys", "C-e", "C-u", "C-h", "C-u"]);
        wait_for(
            || self.prompt_line().is_empty().then_some(()),
            "an empty prompt",
        );
    }
}

impl Drop for Foot {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Send `text` as `id` and wait until it is no longer on its way.
async fn dictate(served: &Served, id: &str, text: &str, want: &str) -> serde_json::Value {
    let relay = RelayClient::new(&served.url, TOKEN);
    let r = relay.post(&json!({"text": text, "id": id})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let s = relay.wait_status(id, want).await;
    assert_eq!(s["status"], want, "{s}");
    s
}

#[tokio::test]
async fn a_line_break_into_a_native_wayland_terminal_runs_nothing() {
    let Some(sway) = Sway::start(false, Layout::Us) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let foot = Foot::start(&sway, dir.path());
    sway.set_clipboard("the user's clipboard");
    let served = serve_in(&dir.path().join("data"), "auto", &sway.env()).await;

    // One line and a line break: the break is dropped, the line typed.
    let s = dictate(&served, "one-line", "touch made-by-saytype\n", "injected").await;
    let line = foot.prompt_line();
    assert!(
        !dir.path().join("made-by-saytype").exists(),
        "the line ran as a command"
    );
    assert_eq!(line, "touch made-by-saytype", "the text sits on the prompt");
    assert_eq!(s["target"]["app"], "foot", "{s}");
    assert_eq!(s["target"]["title"], "saytype-shell", "{s}");
    assert_eq!(s["target"]["method"], "typed", "{s}");

    // Two lines: pasted with the terminal's paste key, nothing runs.
    foot.clear_prompt();
    let s = dictate(
        &served,
        "two-lines",
        "touch made-by-saytype\necho second\n",
        "injected",
    )
    .await;
    let line = foot.prompt_line();
    assert!(
        !dir.path().join("made-by-saytype").exists(),
        "the first line ran as a command"
    );
    assert_eq!(line, "touch made-by-saytype\necho second");
    let into = json!({"app": "foot", "title": "saytype-shell", "method": "pasted"});
    assert_eq!(s["target"], into, "{s}");
    let history = RelayClient::new(&served.url, TOKEN)
        .get("/ui/api/history?id=two-lines")
        .await
        .json()
        .expect("history");
    assert_eq!(history[0]["target"], into, "{history}");
    wait_for(
        || (sway.clipboard() == "the user's clipboard").then_some(()),
        "the user's clipboard back",
    );
}

#[tokio::test]
async fn typing_stops_when_the_focus_moves_to_another_wayland_window() {
    let Some(sway) = Sway::start(false, Layout::Us) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // The other window: a foot that swallows what it gets.
    let mut other = spawn_foot(
        &sway,
        "the other window",
        &["sh", "-c", "stty -echo; cat > /dev/null"],
    );
    wait_for(
        || sway.swaymsg("[app_id=foot] focus").then_some(()),
        "the foot window",
    );
    // Typed with the virtual keyboard (paced: a long text takes seconds).
    let _im = sway.hold_input_method();
    let gtk = sway.gtk(dir.path());
    let served = serve_in(&dir.path().join("data"), "type", &sway.env()).await;

    let text: String = "focus check ".repeat(800);
    let total = text.chars().count();
    let relay = RelayClient::new(&served.url, TOKEN);
    let r = relay.post(&json!({"text": text, "id": "long"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // Part way, the user clicks into the terminal.
    wait_for(
        || (gtk.text().len() >= 1_000).then_some(()),
        "the first characters in the GTK window",
    );
    assert!(sway.swaymsg("[app_id=foot] focus"));
    let s = relay.wait_status("long", "failed").await;
    assert_eq!(s["status"], "failed", "{s}");
    let error = s["error"].as_str().unwrap_or_default();
    let typed = error
        .strip_prefix("focus moved to foot after ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("not the focus reason: {error}"));
    assert!(
        error.contains(&format!("after {typed} of {total} characters")),
        "{error}"
    );
    assert!(typed < total, "{error}");
    // What the GTK window has is a start of the text, no more than was reported.
    let got = gtk.text();
    assert!(text.starts_with(&got), "the GTK window got other text");
    assert!(got.chars().count() <= typed, "{} > {typed}", got.len());
    assert_eq!(s["target"]["app"], "gtk_field.py", "{s}");
    let _ = other.kill();
    let _ = other.wait();
}
