//! Which backend injects here: the settings of the moment (`none` records only),
//! then the platform's route. On Linux that is X11 (also under XWayland): typing
//! and pasting through one [`x11::X11Injector`], connected lazily and again after a
//! failure, so an agent started before the display comes up recovers. Elsewhere it
//! is the [`portable`](super::portable) backend.
//!
//! Wayland routes (virtual keyboard, portal, wl-clipboard) slot in here: a
//! `Route` variant each, chosen by `Route::detect` before X11.

#[cfg(not(target_os = "linux"))]
use super::portable::PortableInjector;
#[cfg(target_os = "linux")]
use super::x11;
use super::{choose_method, is_terminal, InjectError, InjectMode, InjectSettings};
use super::{Injector, Method, Progress, Readiness, SharedInjectSettings, Situation};
use crate::sync::lock;

/// The desktop injector: the current settings over the platform's backend.
pub struct DesktopInjector {
    settings: SharedInjectSettings,
    route: Option<Route>,
}

/// A connected backend.
enum Route {
    #[cfg(target_os = "linux")]
    X11(x11::X11Injector),
    #[cfg(not(target_os = "linux"))]
    Portable(PortableInjector),
}

impl Route {
    /// Connect to what this session offers.
    fn detect() -> Result<Route, InjectError> {
        #[cfg(target_os = "linux")]
        {
            check_session()?;
            Ok(Route::X11(x11::X11Injector::connect()?))
        }
        #[cfg(not(target_os = "linux"))]
        {
            Ok(Route::Portable(PortableInjector::connect()?))
        }
    }

    fn ready_line(&self) -> &'static str {
        match self {
            #[cfg(target_os = "linux")]
            Route::X11(_) => "ready to type into the focused X11 window",
            #[cfg(not(target_os = "linux"))]
            Route::Portable(_) => "ready to type into the focused window",
        }
    }

    fn inject(
        &mut self,
        text: &str,
        settings: InjectSettings,
        progress: &mut dyn Progress,
    ) -> Result<Method, InjectError> {
        let InjectSettings { mode, newline } = settings;
        match self {
            #[cfg(target_os = "linux")]
            Route::X11(x11) => {
                x11.set_newline(newline);
                let terminal = x11.focused_class().is_some_and(|c| is_terminal(&c));
                let method = pick(mode, || Situation {
                    chars: text.chars().count(),
                    typeable: x11.types_easily(text),
                    terminal,
                });
                match method {
                    Method::Pasted => x11.paste_text(text, terminal, progress),
                    _ => x11.type_text(text, progress),
                }
                .map(|()| method)
            }
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

/// The method for `mode`; `auto` asks the rule about the situation.
fn pick(mode: InjectMode, situation: impl FnOnce() -> Situation) -> Method {
    match mode {
        InjectMode::Type => Method::Typed,
        InjectMode::Paste => Method::Pasted,
        _ => choose_method(situation()),
    }
}

impl DesktopInjector {
    pub fn new(settings: SharedInjectSettings) -> DesktopInjector {
        DesktopInjector {
            settings,
            route: None,
        }
    }

    fn current(&self) -> InjectSettings {
        *lock(&self.settings)
    }

    fn route(&mut self) -> Result<&mut Route, InjectError> {
        match &mut self.route {
            Some(route) => Ok(route),
            empty => Ok(empty.insert(Route::detect()?)),
        }
    }
}

impl Injector for DesktopInjector {
    fn inject(&mut self, text: &str, progress: &mut dyn Progress) -> Result<Method, InjectError> {
        let settings = self.current();
        if settings.mode == InjectMode::None {
            return Ok(Method::Recorded);
        }
        let result = self.route()?.inject(text, settings, progress);
        if let Err(InjectError::Unavailable(_)) = &result {
            // Reconnect next time (the display may have gone and come back).
            self.route = None;
        }
        result
    }

    fn readiness(&mut self) -> Readiness {
        if self.current().mode == InjectMode::None {
            return Readiness::Recording;
        }
        match self.route() {
            Ok(route) => Readiness::Ready(route.ready_line().into()),
            Err(e) => Readiness::Unavailable(e.to_string()),
        }
    }
}

/// Typing goes through X11. Under Wayland only X11 (XWayland) windows receive it;
/// without XWayland there is nothing to type into.
#[cfg(target_os = "linux")]
fn check_session() -> Result<(), InjectError> {
    let wayland = std::env::var("XDG_SESSION_TYPE").is_ok_and(|t| t == "wayland")
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let x11 = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
    match (wayland, x11) {
        (_, true) => Ok(()),
        (true, false) => Err(InjectError::Unavailable(
            "Wayland session without XWayland: SayType types through X11 and has no display \
             to type into (log in to an X11 session, or run with --inject none)"
                .into(),
        )),
        (false, false) => Err(InjectError::Unavailable(
            "no display: DISPLAY is not set, so there is no window to type into".into(),
        )),
    }
}
