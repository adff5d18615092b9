//! The tray app's figures, on the release build under Xvfb with a D-Bus session:
//! time from start to `/health` answering, and resident memory of the whole process
//! tree (app + window process + WebKit processes) idle before any window, with the
//! window open, and idle again after closing it.
//!
//! Run: `cargo bench -p saytype --bench app` (needs the `gui` feature, on by default).

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::desktop::{tree_rss, XDisplay};
use common::served::BIN;
use common::tray::{wait_for, App};
use common::TOKEN;

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
        let app = App::start(&display, dir.path(), &["--hidden"], &[]);
        starts.push(app.wait_health(Duration::from_secs(30)));
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
    let app = App::start(&display, dir.path(), &["--hidden"], &[]);
    app.wait_health(Duration::from_secs(30));
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
    let window = wait_for("the window", Duration::from_secs(30), || {
        display.windows_named("^SayType$").first().copied()
    });
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
