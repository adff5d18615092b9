//! End to end under headless KWin 5.27 (KDE Plasma's compositor), for real: a
//! native GTK 3 window (`GDK_BACKEND=wayland`) that records its buffer, and the
//! real `saytype serve` typing through KWin's fake input what is on the layout,
//! pasting what is not; every run compared byte for byte. KWin grants fake input
//! as in a real session: SayType installs the `.desktop` entry itself.

mod common;

use common::desktop::{mixed_text_from, Target};
use common::dictate::{dictate, focus_moves_part_way, join_scratch_and_press_enter};
use common::kwin::{Grant, Kwin, SOCKET};
use common::served::Served;
use common::terminal::{Emulator, Terminal};
use common::wayland::{
    layout_texts, route_line, send_and_compare, serve_in, set_clipboard, wait_clipboard,
    write_settings,
};
use serde_json::{json, Value};

struct Session {
    served: Served,
    target: Target,
    kwin: Kwin,
    _dir: tempfile::TempDir,
}

async fn session(grant: Grant, xkb: &str, inject: &str) -> Session {
    // Byte for byte, message after message: no joining space between them.
    session_with(grant, xkb, inject, json!({"joinMessages": false})).await
}

/// A session whose `settings.json` is `settings`.
async fn session_with(grant: Grant, xkb: &str, inject: &str, settings: Value) -> Session {
    let kwin = Kwin::start(grant, xkb);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = kwin.gtk(dir.path());
    let data = dir.path().join("data");
    write_settings(&data, &settings);
    let served = serve_in(&data, inject, &kwin.env()).await;
    Session {
        served,
        target,
        kwin,
        _dir: dir,
    }
}

/// KWin's window list (granted by the same `.desktop` entry as fake input): a
/// line break into a native terminal (Konsole, bash in tmux) runs nothing (a trailing
/// one dropped, two lines pasted with Ctrl+Shift+V), the result names the window,
/// and a message whose window loses the focus part way stops there. Before, KWin
/// typed the line break as a key: bash ran the line.
#[tokio::test]
async fn on_kwin_a_terminal_runs_nothing_and_typing_stops_when_the_focus_moves() {
    let s = session(Grant::DesktopEntry, "us", "type").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let konsole = Terminal::start(Emulator::Konsole, &s.kwin.env(), dir.path(), || {
        s.kwin.activate("saytype-shell")
    });

    let r = dictate(
        &s.served.url,
        "one-line",
        "touch made-by-saytype\n",
        "injected",
    )
    .await;
    assert_eq!(
        konsole.wait_prompt("touch made-by-saytype"),
        "touch made-by-saytype",
        "the text sits on the prompt"
    );
    assert!(
        !dir.path().join("made-by-saytype").exists(),
        "the line ran as a command"
    );
    let into = |method: &str| json!({"app": "org.kde.konsole", "title": "saytype-shell — Konsole", "method": method});
    assert_eq!(r["target"], into("typed"), "{r}");

    konsole.clear_prompt();
    let r = dictate(
        &s.served.url,
        "two-lines",
        "touch made-by-saytype\necho second\n",
        "injected",
    )
    .await;
    assert_eq!(
        konsole.wait_prompt("touch made-by-saytype\necho second"),
        "touch made-by-saytype\necho second"
    );
    assert!(
        !dir.path().join("made-by-saytype").exists(),
        "the first line ran"
    );
    assert_eq!(r["target"], into("pasted"), "{r}");

    // A long message into the GTK window; part way the user clicks into Konsole.
    assert!(s.kwin.activate("saytype-wayland-gtk"));
    let r = focus_moves_part_way(
        &s.served.url,
        &s.target,
        || s.kwin.activate("saytype-shell"),
        "org.kde.konsole",
    )
    .await;
    assert_eq!(r["target"]["title"], "saytype-wayland-gtk", "{r}");
}

/// Dictating in a row on KWin, into Konsole running bash: the second message gets
/// a joining space, "scratch that" removes it with BackSpace, "press enter" runs
/// the line. Before, KWin's route could not tell the focus or press single keys:
/// no space, and both commands failed.
#[tokio::test]
async fn on_kwin_voice_commands_join_scratch_and_press_enter() {
    let s = session_with(
        Grant::Everyone,
        "us",
        "type",
        json!({"voiceCommands": true}),
    )
    .await;
    let dir = tempfile::tempdir().expect("tempdir");
    let konsole = Terminal::start(Emulator::Konsole, &s.kwin.env(), dir.path(), || {
        s.kwin.activate("saytype-shell")
    });
    join_scratch_and_press_enter(&s.served.url, &konsole, dir.path(), "org.kde.konsole").await;
}

/// In-layout text typed, out-of-layout text pasted, with the grant SayType
/// installs itself (no permission checks switched off).
#[tokio::test]
async fn fake_input_types_the_layout_and_pastes_the_rest_after_installing_its_grant() {
    let s = session(Grant::DesktopEntry, "us", "type").await;
    let line = route_line(&s.served.url).await;
    assert!(line.contains("typing through KWin fake-input"), "{line}");
    assert!(line.contains("which SayType installed"), "{line}");
    let entry = std::fs::read_to_string(
        s.kwin
            .applications()
            .join("saytype-kwin-fake-input.desktop"),
    )
    .expect("the .desktop entry");
    assert!(
        entry.contains(&format!("Exec=\"{}\"", common::served::BIN)),
        "{entry}"
    );
    set_clipboard(SOCKET, &s.kwin.runtime_dir(), "what the user had copied");
    let texts = layout_texts();
    send_and_compare(&s.served.url, &s.target, &texts, "k").await;
    let clip = wait_clipboard(SOCKET, &s.kwin.runtime_dir(), "what the user had copied");
    assert_eq!(clip, "what the user had copied");
}

/// A German layout: y/z swapped, symbols on AltGr; typed with its own keys.
#[tokio::test]
async fn fake_input_types_on_a_german_layout() {
    let s = session(Grant::Everyone, "de", "type").await;
    let texts = vec!["yz YZ @€[]{}|\\~ äöüß Grüße\n".to_owned()];
    send_and_compare(&s.served.url, &s.target, &texts, "k").await;
}

/// Two layouts (US and German), the second one active: SayType is not told
/// which one is active (only the focused client is), so a key that types
/// differently in the two (y/z, @) is not relied on: such a text is pasted, the
/// rest typed; both exact. Typed with the first layout's keys, `y` came out `z`.
#[tokio::test]
async fn fake_input_with_two_layouts_types_only_keys_they_agree_on() {
    let s = session(Grant::Everyone, "us,de", "type").await;
    s.kwin.set_layout(1);
    let texts = vec![
        "Hallo Welt, 123 abc\n".to_owned(),
        "yz YZ @ [] äöü\n".to_owned(),
        "typed again\n".to_owned(),
    ];
    send_and_compare(&s.served.url, &s.target, &texts, "t").await;
}

/// Paste after paste, each in the window before the next (a window that read an
/// older selection, or the user's restored one, shows up here).
#[tokio::test]
async fn every_fake_input_paste_in_a_row_arrives() {
    let s = session(Grant::Everyone, "us", "paste").await;
    set_clipboard(SOCKET, &s.kwin.runtime_dir(), "the user's");
    let texts: Vec<String> = (0..20)
        .map(|i| format!("paste {i}: {}\n", mixed_text_from(60, i)))
        .collect();
    send_and_compare(&s.served.url, &s.target, &texts, "p").await;
    let clip = wait_clipboard(SOCKET, &s.kwin.runtime_dir(), "the user's");
    assert_eq!(clip, "the user's");
}
