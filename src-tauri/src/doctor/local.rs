//! The checks about this desktop: session, injection route, clipboard, tray host,
//! autostart, data directory.

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{fail, pass};
use crate::agent::inject::{DesktopInjector, InjectMode, InjectSettings, Injector, Readiness};
use crate::protocol::doctor::DoctorCheck;

/// The checks that talk to the display (blocking).
pub(super) fn blocking_checks() -> Vec<DoctorCheck> {
    vec![session(), route(), clipboard()]
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The display session: X11, or Wayland and which compositor, with Xwayland or not.
fn session() -> DoctorCheck {
    let wayland = var("WAYLAND_DISPLAY");
    let display = var("DISPLAY");
    let desktop = var("XDG_CURRENT_DESKTOP")
        .or_else(|| var("SWAYSOCK").map(|_| "sway".into()))
        .or_else(|| var("XDG_SESSION_DESKTOP"));
    let on = desktop.map(|d| format!(" ({d})")).unwrap_or_default();
    match (wayland, display) {
        (Some(w), Some(d)) => pass(
            "session",
            format!("Wayland{on} on {w}, with Xwayland on {d}"),
        ),
        (Some(w), None) => pass("session", format!("Wayland{on} on {w}, without Xwayland")),
        (None, Some(d)) => pass("session", format!("X11{on} on {d}")),
        (None, None) => fail(
            "session",
            "no graphical session: neither WAYLAND_DISPLAY nor DISPLAY is set",
            Some(
                "run SayType inside your desktop session (from its menu, or a terminal in it); \
                 from SSH, set DISPLAY or WAYLAND_DISPLAY to the session's"
                    .into(),
            ),
        ),
    }
}

/// The route the agent would use, connected for real (keymap read, Wayland globals
/// listed), typing nothing.
fn route() -> DoctorCheck {
    let settings = Arc::new(Mutex::new(InjectSettings {
        mode: InjectMode::Auto,
        newline: Default::default(),
    }));
    match DesktopInjector::new(settings).readiness() {
        Readiness::Ready(line) => pass("route", line),
        Readiness::Starting | Readiness::Recording => pass("route", "not checked"),
        Readiness::NeedsGrant(what) => fail("route", what, None),
        Readiness::Unavailable(why) => fail(
            "route",
            format!("SayType cannot type here: {why}"),
            Some(
                "see the README's \"Where it works\" table for the sessions SayType types in; \
                 meanwhile `--inject none` records messages without typing"
                    .into(),
            ),
        ),
    }
}

/// The clipboard, read, then written and read back on a selection nobody pastes
/// from (X11's SECONDARY; PRIMARY on Wayland), so the user's clipboard is left as it
/// was: written back, it would be lost when this short-lived process exits.
fn clipboard() -> DoctorCheck {
    let fix = || {
        Some(
            "pasting needs the desktop's clipboard: on Wayland a compositor with the \
             data-control protocol (sway, KDE) or Xwayland"
                .to_owned(),
        )
    };
    if var("WAYLAND_DISPLAY").is_none() && var("DISPLAY").is_none() {
        return fail(
            "clipboard",
            "no display, so no clipboard to paste through",
            fix(),
        );
    }
    let mut clipboard = match arboard::Clipboard::new() {
        Ok(c) => c,
        Err(e) => return fail("clipboard", format!("no clipboard: {e}"), fix()),
    };
    let held = match clipboard.get_text() {
        Ok(text) => format!("holds {} characters", text.chars().count()),
        Err(arboard::Error::ContentNotAvailable) => "is empty or holds no text".into(),
        Err(e) => {
            return fail(
                "clipboard",
                format!("cannot read the clipboard: {e}"),
                fix(),
            )
        }
    };
    match probe_selection(&mut clipboard) {
        Ok(()) => pass(
            "clipboard",
            format!("read and written (the clipboard {held}; left as it was)"),
        ),
        Err(e) => fail(
            "clipboard",
            format!("the clipboard {held}, but writing failed: {e}"),
            fix(),
        ),
    }
}

#[cfg(target_os = "linux")]
fn probe_selection(clipboard: &mut arboard::Clipboard) -> Result<(), arboard::Error> {
    use arboard::{GetExtLinux, LinuxClipboardKind, SetExtLinux};
    let kind = if var("WAYLAND_DISPLAY").is_some() && var("DISPLAY").is_none() {
        LinuxClipboardKind::Primary
    } else {
        LinuxClipboardKind::Secondary
    };
    let before = clipboard.get().clipboard(kind).text().ok();
    let probe = format!("saytype doctor {}", std::process::id());
    clipboard.set().clipboard(kind).text(probe.clone())?;
    let read = clipboard.get().clipboard(kind).text()?;
    if let Some(before) = before {
        let _ = clipboard.set().clipboard(kind).text(before);
    }
    if read == probe {
        Ok(())
    } else {
        Err(arboard::Error::Unknown {
            description: "what was written did not read back".into(),
        })
    }
}

#[cfg(not(target_os = "linux"))]
fn probe_selection(_clipboard: &mut arboard::Clipboard) -> Result<(), arboard::Error> {
    Ok(())
}

/// A StatusNotifier watcher on the session bus hosts tray icons (KDE, most panels;
/// GNOME needs the AppIndicator extension).
pub(super) async fn tray() -> DoctorCheck {
    const WATCHER: &str = "org.kde.StatusNotifierWatcher";
    let owner = async {
        let bus = zbus::Connection::session().await?;
        let dbus = zbus::fdo::DBusProxy::new(&bus).await?;
        let name = zbus::names::BusName::try_from(WATCHER)?;
        Ok::<bool, zbus::Error>(dbus.name_has_owner(name).await?)
    };
    match owner.await {
        Ok(true) => pass(
            "tray",
            "a tray host is running (StatusNotifierWatcher on the session bus)",
        ),
        Ok(false) => fail(
            "tray",
            "no tray host: nothing owns org.kde.StatusNotifierWatcher on the session bus, so \
             the tray icon will not show",
            Some(
                "on GNOME, install and enable the AppIndicator extension \
                 (gnome-shell-extension-appindicator); elsewhere, add a tray or status area \
                 to the panel; without one SayType keeps its window open instead, and closing it quits"
                    .into(),
            ),
        ),
        Err(e) => fail(
            "tray",
            format!("no session bus to look for a tray host on: {e}"),
            Some("run SayType inside your desktop session, which has a D-Bus session bus".into()),
        ),
    }
}

/// Start at login: a preference, so either way passes, unless the entry points at a
/// program that is gone.
pub(super) fn autostart() -> DoctorCheck {
    let Some(path) = crate::settings::autostart_entry() else {
        return pass("autostart", "off (no configuration directory)");
    };
    let Ok(entry) = std::fs::read_to_string(&path) else {
        return pass("autostart", "off: turn on \"Start at login\" in the window's settings to have SayType at every login");
    };
    let exec = entry
        .lines()
        .find_map(|l| l.strip_prefix("Exec="))
        .map(|e| e.trim_start_matches('"'))
        .and_then(|e| e.split('"').next())
        .unwrap_or("");
    if Path::new(exec).is_file() {
        pass("autostart", format!("on ({})", path.display()))
    } else {
        fail(
            "autostart",
            format!(
                "{} starts {exec:?}, which does not exist (moved or uninstalled)",
                path.display()
            ),
            Some("turn \"Start at login\" off and on again in the window's settings".into()),
        )
    }
}

/// The data directory: private to the user.
pub(super) fn data_dir(dir: &Path) -> DoctorCheck {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(_) => {
            return pass(
                "data_dir",
                format!(
                    "{} does not exist yet (made private on first start)",
                    dir.display()
                ),
            )
        }
    };
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let mode = meta.permissions().mode() & 0o777;
        let uid = rustix::process::getuid().as_raw();
        if meta.uid() != uid {
            return fail(
                "data_dir",
                format!(
                    "{} belongs to another user (uid {})",
                    dir.display(),
                    meta.uid()
                ),
                Some(format!(
                    "use a directory of your own (--data-dir), or sudo chown $USER {}",
                    dir.display()
                )),
            );
        }
        if mode & 0o022 != 0 {
            return fail(
                "data_dir",
                format!(
                    "{} can be written by others (mode {mode:03o}): SayType refuses it",
                    dir.display()
                ),
                Some(format!("chmod 700 {}", dir.display())),
            );
        }
        pass(
            "data_dir",
            format!("{} (mode {mode:03o}, yours)", dir.display()),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = meta;
        pass("data_dir", dir.display().to_string())
    }
}
