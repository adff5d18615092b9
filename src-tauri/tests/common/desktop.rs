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
        self.set_selection("clipboard", text);
    }

    pub fn clipboard(&self) -> String {
        self.selection("clipboard")
    }

    /// Set the PRIMARY selection to `text` (xclip keeps owning it).
    pub fn set_primary(&self, text: &str) {
        self.set_selection("primary", text);
    }

    pub fn primary(&self) -> String {
        self.selection("primary")
    }

    fn set_selection(&self, which: &str, text: &str) {
        use std::io::Write;
        let mut child = self
            .command("xclip")
            .args(["-selection", which, "-i"])
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
        // xclip forks and its child takes the selection when it gets to it: a test
        // that went on at once could have its own owner overridden by xclip's late
        // claim (a paste test once pasted "what the user had copied"). Wait until
        // the selection reads back.
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.selection(which) != text {
            assert!(
                Instant::now() < deadline,
                "xclip never took the {which} selection"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn selection(&self, which: &str) -> String {
        let out = self
            .command("xclip")
            .args(["-selection", which, "-o"])
            .stdout(Stdio::piped())
            .output()
            .expect("xclip -o");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Visible windows whose name matches `pattern` (a regular expression).
    pub fn windows_named(&self, pattern: &str) -> Vec<u32> {
        let out = self
            .command("xdotool")
            .args(["search", "--onlyvisible", "--name", pattern])
            .stdout(Stdio::piped())
            .output()
            .expect("xdotool search");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }

    /// Ask a window to close, as a window manager's close button does
    /// (`WM_DELETE_WINDOW`).
    pub fn close_window(&self, window: u32) {
        use x11rb::connection::Connection;
        use x11rb::protocol::xproto::{ClientMessageEvent, ConnectionExt, EventMask};
        let (conn, _) = x11rb::connect(Some(&self.name)).expect("x connection");
        let atom = |name: &[u8]| {
            conn.intern_atom(false, name)
                .expect("intern")
                .reply()
                .expect("atom")
                .atom
        };
        let (protocols, delete) = (atom(b"WM_PROTOCOLS"), atom(b"WM_DELETE_WINDOW"));
        let event = ClientMessageEvent::new(32, window, protocols, [delete, 0, 0, 0, 0]);
        conn.send_event(false, window, EventMask::NO_EVENT, event)
            .expect("send");
        conn.flush().expect("flush");
    }

    /// Save a screenshot of the whole screen as PNG; returns how many distinct
    /// colours a sample of its pixels has (1 or 2 for a blank screen).
    pub fn screenshot(&self, path: &Path) -> usize {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("artifact dir");
        }
        let out = self
            .command("/usr/bin/python3")
            .args(["-c", SCREENSHOT])
            .arg(path)
            .stdout(Stdio::piped())
            .output()
            .expect("python3 with GDK (python3-gi)");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Find a window by name or class and give it the keyboard focus.
    pub fn focus(&self, how: &str, what: &str) {
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
        Target::xterm_named(display, dir, paste_keys, "SayTypeTestXterm")
    }

    /// [`Target::xterm`] with its own window class (so that a window of an earlier
    /// run is never the one found and focused).
    pub fn xterm_named(display: &XDisplay, dir: &Path, paste_keys: bool, class: &str) -> Target {
        let out = dir.join("xterm.out");
        std::fs::write(&out, "").expect("out file");
        let script = format!("stty -echo -icanon; exec cat > '{}'", out.display());
        let mut cmd = display.command("xterm");
        cmd.args(["-u8", "-geometry", "120x40", "-class", class]);
        if paste_keys {
            let translations = format!(
                "{class}*VT100.translations: #override \\n\
                 Ctrl Shift <Key>V: insert-selection(CLIPBOARD) \\n\
                 Ctrl <Key>v: insert-selection(CLIPBOARD)"
            );
            cmd.args(["-xrm", &translations]);
        }
        let child = cmd
            .args(["-e", "sh", "-c", &script])
            .spawn()
            .expect("xterm");
        display.focus("--class", class);
        // Let the shell reach `cat` before anything is typed.
        std::thread::sleep(Duration::from_millis(300));
        Target { child, out }
    }

    /// A GTK 3 window with one text view, mirrored to a file on every change.
    pub fn gtk(display: &XDisplay, dir: &Path) -> Target {
        Target::gtk_titled(display, dir, "saytype-test-gtk")
    }

    /// [`Target::gtk`] with its own window title.
    pub fn gtk_titled(display: &XDisplay, dir: &Path, title: &str) -> Target {
        let out = dir.join("gtk.out");
        std::fs::write(&out, "").expect("out file");
        let script = dir.join("gtk_field.py");
        std::fs::write(&script, GTK_FIELD).expect("script");
        let child = display
            .command("/usr/bin/python3")
            .arg(&script)
            .arg(&out)
            .arg(title)
            .spawn()
            .expect("python3 with GTK (python3-gi, gir1.2-gtk-3.0)");
        display.focus("--name", &format!("^{title}$"));
        std::thread::sleep(Duration::from_millis(300));
        Target { child, out }
    }

    /// A window already started, writing what it receives to `out`.
    pub fn from_child(child: Child, out: PathBuf) -> Target {
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

const SCREENSHOT: &str = r#"
import sys, gi
gi.require_version("Gdk", "3.0")
from gi.repository import Gdk
root = Gdk.get_default_root_window()
pb = Gdk.pixbuf_get_from_window(root, 0, 0, root.get_width(), root.get_height())
pb.savev(sys.argv[1], "png", [], [])
px = pb.get_pixels()
step = pb.get_n_channels()
print(len({bytes(px[i:i + 3]) for i in range(0, len(px), step * 97)}))
"#;

/// Resident memory (KiB) of a process and all its descendants, with each one's
/// name, from `/proc`.
pub fn tree_rss(root: u32) -> (u64, Vec<(u32, String, u64)>) {
    let mut parent_of = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the name, which is in parentheses and may hold spaces.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        if let Some(ppid) = rest
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<u32>().ok())
        {
            parent_of.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let p = tree[i];
        tree.extend(parent_of.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    let mut rows = Vec::new();
    for pid in tree {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_owned())
        };
        let rss = field("VmRSS:")
            .and_then(|v| v.trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0);
        rows.push((pid, field("Name:").unwrap_or_default(), rss));
    }
    (rows.iter().map(|r| r.2).sum(), rows)
}

/// A GTK 3 text view mirrored to the file `argv[1]`; `argv[1].focused` appears
/// once it has the keyboard focus.
pub const GTK_FIELD: &str = r#"
import os, sys
import gi
gi.require_version("Gtk", "3.0")
from gi.repository import GLib, Gtk

out = sys.argv[1]
win = Gtk.Window(title=sys.argv[2])
win.set_default_size(700, 500)
view = Gtk.TextView()
buf = view.get_buffer()
pending = []

# The buffer goes to the file at most every 5 ms, not on every change: writing
# it whole per character made the window, not the typing, the bottleneck.
def write():
    pending.clear()
    start, end = buf.get_bounds()
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(buf.get_text(start, end, True))
    os.replace(tmp, out)
    return False

def changed(b):
    if not pending:
        pending.append(GLib.timeout_add(5, write))

buf.connect("changed", changed)
view.connect("focus-in-event", lambda *a: open(out + ".focused", "w").close())
win.add(view)
win.connect("destroy", Gtk.main_quit)
win.show_all()
view.grab_focus()
Gtk.main()
"#;

/// A deterministic mixed text of `n` characters: ASCII words and punctuation,
/// accents, CJK, emoji, tabs and newlines.
pub fn mixed_text(n: usize) -> String {
    mixed_text_from(n, 0)
}

/// [`mixed_text`] starting at piece `offset`, so that runs can differ.
pub fn mixed_text_from(n: usize, offset: usize) -> String {
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
    let mut count = 0usize;
    let mut i = offset;
    while count < n {
        let piece = PIECES[(i * 7 + i / 3) % PIECES.len()];
        out.push_str(piece);
        out.push(match i % 11 {
            5 => '\t',
            10 => '\n',
            _ => ' ',
        });
        count += piece.chars().count() + 1;
        i += 1;
    }
    out.chars().take(n).collect()
}
