//! Issue 14: the tray menu, used as a desktop's tray host uses it. The test owns
//! `org.kde.StatusNotifierWatcher` on a private D-Bus session bus, starts the real
//! tray app (the `gui` build, under Xvfb, fresh `HOME` and data directory) on that
//! bus, waits for its item to register, and drives the item's menu through
//! `com.canonical.dbusmenu`: it reads the layout, clicks Pause (twice), an
//! injection mode, Copy pairing link and Quit, and checks each effect where it
//! shows: the relay's API, the X clipboard, the process's exit and its data.
#![cfg(feature = "gui")]

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::desktop::XDisplay;
use common::session_bus::SessionBus;
use common::tray::App;
use common::tray_host::TrayHost;
use common::{RelayClient, TOKEN};
use serde_json::Value;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value as ZValue};

/// How long anything may take on a loaded machine; conditions are polled.
const PATIENCE: Duration = Duration::from_secs(60);

/// A dbusmenu layout node as on the wire: id, properties, children.
type Node = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

/// One dbusmenu entry: its id, label (mnemonic underscores removed), toggle state
/// (`None` for plain entries) and children.
#[derive(Debug, Clone)]
struct Entry {
    id: i32,
    label: String,
    checked: Option<bool>,
    /// dbusmenu's `enabled` (absent: enabled).
    enabled: bool,
    children: Vec<Entry>,
}

impl Entry {
    fn parse(node: Node) -> Entry {
        let (id, props, children) = node;
        let label = props
            .get("label")
            .and_then(|v| String::try_from(v.try_clone().ok()?).ok())
            .unwrap_or_default()
            .replace('_', "");
        let checked = props
            .get("toggle-state")
            .and_then(|v| i32::try_from(v).ok())
            .map(|s| s == 1);
        let enabled = props
            .get("enabled")
            .and_then(|v| bool::try_from(v).ok())
            .unwrap_or(true);
        let children = children
            .into_iter()
            .filter_map(|c| <Node>::try_from(c).ok())
            .map(Entry::parse)
            .collect();
        Entry {
            id,
            label,
            checked,
            enabled,
            children,
        }
    }

    fn find(&self, label: &str) -> Option<&Entry> {
        if self.label == label {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(label))
    }

    fn labels(&self) -> Vec<String> {
        self.children.iter().map(|c| c.label.clone()).collect()
    }

    fn get(&self, label: &str) -> &Entry {
        self.find(label)
            .unwrap_or_else(|| panic!("no menu entry {label:?} in {self:#?}"))
    }
}

struct Menu<'a> {
    proxy: zbus::Proxy<'a>,
}

impl Menu<'_> {
    async fn layout(&self) -> Entry {
        let none: Vec<String> = Vec::new();
        let args = (0i32, -1i32, none);
        let call = self.proxy.call("GetLayout", &args);
        let (_revision, root): (u32, Node) = tokio::time::timeout(PATIENCE, call)
            .await
            .expect("GetLayout answered (the app's main thread is alive)")
            .expect("GetLayout");
        Entry::parse(root)
    }

    async fn click(&self, entry: &Entry) {
        let args = (entry.id, "clicked", ZValue::I32(0), 0u32);
        let call = self.proxy.call("Event", &args);
        let () = tokio::time::timeout(PATIENCE, call)
            .await
            .expect("Event answered (the app's main thread is alive)")
            .expect("Event clicked");
    }

    /// Poll the layout until `holds` is true for it.
    async fn wait_layout(&self, what: &str, holds: impl Fn(&Entry) -> bool) -> Entry {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let layout = self.layout().await;
            if holds(&layout) {
                return layout;
            }
            assert!(Instant::now() < deadline, "{what}: {layout:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Poll an async check until it gives a value (within [`PATIENCE`]).
async fn until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The item's icon as it sends it: the pixels (ARGB) of its only picture, 64×64.
async fn icon(item: &zbus::Proxy<'_>) -> Vec<u8> {
    let pictures: Vec<(i32, i32, Vec<u8>)> =
        item.get_property("IconPixmap").await.expect("IconPixmap");
    assert_eq!(pictures.len(), 1, "one picture");
    let (width, height, pixels) = pictures.into_iter().next().expect("a picture");
    assert_eq!((width, height), (64, 64));
    assert_eq!(pixels.len(), 64 * 64 * 4, "ARGB32");
    pixels
}

async fn api(port: u16, path: &str) -> Value {
    RelayClient::new(&format!("http://127.0.0.1:{port}"), TOKEN)
        .get(path)
        .await
        .json()
        .expect("json")
}

async fn agent_state(port: u16) -> String {
    api(port, "/ui/api/status").await["localAgent"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_menu_works_through_dbusmenu() {
    let Some(display) = XDisplay::start() else {
        return;
    };
    let bus = SessionBus::start();
    let host = TrayHost::start(&bus.address).await;
    let conn = host.conn.clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut app = App::start_on_bus(&display, dir.path(), &["--hidden"], &bus.address);
    let port = app.port;

    let (name, path) = until("the tray item to register", || async { host.first_item() }).await;
    // Uncached: the item announces a new icon with its own signal (NewIcon), not
    // with PropertiesChanged, so each read asks the app.
    let item: zbus::Proxy = zbus::proxy::Builder::new(&conn)
        .destination(name.clone())
        .expect("name")
        .path(path)
        .expect("path")
        .interface("org.kde.StatusNotifierItem")
        .expect("interface")
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .expect("item proxy");
    let menu_path: OwnedObjectPath = item.get_property("Menu").await.expect("Menu property");
    let menu = Menu {
        proxy: zbus::Proxy::new(&conn, name, menu_path, "com.canonical.dbusmenu")
            .await
            .expect("menu proxy"),
    };

    // The layout: every entry, in order, and the mode submenu with the settings' mode.
    let layout = menu
        .wait_layout("the status line filled in", |l| {
            l.children.iter().any(|c| c.label.starts_with("Port "))
        })
        .await;
    let top: Vec<String> = layout
        .labels()
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(top.len(), 7, "{top:?}");
    assert_eq!(top[0], "Open SayType");
    assert!(top[1].starts_with(&format!("Port {port} · ")), "{top:?}");
    assert_eq!(
        top[2..],
        [
            "Pause typing",
            "Allow typing…",
            "Injection mode",
            "Copy pairing link",
            "Quit SayType"
        ]
    );
    let modes = layout.get("Injection mode").labels();
    assert_eq!(modes, ["Automatic", "Type", "Paste", "Record only"]);
    assert_eq!(layout.get("Record only").checked, Some(true));
    assert_eq!(layout.get("Paste").checked, Some(false));
    assert_eq!(layout.get("Pause typing").checked, Some(false));
    // Only a route that waits for the user's permission (the portal) enables it.
    assert!(
        !layout.get("Allow typing…").enabled,
        "nothing to allow here"
    );

    // The icon: one picture, drawn (some pixel not transparent: ARGB, alpha first).
    let running = icon(&item).await;
    assert!(
        running.chunks_exact(4).any(|argb| argb[0] != 0),
        "the icon is not blank"
    );

    // Pause: the agent pauses, the entry is checked and the icon changes; again: it
    // resumes with the running icon.
    menu.click(layout.get("Pause typing")).await;
    until("the agent paused", || async {
        (agent_state(port).await == "paused").then_some(())
    })
    .await;
    menu.wait_layout("Pause checked", |l| {
        l.get("Pause typing").checked == Some(true)
    })
    .await;
    let paused = until("the paused icon", || async {
        let now = icon(&item).await;
        (now != running).then_some(now)
    })
    .await;
    menu.click(layout.get("Pause typing")).await;
    until("the agent resumed", || async {
        let state = agent_state(port).await;
        (state != "paused").then_some(())
    })
    .await;
    menu.wait_layout("Pause unchecked", |l| {
        l.get("Pause typing").checked == Some(false)
    })
    .await;
    until("the running icon again", || async {
        let now = icon(&item).await;
        (now == running && now != paused).then_some(())
    })
    .await;

    // An injection mode: the settings change, and the check mark moves.
    menu.click(layout.get("Paste")).await;
    until("the mode to be paste", || async {
        (api(port, "/ui/api/settings").await["injectMode"] == "paste").then_some(())
    })
    .await;
    menu.wait_layout("Paste checked alone", |l| {
        l.get("Paste").checked == Some(true) && l.get("Record only").checked == Some(false)
    })
    .await;

    // Copy pairing link: the X clipboard holds a link to this relay with a code.
    menu.click(layout.get("Copy pairing link")).await;
    let link = until("the link on the clipboard", || async {
        let text = display.clipboard();
        text.contains("/#pair=").then_some(text)
    })
    .await;
    assert!(
        link.starts_with("http://") && link.contains(&format!(":{port}/#pair=")),
        "{link}"
    );

    eprintln!("menu: {top:?}, modes {modes:?}; copied {link}");
    // Quit: the process exits 0, and what it stored is still there.
    menu.click(layout.get("Quit SayType")).await;
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = app.child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the app did not quit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
    let settings = std::fs::read_to_string(app.data.join("settings.json")).expect("settings");
    let settings: Value = serde_json::from_str(&settings).expect("settings json");
    assert_eq!(settings["injectMode"], "paste", "the mode was stored");
    assert_eq!(settings["port"], port);
    let db = rusqlite::Connection::open(app.data.join("saytype.db")).expect("the store");
    let check: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    assert!(
        !app.data.join("relay.json").exists(),
        "the relay cleaned up after itself"
    );
}
