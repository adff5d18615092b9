//! The tray app (feature `gui`): the same daemon as `saytype serve` (relay, local
//! agent, mDNS), with a tray icon and a window on top. A thin shell: everything the
//! window shows comes from the relay's `/ui` page and API, so the window is the very
//! page an ordinary browser gets at `http://127.0.0.1:PORT/ui`.
//!
//! This process has no GTK and no WebKit. The tray is a StatusNotifierItem with its
//! dbusmenu, spoken over the session bus ([`tray`], on ksni); the window is another
//! program, `saytype-window` ([`crate::window_app`]), started when the user opens it
//! and gone when they close it ([`window`]). Why: a tray app spends its day waiting,
//! and with Tauri's tray in this process the linker loaded WebKit, JavaScriptCore
//! and their speech voices though no webview was ever shown. Measured on the
//! release build, idle with the window closed: 79.6 MB resident, of which WebKit and
//! JavaScriptCore 13.9 MB and the flite voices 10.2 MB (BENCHMARKS.md, "Tray app idle").
//! A second start hands over to the first over D-Bus ([`instance`]).

mod instance;
mod tray;
mod window;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::agent::AgentControl;
use crate::daemon::{Daemon, DaemonOptions};
use crate::relay::RelayState;

/// How long a start at login (`--hidden`) waits for the desktop's tray host before
/// it opens the window instead: the session starts its panel and its autostart
/// programs side by side, so the host may come a moment after SayType.
const TRAY_HOST_WAIT: Duration = Duration::from_secs(10);

/// What the tray, the window's process and the single-instance hand-over share.
pub(crate) struct Core {
    relay: RelayState,
    agent: Option<AgentControl>,
    shutdown: CancellationToken,
    /// Held for the app's life: on X11 the clipboard's content lives in its owner.
    clipboard: Mutex<Option<arboard::Clipboard>>,
    /// Whether a tray host shows our item now. Without one the window is the only
    /// way in, so closing it quits.
    tray_shown: watch::Sender<bool>,
    /// The window's process, while it is open.
    window: window::WindowProcess,
}

impl Core {
    /// The window's address, with the current token in the fragment.
    fn window_url(&self) -> String {
        let addr = self.relay.local_addr();
        format!(
            "http://127.0.0.1:{}/ui#token={}",
            addr.port(),
            self.relay.current_token()
        )
    }

    fn tray_shown(&self) -> bool {
        *self.tray_shown.borrow()
    }
}

/// Run the tray app until the user quits (or SIGINT/SIGTERM). Unless `hidden` (a
/// start at login), the window opens at once. `data_dir` and `token` (an override of
/// the stored one) come from the command line's environment.
pub fn run(hidden: bool, data_dir: PathBuf, token: Option<String>) -> anyhow::Result<()> {
    crate::window_app::ensure_display()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::config::RELAY_WORKER_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_app(hidden, data_dir, token))
}

async fn run_app(hidden: bool, data_dir: PathBuf, token: Option<String>) -> anyhow::Result<()> {
    // The single-instance check first: a second start hands over to the running one
    // before it touches the data directory.
    let instance = match instance::claim().await {
        instance::Claim::Mine(instance) => Some(instance),
        instance::Claim::Running { shown } => {
            if shown {
                println!("SayType is already running: its window is shown");
                return Ok(());
            }
            anyhow::bail!("SayType is already running, but did not show its window (it may still be starting: try again)");
        }
        instance::Claim::NoBus(why) => {
            tracing::info!("no session bus ({why}): a second start cannot hand over");
            None
        }
    };

    let settings = crate::settings::Settings::load(&data_dir);
    let mut opts = DaemonOptions::from_settings(data_dir, &settings);
    opts.token = token;
    let shutdown = CancellationToken::new();
    let daemon = Daemon::start(opts, shutdown.clone()).await?;
    let core = Arc::new(Core {
        relay: daemon.state().clone(),
        agent: daemon.agent(),
        shutdown: shutdown.clone(),
        clipboard: Mutex::new(None),
        tray_shown: watch::Sender::new(false),
        window: Default::default(),
    });
    if let Some(instance) = &instance {
        instance.serve(core.clone());
    }
    println!("listening on http://{}", daemon.local_addr());
    let daemon_task = tokio::spawn(daemon.run());

    let tray = tray::start(core.clone()).await;
    let shown = match &tray {
        Some(_) if hidden => wait_shown(&core, TRAY_HOST_WAIT).await,
        Some(_) => core.tray_shown(),
        None => false,
    };
    if !shown {
        tracing::warn!(
            "no system tray available here: the window stays open, and closing it quits SayType"
        );
    }
    let mut failed = None;
    if !hidden || !shown {
        if let Err(e) = window::open(&core) {
            if shown {
                tracing::warn!("cannot open the window: {e:#}");
            } else {
                // Neither a tray nor a window: nothing to use the app by.
                failed = Some(e);
                shutdown.cancel();
            }
        }
    }

    // Until Quit, SIGINT/SIGTERM, or a closed window that was the only way in.
    crate::shutdown::cancel_on_signal(shutdown.clone()).await;
    window::close(&core.window);
    // Let the daemon close connections and flush before the process ends.
    match tokio::time::timeout(Duration::from_secs(10), daemon_task).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::warn!("stopping: {e:#}"),
        _ => tracing::warn!("the relay did not stop in time"),
    }
    // The item goes last: a Quit clicked in its menu is still being answered while
    // the rest stops.
    if let Some(tray) = tray {
        tray.shutdown().await;
    }
    failed.map_or(Ok(()), Err)
}

/// Whether a tray host shows the item within `patience`.
async fn wait_shown(core: &Core, patience: Duration) -> bool {
    let mut shown = core.tray_shown.subscribe();
    tokio::time::timeout(patience, shown.wait_for(|&s| s))
        .await
        .is_ok_and(|r| r.is_ok())
}
