//! The tray app's figures, on the release build under Xvfb, on a private D-Bus
//! session bus where the bench plays the desktop's tray host (so the tray item
//! registers as on a desktop), with a fresh `HOME`:
//! - `start`: time from start to `/health` answering;
//! - `idle`: the app idle with the window closed for 60 s (`SAYTYPE_BENCH_IDLE_SECS`):
//!   CPU time and context switches (wake-ups) of every thread, RSS and PSS;
//! - `window`: *Open SayType* clicked in the tray menu (over dbusmenu) until the page
//!   has painted (the window process logs it: see `window_app::webkit`), on a `HOME` where
//!   WebKit never ran, and the memory of the whole process tree with it open, then
//!   after closing it.
//!
//! Run: `cargo bench -p saytype --bench app [-- start|idle|window]` (needs the `gui`
//! feature, on by default); without a name, all three.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::desktop::XDisplay;
use common::session_bus::SessionBus;
use common::tray::{wait_for, App};
use common::tray_host::TrayHost;
use common::usage::Sample;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value as ZValue};

fn mb(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn describe(sample: &Sample) -> String {
    sample
        .processes
        .iter()
        .filter(|p| p.2 > 0)
        .map(|p| format!("{} {:.0}/{:.0}", p.1, mb(p.2), mb(p.3)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let Some(display) = XDisplay::start() else {
        eprintln!("Xvfb is needed: scripts/setup.sh test installs it");
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "saytype tray app benchmark ({} build, Xvfb, private D-Bus session with a tray host); load average {}",
        if cfg!(debug_assertions) { "debug" } else { "release" },
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    if wanted("start") {
        start(&display);
    }
    if wanted("idle") {
        runtime.block_on(idle(&display));
    }
    if wanted("window") {
        runtime.block_on(window(&display));
    }
}

/// Start-up time over a few starts.
fn start(display: &XDisplay) {
    let mut starts = Vec::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().expect("tempdir");
        let app = App::start(display, dir.path(), &["--hidden"], &[]);
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
}

/// The app with its tray item registered on a tray host of our own.
struct Desktop {
    _bus: SessionBus,
    host: TrayHost,
    app: App,
    _dir: tempfile::TempDir,
}

async fn desktop(display: &XDisplay) -> Desktop {
    let bus = SessionBus::start();
    let host = TrayHost::start(&bus.address).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let app = App::start_on_bus(display, dir.path(), &["--hidden"], &bus.address);
    app.wait_health(Duration::from_secs(60));
    let deadline = Instant::now() + Duration::from_secs(60);
    while host.first_item().is_none() {
        assert!(Instant::now() < deadline, "the tray item never registered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Desktop {
        _bus: bus,
        host,
        app,
        _dir: dir,
    }
}

async fn idle(display: &XDisplay) {
    let secs: u64 = std::env::var("SAYTYPE_BENCH_IDLE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let d = desktop(display).await;
    // Let the start-up settle (the agent connects, the tray fills in).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pid = d.app.pid();
    let before = Sample::take(pid);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let after = Sample::take(pid);
    let (cpu, switches, threads) = after.since(&before);
    println!(
        "idle {secs} s, window closed: CPU {cpu:.2} s, {switches} wake-ups ({:.2}/s), {} threads; RSS {:.1} MB, PSS {:.1} MB",
        switches as f64 / secs as f64,
        after.threads.len(),
        mb(after.rss_kib()),
        mb(after.pss_kib())
    );
    let busiest: Vec<String> = threads
        .iter()
        .take(8)
        .map(|(name, n, cpu)| format!("{name} {n} ({cpu:.2} s)"))
        .collect();
    println!("  wake-ups by thread: {}", busiest.join(", "));
    let target = |ok: bool| if ok { "meets" } else { "misses" };
    println!(
        "  targets: CPU <= 0.1 s per 60 s {}, <= 1 wake-up/s {}, RSS <= 60 MB {}",
        target(cpu * 60.0 / secs as f64 <= 0.1),
        target(switches as f64 / secs as f64 <= 1.0),
        target(after.rss_kib() <= 60 * 1024)
    );
}

type Node = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

/// The dbusmenu id of the entry labelled `label`.
fn find_id(node: Node, label: &str) -> Option<i32> {
    let (id, props, children) = node;
    let own = props
        .get("label")
        .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
        .map(|l| l.replace('_', ""));
    if own.as_deref() == Some(label) {
        return Some(id);
    }
    children
        .into_iter()
        .filter_map(|c| Node::try_from(c).ok())
        .find_map(|c| find_id(c, label))
}

/// Click a tray menu entry as the tray host does.
async fn click(host: &TrayHost, label: &str) {
    let (name, path) = host.first_item().expect("the tray item");
    let item = zbus::Proxy::new(&host.conn, name.clone(), path, "org.kde.StatusNotifierItem")
        .await
        .expect("item");
    let menu: OwnedObjectPath = item.get_property("Menu").await.expect("Menu");
    let menu = zbus::Proxy::new(&host.conn, name, menu, "com.canonical.dbusmenu")
        .await
        .expect("menu");
    let none: Vec<String> = Vec::new();
    let (_, root): (u32, Node) = menu
        .call("GetLayout", &(0i32, -1i32, none))
        .await
        .expect("GetLayout");
    let id = find_id(root, label).expect("the menu entry");
    let () = menu
        .call("Event", &(id, "clicked", ZValue::I32(0), 0u32))
        .await
        .expect("Event");
}

/// The window process's log line `first paint after N ms`, once it is there.
fn first_paint(log: &std::path::Path) -> Option<u64> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().find_map(|l| {
        l.split_once("first paint after ")?
            .1
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

async fn window(display: &XDisplay) {
    let d = desktop(display).await;
    let log = d.app.data.parent().expect("dir").join("app.log");
    let asked = Instant::now();
    click(&d.host, "Open SayType").await;
    let painted = wait_for("the first paint", Duration::from_secs(120), || {
        first_paint(&log)
    });
    let seen = asked.elapsed();
    println!(
        "Open (menu click) -> first paint, fresh HOME: {painted} ms as the window process measured it ({} ms seen here)",
        seen.as_millis()
    );
    // Let WebKit's processes finish starting (their memory settles in seconds).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let open = Sample::take(d.app.pid());
    println!(
        "window open: RSS {:.0} MB, PSS {:.0} MB (name RSS/PSS MB: {})",
        mb(open.rss_kib()),
        mb(open.pss_kib()),
        describe(&open)
    );
    let window = wait_for("the window", Duration::from_secs(30), || {
        display.windows_named("^SayType$").first().copied()
    });
    let mut asked = Instant::now() - Duration::from_secs(10);
    wait_for("the window to close", Duration::from_secs(60), || {
        if asked.elapsed() > Duration::from_secs(3) {
            display.close_window(window);
            asked = Instant::now();
        }
        let gone = Sample::take(d.app.pid()).processes.len() == 1;
        gone.then_some(())
    });
    let closed = Sample::take(d.app.pid());
    println!(
        "window closed again: RSS {:.0} MB, PSS {:.0} MB",
        mb(closed.rss_kib()),
        mb(closed.pss_kib())
    );
    let target = |ok: bool| if ok { "meets" } else { "misses" };
    println!(
        "  targets: tree with the window open <= 350 MB {} (RSS), first paint <= 1.5 s {}",
        target(open.rss_kib() <= 350 * 1024),
        target(painted <= 1_500)
    );
}
