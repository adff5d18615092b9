//! Dictation as the Wayland focus and terminal tests drive it: a message sent and
//! followed to its end, and a long message whose window loses the focus part way.

use serde_json::{json, Value};

use super::desktop::Target;
use super::terminal::Terminal;
use super::wayland::wait_for;
use super::{RelayClient, TOKEN};

/// Send `text` as `id` to the relay at `url` and wait until it is `want`.
pub async fn dictate(url: &str, id: &str, text: &str, want: &str) -> Value {
    let relay = RelayClient::new(url, TOKEN);
    let r = relay.post(&json!({"text": text, "id": id})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let s = relay.wait_status(id, want).await;
    assert_eq!(s["status"], want, "{s}");
    s
}

/// A long message typed into `gtk`; once its first 200 characters are there,
/// `move_focus` gives another window (of app id `to`) the focus. The message
/// must stop there: `failed` with "focus moved to <to> after N of M characters",
/// and the GTK window holds a start of the text, no more than N characters.
/// Returns the message's status.
pub async fn focus_moves_part_way(
    url: &str,
    gtk: &Target,
    move_focus: impl FnOnce() -> bool,
    to: &str,
) -> Value {
    let text: String = "focus check ".repeat(800);
    let total = text.chars().count();
    let relay = RelayClient::new(url, TOKEN);
    let r = relay.post(&json!({"text": text, "id": "long"})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The first characters in the GTK window (a message that ends before is
    // a failure of its own: say which). Not many: a GTK window starved of CPU
    // (six compositors of the suite at once) falls behind the keys, and a
    // compositor disconnects a client whose socket is full ("error in client
    // communication" in KWin's log): the longer it types, the likelier.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while gtk.text().len() < 200 {
        let now = relay.status("long").await;
        let ended = now["status"] == "failed" || now["status"] == "injected";
        assert!(
            !ended && std::time::Instant::now() < deadline,
            "the long message, before 200 characters reached the GTK window ({} did): {now}",
            gtk.text().len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(move_focus(), "the focus moved");
    let s = relay.wait_status("long", "failed").await;
    assert_eq!(s["status"], "failed", "{s}");
    let error = s["error"].as_str().unwrap_or_default();
    let typed = error
        .strip_prefix(&format!("focus moved to {to} after "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or_else(|| panic!("not the focus reason: {error}"));
    assert!(
        error.contains(&format!("after {typed} of {total} characters")),
        "{error}"
    );
    assert!(typed < total, "{error}");
    let got = gtk.text();
    assert!(text.starts_with(&got), "the GTK window got other text");
    assert!(got.chars().count() <= typed, "{} > {typed}", got.len());
    s
}

/// Dictating in a row into `shell` (bash, in the terminal of app id `app`, in
/// `dir`), voice commands on: the second message gets a joining space, "scratch
/// that" removes it with BackSpace, "press enter" runs the line.
pub async fn join_scratch_and_press_enter(
    url: &str,
    shell: &Terminal,
    dir: &std::path::Path,
    app: &str,
) {
    dictate(url, "a", "touch by-press-enter", "injected").await;
    dictate(url, "b", "extra", "injected").await;
    assert_eq!(
        shell.wait_prompt("touch by-press-enter extra"),
        "touch by-press-enter extra"
    );
    let r = dictate(url, "c", "Scratch that.", "injected").await;
    assert_eq!(r["target"]["method"], "erased", "{r}");
    assert_eq!(
        shell.wait_prompt("touch by-press-enter"),
        "touch by-press-enter"
    );
    let r = dictate(url, "d", "press enter", "injected").await;
    assert_eq!(r["target"]["app"], app, "{r}");
    let made = dir.join("by-press-enter");
    wait_for(
        || made.exists().then_some(()),
        "the line run by press enter",
    );
}
