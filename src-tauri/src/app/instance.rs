//! One tray app per session: the first start owns a well-known name on the session
//! bus; a second start (a click in the menu of applications while SayType already
//! runs) asks the first to show its window and exits. Without a session bus a
//! second start reaches the data directory's lock and stops with that error.

use std::sync::{Arc, OnceLock};

use zbus::fdo::{RequestNameFlags, RequestNameReply};

use super::{window, Core};

/// The first start's name on the session bus.
const NAME: &str = "app.saytype.Desktop";
const PATH: &str = "/app/saytype/Desktop";
const INTERFACE: &str = "app.saytype.Desktop1";

pub(super) enum Claim {
    /// This process is the first: it keeps the name for its life.
    Mine(Instance),
    /// Another one runs, and was asked to show its window (`shown`: it did).
    Running { shown: bool },
    /// No session bus to claim a name on (why).
    NoBus(String),
}

/// The name, kept for the process's life, and the object a second start calls.
pub(super) struct Instance {
    /// Kept for the app's life: the name is the connection's.
    _conn: zbus::Connection,
    core: Arc<OnceLock<Arc<Core>>>,
}

/// Claim the name, or hand over to its owner.
pub(super) async fn claim() -> Claim {
    let conn = match zbus::Connection::session().await {
        Ok(conn) => conn,
        Err(e) => return Claim::NoBus(e.to_string()),
    };
    let core = Arc::new(OnceLock::new());
    // Served before the name is ours, so a second start that finds the name always
    // finds the object (it answers "still starting" until `serve`).
    let served = conn
        .object_server()
        .at(PATH, Desktop { core: core.clone() })
        .await;
    if let Err(e) = served {
        return Claim::NoBus(format!("cannot serve {PATH}: {e}"));
    }
    match conn
        .request_name_with_flags(NAME, RequestNameFlags::DoNotQueue.into())
        .await
    {
        Ok(RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner) => {
            Claim::Mine(Instance { _conn: conn, core })
        }
        // zbus answers a taken name with `DoNotQueue` as an error, not as `Exists`.
        Ok(RequestNameReply::Exists | RequestNameReply::InQueue) | Err(zbus::Error::NameTaken) => {
            let shown = show_first(&conn).await;
            if let Err(e) = &shown {
                tracing::warn!("SayType already runs, but did not show its window: {e}");
            }
            Claim::Running {
                shown: shown.is_ok(),
            }
        }
        Err(e) => Claim::NoBus(format!("cannot own {NAME}: {e}")),
    }
}

async fn show_first(conn: &zbus::Connection) -> zbus::Result<()> {
    let proxy = zbus::Proxy::new(conn, NAME, PATH, INTERFACE).await?;
    let () = proxy.call("Show", &()).await?;
    Ok(())
}

impl Instance {
    /// From now on a second start shows this app's window.
    pub(super) fn serve(&self, core: Arc<Core>) {
        let _ = self.core.set(core);
    }
}

struct Desktop {
    core: Arc<OnceLock<Arc<Core>>>,
}

#[zbus::interface(name = "app.saytype.Desktop1")]
impl Desktop {
    /// Show the window (start its process, or bring it forward).
    fn show(&self) -> zbus::fdo::Result<()> {
        let core = self
            .core
            .get()
            .ok_or_else(|| zbus::fdo::Error::Failed("SayType is still starting".into()))?;
        window::open(core).map_err(|e| zbus::fdo::Error::Failed(format!("{e:#}")))
    }
}
