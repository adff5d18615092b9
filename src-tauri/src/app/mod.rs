//! The desktop shell: a Tauri window over the core (feature `gui`).
//!
//! This module is deliberately thin. Everything SayType actually does — the
//! relay, delivery, injection — lives in the core modules, which build and are
//! tested without GTK/WebKit (`--no-default-features`). The shell only owns
//! what needs a display: the event loop and the window, and later the tray
//! and the commands that forward to the core. Keeping logic out of here keeps
//! it testable headless and keeps the GUI replaceable.
//!
//! The configuration is the top-level `tauri.conf.json` (see `build.rs`). It
//! declares no windows: the window is created in code, so that later it can be
//! created on demand from the tray and destroyed on close, leaving the app
//! without WebKit processes most of the time.

use std::panic::{self, AssertUnwindSafe};

use anyhow::Context as _;
use tauri::{Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// Label of the one desktop window.
pub const MAIN_WINDOW: &str = "main";

/// Builds the Tauri app, opens the main window and runs the event loop until
/// the app exits.
///
/// For now closing the window quits the app; the tray (a later issue) will
/// keep it alive by calling `prevent_exit()` on `RunEvent::ExitRequested`.
///
/// # Errors
///
/// Fails if the app or its window cannot be created (for example with no
/// display), or if the app exits with a non-zero code.
pub fn run() -> anyhow::Result<()> {
    let app = build_app()?;

    // Created here rather than in a `setup` hook: Tauri panics when a setup
    // hook fails, whereas this error is returned to the caller.
    show_main_window(&app)?;

    let code = app.run_return(|_handle, _event| {});
    anyhow::ensure!(code == 0, "the desktop app exited with code {code}");
    Ok(())
}

/// Builds the Tauri app from the top-level `tauri.conf.json`.
fn build_app() -> anyhow::Result<tauri::App> {
    ensure_display()?;
    let context = tauri::generate_context!("../tauri.conf.json");
    // tao panics instead of returning an error when GTK cannot initialise
    // (e.g. DISPLAY names no reachable X server). For us that is an error to
    // report, not a bug: contain it. Nothing built is used after a panic, so
    // asserting unwind safety is sound. (The panic hook still prints it.)
    let built = panic::catch_unwind(AssertUnwindSafe(|| {
        tauri::Builder::default().build(context)
    }));
    match built {
        Ok(result) => result.context("could not start the desktop app"),
        Err(_) => anyhow::bail!(
            "could not start the desktop app: the windowing system failed to initialise"
        ),
    }
}

/// Fails early, without tao's panic, when there is plainly no display.
fn ensure_display() -> anyhow::Result<()> {
    // Only GTK platforms need a display server named in the environment.
    let gtk = cfg!(all(
        unix,
        not(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "android"
        ))
    ));
    if gtk {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
        anyhow::ensure!(
            set("DISPLAY") || set("WAYLAND_DISPLAY") || set("GDK_BACKEND"),
            "no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)"
        );
    }
    Ok(())
}

/// Shows and focuses the main window, creating it if it does not exist.
///
/// # Errors
///
/// Fails if the window cannot be created or shown.
pub fn show_main_window<R: Runtime, M: Manager<R>>(
    manager: &M,
) -> anyhow::Result<WebviewWindow<R>> {
    if let Some(window) = manager.get_webview_window(MAIN_WINDOW) {
        window
            .unminimize()
            .context("could not restore the window")?;
        window.show().context("could not show the window")?;
        window.set_focus().context("could not focus the window")?;
        return Ok(window);
    }
    WebviewWindowBuilder::new(manager, MAIN_WINDOW, WebviewUrl::App("index.html".into()))
        .title("SayType")
        .inner_size(900.0, 640.0)
        .min_inner_size(480.0, 360.0)
        .center()
        .build()
        .context("could not create the SayType window")
}
