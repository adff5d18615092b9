//! `saytype-window` (feature `gui`): the tray app's window, a Tauri webview showing
//! the relay's `/ui` page, until the user closes it. The tray process ([`crate::app`])
//! starts it with the page's address in [`URL_VAR`] and presents it again with
//! SIGUSR1; SIGTERM closes it. Only this program maps WebKit (see `app`'s figures).

mod webkit;

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use tauri::{Manager, WebviewUrl, WebviewWindowBuilder};

/// The window's address (with the token): in the environment, since an argument
/// would be readable by every local user in `/proc`.
pub(crate) const URL_VAR: &str = "SAYTYPE_WINDOW_URL";
pub(crate) const TITLE_VAR: &str = "SAYTYPE_WINDOW_TITLE";

/// When the tray asked for the window (milliseconds since the epoch), so that the
/// window can tell how long its first paint took.
pub(crate) const ASKED_VAR: &str = "SAYTYPE_WINDOW_ASKED_MS";

/// The window process's environment, read by GTK and WebKit as they start; the
/// tray sets each unless the user did:
/// - `GDK_GL=disable`: nothing here draws with OpenGL (see `webkit`), and GTK's
///   probe of it would only map Mesa's driver and libLLVM (~50 MB);
/// - `WEBKIT_DISABLE_COMPOSITING_MODE=1`: the page is drawn in software into a
///   plain surface (see `webkit`).
pub(crate) const ENV: [(&str, &str); 2] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_DISABLE_COMPOSITING_MODE", "1"),
];

pub(crate) fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
}

/// The program's `main`.
pub fn main() -> ExitCode {
    crate::cli::init_logging();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("saytype-window: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    ensure_display()?;
    let url = std::env::var(URL_VAR)
        .context("saytype-window is started by the SayType tray app (run `saytype`)")?;
    let title = std::env::var(TITLE_VAR).unwrap_or_else(|_| "SayType".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    tauri::async_runtime::set(runtime.handle().clone());
    let app = build_app()?;
    let window = WebviewWindowBuilder::new(&app, "main", WebviewUrl::External(url.parse()?))
        .title(&title)
        .inner_size(900.0, 640.0)
        .min_inner_size(360.0, 480.0)
        .center()
        .build()
        .context("could not create the SayType window")?;
    let tuned = window.with_webview(|webview| {
        let view = webview.inner();
        webkit::tune(&view);
        webkit::log_first_paint(&view);
    });
    if let Err(e) = tuned {
        tracing::warn!("cannot tune the window's WebKit: {e}");
    }
    let handle = app.handle().clone();
    runtime.spawn(async move {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut present), Ok(mut term)) = (
            signal(SignalKind::user_defined1()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        loop {
            tokio::select! {
                _ = present.recv() => {
                    if let Some(w) = handle.get_webview_window("main") {
                        let _ = w.unminimize();
                        let _ = w.show();
                        let _ = w.set_focus();
                    }
                }
                _ = term.recv() => {
                    handle.exit(0);
                    return;
                }
            }
        }
    });
    app.run(|_, _| {});
    Ok(())
}

fn build_app() -> anyhow::Result<tauri::App> {
    let context = tauri::generate_context!("../tauri.conf.json");
    // tao panics instead of returning an error when GTK cannot initialise (e.g. a
    // DISPLAY that names no reachable server): report that as an error. Nothing
    // built is used after a panic, so asserting unwind safety is sound.
    let built = panic::catch_unwind(AssertUnwindSafe(|| {
        tauri::Builder::default().build(context)
    }));
    match built {
        Ok(result) => result.context("could not start the window"),
        Err(_) => {
            anyhow::bail!("could not start the window: the windowing system failed to initialise")
        }
    }
}

/// Fails early when there is plainly no display: the window needs one, and so does
/// the tray app's typing (it checks with this too).
pub(crate) fn ensure_display() -> anyhow::Result<()> {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    anyhow::ensure!(
        set("DISPLAY") || set("WAYLAND_DISPLAY"),
        "no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set); run `saytype serve` for the headless relay"
    );
    Ok(())
}
