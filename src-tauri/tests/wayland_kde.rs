//! End to end under headless KWin 5.27 (KDE Plasma's compositor), for real: a
//! native GTK 3 window (`GDK_BACKEND=wayland`) that records its buffer, and the
//! real `saytype serve` typing through KWin's fake input what is on the layout,
//! pasting what is not; every run compared byte for byte. KWin grants fake input
//! as in a real session: SayType installs the `.desktop` entry itself.

mod common;

use common::desktop::{mixed_text_from, Target};
use common::kwin::{Grant, Kwin, SOCKET};
use common::served::Served;
use common::wayland::{
    layout_texts, route_line, send_and_compare, serve_in, set_clipboard, wait_clipboard,
};

struct Session {
    served: Served,
    target: Target,
    kwin: Kwin,
    _dir: tempfile::TempDir,
}

async fn session(grant: Grant, xkb: &str, inject: &str) -> Session {
    let kwin = Kwin::start(grant, xkb);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = kwin.gtk(dir.path());
    let served = serve_in(&dir.path().join("data"), inject, &kwin.env()).await;
    Session {
        served,
        target,
        kwin,
        _dir: dir,
    }
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
