//! The window lives in a child process (`saytype window`), started when the user
//! opens it and gone when they close it. A webview in the tray process would leave
//! WebKit's network process and its libraries' memory behind for good (measured:
//! the tray idles at ~90 MB before the first window and ~240 MB after closing it);
//! a child process gives all of it back when the window closes.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tauri::{AppHandle, Manager};

use super::Core;
use crate::sync::lock;

/// The child's environment variable that carries the window's address (with the
/// token): an argument would be readable by every local user in `/proc`.
pub(crate) const URL_VAR: &str = "SAYTYPE_WINDOW_URL";
pub(crate) const TITLE_VAR: &str = "SAYTYPE_WINDOW_TITLE";

pub(crate) type WindowProcess = Arc<std::sync::Mutex<Option<Child>>>;

/// Show the window: start its process, or bring the running one forward.
pub(crate) fn open(app: &AppHandle) -> anyhow::Result<()> {
    let core = app.state::<Core>();
    let mut slot = lock(&core.window);
    if let Some(child) = slot.as_mut() {
        if matches!(child.try_wait(), Ok(None)) {
            // SIGUSR1 asks the window process to present its window.
            let _ = Command::new("kill")
                .args(["-USR1", &child.id().to_string()])
                .status();
            return Ok(());
        }
    }
    let title = if *lock(&core.tray) {
        "SayType"
    } else {
        "SayType (no system tray: closing this window quits)"
    };
    let exe = std::env::current_exe().context("cannot find the saytype program")?;
    let mut command = Command::new(exe);
    command
        .arg("window")
        .env(URL_VAR, core.window_url())
        .env(TITLE_VAR, title)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    // The window inherits `GDK_GL=disable` from the tray process: WebKit draws
    // without OpenGL here (see `webkit`), so GTK's probe would only map Mesa and
    // libLLVM (~50 MB) into the window process for nothing.
    for (name, value) in super::webkit::ENV {
        if std::env::var_os(name).is_none() {
            command.env(name, value);
        }
    }
    command.env(
        super::webkit::ASKED_VAR,
        super::webkit::now_ms().to_string(),
    );
    let child = command.spawn().context("cannot start the window process")?;
    *slot = Some(child);
    watch(app.clone(), core.window.clone(), !*lock(&core.tray));
    Ok(())
}

/// Close the window (quitting the app).
pub(crate) fn close(process: &WindowProcess) {
    if let Some(mut child) = lock(process).take() {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        for _ in 0..40 {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Reap the window process when it ends (no zombie left behind) and, without a
/// tray, quit with it: the window was the only way in.
fn watch(app: AppHandle, process: WindowProcess, quit_with_it: bool) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(250));
        let mut slot = lock(&process);
        let ended = match slot.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        };
        if ended {
            *slot = None;
            drop(slot);
            if quit_with_it {
                app.exit(0);
            }
            return;
        }
    });
}

/// `saytype window`: one webview showing the relay's `/ui` page, until closed.
pub fn run_window() -> anyhow::Result<()> {
    use tauri::{WebviewUrl, WebviewWindowBuilder};
    super::ensure_display()?;
    let url = std::env::var(URL_VAR).context("saytype window is started by the tray app")?;
    let title = std::env::var(TITLE_VAR).unwrap_or_else(|_| "SayType".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    tauri::async_runtime::set(runtime.handle().clone());
    let app = super::build_bare_app()?;
    let window = WebviewWindowBuilder::new(&app, "main", WebviewUrl::External(url.parse()?))
        .title(&title)
        .inner_size(900.0, 640.0)
        .min_inner_size(360.0, 480.0)
        .center()
        .build()
        .context("could not create the SayType window")?;
    let tuned = window.with_webview(|webview| {
        let view = webview.inner();
        super::webkit::tune(&view);
        super::webkit::log_first_paint(&view);
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
