//! A real X display (Xvfb) and real windows that record what they receive: an
//! xterm running `cat` into a file, and a GTK text view that mirrors its buffer to a
//! file. Used by the end-to-end typing and pasting tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct XDisplay {
    child: Child,
    pub name: String,
}

impl XDisplay {
    /// Start Xvfb on a free display. Without Xvfb installed: `None` and a note,
    /// except under CI (`CI` set), where that is a failure.
    pub fn start() -> Option<XDisplay> {
        let spawned = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "Xvfb is required for the desktop tests under CI: {e}"
                );
                eprintln!("SKIPPED: Xvfb is not installed (scripts/setup.sh test installs it)");
                return None;
            }
        };
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("Xvfb display number");
        let name = format!(":{}", line.trim());
        Some(XDisplay { child, name })
    }

    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", &self.name)
            .env("LC_ALL", "C.UTF-8")
            .env("NO_AT_BRIDGE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    }

    /// Set the clipboard to `text` (xclip keeps owning it in the background).
    pub fn set_clipboard(&self, text: &str) {
        use std::io::Write;
        let mut child = self
            .command("xclip")
            .args(["-selection", "clipboard", "-i"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("xclip");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
        let _ = child.wait();
    }

    pub fn clipboard(&self) -> String {
        let out = self
            .command("xclip")
            .args(["-selection", "clipboard", "-o"])
            .stdout(Stdio::piped())
            .output()
            .expect("xclip -o");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Find a window by name or class and give it the keyboard focus.
    fn focus(&self, how: &str, what: &str) {
        let out = self
            .command("xdotool")
            .args(["search", "--sync", "--onlyvisible", how, what])
            .stdout(Stdio::piped())
            .output()
            .expect("xdotool search");
        let window = String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .expect("the window appeared")
            .to_owned();
        let status = self
            .command("xdotool")
            .args(["windowfocus", "--sync", &window])
            .status()
            .expect("xdotool windowfocus");
        assert!(status.success());
    }
}

impl Drop for XDisplay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A focused window that writes everything it receives to a file.
pub struct Target {
    child: Child,
    pub out: PathBuf,
}

impl Target {
    /// An xterm running `cat` (no echo, no line buffering) into a file. With
    /// `paste_keys`, Ctrl+V and Ctrl+Shift+V paste the clipboard (xterm's defaults
    /// do not).
    pub fn xterm(display: &XDisplay, dir: &Path, paste_keys: bool) -> Target {
        let out = dir.join("xterm.out");
        std::fs::write(&out, "").expect("out file");
        let script = format!("stty -echo -icanon; exec cat > '{}'", out.display());
        let mut cmd = display.command("xterm");
        cmd.args(["-u8", "-geometry", "120x40", "-class", "SayTypeTestXterm"]);
        if paste_keys {
            cmd.args([
                "-xrm",
                "SayTypeTestXterm*VT100.translations: #override \\n\
                 Ctrl Shift <Key>V: insert-selection(CLIPBOARD) \\n\
                 Ctrl <Key>v: insert-selection(CLIPBOARD)",
            ]);
        }
        let child = cmd
            .args(["-e", "sh", "-c", &script])
            .spawn()
            .expect("xterm");
        display.focus("--class", "SayTypeTestXterm");
        // Let the shell reach `cat` before anything is typed.
        std::thread::sleep(Duration::from_millis(300));
        Target { child, out }
    }

    /// A GTK 3 window with one text view, mirrored to a file on every change.
    pub fn gtk(display: &XDisplay, dir: &Path) -> Target {
        let out = dir.join("gtk.out");
        std::fs::write(&out, "").expect("out file");
        let script = dir.join("gtk_field.py");
        std::fs::write(&script, GTK_FIELD).expect("script");
        let child = display
            .command("/usr/bin/python3")
            .arg(&script)
            .arg(&out)
            .spawn()
            .expect("python3 with GTK (python3-gi, gir1.2-gtk-3.0)");
        display.focus("--name", "saytype-test-gtk");
        std::thread::sleep(Duration::from_millis(300));
        Target { child, out }
    }

    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Wait until the window has received exactly `expected`, or `within` passes;
    /// returns what it has.
    pub fn wait_for(&self, expected: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let got = self.text();
            if got == expected || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const GTK_FIELD: &str = r#"
import os, sys
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import Gtk

out = sys.argv[1]
win = Gtk.Window(title="saytype-test-gtk")
win.set_default_size(700, 500)
view = Gtk.TextView()
buf = view.get_buffer()

def changed(b):
    start, end = b.get_bounds()
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(b.get_text(start, end, True))
    os.replace(tmp, out)

buf.connect("changed", changed)
win.add(view)
win.connect("destroy", Gtk.main_quit)
win.show_all()
view.grab_focus()
Gtk.main()
"#;

/// A deterministic mixed text of `n` characters: ASCII words and punctuation,
/// accents, CJK, emoji, tabs and newlines.
pub fn mixed_text(n: usize) -> String {
    const PIECES: &[&str] = &[
        "The",
        "quick",
        "brown",
        "fox",
        "jumps",
        "over",
        "the",
        "lazy",
        "dog",
        "HELLO",
        "World!",
        "(42)",
        "a+b=c",
        "x_y",
        "\"quoted\"",
        "it's",
        "~`#$%^&*",
        "[a]{b}|c",
        "<p>",
        "100%",
        "q?",
        "k:v;",
        "Grüße",
        "Köln",
        "ça",
        "naïve",
        "Ñandú",
        "œuvre",
        "€5",
        "漢字",
        "かな",
        "한국어",
        "Ελληνικά",
        "Русский",
        "😀",
        "👍🏽",
        "🎉",
        "→",
        "±",
    ];
    let mut out = String::new();
    let mut i = 0usize;
    while out.chars().count() < n {
        let piece = PIECES[(i * 7 + i / 3) % PIECES.len()];
        out.push_str(piece);
        out.push(match i % 11 {
            5 => '\t',
            10 => '\n',
            _ => ' ',
        });
        i += 1;
    }
    out.chars().take(n).collect()
}
