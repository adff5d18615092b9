//! `saytype doctor --json` and the window's Diagnostics section: one shape for both.

use serde::{Deserialize, Serialize};

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorCheck {
    /// Stable name for scripts and tests: `session`, `route`, `clipboard`, `relay`,
    /// `addresses`, `mdns`, `firewall`, `tray`, `autostart`, `data_dir`.
    pub id: String,
    pub ok: bool,
    /// What was checked, and what was found ("typing through X11 (:99)").
    pub summary: String,
    /// What to do about it, when `ok` is false (and sometimes advice when it is true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoctorReport {
    /// Every check passed.
    pub ok: bool,
    pub checks: Vec<DoctorCheck>,
}
