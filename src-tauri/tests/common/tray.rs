//! The tray app (the `gui` build of the real binary) in a D-Bus session of its own
//! under Xvfb, on a fresh data directory whose settings pick a free port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::desktop::{tree_rss, XDisplay};
use super::served::BIN;
use super::TOKEN;

pub struct App {
    pub child: Child,
    pub port: u16,
    pub data: PathBuf,
    pub started: Instant,
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Poll `check` until it gives a value, or panic after `within`.
pub fn wait_for<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl App {
    /// `saytype [args]` under `dbus-run-session`, with its log in `dir/app.log`,
    /// waiting for its `listening on` line. `wrap` prefixes the command (e.g.
    /// `unshare`).
    pub fn start(display: &XDisplay, dir: &Path, args: &[&str], wrap: &[&str]) -> App {
        let mut cmd = display.command("dbus-run-session");
        cmd.arg("--").args(wrap).arg(BIN).args(args);
        App::launch(cmd, dir)
    }

    /// `saytype [args]` on an existing session bus (`bus`, its address) with a fresh
    /// `HOME` in `dir/home`: a desktop whose services the test plays.
    pub fn start_on_bus(display: &XDisplay, dir: &Path, args: &[&str], bus: &str) -> App {
        let home = dir.join("home");
        std::fs::create_dir_all(&home).expect("home");
        let mut cmd = display.command(BIN);
        cmd.args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .env("HOME", &home)
            .env_remove("XDG_CACHE_HOME")
            .env_remove("XDG_DATA_HOME");
        App::launch(cmd, dir)
    }

    fn launch(mut cmd: Command, dir: &Path) -> App {
        let data = dir.join("data");
        let port = free_port();
        std::fs::create_dir_all(&data).expect("data dir");
        std::fs::write(
            data.join("settings.json"),
            format!(r#"{{"port": {port}, "injectMode": "none"}}"#),
        )
        .expect("settings");
        cmd.env("SAYTYPE_DATA_DIR", &data)
            .env("SAYTYPE_TOKEN", TOKEN)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.join("app.log")).expect("log"));
        let started = Instant::now();
        let mut child = cmd.spawn().expect("saytype");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening line");
        assert!(
            line.contains(&format!(":{port}")),
            "listening on the settings' port: {line:?}"
        );
        App {
            child,
            port,
            data,
            started,
        }
    }

    fn app_pid(&self) -> Option<u32> {
        let (_, rows) = tree_rss(self.child.id());
        rows.iter()
            .find(|(_, name, _)| name == "saytype")
            .map(|(pid, _, _)| *pid)
    }

    /// The app process itself (the child of dbus-run-session, through any wrapper).
    pub fn pid(&self) -> u32 {
        self.app_pid().expect("the app process")
    }

    pub fn health(&self) -> bool {
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        use std::io::{Read, Write};
        let _ =
            s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.contains("\"status\":\"ok\"")
    }

    /// Wait for `/health` to answer (polled every 5 ms); how long after the start.
    pub fn wait_health(&self, within: Duration) -> Duration {
        loop {
            if self.health() {
                return self.started.elapsed();
            }
            assert!(self.started.elapsed() < within, "/health never answered");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The app's session bus, for a second start that should find it.
    pub fn bus(&self) -> String {
        std::fs::read(format!("/proc/{}/environ", self.pid()))
            .ok()
            .and_then(|env| {
                env.split(|b| *b == 0).find_map(|v| {
                    v.strip_prefix(b"DBUS_SESSION_BUS_ADDRESS=")
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                })
            })
            .expect("the app's session bus")
    }

    /// SIGTERM to the app; its exit status once it has stopped.
    pub fn terminate(&mut self, within: Duration) -> ExitStatus {
        let app = self.pid();
        let _ = Command::new("kill")
            .args(["-TERM", &app.to_string()])
            .status();
        wait_for("the app to stop after SIGTERM", within, || {
            self.child.try_wait().expect("try_wait")
        })
    }
}

impl Drop for App {
    /// Still running (a failed test, a benchmark): SIGTERM, a few seconds, then kill.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            if let Some(app) = self.app_pid() {
                let _ = Command::new("kill")
                    .args(["-TERM", &app.to_string()])
                    .status();
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
