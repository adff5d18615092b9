//! KWin offers `org_kde_kwin_fake_input` (typing) and
//! `org_kde_plasma_window_management` (which window has the focus) only to a program
//! whose `.desktop` file (found through `XDG_DATA_HOME` and `XDG_DATA_DIRS`) has an
//! absolute `Exec=` naming the program's executable and lists them in
//! `X-KDE-Wayland-Interfaces`.
//! SayType writes that entry itself, in the user's applications folder, for the
//! binary that runs; idempotent, and hidden from menus (`NoDisplay`).

use std::path::{Path, PathBuf};

/// The entry's file name: apart from any `saytype.desktop` a package installs, so
/// it never hides that one.
pub const FILE_NAME: &str = "saytype-kwin-fake-input.desktop";

/// The entry for the executable `exe`.
pub fn entry(exe: &Path) -> String {
    // Exec= quoting (Desktop Entry spec): inside double quotes, `"`, `` ` ``, `$`
    // and `\` are escaped with a backslash.
    let mut quoted = String::from("\"");
    for c in exe.to_string_lossy().chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    format!(
        "[Desktop Entry]\nType=Application\nName=SayType\n\
         Comment=Lets SayType type on KDE Plasma (KWin fake input)\n\
         Exec={quoted}\nNoDisplay=true\n\
         X-KDE-Wayland-Interfaces=org_kde_kwin_fake_input,org_kde_plasma_window_management\n"
    )
}

/// What [`install`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// Written now.
    Written(PathBuf),
    /// Already there, as it should be.
    Present(PathBuf),
}

impl Installed {
    pub fn path(&self) -> &Path {
        match self {
            Installed::Written(p) | Installed::Present(p) => p,
        }
    }
}

/// Write the entry for the running binary into `applications` (the user's
/// `~/.local/share/applications`), unless it is there already as it should be (an
/// older SayType's entry, granting fake-input alone, is rewritten).
pub fn install(applications: &Path, exe: &Path) -> std::io::Result<Installed> {
    let path = applications.join(FILE_NAME);
    let wanted = entry(exe);
    if std::fs::read_to_string(&path).is_ok_and(|have| have == wanted) {
        return Ok(Installed::Present(path));
    }
    std::fs::create_dir_all(applications)?;
    // Written whole, then renamed: KWin never reads half an entry.
    let tmp = applications.join(format!(".{FILE_NAME}.tmp"));
    std::fs::write(&tmp, wanted)?;
    std::fs::rename(&tmp, &path)?;
    Ok(Installed::Written(path))
}

/// The user's applications folder (`$XDG_DATA_HOME/applications`, by default
/// `~/.local/share/applications`).
pub fn applications_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_dir().join("applications"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_names_the_binary_and_is_written_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let apps = dir.path().join("applications");
        let exe = Path::new("/opt/Say Type/bin/saytype");
        let text = entry(exe);
        assert!(text.contains("Exec=\"/opt/Say Type/bin/saytype\"\n"));
        assert!(text.contains(
            "X-KDE-Wayland-Interfaces=org_kde_kwin_fake_input,org_kde_plasma_window_management\n"
        ));
        assert_eq!(
            entry(Path::new("/a$b")).lines().nth(4),
            Some("Exec=\"/a\\$b\"")
        );
        let first = install(&apps, exe).expect("install");
        assert!(matches!(first, Installed::Written(_)));
        assert_eq!(
            install(&apps, exe).expect("again"),
            Installed::Present(apps.join(FILE_NAME))
        );
        let moved = install(&apps, Path::new("/usr/bin/saytype")).expect("moved");
        assert!(
            matches!(moved, Installed::Written(_)),
            "a new binary: rewritten"
        );
        assert_eq!(std::fs::read_dir(&apps).expect("dir").count(), 1);
    }
}
