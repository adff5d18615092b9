//! The desktop's tray host, played by a test on a private session bus: it owns
//! `org.kde.StatusNotifierWatcher` (the interface libappindicator registers its
//! items with) and says a host is there, so the app's tray item appears on the bus.

use std::sync::{Arc, Mutex};

use zbus::object_server::SignalEmitter;

pub struct TrayHost {
    pub conn: zbus::Connection,
    items: Arc<Mutex<Vec<(String, String)>>>,
}

impl TrayHost {
    /// Own the watcher's name on the bus at `address`.
    pub async fn start(address: &str) -> TrayHost {
        let watcher = Watcher::default();
        let items = watcher.items.clone();
        let conn = zbus::connection::Builder::address(address)
            .expect("bus address")
            .name("org.kde.StatusNotifierWatcher")
            .expect("name")
            .serve_at("/StatusNotifierWatcher", watcher)
            .expect("serve")
            .build()
            .await
            .expect("connect to the private bus");
        TrayHost { conn, items }
    }

    /// The first item that registered: (bus name, object path).
    pub fn first_item(&self) -> Option<(String, String)> {
        self.items.lock().expect("items").first().cloned()
    }
}

/// The tray host's side: the items that registered, as (bus name, object path).
#[derive(Default, Clone)]
struct Watcher {
    items: Arc<Mutex<Vec<(String, String)>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    /// `service` is an object path (libappindicator) or a bus name (KDE's own
    /// items); the caller's unique name completes it.
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let (name, path) = if service.starts_with('/') {
            (sender, service.to_owned())
        } else {
            (service.to_owned(), "/StatusNotifierItem".to_owned())
        };
        let full = format!("{name}{path}");
        self.items.lock().expect("items").push((name, path));
        let _ = Self::status_notifier_item_registered(&emitter, &full).await;
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        let items = self.items.lock().expect("items");
        items.iter().map(|(n, p)| format!("{n}{p}")).collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_item_unregistered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}
