//! The user's settings (injection mode, newline key, port, start at login),
//! persisted as JSON in the data directory. Command-line flags win over them;
//! built-in defaults fill the rest.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::agent::flow::{CommandTable, FlowSettings};
use crate::agent::inject::{InjectMode, NewlineKey};
use crate::config::ConfigError;

const FILE: &str = "settings.json";

/// Why new settings were not applied.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("the port must be between 1024 and 65535 (got {0})")]
    Port(u16),
    #[error("keep the history for 1 to 3650 days (got {0})")]
    HistoryDays(u32),
    #[error("keep 10 to 1000000 messages in the history (got {0})")]
    HistoryMessages(u32),
    #[error("hold messages after 0 (never) to 86400 seconds (got {0})")]
    HoldAfter(u32),
    #[error("there are no voice commands for the language {0:?} (there are: {1})")]
    Language(String, String),
    #[error("cannot change start at login: {0}")]
    Autostart(AutostartError),
    #[error("cannot save the settings: {0}")]
    Save(ConfigError),
}

/// Why the autostart entry could not be written or removed.
#[derive(Debug, thiserror::Error)]
pub enum AutostartError {
    #[error("no configuration directory to put the autostart entry in")]
    NoConfigDir,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub inject_mode: InjectMode,
    pub newline: NewlineKey,
    /// The relay's port, used at the next start.
    pub port: u16,
    pub start_at_login: bool,
    /// Delivered history older than this many days is deleted (next start).
    pub history_days: u32,
    /// At most this many delivered messages are kept in the history (next start).
    pub history_max_messages: u32,
    /// A message that waited longer than this for the desktop is held, not typed
    /// (0: never held; next start).
    pub hold_after_seconds: u32,
    /// A message into the same window as the previous one, soon after it, gets a
    /// joining space (see [`crate::agent::flow`]).
    pub join_messages: bool,
    /// Voice commands ("new line", "press enter", "scratch that", ...).
    pub voice_commands: bool,
    /// The language of the voice commands (a table in `agent/flow/commands/`).
    pub voice_command_language: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            inject_mode: InjectMode::Auto,
            newline: NewlineKey::ShiftReturn,
            port: crate::config::DEFAULT_PORT,
            start_at_login: false,
            history_days: 30,
            history_max_messages: 10_000,
            hold_after_seconds: 60,
            join_messages: true,
            voice_commands: false,
            voice_command_language: "en".into(),
        }
    }
}

impl Settings {
    /// The stored settings; defaults where the file is missing or unreadable.
    pub fn load(data_dir: &Path) -> Settings {
        let path = data_dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| {
                tracing::warn!("ignoring {}: {e}", path.display());
                Settings::default()
            }),
            Err(_) => Settings::default(),
        }
    }

    /// The hold limit for the relay (`None`: 0, never hold).
    pub fn hold_after(&self) -> Option<std::time::Duration> {
        (self.hold_after_seconds > 0)
            .then(|| std::time::Duration::from_secs(self.hold_after_seconds.into()))
    }

    /// The dictation flow's settings (the time limit: the built-in one).
    pub fn flow(&self) -> FlowSettings {
        FlowSettings {
            join: self.join_messages,
            commands: FlowSettings::commands_of(self.voice_commands, &self.voice_command_language),
            ..FlowSettings::default()
        }
    }

    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.port < 1024 {
            return Err(SettingsError::Port(self.port));
        }
        // Bounds a user can mean: a day of history at least (0 would empty it at
        // the next start), and no hold limit beyond a day.
        if !(1..=3650).contains(&self.history_days) {
            return Err(SettingsError::HistoryDays(self.history_days));
        }
        if !(10..=1_000_000).contains(&self.history_max_messages) {
            return Err(SettingsError::HistoryMessages(self.history_max_messages));
        }
        if self.hold_after_seconds > 86_400 {
            return Err(SettingsError::HoldAfter(self.hold_after_seconds));
        }
        if CommandTable::for_language(&self.voice_command_language).is_none() {
            return Err(SettingsError::Language(
                self.voice_command_language.clone(),
                CommandTable::languages().collect::<Vec<_>>().join(", "),
            ));
        }
        Ok(())
    }

    pub fn save(&self, data_dir: &Path) -> Result<(), ConfigError> {
        crate::config::ensure_data_dir(data_dir)?;
        crate::config::write_private_json(&data_dir.join(FILE), self, true)
    }
}

/// Start SayType at login, the freedesktop way: an autostart entry in
/// `$XDG_CONFIG_HOME/autostart` (works on GNOME, KDE, Xfce, ... without a plugin).
pub fn set_start_at_login(enabled: bool) -> Result<(), AutostartError> {
    let Some(path) = autostart_entry() else {
        return Err(AutostartError::NoConfigDir);
    };
    if !enabled {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => return Ok(()),
        }
    }
    let exe = std::env::current_exe()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let entry = format!(
        "[Desktop Entry]\nType=Application\nName=SayType\n\
         Comment=Say it on your phone, it is typed on your desktop\n\
         Exec=\"{}\" --hidden\nIcon=saytype\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        exe.display()
    );
    std::fs::write(&path, entry)?;
    Ok(())
}

pub(crate) fn autostart_entry() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| directories::BaseDirs::new().map(|b| b.config_dir().to_path_buf()))?;
    Some(config.join("autostart").join("saytype.desktop"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_defaults_and_validation() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(Settings::load(dir.path()), Settings::default());
        let s = Settings {
            inject_mode: InjectMode::Paste,
            newline: NewlineKey::Return,
            port: 8080,
            start_at_login: true,
            history_days: 7,
            history_max_messages: 500,
            hold_after_seconds: 0,
            join_messages: false,
            voice_commands: true,
            voice_command_language: "en".into(),
        };
        s.save(dir.path()).expect("save");
        assert!(!s.flow().join);
        assert!(s.flow().commands.is_some());
        assert!(Settings::default().flow().join, "joining is on by default");
        assert!(
            Settings::default().flow().commands.is_none(),
            "voice commands are off by default"
        );
        assert!(Settings {
            voice_command_language: "xx".into(),
            ..Settings::default()
        }
        .validate()
        .is_err());
        for bad in [
            Settings {
                history_days: 0,
                ..Settings::default()
            },
            Settings {
                history_max_messages: 9,
                ..Settings::default()
            },
            Settings {
                hold_after_seconds: 86_401,
                ..Settings::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(s.validate().is_ok());
        assert_eq!(Settings::load(dir.path()), s);
        let json = std::fs::read_to_string(dir.path().join(FILE)).expect("file");
        assert!(json.contains("\"injectMode\": \"paste\""), "{json}");
        assert!(json.contains("\"newline\": \"return\""), "{json}");
        // Partial files fill in defaults; broken ones fall back.
        std::fs::write(dir.path().join(FILE), r#"{"port": 9000}"#).expect("write");
        assert_eq!(Settings::load(dir.path()).port, 9000);
        assert_eq!(Settings::load(dir.path()).inject_mode, InjectMode::Auto);
        assert_eq!(Settings::load(dir.path()).history_days, 30);
        assert_eq!(
            Settings::load(dir.path()).hold_after(),
            Some(std::time::Duration::from_secs(60))
        );
        assert_eq!(s.hold_after(), None, "0 never holds");
        std::fs::write(dir.path().join(FILE), r#"{"historyMaxMessages": 50}"#).expect("write");
        assert_eq!(Settings::load(dir.path()).history_max_messages, 50);
        std::fs::write(dir.path().join(FILE), "{oops").expect("write");
        assert_eq!(Settings::load(dir.path()), Settings::default());
        assert!(Settings {
            port: 80,
            ..Settings::default()
        }
        .validate()
        .is_err());
    }
}
