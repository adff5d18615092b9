//! The terminal rule, the focus check and the target on Wayland (wlroots), for
//! real: headless sway, a native Wayland terminal (foot) running bash in tmux,
//! and the real `saytype serve` (no `DISPLAY`). A line break typed into a native
//! terminal used to run the line: now a trailing one is dropped, text with one is
//! pasted with the terminal's paste key (bracketed: bash inserts it, runs
//! nothing), and the result names the window (`foot`, its title). A message whose
//! window loses the focus part way stops there: `failed`, "focus moved to foot
//! after N of M characters".

mod common;

use common::dictate::{dictate, focus_moves_part_way, join_scratch_and_press_enter};
use common::terminal::{spawn_terminal, Emulator, Terminal};
use common::wayland::{serve_in, wait_for, write_settings, Layout, Sway};
use common::{RelayClient, TOKEN};
use serde_json::json;

#[tokio::test]
async fn a_line_break_into_a_native_wayland_terminal_runs_nothing() {
    let Some(sway) = Sway::start(false, Layout::Us) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let foot = Terminal::start(Emulator::Foot, &sway.env(), dir.path(), || {
        sway.swaymsg("[app_id=foot] focus")
    });
    sway.set_clipboard("the user's clipboard");
    let served = serve_in(&dir.path().join("data"), "auto", &sway.env()).await;

    // One line and a line break: the break is dropped, the line typed.
    let s = dictate(
        &served.url,
        "one-line",
        "touch made-by-saytype\n",
        "injected",
    )
    .await;
    let line = foot.wait_prompt("touch made-by-saytype");
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
        &served.url,
        "two-lines",
        "touch made-by-saytype\necho second\n",
        "injected",
    )
    .await;
    let line = foot.wait_prompt("touch made-by-saytype\necho second");
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
    let mut other = spawn_terminal(
        Emulator::Foot,
        &sway.env(),
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

    // Part way, the user clicks into the terminal.
    let s = focus_moves_part_way(
        &served.url,
        &gtk,
        || sway.swaymsg("[app_id=foot] focus"),
        "foot",
    )
    .await;
    assert_eq!(s["target"]["app"], "gtk_field.py", "{s}");
    let _ = other.kill();
    let _ = other.wait();
}

/// Dictating in a row on sway, into foot running bash: the second message gets a
/// joining space, "scratch that" removes it with BackSpace, "press enter" runs the
/// line. Before, the native Wayland routes could not tell the focus or press
/// single keys: no space, and both commands failed.
#[tokio::test]
async fn on_sway_voice_commands_join_scratch_and_press_enter() {
    let Some(sway) = Sway::start(false, Layout::Us) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let foot = Terminal::start(Emulator::Foot, &sway.env(), dir.path(), || {
        sway.swaymsg("[app_id=foot] focus")
    });
    let data = dir.path().join("data");
    write_settings(&data, &json!({"voiceCommands": true}));
    let served = serve_in(&data, "type", &sway.env()).await;
    join_scratch_and_press_enter(&served.url, &foot, dir.path(), "foot").await;
}
