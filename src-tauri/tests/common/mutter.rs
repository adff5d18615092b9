//! Headless mutter 43 on a private session bus, with or without Xwayland, a
//! keyboard on its seat and native GTK windows that record their buffer.
//!
//! A headless seat has no keyboard, so no window ever gets the keyboard focus;
//! a RemoteDesktop session that has sent one key gives the seat its virtual
//! keyboard, for as long as the session lives (`HOLD`, a small GLib script).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::desktop::Target;
use super::session_bus::{require, SessionBus, Spawned};
use super::wayland::{file_starting, gtk_focused, spawn_gtk, wait_for};

pub const SOCKET: &str = "wayland-saytype";

/// Starts a RemoteDesktop session, taps Shift once, prints the session path and
/// keeps the session open until killed.
const HOLD: &str = r#"
from gi.repository import Gio, GLib
bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
name, root = "org.gnome.Mutter.RemoteDesktop", "/org/gnome/Mutter/RemoteDesktop"
path = bus.call_sync(name, root, name, "CreateSession", None,
                     GLib.VariantType("(o)"), 0, -1, None).unpack()[0]
def call(method, args=None):
    bus.call_sync(name, path, name + ".Session", method, args, None, 0, -1, None)
call("Start")
for pressed in (True, False):
    call("NotifyKeyboardKeysym", GLib.Variant("(ub)", (0xffe1, pressed)))
print(path, flush=True)
GLib.MainLoop().run()
"#;

pub struct Mutter {
    // Fields drop in order: the keyboard, mutter, then the bus.
    _keyboard: Spawned,
    _mutter: Spawned,
    pub bus: SessionBus,
    runtime: tempfile::TempDir,
    /// Xwayland's display and its cookie file, when the session has Xwayland.
    pub x: Option<(String, PathBuf)>,
}

impl Mutter {
    /// Start mutter (with Xwayland if `xwayland`) and put a keyboard on its seat.
    pub fn start(xwayland: bool) -> Mutter {
        require("mutter", "mutter");
        let bus = SessionBus::start();
        let runtime = tempfile::tempdir().expect("runtime dir");
        let rt = runtime.path();
        let log_path = rt.join("mutter.log");
        let mut cmd = Command::new("mutter");
        cmd.args(["--headless", "--wayland", "--virtual-monitor", "1280x800"])
            .args(["--wayland-display", SOCKET]);
        if !xwayland {
            cmd.arg("--no-x11");
        }
        cmd.env("XDG_RUNTIME_DIR", rt);
        let mutter = bus.spawn_compositor(&mut cmd, &log_path, &rt.join(SOCKET));
        let x = xwayland.then(|| {
            // "Using public X11 display :0, (using :1 for managed services)"
            let display = wait_for(
                || {
                    let log = std::fs::read_to_string(&log_path).ok()?;
                    let rest = log.split("Using public X11 display ").nth(1)?;
                    Some(rest.split(',').next()?.trim().to_owned())
                },
                "Xwayland's display",
            );
            let cookie = wait_for(
                || file_starting(rt, ".mutter-Xwaylandauth"),
                "Xwayland's cookie",
            );
            (display, cookie)
        });
        let script = rt.join("hold.py");
        std::fs::write(&script, HOLD).expect("hold.py");
        let mut hold = Command::new("/usr/bin/python3")
            .arg(&script)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 with GLib (python3-gi)");
        let stdout = hold.stdout.take().expect("stdout");
        let keyboard = Spawned(hold);
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("hold.py");
        assert!(
            line.starts_with("/org/gnome/Mutter/RemoteDesktop/"),
            "{line:?}"
        );
        Mutter {
            _keyboard: keyboard,
            _mutter: mutter,
            bus,
            runtime,
            x,
        }
    }

    pub fn runtime_dir(&self) -> &Path {
        self.runtime.path()
    }

    /// The environment `saytype serve` gets: this session (`""` removes).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let (display, cookie) = self.x.clone().unwrap_or_default();
        vec![
            ("WAYLAND_DISPLAY", SOCKET.to_owned()),
            ("XDG_RUNTIME_DIR", self.runtime_dir().display().to_string()),
            ("DBUS_SESSION_BUS_ADDRESS", self.bus.address.clone()),
            ("XDG_CURRENT_DESKTOP", "GNOME".to_owned()),
            ("DISPLAY", display),
            ("XAUTHORITY", cookie.display().to_string()),
            ("SWAYSOCK", String::new()),
        ]
    }

    /// A native GTK 3 window (`GDK_BACKEND=wayland`), focused, recording its buffer.
    pub fn gtk(&self, dir: &Path) -> Target {
        let child = spawn_gtk(SOCKET, self.runtime_dir(), dir);
        gtk_focused(child, dir)
    }
}
