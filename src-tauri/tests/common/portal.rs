//! A stand-in for xdg-desktop-portal on a private session bus: the
//! RemoteDesktop interface (version 2) and the Clipboard interface, answering
//! through Request objects and their `Response` signal as the portal's spec
//! says, with `ConnectToEIS` handing out one end of a socket pair whose other
//! end the in-process EIS server ([`super::eis`]) serves.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{ObjectPath, OwnedFd, OwnedObjectPath, OwnedValue, Value};
use zbus::{fdo, Connection};

use super::eis::{self, EisLog};
use super::session_bus::SessionBus;

const PATH: &str = "/org/freedesktop/portal/desktop";
pub const TEXT: &str = "text/plain;charset=utf-8";

type Options = HashMap<String, OwnedValue>;

/// How the stand-in answers, and what it saw.
#[derive(Default)]
pub struct Portal {
    /// `Start` grants (else the user declines: response 1).
    pub grant: Mutex<bool>,
    /// The RemoteDesktop interface's version (2: `ConnectToEIS`, persistence).
    pub version: Mutex<u32>,
    /// The keymap the EIS server offers.
    pub keymap: Mutex<String>,
    /// The `restore_token` of each `SelectDevices` (`None`: not given).
    pub select_tokens: Mutex<Vec<Option<String>>>,
    /// The `persist_mode` of each `SelectDevices`.
    pub persist_modes: Mutex<Vec<u32>>,
    pub starts: Mutex<usize>,
    /// Restore tokens handed out so far.
    pub tokens_given: Mutex<u32>,
    pub clipboard_requested: Mutex<bool>,
    /// `Start` enables the requested clipboard.
    pub clipboard_enabled: Mutex<bool>,
    /// The session that owns the selection, if one does.
    pub owner: Mutex<Option<OwnedObjectPath>>,
    /// The text the desktop's clipboard had before any session took it.
    pub user_clipboard: Mutex<String>,
    /// Texts read from the owning session through `SelectionWrite`.
    pub pasted: Mutex<Vec<String>>,
    pub set_selections: Mutex<usize>,
    pub eis: Arc<EisLog>,
}

/// The stand-in, serving on its own runtime.
pub struct StandIn {
    pub portal: Arc<Portal>,
    pub bus: SessionBus,
    runtime: tokio::runtime::Runtime,
    conn: Connection,
}

impl StandIn {
    pub fn start(keymap: &str) -> StandIn {
        let bus = SessionBus::start();
        let portal = Arc::new(Portal::default());
        *portal.grant.lock().expect("lock") = true;
        *portal.version.lock().expect("lock") = 2;
        *portal.clipboard_enabled.lock().expect("lock") = true;
        *portal.keymap.lock().expect("lock") = keymap.to_owned();
        *portal.user_clipboard.lock().expect("lock") = "the user's own text".into();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let conn = runtime.block_on(async {
            let remote = RemoteDesktop {
                portal: portal.clone(),
                handle: tokio::runtime::Handle::current(),
            };
            let clipboard = Clipboard {
                portal: portal.clone(),
            };
            zbus::connection::Builder::address(bus.address.as_str())
                .expect("address")
                .name("org.freedesktop.portal.Desktop")
                .expect("name")
                .serve_at(PATH, remote)
                .expect("remote desktop")
                .serve_at(PATH, clipboard)
                .expect("clipboard")
                .build()
                .await
                .expect("the stand-in portal on the private bus")
        });
        StandIn {
            portal,
            bus,
            runtime,
            conn,
        }
    }

    /// A window pastes: the owning session is asked for the text.
    pub fn paste(&self) {
        transfer(&self.conn, &self.portal, self.runtime.handle());
    }

    /// Wait until `n` texts have been pasted, and return them.
    pub fn pasted(&self, n: usize) -> Vec<String> {
        super::wayland::wait_for(
            || {
                let pasted = self.portal.pasted.lock().expect("lock");
                (pasted.len() >= n).then(|| pasted.clone())
            },
            "the pasted text",
        )
    }
}

/// Ask the owning session for its text (`SelectionTransfer`).
fn transfer(conn: &Connection, portal: &Arc<Portal>, handle: &tokio::runtime::Handle) {
    let Some(session) = portal.owner.lock().expect("lock").clone() else {
        return;
    };
    let conn = conn.clone();
    handle.spawn(async move {
        let emitter = SignalEmitter::new(&conn, PATH).expect("emitter");
        Clipboard::selection_transfer(&emitter, session.as_ref(), TEXT, 1)
            .await
            .expect("SelectionTransfer");
    });
}

fn string_option(options: &Options, key: &str) -> Option<String> {
    options
        .get(key)
        .and_then(|v| v.downcast_ref::<String>().ok())
}

/// The Request object's path for `options`' handle token (the spec's
/// `/org/freedesktop/portal/desktop/request/SENDER/TOKEN`).
fn handle_path(kind: &str, header: &Header<'_>, token: Option<String>) -> OwnedObjectPath {
    let sender = header
        .sender()
        .map(|s| s.trim_start_matches(':').replace('.', "_"))
        .unwrap_or_default();
    let token = token.unwrap_or_else(|| "t".into());
    OwnedObjectPath::try_from(format!("{PATH}/{kind}/{sender}/{token}")).expect("path")
}

struct Request;

#[zbus::interface(name = "org.freedesktop.portal.Request")]
impl Request {
    fn close(&self) {}
}

struct SessionObject;

#[zbus::interface(name = "org.freedesktop.portal.Session")]
impl SessionObject {
    #[zbus(property, name = "version")]
    fn version(&self) -> u32 {
        1
    }

    async fn close(
        &self,
        #[zbus(connection)] conn: &Connection,
        #[zbus(header)] header: Header<'_>,
    ) {
        if let Some(path) = header.path() {
            let path = path.to_owned();
            let conn = conn.clone();
            tokio::spawn(async move {
                let _ = conn.object_server().remove::<SessionObject, _>(path).await;
            });
        }
    }
}

/// Put a Request object at `path` and answer it with `Response(code, results)`
/// once the call has returned its handle.
async fn respond(conn: &Connection, path: OwnedObjectPath, code: u32, results: Options) {
    conn.object_server()
        .at(path.clone(), Request)
        .await
        .expect("request object");
    let conn = conn.clone();
    tokio::spawn(async move {
        // The caller subscribed to Response before calling (the spec's advice);
        // the reply goes out first all the same.
        tokio::time::sleep(Duration::from_millis(5)).await;
        conn.emit_signal(
            None::<&str>,
            path.as_ref(),
            "org.freedesktop.portal.Request",
            "Response",
            &(code, results),
        )
        .await
        .expect("Response");
        let _ = conn.object_server().remove::<Request, _>(path).await;
    });
}

fn value(v: Value<'_>) -> OwnedValue {
    OwnedValue::try_from(v).expect("value")
}

struct RemoteDesktop {
    portal: Arc<Portal>,
    handle: tokio::runtime::Handle,
}

#[zbus::interface(name = "org.freedesktop.portal.RemoteDesktop")]
impl RemoteDesktop {
    #[zbus(property, name = "version")]
    fn version(&self) -> u32 {
        *self.portal.version.lock().expect("lock")
    }

    #[zbus(property)]
    fn available_device_types(&self) -> u32 {
        1 | 2
    }

    async fn create_session(
        &self,
        #[zbus(connection)] conn: &Connection,
        #[zbus(header)] header: Header<'_>,
        options: Options,
    ) -> OwnedObjectPath {
        let request = handle_path("request", &header, string_option(&options, "handle_token"));
        let session = handle_path(
            "session",
            &header,
            string_option(&options, "session_handle_token"),
        );
        conn.object_server()
            .at(session.clone(), SessionObject)
            .await
            .expect("session object");
        let mut results = Options::new();
        // The portal answers with a string here (its historical spelling).
        results.insert(
            "session_handle".into(),
            value(Value::from(session.as_str().to_owned())),
        );
        respond(conn, request.clone(), 0, results).await;
        request
    }

    async fn select_devices(
        &self,
        #[zbus(connection)] conn: &Connection,
        #[zbus(header)] header: Header<'_>,
        _session: OwnedObjectPath,
        options: Options,
    ) -> OwnedObjectPath {
        let p = &self.portal;
        p.select_tokens
            .lock()
            .expect("lock")
            .push(string_option(&options, "restore_token"));
        let persist = options
            .get("persist_mode")
            .and_then(|v| v.downcast_ref::<u32>().ok())
            .unwrap_or(0);
        p.persist_modes.lock().expect("lock").push(persist);
        let request = handle_path("request", &header, string_option(&options, "handle_token"));
        respond(conn, request.clone(), 0, Options::new()).await;
        request
    }

    async fn start(
        &self,
        #[zbus(connection)] conn: &Connection,
        #[zbus(header)] header: Header<'_>,
        _session: OwnedObjectPath,
        _parent_window: String,
        options: Options,
    ) -> OwnedObjectPath {
        let p = &self.portal;
        *p.starts.lock().expect("lock") += 1;
        let request = handle_path("request", &header, string_option(&options, "handle_token"));
        let granted = *p.grant.lock().expect("lock");
        let (code, mut results) = (if granted { 0 } else { 1 }, Options::new());
        if granted {
            let mut given = p.tokens_given.lock().expect("lock");
            *given += 1;
            results.insert("devices".into(), value(Value::from(1u32)));
            results.insert(
                "restore_token".into(),
                value(Value::from(format!("token-{given}"))),
            );
            let clipboard = *p.clipboard_enabled.lock().expect("lock");
            results.insert("clipboard_enabled".into(), value(Value::from(clipboard)));
        }
        respond(conn, request.clone(), code, results).await;
        request
    }

    #[zbus(name = "ConnectToEIS")]
    async fn connect_to_eis(
        &self,
        #[zbus(connection)] conn: &Connection,
        _session: OwnedObjectPath,
        _options: Options,
    ) -> fdo::Result<OwnedFd> {
        let (ours, theirs) = UnixStream::pair().map_err(|e| fdo::Error::Failed(e.to_string()))?;
        let (portal, conn, handle) = (self.portal.clone(), conn.clone(), self.handle.clone());
        let keymap = portal.keymap.lock().expect("lock").clone();
        eis::serve(ours, keymap, portal.eis.clone(), move || {
            transfer(&conn, &portal, &handle)
        });
        Ok(OwnedFd::from(std::os::fd::OwnedFd::from(theirs)))
    }
}

struct Clipboard {
    portal: Arc<Portal>,
}

#[zbus::interface(name = "org.freedesktop.portal.Clipboard")]
impl Clipboard {
    #[zbus(property, name = "version")]
    fn version(&self) -> u32 {
        1
    }

    fn request_clipboard(&self, _session: OwnedObjectPath, _options: Options) {
        *self.portal.clipboard_requested.lock().expect("lock") = true;
    }

    async fn set_selection(
        &self,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
        session: OwnedObjectPath,
        _options: Options,
    ) -> fdo::Result<()> {
        *self.portal.set_selections.lock().expect("lock") += 1;
        *self.portal.owner.lock().expect("lock") = Some(session.clone());
        let mut changed = HashMap::new();
        changed.insert("session_is_owner", Value::from(true));
        changed.insert("mime_types", Value::from(vec![TEXT]));
        Self::selection_owner_changed(&emitter, session.as_ref(), changed)
            .await
            .map_err(fdo::Error::from)
    }

    fn selection_write(&self, _session: OwnedObjectPath, _serial: u32) -> fdo::Result<OwnedFd> {
        let (read, write) = rustix::pipe::pipe().map_err(|e| fdo::Error::Failed(e.to_string()))?;
        let portal = self.portal.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            if std::fs::File::from(read).read_to_string(&mut text).is_ok() {
                portal.pasted.lock().expect("lock").push(text);
            }
        });
        Ok(OwnedFd::from(write))
    }

    fn selection_write_done(&self, _session: OwnedObjectPath, _serial: u32, _success: bool) {}

    fn selection_read(&self, _session: OwnedObjectPath, _mime: String) -> fdo::Result<OwnedFd> {
        let (read, write) = rustix::pipe::pipe().map_err(|e| fdo::Error::Failed(e.to_string()))?;
        let text = self.portal.user_clipboard.lock().expect("lock").clone();
        std::thread::spawn(move || {
            let _ = std::fs::File::from(write).write_all(text.as_bytes());
        });
        Ok(OwnedFd::from(read))
    }

    #[zbus(signal)]
    async fn selection_owner_changed(
        emitter: &SignalEmitter<'_>,
        session: ObjectPath<'_>,
        options: HashMap<&str, Value<'_>>,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn selection_transfer(
        emitter: &SignalEmitter<'_>,
        session: ObjectPath<'_>,
        mime_type: &str,
        serial: u32,
    ) -> zbus::Result<()>;
}
