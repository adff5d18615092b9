//! What the dictation flow ([`crate::agent::flow`]) asks of a route beyond
//! typing a text: which window has the focus (and whether it stayed there since
//! the last message), and single keys (Return, BackSpace) pressed into it.

/// The focused window, as far as a route can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FocusNow {
    /// The window's id on this route (X11: the window with the input focus).
    pub window: u64,
    /// The focus has not left this window since the last
    /// [`Injector::watch_focus`](super::Injector::watch_focus).
    pub stayed: bool,
}

/// A key the flow presses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Return ("press enter").
    Return,
    /// BackSpace ("scratch that").
    BackSpace,
}

/// What a route without keys says.
pub const NO_KEYS: &str =
    "this desktop's route cannot press single keys yet (X11 and Xwayland windows can, and KDE Plasma's)";
