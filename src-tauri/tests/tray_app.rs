//! The real tray app (the `gui` build) under Xvfb with a D-Bus session whose tray
//! host the test plays: it starts, its window renders (a screenshot that is not
//! blank), `/health` answers, closing the window leaves it running in the tray with
//! the WebKit processes gone, a second start opens the first one's window, SIGTERM
//! ends it cleanly; a desktop without a tray host gets the window instead (closing
//! it quits), and a host that comes after the app gets its item, with no window.
#![cfg(feature = "gui")]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::desktop::{tree_rss, XDisplay};
use common::served::BIN;
use common::session_bus::SessionBus;
use common::tray::{free_port, wait_for, App};
use common::tray_host::TrayHost;
use common::TOKEN;

/// A private session bus with a tray host on it, as a desktop with a panel has.
/// The host answers from the runtime's threads while the test blocks.
struct Desktop {
    bus: SessionBus,
    host: TrayHost,
    _runtime: tokio::runtime::Runtime,
}

impl Desktop {
    fn start() -> Desktop {
        let bus = SessionBus::start();
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let host = runtime.block_on(TrayHost::start(&bus.address));
        Desktop {
            bus,
            host,
            _runtime: runtime,
        }
    }
}

fn artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../artifacts/tray")
}

/// How long anything may take here: WebKit's first start on a fresh machine (no
/// caches yet) is many times slower than later ones. Conditions are polled, so a
/// fast machine waits no longer than it must.
const PATIENCE: Duration = Duration::from_secs(60);

/// Check that `holds` stays true for all of `period` (polled; fails at once).
fn stays(what: &str, period: Duration, mut holds: impl FnMut() -> bool) {
    let end = Instant::now() + period;
    while Instant::now() < end {
        assert!(holds(), "{what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Wait until the screen shows a rendered page, not a blank window: screenshots
/// (the last one kept as an artifact) until one has many colours. Returns the
/// colours and how long it took.
fn wait_rendered(display: &XDisplay) -> (usize, Duration) {
    let shot = artifacts().join("window.png");
    let mut colours = 0;
    let started = Instant::now();
    let deadline = started + PATIENCE;
    while Instant::now() < deadline {
        colours = display.screenshot(&shot);
        if colours > 20 {
            return (colours, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "the window stayed blank ({colours} colours after {PATIENCE:?}; see {})",
        shot.display()
    );
}

/// Close `window` until `done` gives a value: asked again every few seconds, as a
/// user would click again, in case a request reached a window still starting up.
fn close_until<T>(
    display: &XDisplay,
    window: u32,
    what: &str,
    mut done: impl FnMut() -> Option<T>,
) -> T {
    let mut asked = Instant::now() - Duration::from_secs(10);
    wait_for(what, PATIENCE, || {
        if asked.elapsed() > Duration::from_secs(3) {
            display.close_window(window);
            asked = Instant::now();
        }
        done()
    })
}

fn mib(kib: u64) -> String {
    format!("{:.0} MB", kib as f64 / 1024.0)
}

#[test]
fn the_app_renders_closes_to_the_tray_and_stops_cleanly() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let desktop = Desktop::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = App::start_on_bus(&display, dir.path(), &[], &desktop.bus.address);
    let to_health = app.wait_health(PATIENCE);
    let window = wait_for("the window", PATIENCE, || {
        display.windows_named("^SayType$").first().copied()
    });
    let (colours, to_render) = wait_rendered(&display);
    let (open_kib, open_rows) = wait_for("the WebKit processes", PATIENCE, || {
        let (kib, rows) = tree_rss(app.pid());
        rows.iter()
            .any(|r| r.1.starts_with("WebKit"))
            .then_some((kib, rows))
    });

    close_until(&display, window, "the window to close", || {
        display.windows_named("^SayType$").is_empty().then_some(())
    });
    let (closed_kib, closed_rows) = wait_for("the WebKit processes to end", PATIENCE, || {
        let (kib, rows) = tree_rss(app.pid());
        (!rows.iter().any(|r| r.1.starts_with("WebKit"))).then_some((kib, rows))
    });
    assert!(app.health(), "still running in the tray");
    // The tray process never had WebKit or GTK in it (they cost the idle app
    // ~25 MB when it did): only the window's process loads them.
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", app.pid())).expect("maps");
    for library in ["libwebkit2gtk", "libjavascriptcoregtk", "libgtk-3"] {
        assert!(!maps.contains(library), "the tray process maps {library}");
    }
    eprintln!(
        "figures: /health after {} ms; page rendered {} ms after the window appeared ({colours} colours); window open {} ({:?}); window closed {} ({:?})",
        to_health.as_millis(),
        to_render.as_millis(),
        mib(open_kib),
        open_rows
            .iter()
            .map(|r| (r.1.clone(), mib(r.2)))
            .collect::<Vec<_>>(),
        mib(closed_kib),
        closed_rows
            .iter()
            .map(|r| (r.1.clone(), mib(r.2)))
            .collect::<Vec<_>>(),
    );

    let status = app.terminate(PATIENCE);
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    assert!(
        !app.data.join("relay.json").exists(),
        "the relay cleaned up after itself"
    );
}

#[test]
fn a_second_start_opens_the_first_ones_window() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let desktop = Desktop::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = App::start_on_bus(&display, dir.path(), &["--hidden"], &desktop.bus.address);
    app.wait_health(PATIENCE);
    wait_for("the tray item", PATIENCE, || desktop.host.first_item());
    stays("--hidden opens no window", Duration::from_secs(1), || {
        display.windows_named("^SayType$").is_empty()
    });
    // The second start joins the first one's D-Bus session, like a desktop login.
    let bus = &desktop.bus.address;
    let second = display
        .command(BIN)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .env("SAYTYPE_DATA_DIR", &app.data)
        .env("SAYTYPE_TOKEN", TOKEN)
        .status()
        .expect("second start");
    assert!(
        second.success(),
        "the second start hands over and exits: {second:?}"
    );
    wait_for("the first app's window", PATIENCE, || {
        display.windows_named("^SayType$").first().copied()
    });
    assert!(app.terminate(PATIENCE).success());
}

#[test]
fn without_a_tray_host_the_window_stands_in_for_the_tray() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // A session bus (dbus-run-session) where nothing shows tray items.
    let mut app = App::start(&display, dir.path(), &["--hidden"], &[]);
    app.wait_health(PATIENCE);
    // No tray: the window opens even with --hidden (after the wait for a host that
    // may start after the app), and says why.
    let window = wait_for("the fallback window", PATIENCE, || {
        display.windows_named("no system tray").first().copied()
    });
    let log = std::fs::read_to_string(dir.path().join("app.log")).unwrap_or_default();
    assert!(log.contains("no system tray available"), "{log}");
    // Closing the only way in quits the app, cleanly.
    let status = close_until(&display, window, "the app to quit", || {
        app.child.try_wait().ok().flatten()
    });
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_tray_host_that_comes_after_the_app_shows_it_and_no_window_opens() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let bus = SessionBus::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::start_on_bus(&display, dir.path(), &["--hidden"], &bus.address);
    app.wait_health(PATIENCE);
    // The panel starts after the app, as at a login: once the app has found no host.
    wait_for("the app to find no tray host", PATIENCE, || {
        let log = std::fs::read_to_string(dir.path().join("app.log")).unwrap_or_default();
        log.contains("no tray host").then_some(())
    });
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let host = runtime.block_on(TrayHost::start(&bus.address));
    wait_for("the item to register with the late host", PATIENCE, || {
        host.first_item()
    });
    // Past the app's wait for a host (10 s from its start): still no window.
    let waited = app.started.elapsed();
    stays(
        "no window once the host is there",
        Duration::from_secs(12).saturating_sub(waited),
        || display.windows_named("SayType").is_empty(),
    );
    assert!(app.health(), "still running in the tray");
}

#[test]
fn with_neither_a_tray_host_nor_the_window_program_the_app_stops_and_says_why() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    // `saytype` without `saytype-window` beside it (a broken install).
    let lonely = dir.path().join("saytype");
    std::fs::copy(BIN, &lonely).expect("copy the binary");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    std::fs::write(
        data.join("settings.json"),
        format!(r#"{{"port": {}, "injectMode": "none"}}"#, free_port()),
    )
    .expect("settings");
    let out = display
        .command("dbus-run-session")
        .arg("--")
        .arg(&lonely)
        .env("SAYTYPE_DATA_DIR", &data)
        .env("SAYTYPE_TOKEN", TOKEN)
        .env("HOME", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("saytype");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("saytype: the window's program is missing")
            && stderr.contains("saytype-window"),
        "{stderr}"
    );
    assert!(
        !data.join("relay.json").exists(),
        "the relay stopped cleanly"
    );
}
