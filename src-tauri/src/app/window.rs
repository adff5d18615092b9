//! The window lives in a process of its own (`saytype-window`, see [`program`]),
//! started when the user opens it and gone when they close it. A webview in the tray
//! process would leave WebKit's network process and its libraries' memory behind
//! for good (measured: the tray idled at ~90 MB before the first window and ~240 MB
//! after closing it); a child process gives all of it back when the window closes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::Core;
use crate::sync::lock;
use crate::window_app::{ASKED_VAR, ENV, TITLE_VAR, URL_VAR};

/// The window's program, installed next to this one.
const PROGRAM: &str = "saytype-window";

pub(crate) type WindowProcess = Arc<std::sync::Mutex<Option<Child>>>;

/// Show the window: start its process, or bring the running one forward.
pub(crate) fn open(core: &Arc<Core>) -> anyhow::Result<()> {
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
    let title = if core.tray_shown() {
        "SayType"
    } else {
        "SayType (no system tray: closing this window quits)"
    };
    let mut command = Command::new(program()?);
    command
        .env(URL_VAR, core.window_url())
        .env(TITLE_VAR, title)
        .env(ASKED_VAR, crate::window_app::now_ms().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    // WebKit draws without OpenGL here (see `window_app::webkit`), and GTK's probe
    // of OpenGL would only map Mesa's driver and libLLVM (~50 MB) into the window
    // process for nothing. A value the user set wins.
    for (name, value) in ENV {
        if std::env::var_os(name).is_none() {
            command.env(name, value);
        }
    }
    let child = command
        .spawn()
        .with_context(|| format!("cannot start the window ({PROGRAM})"))?;
    *slot = Some(child);
    watch(core.clone());
    Ok(())
}

/// `saytype-window`: the first of [`candidates`] that exists.
fn program() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the saytype program")?;
    let candidates = candidates(&exe);
    if let Some(found) = candidates.iter().find(|path| path.is_file()) {
        return Ok(found.clone());
    }
    let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    anyhow::bail!(
        "the window's program is missing: {} (reinstall SayType, or `cargo build` builds it)",
        tried.join(" or ")
    )
}

/// Where `saytype-window` may be, for the program at `exe`: next to it (a build
/// tree), or where the package puts a program that is not meant to be run by hand
/// (`/usr/libexec/saytype/` for `/usr/bin/saytype`).
fn candidates(exe: &Path) -> Vec<PathBuf> {
    let mut found = vec![exe.with_file_name(PROGRAM)];
    if let Some(prefix) = exe.parent().and_then(Path::parent) {
        found.push(prefix.join("libexec/saytype").join(PROGRAM));
    }
    found
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

/// Reap the window process when it ends (no zombie left behind) and, with no tray
/// shown at that moment, quit with it: the window was the only way in.
fn watch(core: Arc<Core>) {
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(250));
        let mut slot = lock(&core.window);
        let ended = match slot.as_mut() {
            Some(child) => !matches!(child.try_wait(), Ok(None)),
            None => true,
        };
        if ended {
            *slot = None;
            drop(slot);
            if !core.tray_shown() {
                core.shutdown.cancel();
            }
            return;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_program_is_looked_for_beside_and_in_libexec() {
        assert_eq!(
            candidates(Path::new("/usr/bin/saytype")),
            [
                PathBuf::from("/usr/bin/saytype-window"),
                PathBuf::from("/usr/libexec/saytype/saytype-window")
            ]
        );
        assert_eq!(
            candidates(Path::new("/work/target/debug/saytype"))[0],
            PathBuf::from("/work/target/debug/saytype-window")
        );
    }
}
