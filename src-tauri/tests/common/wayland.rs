//! Headless sway (as WAYLAND.md says: as nobody, through setpriv, with a runtime
//! dir of its own), a long-lived virtual keyboard on its seat (a headless seat has
//! no keyboard, so no window would ever get the keyboard focus), and windows that
//! record what they receive: a GTK 3 text view under `GDK_BACKEND=wayland`, and an
//! xterm under Xwayland.

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use wayland_client::globals::{registry_queue_init, GlobalListContents};
use wayland_client::protocol::{wl_registry::WlRegistry, wl_seat::WlSeat};
use wayland_client::{delegate_noop, Connection, Dispatch, Proxy, QueueHandle};
use wayland_protocols_misc::zwp_input_method_v2::client::{
    zwp_input_method_manager_v2::ZwpInputMethodManagerV2, zwp_input_method_v2::ZwpInputMethodV2,
};
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1,
    zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1,
};

use super::desktop::{Target, GTK_FIELD};
use super::served::Served;
use super::{RelayClient, TOKEN};

/// Xwayland lets in only its own user (nobody); this script, run by sway as
/// nobody, lets root's clients in too (`xhost +si:localuser:root`, which is not
/// installed here, over the raw X11 protocol).
const XHOST: &str = include_str!("xhost.py");
const WAIT: Duration = Duration::from_secs(15);
/// How long a message may take to arrive in the window.
const ARRIVE: Duration = Duration::from_secs(20);
const NOBODY: u32 = 65534;

/// The user's keyboard layout on the session.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Us,
    German,
}

/// Headless sway with a keyboard on its seat.
pub struct Sway {
    child: Child,
    runtime: tempfile::TempDir,
    pub socket: String,
    pub swaysock: PathBuf,
    /// Xwayland's display, when the session has Xwayland.
    pub x_display: Option<String>,
    _keyboard: Client,
}

/// A Wayland client of the test process, kept connected while it lives.
pub struct Client {
    _conn: Connection,
    _objects: Vec<Box<dyn std::any::Any>>,
}

/// Listens to nothing: the test's own clients only send.
struct Quiet;

impl Dispatch<WlRegistry, GlobalListContents> for Quiet {
    fn event(
        _: &mut Self,
        _: &WlRegistry,
        _: <WlRegistry as Proxy>::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}
delegate_noop!(Quiet: ignore WlSeat);
delegate_noop!(Quiet: ZwpVirtualKeyboardManagerV1);
delegate_noop!(Quiet: ZwpVirtualKeyboardV1);
delegate_noop!(Quiet: ZwpInputMethodManagerV2);
delegate_noop!(Quiet: ignore ZwpInputMethodV2);

impl Sway {
    /// Start sway (with Xwayland if `xwayland`) and put a keyboard with `layout` on
    /// its seat. Without sway installed the test fails (always `Some`).
    pub fn start(xwayland: bool, layout: Layout) -> Option<Sway> {
        // Never skipped: scripts/setup.sh installs sway for the suite.
        super::session_bus::require("sway", "sway");
        let runtime = tempfile::tempdir().expect("runtime dir");
        let rt = runtime.path();
        let xkb = match layout {
            Layout::Us => "us",
            Layout::German => "de",
        };
        let mut config = format!(
            "output HEADLESS-1 resolution 1280x800\ninput * xkb_layout {xkb}\n\
             exec sh -c 'python3 {rt}/xhost.py && echo \"$DISPLAY\" > {rt}/display'\n",
            rt = rt.display()
        );
        if !xwayland {
            config.push_str("xwayland disable\n");
        }
        std::fs::write(rt.join("config"), config).expect("config");
        std::fs::write(rt.join("xhost.py"), XHOST).expect("xhost.py");
        for path in [rt.to_path_buf(), rt.join("config"), rt.join("xhost.py")] {
            std::os::unix::fs::chown(&path, Some(NOBODY), Some(NOBODY)).expect("chown");
        }
        let log = std::fs::File::create(rt.with_extension("sway.log")).expect("log");
        let child = Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .args(["sway", "-c"])
            .arg(rt.join("config"))
            .env("XDG_RUNTIME_DIR", rt)
            .env("WLR_BACKENDS", "headless")
            .env("WLR_LIBINPUT_NO_DEVICES", "1")
            .env("WLR_RENDERER", "pixman")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("SWAYSOCK")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("setpriv sway");
        let socket = "wayland-1".to_owned();
        let stream = wait_for(
            || UnixStream::connect(rt.join(&socket)).ok(),
            "sway's socket",
        );
        let swaysock = wait_for(|| file_starting(rt, "sway-ipc."), "sway's IPC socket");
        let x_display = xwayland.then(|| {
            wait_for(
                || {
                    let d = std::fs::read_to_string(rt.join("display")).ok()?;
                    Some(d.trim().to_owned()).filter(|d| !d.is_empty())
                },
                "Xwayland's display",
            )
        });
        let layout_map = format!(
            "xkb_keymap {{ xkb_keycodes {{ include \"evdev+aliases(qwerty)\" }}; \
             xkb_types {{ include \"complete\" }}; xkb_compatibility {{ include \"complete\" }}; \
             xkb_symbols {{ include \"pc+{xkb}+inet(evdev)\" }}; }};"
        );
        let keyboard = Client::keyboard(stream, &layout_map);
        Some(Sway {
            child,
            runtime,
            socket,
            swaysock,
            x_display,
            _keyboard: keyboard,
        })
    }

    pub fn runtime_dir(&self) -> &Path {
        self.runtime.path()
    }

    /// The environment `saytype serve` gets: this session, no X (unless Xwayland).
    pub fn env(&self) -> Vec<(&str, String)> {
        vec![
            ("WAYLAND_DISPLAY", self.socket.clone()),
            ("XDG_RUNTIME_DIR", self.runtime_dir().display().to_string()),
            ("SWAYSOCK", self.swaysock.display().to_string()),
            ("DISPLAY", self.x_display.clone().unwrap_or_default()),
        ]
    }

    pub fn connect(&self) -> UnixStream {
        UnixStream::connect(self.runtime_dir().join(&self.socket)).expect("connect to sway")
    }

    /// A second input method on the seat: ours then gets `unavailable`, as with a
    /// running fcitx5 or ibus.
    pub fn hold_input_method(&self) -> Client {
        let conn = Connection::from_socket(self.connect()).expect("wayland");
        let (globals, mut queue) = registry_queue_init::<Quiet>(&conn).expect("registry");
        let qh = queue.handle();
        let seat: WlSeat = globals.bind(&qh, 1..=1, ()).expect("seat");
        let manager: ZwpInputMethodManagerV2 = globals.bind(&qh, 1..=1, ()).expect("im");
        let im = manager.get_input_method(&seat, &qh, ());
        queue.roundtrip(&mut Quiet).expect("roundtrip");
        Client {
            _conn: conn,
            _objects: vec![Box::new(seat), Box::new(manager), Box::new(im)],
        }
    }

    /// Set the clipboard (wl-copy keeps owning it in the background).
    pub fn set_clipboard(&self, text: &str) {
        set_clipboard(&self.socket, self.runtime_dir(), text);
    }

    pub fn clipboard(&self) -> String {
        clipboard(&self.socket, self.runtime_dir())
    }

    pub fn swaymsg(&self, command: &str) -> bool {
        Command::new("swaymsg")
            .arg("-s")
            .arg(&self.swaysock)
            .arg(command)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// A GTK 3 text view under `GDK_BACKEND=wayland`, focused, recording its buffer.
    pub fn gtk(&self, dir: &Path) -> Target {
        let child = spawn_gtk(&self.socket, self.runtime_dir(), dir);
        let criteria = format!("[pid={}] focus", child.id());
        wait_for(|| self.swaymsg(&criteria).then_some(()), "the GTK window");
        gtk_focused(child, dir)
    }

    /// An xterm under Xwayland running `cat` into a file, focused.
    pub fn xterm(&self, dir: &Path) -> Target {
        let display = self.x_display.clone().expect("a session with Xwayland");
        let out = dir.join("xterm.out");
        std::fs::write(&out, "").expect("out file");
        let ready = dir.join("xterm.ready");
        let script = format!(
            "stty -echo -icanon; touch '{}'; exec cat > '{}'",
            ready.display(),
            out.display()
        );
        let child = Command::new("xterm")
            .args(["-u8", "-geometry", "120x40", "-class", "SayTypeWlXterm"])
            .args(["-e", "sh", "-c", &script])
            .env("DISPLAY", display)
            .env("LC_ALL", "C.UTF-8")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xterm");
        wait_for(
            || self.swaymsg("[class=SayTypeWlXterm] focus").then_some(()),
            "the xterm window",
        );
        wait_for(|| ready.exists().then_some(()), "the xterm's cat");
        Target::from_child(child, out)
    }
}

impl Client {
    /// A virtual keyboard with `keymap`, on the seat for as long as it lives.
    fn keyboard(stream: UnixStream, keymap: &str) -> Client {
        let conn = Connection::from_socket(stream).expect("wayland");
        let (globals, mut queue) = registry_queue_init::<Quiet>(&conn).expect("registry");
        let qh = queue.handle();
        let seat: WlSeat = globals.bind(&qh, 1..=1, ()).expect("seat");
        let manager: ZwpVirtualKeyboardManagerV1 = globals.bind(&qh, 1..=1, ()).expect("vk");
        let keyboard = manager.create_virtual_keyboard(&seat, &qh, ());
        let mut file = tempfile::tempfile().expect("keymap file");
        file.write_all(keymap.as_bytes()).expect("keymap");
        file.write_all(b"\0").expect("keymap");
        keyboard.keymap(1, file.as_fd(), keymap.len() as u32 + 1);
        queue.roundtrip(&mut Quiet).expect("roundtrip");
        Client {
            _conn: conn,
            _objects: vec![Box::new(seat), Box::new(manager), Box::new(keyboard)],
        }
    }
}

impl Drop for Sway {
    fn drop(&mut self) {
        // SIGTERM first: sway then takes Xwayland down with it.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(self.runtime.path().with_extension("sway.log"));
    }
}

/// A GTK 3 text view under `GDK_BACKEND=wayland` on the compositor at
/// `runtime/socket`, recording its buffer in `dir/gtk.out`.
pub fn spawn_gtk(socket: &str, runtime: &Path, dir: &Path) -> Child {
    let out = dir.join("gtk.out");
    std::fs::write(&out, "").expect("out file");
    let script = dir.join("gtk_field.py");
    std::fs::write(&script, GTK_FIELD).expect("script");
    Command::new("/usr/bin/python3")
        .arg(&script)
        .arg(&out)
        .arg("saytype-wayland-gtk")
        .env("GDK_BACKEND", "wayland")
        .env("WAYLAND_DISPLAY", socket)
        .env("XDG_RUNTIME_DIR", runtime)
        .env("LC_ALL", "C.UTF-8")
        .env("NO_AT_BRIDGE", "1")
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 with GTK (python3-gi, gir1.2-gtk-3.0)")
}

/// The window of [`spawn_gtk`], once its text view has the keyboard focus.
pub fn gtk_focused(child: Child, dir: &Path) -> Target {
    let out = dir.join("gtk.out");
    let focused = out.with_extension("out.focused");
    wait_for(|| focused.exists().then_some(()), "the GTK window's focus");
    Target::from_child(child, out)
}

/// wl-copy / wl-paste (wl-clipboard) on the compositor at `runtime/socket`.
fn wl(program: &str, socket: &str, runtime: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("WAYLAND_DISPLAY", socket)
        .env("XDG_RUNTIME_DIR", runtime)
        .env_remove("DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Set the data-control clipboard (wl-copy keeps owning it in the background).
pub fn set_clipboard(socket: &str, runtime: &Path, text: &str) {
    let status = wl("wl-copy", socket, runtime)
        .arg(text)
        .status()
        .expect("wl-copy");
    assert!(status.success());
}

pub fn clipboard(socket: &str, runtime: &Path) -> String {
    let out = wl("wl-paste", socket, runtime)
        .arg("--no-newline")
        .stdout(Stdio::piped())
        .output()
        .expect("wl-paste");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Wait until the clipboard holds `want` (the agent gives the user's back after
/// a paste); returns what it holds.
pub fn wait_clipboard(socket: &str, runtime: &Path, want: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let got = clipboard(socket, runtime);
        if got == want || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A file in `dir` whose name starts with `prefix`.
pub fn file_starting(dir: &Path, prefix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
}

/// `saytype serve --inject INJECT` on `data` with a session's environment,
/// once its agent is online.
/// `settings.json` in the data directory `data` (made if need be), before serving.
pub fn write_settings(data: &Path, settings: &serde_json::Value) {
    std::fs::create_dir_all(data).expect("data dir");
    std::fs::write(data.join("settings.json"), settings.to_string()).expect("settings");
}

/// `saytype serve` on `data` with the session's `env`. The routes' tests compare
/// what arrives byte for byte, message after message: no joining space between
/// messages unless the test wrote settings of its own first ([`write_settings`]).
pub async fn serve_in(data: &Path, inject: &str, env: &[(&str, String)]) -> Served {
    if !data.join("settings.json").exists() {
        write_settings(data, &serde_json::json!({"joinMessages": false}));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let served = Served::spawn(data, Some(TOKEN), &["--inject", inject], &env);
    served.wait_online(TOKEN, "desk").await;
    served
}

/// The injector's status line (`GET /ui/api/status` of the relay at `url`), once
/// it names a route or says why there is none.
pub async fn route_line(url: &str) -> String {
    let mut client = saytype::client::HttpClient::connect(url)
        .await
        .expect("connect");
    let mut line = String::new();
    for _ in 0..500 {
        let v: serde_json::Value = client
            .get("/ui/api/status", Some(TOKEN))
            .await
            .expect("get")
            .json()
            .expect("json");
        line = v.to_string();
        let state = &v["localAgent"]["injectorState"];
        if line.contains("through") || state == "unavailable" {
            return line;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no route in the status: {line}");
}

/// Send each text in turn to the relay at `url` (ids `{prefix}-{i}`); the
/// window's whole content is compared after each, byte for byte, and each must
/// be reported `injected`.
pub async fn send_and_compare(url: &str, target: &Target, texts: &[String], prefix: &str) {
    let mut expected = String::new();
    for (i, text) in texts.iter().enumerate() {
        let id = format!("{prefix}-{i}");
        let r = RelayClient::new(url, TOKEN)
            .post(&serde_json::json!({"text": text, "id": id}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        expected.push_str(text);
        let got = target.wait_for(&expected, ARRIVE);
        assert_eq!(got, expected, "message {i} did not arrive exactly");
        let status = RelayClient::new(url, TOKEN)
            .wait_status(&id, "injected")
            .await;
        assert_eq!(status["status"], "injected", "{status}");
    }
}

/// Texts for the routes that type with the user's layout: printable ASCII
/// (typed), tabs and newlines (typed), mixed Unicode (pasted), 1,000 mixed
/// characters (pasted), and typing again after a paste.
pub fn layout_texts() -> Vec<String> {
    let ascii: String = (' '..='~').collect();
    vec![
        format!("{ascii}\n"),
        "line one\nline two\n\tindented with a tab\n".into(),
        "Grüße aus Köln – ça va? 漢字かな, emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇩🇪\n".into(),
        super::desktop::mixed_text(1_000),
        "typed again after a paste\n".into(),
    ]
}

/// Poll `ready` until it gives a value; panics after [`WAIT`].
pub fn wait_for<T>(mut ready: impl FnMut() -> Option<T>, what: &str) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = ready() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
