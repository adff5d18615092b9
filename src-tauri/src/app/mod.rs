//! The tray app (feature `gui`): the same daemon as `saytype serve` (relay, local
//! agent, mDNS), with a tray icon and a window on top. A thin shell: everything the
//! window shows comes from the relay's `/ui` page and API, so the window is the very
//! page an ordinary browser gets at `http://127.0.0.1:PORT/ui`.
//!
//! The webview exists only while the window is open ([`window`]): WebKit's
//! processes cost a few hundred MB, and a tray app spends most of its life closed.

mod tray;
mod webkit;
mod window;

pub use window::run_window;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use tauri::{Manager, RunEvent};
use tokio_util::sync::CancellationToken;

use crate::agent::AgentControl;
use crate::daemon::{Daemon, DaemonOptions};
use crate::relay::RelayState;
use crate::sync::lock;

/// What the tray and the window need, kept in Tauri's state.
pub(crate) struct Core {
    relay: RelayState,
    agent: Option<AgentControl>,
    shutdown: CancellationToken,
    /// Held for the app's life: on X11 the clipboard's content lives in its owner.
    clipboard: Mutex<Option<arboard::Clipboard>>,
    /// False when no tray could be made: the window is then the only way in, so
    /// closing it quits.
    tray: Mutex<bool>,
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
}

/// Run the tray app until the user quits (or SIGINT/SIGTERM). Unless `hidden` (a
/// start at login), the window opens at once. `data_dir` and `token` (an override of
/// the stored one) come from the command line's environment.
pub fn run(hidden: bool, data_dir: PathBuf, token: Option<String>) -> anyhow::Result<()> {
    ensure_display()?;
    // Neither the tray (no webview; the menu is plain GTK) nor the window (WebKit
    // draws without OpenGL, see `webkit`) draws with OpenGL, but the first GTK
    // program of a session probes it, which maps Mesa's driver and libLLVM: ~50 MB
    // for nothing. Set before any thread exists; the window process inherits it.
    if std::env::var_os("GDK_GL").is_none() {
        std::env::set_var("GDK_GL", "disable");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(crate::config::RELAY_WORKER_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    tauri::async_runtime::set(runtime.handle().clone());

    // The app first: its single-instance check hands a second start over to the
    // running one before this one touches the data directory.
    let app = build_app()?;
    let handle = app.handle().clone();

    let settings = crate::settings::Settings::load(&data_dir);
    let mut opts = DaemonOptions::from_settings(data_dir, &settings);
    opts.token = token;
    let shutdown = CancellationToken::new();
    let daemon = runtime.block_on(Daemon::start(opts, shutdown.clone()))?;
    println!("listening on http://{}", daemon.local_addr());
    app.manage(Core {
        relay: daemon.state().clone(),
        agent: daemon.agent(),
        shutdown: shutdown.clone(),
        clipboard: Mutex::new(None),
        tray: Mutex::new(false),
        window: Default::default(),
    });
    let daemon_task = runtime.spawn(daemon.run());
    runtime.spawn(quit_on_signal(handle.clone(), shutdown.clone()));

    let tray_ok = tray::install(&handle);
    *lock(&handle.state::<Core>().tray) = tray_ok;
    if tray_ok {
        runtime.spawn(tray::follow_state(handle.clone()));
    } else {
        tracing::warn!(
            "no system tray available here: the window stays open, and closing it quits SayType"
        );
    }
    if !hidden || !tray_ok {
        window::open(&handle)?;
    }

    let code = app.run_return(move |handle, event| {
        if let RunEvent::Exit = event {
            handle.state::<Core>().shutdown.cancel();
        }
    });
    shutdown.cancel();
    window::close(&handle.state::<Core>().window);
    // Let the daemon close connections and flush before the process ends.
    let stopped = runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), daemon_task).await });
    match stopped {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => tracing::warn!("stopping: {e:#}"),
        _ => tracing::warn!("the relay did not stop in time"),
    }
    anyhow::ensure!(code == 0, "the desktop app exited with code {code}");
    Ok(())
}

/// The tray process's app: no webview ever (see [`window`]).
fn build_app() -> anyhow::Result<tauri::App> {
    let mut builder = tauri::Builder::default();
    // A second start just brings the first one's window forward. The check runs
    // over the D-Bus session bus; without one, two instances would fight over the
    // data directory's lock and the second fails cleanly anyway.
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some() {
        builder = builder.plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if app.try_state::<Core>().is_none() {
                return; // still starting
            }
            if let Err(e) = window::open(app) {
                tracing::warn!("cannot open the window: {e:#}");
            }
        }));
    }
    build(builder)
}

/// An app with nothing but the configuration (the window process's).
fn build_bare_app() -> anyhow::Result<tauri::App> {
    build(tauri::Builder::default())
}

fn build(builder: tauri::Builder<tauri::Wry>) -> anyhow::Result<tauri::App> {
    let context = tauri::generate_context!("../tauri.conf.json");
    // tao panics instead of returning an error when GTK cannot initialise (e.g. a
    // DISPLAY that names no reachable server): report that as an error. Nothing
    // built is used after a panic, so asserting unwind safety is sound.
    let built = panic::catch_unwind(AssertUnwindSafe(|| builder.build(context)));
    match built {
        Ok(result) => result.context("could not start the desktop app"),
        Err(_) => anyhow::bail!(
            "could not start the desktop app: the windowing system failed to initialise"
        ),
    }
}

/// Fails early, without tao's panic, when there is plainly no display.
fn ensure_display() -> anyhow::Result<()> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    anyhow::ensure!(
        set("DISPLAY") || set("WAYLAND_DISPLAY"),
        "no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set); run `saytype serve` for the headless relay"
    );
    Ok(())
}

/// SIGINT/SIGTERM: quit like the menu's Quit does.
async fn quit_on_signal(handle: tauri::AppHandle, shutdown: CancellationToken) {
    if crate::shutdown::cancel_on_signal(shutdown).await {
        handle.exit(0);
    }
}
