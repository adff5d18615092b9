//! The tray app's figures, on the release build under Xvfb with a D-Bus session:
//! time from start to `/health` answering, and resident memory of the whole process
//! tree (app + window process + WebKit processes) idle before any window, with the
//! window open, and idle again after closing it.
//!
//! Run: `cargo bench -p saytype --bench app` (needs the `gui` feature, on by default).

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::desktop::{tree_rss, XDisplay};
use common::served::BIN;
use common::TOKEN;

struct App {
    child: Child,
    started: Instant,
    port: u16,
}

impl App {
    fn start(display: &XDisplay, dir: &Path) -> App {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let data = dir.join("data");
        std::fs::create_dir_all(&data).expect("data");
        std::fs::write(
            data.join("settings.json"),
            format!(r#"{{"port": {port}, "injectMode": "none"}}"#),
        )
        .expect("settings");
        let started = Instant::now();
        let mut child = display
            .command("dbus-run-session")
            .args(["--", BIN, "--hidden"])
            .env("SAYTYPE_DATA_DIR", &data)
            .env("SAYTYPE_TOKEN", TOKEN)
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the app");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("listening");
        App {
            child,
            started,
            port,
        }
    }

    fn pid(&self) -> u32 {
        let (_, rows) = tree_rss(self.child.id());
        rows.iter()
            .find(|r| r.1 == "saytype")
            .map(|r| r.0)
            .expect("app process")
    }

    fn until_health(&self) -> Duration {
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let _ =
                    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                if out.contains("\"ok\"") {
                    return self.started.elapsed();
                }
            }
            assert!(
                self.started.elapsed() < Duration::from_secs(30),
                "/health never answered"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn bus(&self) -> String {
        std::fs::read(format!("/proc/{}/environ", self.pid()))
            .ok()
            .and_then(|env| {
                env.split(|b| *b == 0).find_map(|v| {
                    v.strip_prefix(b"DBUS_SESSION_BUS_ADDRESS=")
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                })
            })
            .expect("session bus")
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        std::thread::sleep(Duration::from_secs(2));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn describe(rows: &[(u32, String, u64)]) -> String {
    rows.iter()
        .filter(|r| r.2 > 0)
        .map(|r| format!("{} {:.0} MB", r.1, r.2 as f64 / 1024.0))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let Some(display) = XDisplay::start() else {
        eprintln!("Xvfb is needed: scripts/setup.sh test installs it");
        return;
    };
    println!("saytype tray app benchmark (release build, Xvfb, D-Bus session)");

    // Start-up time over a few cold-ish starts.
    let mut starts = Vec::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::start(&display, dir.path());
        starts.push(app.until_health());
    }
    starts.sort();
    println!(
        "start -> /health answering: median {} ms (min {}, max {}) over {} starts",
        starts[starts.len() / 2].as_millis(),
        starts[0].as_millis(),
        starts[starts.len() - 1].as_millis(),
        starts.len()
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::start(&display, dir.path());
    app.until_health();
    std::thread::sleep(Duration::from_secs(5));
    let (idle, rows) = tree_rss(app.pid());
    println!(
        "idle, window never opened: {:.0} MB ({})",
        mb(idle),
        describe(&rows)
    );

    // A second start opens the running app's window.
    let _ = display
        .command(BIN)
        .env("DBUS_SESSION_BUS_ADDRESS", app.bus())
        .env("SAYTYPE_DATA_DIR", dir.path().join("data"))
        .env("SAYTYPE_TOKEN", TOKEN)
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    let window = loop {
        if let Some(w) = display.windows_named("^SayType$").first() {
            break *w;
        }
        assert!(Instant::now() < deadline, "no window");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_secs(5));
    let (open, rows) = tree_rss(app.pid());
    println!("window open: {:.0} MB ({})", mb(open), describe(&rows));

    let deadline = Instant::now() + Duration::from_secs(30);
    while !display.windows_named("^SayType$").is_empty() {
        display.close_window(window);
        assert!(Instant::now() < deadline, "the window did not close");
        std::thread::sleep(Duration::from_millis(1_000));
    }
    std::thread::sleep(Duration::from_secs(5));
    let (closed, rows) = tree_rss(app.pid());
    println!(
        "idle, window closed after use: {:.0} MB ({})",
        mb(closed),
        describe(&rows)
    );
    let target = if closed <= 100 * 1024 {
        "meets"
    } else {
        "misses"
    };
    println!("target idle with the window closed <= 100 MB: {target}");
}
