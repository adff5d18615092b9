//! Dictating several messages in a row: the joining space between two messages
//! into the same window, and voice commands ("new line", "press enter", "scratch
//! that", ...), both around the desktop injector, which they leave unchanged.
//!
//! - [`commands`]: the tables (one data file per language) and the parser;
//! - [`spacing`]: whether two texts want a space between them;
//! - [`memory`]: what went into which window, while the focus stayed there;
//! - [`erase`]: how many BackSpaces remove what went in, or why none can be told;
//! - [`injector`]: [`FlowInjector`], which wraps the desktop injector.
//!
//! The settings reach the agent as [`SharedFlowSettings`]: the agent inside
//! `saytype serve` and the tray app gets them from settings.json and every change
//! made in the window; a separate `saytype agent` from its flags
//! (`--no-join`, `--voice-commands LANG`).

pub mod commands;
pub mod erase;
pub mod injector;
pub mod memory;
pub mod spacing;

use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use commands::CommandTable;
pub use injector::FlowInjector;

/// How long after a message the next one into the same window still gets a
/// joining space. Dictating a text sentence by sentence leaves a few seconds to
/// half a minute between messages (speaking, reading it back); a longer pause
/// more likely means the user did something else in between (clicked, typed,
/// which SayType cannot see), where a space could land in the wrong place. The
/// same minute after which a waiting message is held instead of typed.
pub const JOIN_WITHIN: Duration = Duration::from_secs(60);

/// The flow's settings; read for every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowSettings {
    /// Join messages into the same window with a space.
    pub join: bool,
    /// See [`JOIN_WITHIN`].
    pub join_within: Duration,
    /// The voice commands of this language; `None`: off, text typed as said.
    pub commands: Option<&'static CommandTable>,
}

impl Default for FlowSettings {
    fn default() -> FlowSettings {
        FlowSettings {
            join: true,
            join_within: JOIN_WITHIN,
            commands: None,
        }
    }
}

impl FlowSettings {
    /// The voice commands of `language` when `on`, if there is such a table.
    pub fn commands_of(on: bool, language: &str) -> Option<&'static CommandTable> {
        if !on {
            return None;
        }
        let table = CommandTable::for_language(language);
        if table.is_none() {
            tracing::warn!(
                "no voice commands for the language {language:?} (there are: {}); typing text as said",
                CommandTable::languages().collect::<Vec<_>>().join(", ")
            );
        }
        table
    }
}

pub type SharedFlowSettings = Arc<Mutex<FlowSettings>>;
