//! The right window: a long message typed into one window while the test gives
//! the focus to a second one part way (as a user clicking elsewhere does). Typing
//! stops, the message is `failed` with "focus moved to <app> after N of M
//! characters", and the first window has exactly the first N characters.

mod common;

use std::time::{Duration, Instant};

use common::desktop::{Target, XDisplay};
use common::served::Served;
use common::{RelayClient, TOKEN};
use serde_json::json;

#[tokio::test]
async fn typing_stops_when_the_focus_moves_to_another_window() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (a_dir, b_dir) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a_dir).expect("a");
    std::fs::create_dir_all(&b_dir).expect("b");
    // B first, then A: A has the focus when the message starts.
    let second = Target::xterm_named(&display, &b_dir, false, "SayTypeSecond");
    let first = Target::xterm_named(&display, &a_dir, false, "SayTypeFirst");
    let served = Served::spawn(
        &dir.path().join("data"),
        Some(TOKEN),
        &["--inject", "type"],
        &[("DISPLAY", display.name.as_str())],
    );
    served.wait_online(TOKEN, "desk").await;

    // 600 different CJK characters: the few spare keycodes are bound again and
    // again, each time after a barrier (xterm answers no pings: 150 ms or more),
    // so typing takes seconds and the focus moves part way.
    let text: String = (0x4E00..0x4E00 + 600).filter_map(char::from_u32).collect();
    let total = text.chars().count();
    let relay = RelayClient::new(&served.url, TOKEN);
    let r = relay.post(&json!({"text": text, "id": "long"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // Part way, the user clicks into the other window.
    let deadline = Instant::now() + Duration::from_secs(20);
    while first.text().chars().count() < 60 {
        assert!(Instant::now() < deadline, "typing did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    display.focus("--class", "SayTypeSecond");

    let s = relay.wait_status("long", "failed").await;
    assert_eq!(s["status"], "failed", "{s}");
    assert_eq!(
        s["target"],
        json!({"app": "SayTypeFirst", "title": "sh"}),
        "the window it went into, without a method (it failed): {s}"
    );
    let reason = s["error"].as_str().unwrap_or_default().to_owned();
    let typed: usize = reason
        .strip_prefix("focus moved to SayTypeSecond after ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("reason: {reason}"));
    assert!(
        reason.contains(&format!("after {typed} of {total} characters")),
        "{reason}"
    );
    assert!(typed < total, "{reason}");
    let prefix: String = text.chars().take(typed).collect();
    let got = first.wait_for(&prefix, Duration::from_secs(10));
    let leaked = second.text();
    eprintln!(
        "first window: {} characters, reported {typed}; second window: {} characters",
        got.chars().count(),
        leaked.chars().count()
    );
    assert_eq!(got, prefix, "the first window has the first N");
    assert_eq!(leaked, "", "the second window received nothing");
}
