//! Which backend injects here: the settings of the moment (`none` records only),
//! then the platform's route, connected lazily and again after a failure, so an
//! agent started before the display comes up recovers. On Linux:
//!
//! 1. `$WAYLAND_DISPLAY` connects: the compositor's own route for native windows
//!    ([`Native`]: wlroots, or none SayType speaks); with Xwayland beside it
//!    (`DISPLAY`), a message goes through X11 while an X window is the active one
//!    (`_NET_ACTIVE_WINDOW` set: Xwayland clears it while a native window has the
//!    focus), and a native window with no route fails with what to do;
//! 2. otherwise X11 (Xorg);
//! 3. a Wayland session with neither: unavailable, with what to do.
//!
//! Elsewhere it is the [`portable`](super::portable) backend.

#[cfg(target_os = "linux")]
use super::native::Native;
#[cfg(not(target_os = "linux"))]
use super::portable::PortableInjector;
use super::rule::pick;
#[cfg(target_os = "linux")]
use super::rule::{in_terminal, with_method, InTerminal};
#[cfg(target_os = "linux")]
use super::x11;
use super::{is_terminal, InjectError, InjectMode, InjectSettings};
use super::{Injector, Method, Progress, Readiness, SharedInjectSettings, Situation};
use std::path::{Path, PathBuf};

use crate::protocol::ws::Target;
use crate::sync::lock;

#[cfg(target_os = "linux")]
mod keys;

/// The desktop injector: the current settings over the platform's backend.
pub struct DesktopInjector {
    settings: SharedInjectSettings,
    route: Option<Route>,
    /// Where the last message went, when the route can tell.
    target: Option<Target>,
    /// The data directory (the portal's restore token), if there is one.
    data_dir: Option<PathBuf>,
}

/// A connected backend.
enum Route {
    #[cfg(target_os = "linux")]
    X11(x11::X11Injector),
    /// A Wayland compositor's own route for native windows (or none SayType
    /// speaks), and Xwayland if it runs.
    #[cfg(target_os = "linux")]
    Wayland(Box<Native>, Option<x11::X11Injector>),
    #[cfg(not(target_os = "linux"))]
    Portable(PortableInjector),
}

impl Route {
    /// Connect to what this session offers.
    fn detect(data_dir: Option<&Path>) -> Result<Route, InjectError> {
        #[cfg(target_os = "linux")]
        {
            if let Some(native) = Native::connect(data_dir)? {
                if let Some(why) = native.unavailable().filter(|_| !has_display()) {
                    return Err(InjectError::Unavailable(why));
                }
                // Xwayland beside it: X windows keep the X11 route.
                let xwayland = has_display()
                    .then(x11::X11Injector::connect)
                    .and_then(Result::ok);
                return Ok(Route::Wayland(Box::new(native), xwayland));
            }
            check_session()?;
            Ok(Route::X11(x11::X11Injector::connect()?))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = data_dir;
            Ok(Route::Portable(PortableInjector::connect()?))
        }
    }

    fn ready_line(&mut self) -> Result<String, InjectError> {
        Ok(match self {
            #[cfg(target_os = "linux")]
            Route::X11(_) => "ready to type into the focused X11 window".into(),
            #[cfg(target_os = "linux")]
            Route::Wayland(native, xwayland) => match xwayland {
                Some(x11) if x11.active_window().is_some() => format!(
                    "typing into the Xwayland window through X11 ({})",
                    native.name()
                ),
                _ => native.ready_line()?,
            },
            #[cfg(not(target_os = "linux"))]
            Route::Portable(_) => "ready to type into the focused window".into(),
        })
    }

    fn inject(
        &mut self,
        text: &str,
        settings: InjectSettings,
        progress: &mut dyn Progress,
        target: &mut Option<Target>,
    ) -> Result<Method, InjectError> {
        #[cfg(not(target_os = "linux"))]
        let InjectSettings { mode, newline } = settings;
        #[cfg(not(target_os = "linux"))]
        let _ = target;
        match self {
            #[cfg(target_os = "linux")]
            Route::X11(x11) => inject_x11(x11, text, settings, progress, target),
            #[cfg(target_os = "linux")]
            // Xwayland clears `_NET_ACTIVE_WINDOW` while a native window has the
            // focus: XTest would then reach no window at all (WAYLAND.md).
            Route::Wayland(native, xwayland) => match xwayland {
                Some(x11) if x11.active_window().is_some() => {
                    inject_x11(x11, text, settings, progress, target)
                }
                _ => native.inject(text, settings, progress, target),
            },
            #[cfg(not(target_os = "linux"))]
            Route::Portable(portable) => {
                // enigo's text entry types a newline as Return; no terminal test
                // here yet, so `auto` decides by typeability and length alone.
                let _ = newline;
                let method = pick(mode, || Situation {
                    chars: text.chars().count(),
                    typeable: true,
                    terminal: false,
                });
                match method {
                    Method::Pasted => portable.paste_text(text, progress),
                    _ => portable.type_text(text, progress),
                }
                .map(|()| method)
            }
        }
    }
}

/// Through X11: typing with our keymap planner, pasting, and the terminal rule
/// (line breaks through the terminal's paste, Return never pressed).
#[cfg(target_os = "linux")]
fn inject_x11(
    x11: &mut x11::X11Injector,
    text: &str,
    InjectSettings { mode, newline }: InjectSettings,
    progress: &mut dyn Progress,
    target: &mut Option<Target>,
) -> Result<Method, InjectError> {
    x11.set_newline(newline);
    *target = x11.focused_target();
    with_method(target, inject_x11_into(x11, text, mode, progress))
}

#[cfg(target_os = "linux")]
fn inject_x11_into(
    x11: &mut x11::X11Injector,
    text: &str,
    mode: InjectMode,
    progress: &mut dyn Progress,
) -> Result<Method, InjectError> {
    let terminal = x11.focused_class().is_some_and(|c| is_terminal(&c));
    let text = if terminal {
        match in_terminal(text) {
            InTerminal::Paste(text) => {
                return x11
                    .paste_into_terminal(text, progress)
                    .map(|()| Method::Pasted)
            }
            InTerminal::Usual(text) => text,
        }
    } else {
        text
    };
    let method = pick(mode, || Situation {
        chars: text.chars().count(),
        typeable: x11.types_easily(text),
        terminal,
    });
    match method {
        // A terminal's clipboard paste key varies (plain xterm has none, and
        // Ctrl+Shift+V reaches the shell as quoted-insert): Shift+Insert with
        // PRIMARY works in all of them.
        Method::Pasted if terminal => x11.paste_into_terminal(text, progress),
        Method::Pasted => x11.paste_text(text, progress),
        _ => x11.type_text(text, progress),
    }
    .map(|()| method)
}

impl DesktopInjector {
    pub fn new(settings: SharedInjectSettings) -> DesktopInjector {
        DesktopInjector {
            settings,
            route: None,
            target: None,
            data_dir: None,
        }
    }

    /// Keep what a route remembers (the portal's restore token) in `dir`.
    pub fn with_data_dir(mut self, dir: Option<&Path>) -> DesktopInjector {
        self.data_dir = dir.map(Path::to_owned);
        self
    }

    fn current(&self) -> InjectSettings {
        *lock(&self.settings)
    }

    fn route(&mut self) -> Result<&mut Route, InjectError> {
        match &mut self.route {
            Some(route) => Ok(route),
            empty => Ok(empty.insert(Route::detect(self.data_dir.as_deref())?)),
        }
    }
}

impl Injector for DesktopInjector {
    fn inject(&mut self, text: &str, progress: &mut dyn Progress) -> Result<Method, InjectError> {
        let settings = self.current();
        self.target = None;
        if settings.mode == InjectMode::None {
            return Ok(Method::Recorded);
        }
        let mut target = None;
        let result = self.route()?.inject(text, settings, progress, &mut target);
        self.target = target;
        if let Err(InjectError::Unavailable(_)) = &result {
            // Reconnect next time (the display may have gone and come back).
            self.route = None;
        }
        result
    }

    fn grant(&mut self) -> Result<(), InjectError> {
        match self.route()? {
            #[cfg(target_os = "linux")]
            Route::Wayland(native, _) => native.grant(),
            #[allow(unreachable_patterns)]
            _ => Err(super::no_grant_needed()),
        }
    }

    fn take_target(&mut self) -> Option<Target> {
        self.target.take()
    }

    #[cfg(target_os = "linux")]
    fn focus_now(&mut self) -> Option<super::FocusNow> {
        self.focus_now_hook()
    }

    #[cfg(target_os = "linux")]
    fn watch_focus(&mut self) {
        self.watch_focus_hook()
    }

    #[cfg(target_os = "linux")]
    fn can_press(&mut self) -> bool {
        self.can_press_hook()
    }

    #[cfg(target_os = "linux")]
    fn press(
        &mut self,
        key: super::Key,
        count: usize,
        progress: &mut dyn Progress,
    ) -> Result<Method, InjectError> {
        self.press_hook(key, count, progress)
    }

    fn readiness(&mut self) -> Readiness {
        if self.current().mode == InjectMode::None {
            return Readiness::Recording;
        }
        let line = self.route().and_then(Route::ready_line);
        match line {
            Ok(line) => Readiness::Ready(line),
            Err(InjectError::NeedsGrant(what)) => Readiness::NeedsGrant(what),
            Err(e) => {
                if let InjectError::Unavailable(_) = e {
                    self.route = None;
                }
                Readiness::Unavailable(e.to_string())
            }
        }
    }
}

/// An X display (Xorg, or Xwayland beside a compositor) is named.
#[cfg(target_os = "linux")]
fn has_display() -> bool {
    std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
}

/// Reached when no Wayland route was found: typing goes through X11, so without
/// a display there is nothing to type into.
#[cfg(target_os = "linux")]
fn check_session() -> Result<(), InjectError> {
    let wayland = std::env::var("XDG_SESSION_TYPE").is_ok_and(|t| t == "wayland")
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    match (wayland, has_display()) {
        (_, true) => Ok(()),
        (true, false) => Err(InjectError::Unavailable(
            "Wayland session without XWayland, and SayType cannot reach its compositor \
             (WAYLAND_DISPLAY does not connect): log in to an X11 session, or run with \
             --inject none"
                .into(),
        )),
        (false, false) => Err(InjectError::Unavailable(
            "no display: DISPLAY is not set, so there is no window to type into".into(),
        )),
    }
}
