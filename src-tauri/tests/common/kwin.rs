//! Headless KWin 5.27 (`kwin_wayland --virtual`) on a private session bus, with a
//! home of its own (where SayType's `.desktop` grant goes and KWin looks for it),
//! and native GTK windows that record their buffer. The binary is copied first:
//! the original's file capability is not allowed in a container (WAYLAND.md).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::desktop::Target;
use super::session_bus::{require, SessionBus, Spawned};
use super::wayland::{gtk_focused, spawn_gtk, wait_for};

pub const SOCKET: &str = "wayland-saytype";

/// How KWin lets clients have its fake input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// As in a real session: only to programs a `.desktop` entry names.
    DesktopEntry,
    /// `KWIN_WAYLAND_NO_PERMISSION_CHECKS=1`: to everyone.
    Everyone,
}

pub struct Kwin {
    _kwin: Spawned,
    pub bus: SessionBus,
    dir: tempfile::TempDir,
}

impl Kwin {
    /// Start KWin with the keyboard layout `xkb` ("us", "de").
    pub fn start(grant: Grant, xkb: &str) -> Kwin {
        require("kwin_wayland", "kwin-wayland");
        let dir = tempfile::tempdir().expect("kwin dir");
        let d = dir.path();
        let bin = d.join("bin");
        std::fs::create_dir_all(&bin).expect("bin");
        std::fs::copy("/usr/bin/kwin_wayland", bin.join("kwin_wayland")).expect("copy kwin");
        let runtime = d.join("runtime");
        std::fs::create_dir_all(&runtime).expect("runtime");
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .expect("chmod");
        let config = d.join("home/.config");
        std::fs::create_dir_all(&config).expect("config");
        std::fs::write(
            config.join("kxkbrc"),
            format!("[Layout]\nLayoutList={xkb}\nUse=true\n"),
        )
        .expect("kxkbrc");
        let bus = SessionBus::start();
        let mut cmd = Command::new(bin.join("kwin_wayland"));
        cmd.args(["--virtual", "--no-lockscreen", "--socket", SOCKET])
            .args(["--width", "1280", "--height", "800"]);
        for (k, v) in Kwin::paths(d) {
            cmd.env(k, v);
        }
        if grant == Grant::Everyone {
            cmd.env("KWIN_WAYLAND_NO_PERMISSION_CHECKS", "1");
        } else {
            cmd.env_remove("KWIN_WAYLAND_NO_PERMISSION_CHECKS");
        }
        cmd.env("QT_QPA_PLATFORM", "wayland");
        // What test scripts print (see `activate`).
        cmd.env("QT_LOGGING_RULES", "kwin_scripting.debug=true");
        let kwin = bus.spawn_compositor(&mut cmd, &d.join("kwin.log"), &runtime.join(SOCKET));
        Kwin {
            _kwin: kwin,
            bus,
            dir,
        }
    }

    /// Home, data, config, cache and runtime folders of this session.
    fn paths(d: &Path) -> Vec<(&'static str, PathBuf)> {
        let home = d.join("home");
        vec![
            ("HOME", home.clone()),
            ("XDG_DATA_HOME", home.join(".local/share")),
            ("XDG_CONFIG_HOME", home.join(".config")),
            ("XDG_CACHE_HOME", home.join(".cache")),
            ("XDG_RUNTIME_DIR", d.join("runtime")),
        ]
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("runtime")
    }

    /// The user's applications folder, where SayType writes its grant.
    pub fn applications(&self) -> PathBuf {
        self.dir.path().join("home/.local/share/applications")
    }

    /// The environment `saytype serve` gets: this session (`""` removes).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env: Vec<(&'static str, String)> = Kwin::paths(self.dir.path())
            .into_iter()
            .map(|(k, v)| (k, v.display().to_string()))
            .collect();
        env.extend([
            ("WAYLAND_DISPLAY", SOCKET.to_owned()),
            ("DBUS_SESSION_BUS_ADDRESS", self.bus.address.clone()),
            ("XDG_CURRENT_DESKTOP", "KDE".to_owned()),
            ("DISPLAY", String::new()),
            ("SWAYSOCK", String::new()),
        ]);
        env
    }

    /// Make the layout at `index` of the list the active one (KWin's
    /// `org.kde.keyboard` service).
    pub fn set_layout(&self, index: u32) {
        let out = Command::new("gdbus")
            .args(["call", "--session", "--dest", "org.kde.keyboard"])
            .args(["--object-path", "/Layouts", "--method"])
            .args(["org.kde.KeyboardLayouts.setLayout", &index.to_string()])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
            .output()
            .expect("gdbus (libglib2.0-bin)");
        let answer = String::from_utf8_lossy(&out.stdout);
        assert!(answer.contains("true"), "setLayout: {answer} {out:?}");
    }

    /// A native GTK 3 window (`GDK_BACKEND=wayland`), focused, recording its buffer.
    pub fn gtk(&self, dir: &Path) -> Target {
        let child = spawn_gtk(SOCKET, &self.runtime_dir(), dir);
        gtk_focused(child, dir)
    }

    /// Give the focus to the window whose title starts with `caption`, as a click would: a KWin
    /// script (`org.kde.kwin.Scripting`) sets `workspace.activeClient` and prints
    /// whether it holds, which the test reads in KWin's log. True once it does.
    pub fn activate(&self, caption: &str) -> bool {
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let script = self.dir.path().join(format!("activate-{n}.js"));
        let quoted = serde_json::to_string(caption).expect("caption");
        std::fs::write(
            &script,
            format!(
                "const found = workspace.clientList().filter((c) => c.caption.startsWith({quoted}));\n\
                 if (found.length === 1) workspace.activeClient = found[0];\n\
                 print('saytype-activate-{n} ' + (found.length === 1 && workspace.activeClient === found[0]));\n"
            ),
        )
        .expect("script");
        let call = |args: &[&str]| {
            let out = Command::new("gdbus")
                .args(["call", "--session", "--dest", "org.kde.KWin"])
                .args(args)
                .env("DBUS_SESSION_BUS_ADDRESS", &self.bus.address)
                .output()
                .expect("gdbus (libglib2.0-bin)");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let name = format!("saytype-activate-{n}");
        let script_path = script.display().to_string();
        let loaded = call(
            &["--object-path", "/Scripting", "--method"]
                .into_iter()
                .chain([
                    "org.kde.kwin.Scripting.loadScript",
                    script_path.as_str(),
                    name.as_str(),
                ])
                .collect::<Vec<_>>(),
        );
        let Some(id) = loaded
            .trim()
            .trim_start_matches('(')
            .split(',')
            .next()
            .and_then(|n| n.trim().parse::<i32>().ok())
            .filter(|n| *n >= 0)
        else {
            panic!("KWin did not load the script: {loaded}");
        };
        let object = format!("/{id}");
        call(&[
            "--object-path",
            &object,
            "--method",
            "org.kde.kwin.Script.run",
        ]);
        let log = self.dir.path().join("kwin.log");
        let said = wait_for(
            || {
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let line = text
                    .lines()
                    .find(|l| l.contains(&format!("saytype-activate-{n} ")))?;
                Some(line.trim_end().ends_with("true"))
            },
            "KWin's script to run",
        );
        call(&[
            "--object-path",
            "/Scripting",
            "--method",
            "org.kde.kwin.Scripting.unloadScript",
            &name,
        ]);
        said
    }
}
