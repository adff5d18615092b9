//! Putting text into the focused window: the [`Injector`] trait the agent defines,
//! and the backends behind it.
//!
//! - [`rule`]: the `auto` rule, keys or clipboard per message;
//! - [`route`]: picks the backend for this session and the settings of the moment;
//! - [`x11`] (Linux): typing with our own keymap planner + XTest raw keys, pasting
//!   with arboard + the paste shortcut;
//! - [`wayland`] (Linux): the wlroots routes (sway): input method, virtual keyboard
//!   with our own keymaps, data-control paste;
//! - [`layout`] (Linux): the user's layout from the compositor's keymap, for the
//!   routes that type with the user's keys (KWin, mutter);
//! - [`keyed`] (Linux): the one rule of the routes that type with the user's
//!   layout, [`kwin`]: KDE's fake input (and the `.desktop` grant), and
//!   [`mutter`]: GNOME's RemoteDesktop on D-Bus;
//! - [`portal`] (Linux): GNOME 46+ and Plasma 6, the RemoteDesktop portal with
//!   libei, where no private route works (asked once, then remembered);
//!   [`remote_clipboard`]: the session clipboard mutter's RemoteDesktop and the
//!   portal share;
//! - [`native`] (Linux): the route to a Wayland session's native windows, or
//!   why there is none;
//! - [`portable`]: enigo's own text entry + arboard, for other systems;
//! - [`clipboard`]: the guard that gives the user their clipboard back;
//! - [`worker`]: the injection thread. Injection is slow and thread-affine (an X
//!   connection, a clipboard owner), so it runs on a thread of its own, fed one
//!   message at a time, in order; the WebSocket task never waits for it and keeps
//!   ACKing and answering pings.

pub mod clipboard;
#[cfg(target_os = "linux")]
pub mod keyed;
pub mod keys;
#[cfg(target_os = "linux")]
pub mod kwin;
#[cfg(target_os = "linux")]
pub mod layout;
pub mod lend;
#[cfg(target_os = "linux")]
pub mod mutter;
#[cfg(target_os = "linux")]
pub mod native;
pub mod portable;
#[cfg(target_os = "linux")]
pub mod portal;
pub mod progress;
#[cfg(target_os = "linux")]
pub mod remote_clipboard;
pub mod route;
pub mod rule;
#[cfg(target_os = "linux")]
pub mod wayland;
pub mod worker;
#[cfg(target_os = "linux")]
pub mod x11;

use std::sync::{Arc, Mutex};

pub use keys::{FocusNow, Key};
pub use progress::Progress;
pub use route::DesktopInjector;
pub use rule::{choose_method, is_terminal, Situation, PASTE_ABOVE_CHARS};
pub use worker::{InjectorThread, Job, JobResult, Outcome};

/// How the agent puts text into the focused window.
#[derive(
    clap::ValueEnum,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum InjectMode {
    /// Keyboard events.
    Type,
    /// Clipboard and the paste shortcut.
    Paste,
    /// Chosen per message: typed, but pasted when the text is long (outside terminals)
    /// or has characters the keyboard cannot type.
    #[default]
    Auto,
    /// ACK and record only; type nothing.
    None,
}

/// How a newline in the text is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NewlineKey {
    /// Shift+Return: a line break everywhere, including chat boxes where a plain
    /// Return would send the message.
    #[default]
    ShiftReturn,
    /// Return.
    Return,
}

/// Injection settings that may change while the agent runs (from the tray or the
/// window); the injection thread reads them for every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectSettings {
    pub mode: InjectMode,
    pub newline: NewlineKey,
}

pub type SharedInjectSettings = Arc<Mutex<InjectSettings>>;

/// What was done with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Typed,
    Pasted,
    /// `--inject none`.
    Recorded,
}

impl Method {
    /// The word of the result's `target.method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Typed => "typed",
            Method::Pasted => "pasted",
            Method::Recorded => "recorded",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InjectError {
    /// Injection cannot work here at all (no display, no permission, Wayland only).
    #[error("{0}")]
    Unavailable(String),
    /// This message could not be injected.
    #[error("{0}")]
    Failed(String),
    /// Stopped part way (the agent is shutting down): `typed` of `total` characters
    /// are in the window.
    #[error("interrupted after {typed} of {total} characters: SayType was stopped while typing (the rest was not typed; copy it from the history)")]
    Interrupted { typed: usize, total: usize },
    /// The route needs the user's permission first (the portal's dialog): what
    /// to do.
    #[error("{0}")]
    NeedsGrant(String),
    /// The keyboard focus went to another window part way: typing stopped there,
    /// `typed` of `total` characters are in the window the message started in.
    #[error("focus moved to {app} after {typed} of {total} characters: the rest was not typed (type it again, or copy it from the history)")]
    FocusMoved {
        app: String,
        typed: usize,
        total: usize,
    },
    /// The focused window never read a paste: nothing went in. `blind`: the route
    /// cannot tell which window has the focus, so a text with a line break had to
    /// be pasted (see `keyed`).
    #[error("{}", not_read(*blind))]
    NotRead { blind: bool },
}

fn not_read(blind: bool) -> &'static str {
    if blind {
        "the focused window did not take the paste (it never read the clipboard), so \
         nothing was pasted. On this desktop SayType cannot tell which window has the focus, \
         so a text with a line break is always pasted with Ctrl+V (typed, the line break \
         would run the line in a terminal); terminals paste with Ctrl+Shift+V: copy the text \
         from the history and paste it there"
    } else {
        "the focused window did not take the paste (it never read the clipboard), so \
         nothing was pasted: click into a text field, then send the message again"
    }
}

/// Whether injection works here, with the line the status display shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// The injection thread has not looked yet (counts as ready: nothing failed).
    Starting,
    /// What the injector does ("ready to type into the focused X11 window").
    Ready(String),
    /// Record-only mode (`--inject none`): nothing is typed, so nothing can fail.
    Recording,
    /// Why it cannot work here ("no display: ...").
    Unavailable(String),
    /// It can work once the user allows it (the portal's dialog): what to do.
    NeedsGrant(String),
}

impl Readiness {
    pub fn is_ok(&self) -> bool {
        !matches!(self, Readiness::Unavailable(_) | Readiness::NeedsGrant(_))
    }

    /// The line for the status display.
    pub fn text(&self) -> &str {
        match self {
            Readiness::Starting => "starting",
            Readiness::Recording => RECORDING_ONLY,
            Readiness::Ready(t) | Readiness::Unavailable(t) | Readiness::NeedsGrant(t) => t,
        }
    }
}

/// A grant asked of a route that needs none.
pub fn no_grant_needed() -> InjectError {
    InjectError::Failed("this way of typing needs no permission".into())
}

/// What the record-only injector says of itself.
pub const RECORDING_ONLY: &str = "recording only (injection mode: none)";

/// enigo's connection to the input system, or why there is none.
fn new_enigo(settings: &enigo::Settings) -> Result<enigo::Enigo, InjectError> {
    enigo::Enigo::new(settings)
        .map_err(|e| InjectError::Unavailable(format!("cannot simulate keyboard input: {e}")))
}

/// A key event that did not go through.
fn input_error(e: enigo::InputError) -> InjectError {
    InjectError::Failed(format!("keyboard input failed: {e}"))
}

/// Something that can put text into the focused window. The agent defines it;
/// [`DesktopInjector`] is the real one, tests pass recording fakes.
pub trait Injector {
    /// Put `text` into the focused window, telling `progress` how far it got as it
    /// goes, and stopping (with [`InjectError::Interrupted`]) when it says so.
    fn inject(&mut self, text: &str, progress: &mut dyn Progress) -> Result<Method, InjectError>;
    /// Where the last [`Injector::inject`] went (the focused window), when this
    /// injector can tell; taken, so that it is never reported for another message.
    fn take_target(&mut self) -> Option<crate::protocol::ws::Target> {
        None
    }
    /// What the last [`Injector::inject`] put into the window when that is not
    /// the text as said (voice commands, a joining space); taken like the target.
    fn take_typed(&mut self) -> Option<String> {
        None
    }
    /// The focused window, as far as this injector can tell ([`keys`]).
    fn focus_now(&mut self) -> Option<FocusNow> {
        None
    }
    /// Watch the focused window from now on: [`Injector::focus_now`] says whether
    /// the focus left it since.
    fn watch_focus(&mut self) {}
    /// Whether [`Injector::press`] works for the focused window.
    fn can_press(&mut self) -> bool {
        false
    }
    /// Press `key` `count` times into the focused window, stopping if the focus
    /// moves (`Recorded` in record-only mode: nothing pressed).
    fn press(
        &mut self,
        key: Key,
        count: usize,
        progress: &mut dyn Progress,
    ) -> Result<Method, InjectError> {
        let _ = (key, count, progress);
        Err(InjectError::Failed(keys::NO_KEYS.into()))
    }
    /// Whether this injector can work here, and what it does or why not.
    fn readiness(&mut self) -> Readiness;
    /// The user allows typing (the portal's dialog, where a route needs it).
    fn grant(&mut self) -> Result<(), InjectError> {
        Err(no_grant_needed())
    }
}
