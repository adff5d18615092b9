//! End to end on Wayland, for real: headless sway, a GTK 3 window under
//! `GDK_BACKEND=wayland` that records its buffer, and the real `saytype serve`
//! (no `DISPLAY`) typing through each wlroots route and pasting; every run is
//! compared byte for byte. Also a German layout, and an Xwayland window on the
//! same session, typed through X11.

mod common;

use common::desktop::{mixed_text, mixed_text_from, Target};
use common::served::Served;
use common::wayland::{
    route_line, send_and_compare, serve_in, wait_clipboard, Client, Layout, Sway,
};

struct Session {
    served: Served,
    target: Target,
    sway: Sway,
    _im: Option<Client>,
    _dir: tempfile::TempDir,
}

/// How the session is set up.
#[derive(Clone, Copy)]
struct Setup {
    inject: &'static str,
    layout: Layout,
    /// Another input method holds the seat: the virtual keyboard route.
    other_im: bool,
    /// Xwayland and an xterm in it, instead of the GTK window.
    xwayland: bool,
}

const SETUP: Setup = Setup {
    inject: "type",
    layout: Layout::Us,
    other_im: false,
    xwayland: false,
};

async fn session(setup: Setup) -> Option<Session> {
    let sway = Sway::start(setup.xwayland, setup.layout)?;
    let dir = tempfile::tempdir().expect("tempdir");
    let im = setup.other_im.then(|| sway.hold_input_method());
    let target = if setup.xwayland {
        sway.xterm(dir.path())
    } else {
        sway.gtk(dir.path())
    };
    let env = sway.env();
    let served = serve_in(&dir.path().join("data"), setup.inject, &env).await;
    Some(Session {
        served,
        target,
        sway,
        _im: im,
        _dir: dir,
    })
}

fn texts() -> Vec<String> {
    vec![
        "Hello, World! 0123456789 ~`!@#$%^&*()_+-=[]{}\\|;:'\",.<>/? ".into(),
        "line one\nline two\n\tindented with a tab\n".into(),
        "Grüße aus Köln – ça va? Ñandú, 漢字かな, 한국어, emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇩🇪🇫🇷\n".into(),
        mixed_text(1_000),
    ]
}

#[tokio::test]
async fn the_input_method_types_mixed_unicode_exactly() {
    let Some(s) = session(SETUP).await else {
        return;
    };
    send_and_compare(&s.served.url, &s.target, &texts(), "w").await;
    // Said after each message: the route the focused window gets.
    let line = route_line(&s.served.url).await;
    assert!(
        line.contains("typing through the input method (sway)"),
        "{line}"
    );
}

#[tokio::test]
async fn the_virtual_keyboard_types_when_another_input_method_holds_the_seat() {
    let setup = Setup {
        other_im: true,
        ..SETUP
    };
    let Some(s) = session(setup).await else {
        return;
    };
    let line = route_line(&s.served.url).await;
    assert!(
        line.contains("typing through a virtual keyboard (sway)"),
        "{line}"
    );
    send_and_compare(&s.served.url, &s.target, &texts(), "w").await;
}

#[tokio::test]
async fn the_virtual_keyboard_ignores_a_german_layout() {
    let setup = Setup {
        other_im: true,
        layout: Layout::German,
        ..SETUP
    };
    let Some(s) = session(setup).await else {
        return;
    };
    // y/z and the symbols sit elsewhere on a German keyboard.
    let texts = vec!["yz YZ @€[]{}|\\~ äöüß\n".to_owned(), mixed_text(300)];
    send_and_compare(&s.served.url, &s.target, &texts, "w").await;
}

#[tokio::test]
async fn pasting_on_wayland_restores_the_users_clipboard_under_a_german_layout() {
    let setup = Setup {
        inject: "paste",
        layout: Layout::German,
        ..SETUP
    };
    let Some(s) = session(setup).await else {
        return;
    };
    s.sway.set_clipboard("what the user had copied");
    let text = format!("pasted, not typed: {}\nend 👨‍👩‍👧 🇩🇪", mixed_text(2_000));
    send_and_compare(&s.served.url, &s.target, std::slice::from_ref(&text), "w").await;
    // The agent put the user's clipboard back.
    let clip = wait_clipboard(
        &s.sway.socket,
        s.sway.runtime_dir(),
        "what the user had copied",
    );
    assert_eq!(clip, "what the user had copied");
}

/// Paste after paste, each reported injected only once it is in the window. The
/// lost paste (1 in 10 empty in the benchmark, yet reported injected): arboard
/// set the selection from a thread of its own, and Ctrl+V could reach the window
/// before the new selection did. Not deterministic, so many in a row.
#[tokio::test]
async fn every_paste_in_a_row_arrives() {
    let setup = Setup {
        inject: "paste",
        ..SETUP
    };
    let Some(s) = session(setup).await else {
        return;
    };
    let n = std::env::var("SAYTYPE_WL_PASTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let texts: Vec<String> = (0..n)
        .map(|i| format!("paste {i}: {}\n", mixed_text_from(60, i)))
        .collect();
    send_and_compare(&s.served.url, &s.target, &texts, "w").await;
}

#[tokio::test]
async fn an_xwayland_window_is_typed_through_x11() {
    let setup = Setup {
        xwayland: true,
        ..SETUP
    };
    let Some(s) = session(setup).await else {
        return;
    };
    let line = route_line(&s.served.url).await;
    assert!(line.contains("Xwayland window through X11"), "{line}");
    send_and_compare(&s.served.url, &s.target, &texts()[..3], "w").await;
}
