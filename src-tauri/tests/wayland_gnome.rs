//! End to end under headless mutter 43 (GNOME's compositor), for real: a native
//! GTK 3 window (`GDK_BACKEND=wayland`) that records its buffer, and the real
//! `saytype serve` on the same private session bus.

mod common;

use common::desktop::{mixed_text_from, Target};
use common::dictate::dictate;
use common::mutter::Mutter;
use common::served::Served;
use common::session_bus::SessionBus;
use common::terminal::{focused_marker, Emulator, Terminal};
use common::wayland::{layout_texts, route_line, send_and_compare, serve_in};
use common::{RelayClient, TOKEN};
use serde_json::{json, Value};

struct Session {
    served: Served,
    target: Target,
    mutter: Mutter,
    _other_bus: Option<SessionBus>,
    _dir: tempfile::TempDir,
}

/// mutter (with Xwayland if `xwayland`), a focused native GTK window, and
/// `saytype serve --inject INJECT`. With `reach_mutter` false, SayType gets a
/// session bus of its own, so mutter's RemoteDesktop is out of its reach: a
/// compositor that offers nothing SayType speaks.
async fn session(xwayland: bool, inject: &str, reach_mutter: bool) -> Session {
    let mutter = Mutter::start(xwayland);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = mutter.gtk(dir.path());
    let other_bus = (!reach_mutter).then(SessionBus::start);
    let mut env = mutter.env();
    if let Some(bus) = &other_bus {
        env.retain(|(k, _)| *k != "DBUS_SESSION_BUS_ADDRESS");
        env.push(("DBUS_SESSION_BUS_ADDRESS", bus.address.clone()));
    }
    let served = serve_in(&dir.path().join("data"), inject, &env).await;
    Session {
        served,
        target,
        mutter,
        _other_bus: other_bus,
        _dir: dir,
    }
}

async fn post(s: &Session, id: &str, text: &str) {
    let r = RelayClient::new(&s.served.url, TOKEN)
        .post(&json!({"text": text, "id": id}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

/// The defect: with Xwayland beside the compositor and a native window focused,
/// the message went through X11 (Xwayland's `_NET_ACTIVE_WINDOW` is 0, XTest
/// reaches no window) and was reported `injected` while nothing arrived.
#[tokio::test]
async fn a_native_window_no_route_reaches_fails_with_what_to_do() {
    let s = session(true, "type", false).await;
    post(&s, "native-1", "nobody receives this").await;
    let status: Value = RelayClient::new(&s.served.url, TOKEN)
        .wait_status("native-1", "failed")
        .await;
    assert_eq!(status["status"], "failed", "{status}");
    let reason = status["error"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("native Wayland window"), "{status}");
    assert_eq!(s.target.text(), "", "nothing may arrive");
    // Nothing lost silently later either: a second message fails the same way.
    post(&s, "native-2", "nor this").await;
    let status = RelayClient::new(&s.served.url, TOKEN)
        .wait_status("native-2", "failed")
        .await;
    assert_eq!(status["status"], "failed", "{status}");
}

fn xclip(m: &Mutter) -> std::process::Command {
    let (display, cookie) = m.x.clone().expect("a session with Xwayland");
    let mut cmd = std::process::Command::new("xclip");
    cmd.args(["-selection", "clipboard"])
        .env("DISPLAY", display)
        .env("XAUTHORITY", cookie)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    cmd
}

/// mutter 43: what is on the layout typed through RemoteDesktop, the rest
/// pasted through Xwayland's clipboard, into a native window; every message
/// compared byte for byte, and the user's clipboard given back.
#[tokio::test]
async fn remote_desktop_types_the_layout_and_pastes_the_rest() {
    let s = session(true, "type", true).await;
    let line = route_line(&s.served.url).await;
    assert!(
        line.contains("typing through mutter's RemoteDesktop (GNOME)"),
        "{line}"
    );
    let mut set = xclip(&s.mutter).arg("-i").spawn().expect("xclip");
    if let Some(mut stdin) = set.stdin.take() {
        std::io::Write::write_all(&mut stdin, b"what the user had copied").expect("xclip");
    }
    assert!(set.wait().expect("xclip").success());
    let texts = layout_texts();
    send_and_compare(&s.served.url, &s.target, &texts, "g").await;
    let mut clip = String::new();
    for _ in 0..250 {
        let out = xclip(&s.mutter).arg("-o").output().expect("xclip -o");
        clip = String::from_utf8_lossy(&out.stdout).into_owned();
        if clip == "what the user had copied" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(clip, "what the user had copied");
}

/// Without Xwayland: the session's own clipboard pastes what is off the layout,
/// mixed with typed messages, each compared byte for byte.
#[tokio::test]
async fn without_xwayland_off_layout_text_is_pasted_through_the_session() {
    let s = session(false, "type", true).await;
    let texts: Vec<String> = (0..10)
        .map(|i| match i % 2 {
            0 => format!("typed {i}: ok\n"),
            _ => format!("pasted {i}: naïve 漢字 😀 {}\n", mixed_text_from(40, i)),
        })
        .collect();
    send_and_compare(&s.served.url, &s.target, &texts, "n").await;
}

/// mutter tells no client which window has the focus, so any window may be a
/// terminal: a dictated line with a line break used to be typed there as
/// Shift+Return, which GNOME Terminal (VTE) and xterm read as Return: the line
/// runs (foot here sent bash something it ignored, and the next message was
/// glued to the line). Now text with a line break goes in as a Ctrl+V paste,
/// which a terminal ignores, so nothing runs and the line is not left behind.
/// (mutter fetches every new clipboard itself, so SayType cannot tell whether
/// the window took the paste: it is reported pasted; the text stays in the
/// history.)
#[tokio::test]
async fn on_mutter_a_line_break_never_runs_a_line_in_a_terminal() {
    let mutter = Mutter::start(false);
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let served = serve_in(&data, "type", &mutter.env()).await;
    // The only window: mutter gives it the focus (tmux hears of it).
    let focused = focused_marker(dir.path());
    let foot = Terminal::start(Emulator::Foot, &mutter.env(), dir.path(), || {
        focused.exists()
    });
    // Keys reach foot once mutter has given it the keyboard, a moment after it
    // is activated (what tmux hears): type until a line arrives whole.
    for attempt in 0.. {
        dictate(
            &served.url,
            &format!("probe-{attempt}"),
            "echo typed",
            "injected",
        )
        .await;
        let line = foot.wait_prompt_within("echo typed", std::time::Duration::from_secs(2));
        foot.clear_prompt();
        if line == "echo typed" {
            break;
        }
        assert!(attempt < 5, "keys never reached foot: {line:?}");
    }

    let r = dictate(&served.url, "line", "touch made-by-saytype\n", "injected").await;
    assert_eq!(r["target"], Value::Null, "mutter does not say where: {r}");
    // Keys arrive in order: once the next message is on the prompt, a typed
    // line break before it would have run the line.
    dictate(&served.url, "after", "echo after", "injected").await;
    assert_eq!(foot.wait_prompt("echo after"), "echo after");
    assert!(
        !dir.path().join("made-by-saytype").exists(),
        "the line ran as a command"
    );
}
