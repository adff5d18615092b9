//! Dictating several messages in a row, through the real `saytype serve` into
//! real windows under Xvfb (a GTK text view that records its buffer, bash in an
//! xterm): the joining space between messages into the same window (none after
//! the focus went elsewhere, after the time limit, or before punctuation), the
//! voice commands, "press enter" as the one way to run a line in bash, "scratch
//! that" (exact removal of accents and emoji, refused when the focus moved), and
//! both turned off.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::bash::Bash;
use common::desktop::{Target, XDisplay};
use common::served::Served;
use common::{RelayClient, TOKEN};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

/// A desktop: Xvfb, `saytype serve` typing into it with the given settings.
struct Desk {
    display: XDisplay,
    dir: tempfile::TempDir,
    served: Option<Served>,
    relay: Option<RelayClient>,
    sent: usize,
}

impl Desk {
    fn start() -> Option<Desk> {
        let display = XDisplay::start()?;
        Some(Desk {
            display,
            dir: tempfile::tempdir().expect("tempdir"),
            served: None,
            relay: None,
            sent: 0,
        })
    }

    /// A directory of its own for a window.
    fn subdir(&self, name: &str) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    /// Start SayType with `settings` (settings.json) and serve `args`.
    async fn serve(&mut self, settings: Value, args: &[&str]) {
        let data = self.subdir("data");
        std::fs::write(data.join("settings.json"), settings.to_string()).expect("settings");
        let mut all = vec!["--inject", "auto"];
        all.extend_from_slice(args);
        let served = Served::spawn(
            &data,
            Some(TOKEN),
            &all,
            &[("DISPLAY", self.display.name.as_str())],
        );
        served.wait_online(TOKEN, "desk").await;
        self.relay = Some(RelayClient::new(&served.url, TOKEN));
        self.served = Some(served);
    }

    fn relay(&self) -> &RelayClient {
        self.relay.as_ref().expect("serving")
    }

    /// Dictate `text`; its final status (with its history row's `typed`).
    async fn say(&mut self, text: &str) -> Value {
        self.sent += 1;
        let id = format!("m{}", self.sent);
        let r = self.relay().post(&json!({"text": text, "id": id})).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let mut s = self.relay().wait_status(&id, "injected").await;
        let row = self
            .relay()
            .get(&format!("/ui/api/history?id={id}"))
            .await
            .json()
            .expect("history");
        s["typed"] = row[0]["typed"].clone();
        s
    }

    /// Dictate `text`, which must be typed.
    async fn typed(&mut self, text: &str) -> Value {
        let s = self.say(text).await;
        assert_eq!(s["status"], "injected", "{text:?}: {s}");
        s
    }

    /// Change settings through the window's API (`PUT /ui/api/settings`).
    async fn put_settings(&self, change: Value) {
        let relay = self.relay();
        let mut now: Value = relay
            .get("/ui/api/settings")
            .await
            .json()
            .expect("settings");
        for (k, v) in change.as_object().expect("object") {
            now[k] = v.clone();
        }
        let mut http = saytype::client::HttpClient::connect(&relay.url)
            .await
            .expect("connect");
        let body = serde_json::to_vec(&now).expect("json");
        let r = http
            .request(
                hyper::Method::PUT,
                "/ui/api/settings",
                Some(TOKEN),
                Some(body),
            )
            .await
            .expect("put");
        assert_eq!(r.status, 200, "{:?}", r.body);
    }

    fn focus(&self, title: &str) {
        self.display.focus("--name", &format!("^{title}$"));
    }
}

fn gtk(desk: &Desk, title: &str) -> Target {
    Target::gtk_titled(&desk.display, &desk.subdir(title), title)
}

fn expect(window: &Target, want: &str) {
    assert_eq!(window.wait_for(want, WAIT), want);
}

#[tokio::test]
async fn messages_into_the_same_window_are_joined_with_a_space() {
    let Some(mut desk) = Desk::start() else {
        return;
    };
    let other = gtk(&desk, "flow-other");
    let view = gtk(&desk, "flow-view");
    desk.serve(json!({}), &[]).await;

    desk.typed("Hello").await;
    let s = desk.typed("world").await;
    assert_eq!(s["typed"], " world", "the history says what went in: {s}");
    desk.typed(".").await;
    desk.typed("How are you?").await;
    desk.typed(" Fine").await;
    expect(&view, "Hello world. How are you? Fine");

    // The focus goes to another window and back: no space there, none here.
    desk.focus("flow-other");
    desk.typed("elsewhere").await;
    expect(&other, "elsewhere");
    desk.focus("flow-view");
    let s = desk.typed("again").await;
    assert_eq!(s["typed"], Value::Null, "typed as said: {s}");
    expect(&view, "Hello world. How are you? Fineagain");
}

#[tokio::test]
async fn no_space_after_the_time_limit_or_with_joining_off() {
    let Some(mut desk) = Desk::start() else {
        return;
    };
    let view = gtk(&desk, "flow-late");
    let limit = Duration::from_millis(300);
    desk.serve(json!({}), &["--join-within-ms", "300"]).await;
    desk.typed("one").await;
    let typed_at = Instant::now();
    while typed_at.elapsed() <= limit {
        std::thread::sleep(Duration::from_millis(20));
    }
    desk.typed("two").await;
    expect(&view, "onetwo");
    drop(desk.served.take());

    // Joining off, voice commands off (the default): typed exactly as said.
    desk.serve(json!({"joinMessages": false}), &[]).await;
    desk.typed("three").await;
    desk.typed("new line four, press enter").await;
    desk.typed("scratch that").await;
    expect(&view, "onetwothreenew line four, press enterscratch that");

    // Turned on in the window's settings: the next message has both.
    desk.put_settings(json!({"joinMessages": true, "voiceCommands": true}))
        .await;
    let s = desk.typed("five new line").await;
    assert_eq!(s["typed"], " five\n", "{s}");
    expect(
        &view,
        "onetwothreenew line four, press enterscratch that five\n",
    );
}

#[tokio::test]
async fn voice_commands_and_scratch_that_in_a_gtk_view() {
    let Some(mut desk) = Desk::start() else {
        return;
    };
    let other = gtk(&desk, "flow-away");
    let view = gtk(&desk, "flow-commands");
    desk.serve(json!({"voiceCommands": true}), &[]).await;

    let s = desk
        .typed("Dear Ada, new line thanks. New paragraph. Bye")
        .await;
    assert_eq!(s["typed"], "Dear Ada,\nthanks.\n\nBye", "{s}");
    desk.typed("Tab.").await;
    desk.typed("x press tab y").await;
    expect(&view, "Dear Ada,\nthanks.\n\nBye\tx\ty");

    // Accents (precomposed and combining) and emoji: BackSpace per grapheme
    // cluster removes exactly the message and its joining space.
    let before = view.text();
    desk.typed("café e\u{301}t\u{e9} 👍🏽 🇫🇷 ok").await;
    let s = desk.typed("Scratch that.").await;
    assert_eq!(s["typed"], "", "{s}");
    assert_eq!(s["target"]["method"], "erased", "{s}");
    expect(&view, &before);

    // Only the message before: a second scratch removes the one before it.
    desk.typed("first").await;
    desk.typed("second").await;
    desk.typed("scratch that").await;
    expect(&view, &format!("{before} first"));

    // The focus went elsewhere and came back: the text may have changed there.
    desk.typed("keep").await;
    desk.focus("flow-away");
    desk.focus("flow-commands");
    let s = desk.say("scratch that").await;
    assert_eq!(s["status"], "failed", "{s}");
    let reason = s["error"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("scratch that: the focus left"),
        "{reason}"
    );
    expect(&view, &format!("{before} first keep"));

    // (No joining space: the focus left the view since "keep".)
    // Hindi: GTK erases "ते" one part per BackSpace, bash whole: no count is
    // right everywhere, so nothing is removed (it once left "नमस" behind, said erased).
    desk.typed("नमस्ते").await;
    let s = desk.say("scratch that").await;
    assert_eq!(s["status"], "failed", "{s}");
    let reason = s["error"].as_str().unwrap_or_default();
    assert!(reason.contains("built of several parts"), "{reason}");
    expect(&view, &format!("{before} first keepनमस्ते"));
    assert_eq!(other.text(), "", "nothing went into the other window");
}

/// "press enter" is the one way a dictated message runs a line in bash.
#[tokio::test]
async fn press_enter_runs_the_line_in_bash_and_a_new_line_does_not() {
    let Some(mut desk) = Desk::start() else {
        return;
    };
    let shell = Bash::start(&desk.display, &desk.subdir("shell"), "flow-shell");
    desk.serve(json!({"voiceCommands": true}), &[]).await;

    desk.typed("touch by-new-line new line").await;
    assert_eq!(shell.prompt_line(&desk.display), "touch by-new-line");
    assert!(!exists(&shell.dir, "by-new-line"), "a line break ran it");

    let s = desk.typed("Press enter.").await;
    assert_eq!(s["typed"], "\n", "{s}");
    shell.wait_file("by-new-line");

    desk.typed("touch by-enter press enter").await;
    shell.wait_file("by-enter");
    assert_eq!(
        shell.prompt_line(&desk.display),
        "",
        "the prompt is empty again"
    );
}

fn exists(dir: &Path, name: &str) -> bool {
    dir.join(name).exists()
}
