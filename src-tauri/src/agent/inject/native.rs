//! The route to native windows of a Wayland session: what the compositor offers
//! (read from its registry globals), connected, or [`Native::Unreachable`] when
//! it offers nothing SayType speaks: then a message for a native window fails
//! with what to do, and is never reported typed (XTest through Xwayland reaches
//! no native window: Xwayland clears `_NET_ACTIVE_WINDOW` while one has focus).

use std::path::Path;

use super::keyed;
use super::keys::NO_KEYS;
use super::kwin::{Kwin, KwinInjector};
use super::mutter::MutterInjector;
use super::portal::PortalInjector;
use super::rule::{in_terminal, pick, with_method, InTerminal};
use super::wayland::seat_keymap::SeatKeymap;
use super::wayland::windows::Windows;
use super::wayland::{self, session::Found, session::WlRoute, Offer, WlrInjector};
use super::Situation;
use super::{is_terminal, InjectError, InjectMode, InjectSettings, Key, Method, Progress};
use crate::protocol::ws::Target;

/// A Wayland compositor's route for native windows.
pub enum Native {
    /// sway and the other wlroots compositors: input method, virtual keyboard.
    Wlroots(Box<WlrInjector>),
    /// KDE Plasma: KWin's fake input.
    Kwin(Box<KwinInjector>),
    /// GNOME: mutter's RemoteDesktop.
    Mutter(Box<MutterInjector>),
    /// GNOME 46+, Plasma 6: the RemoteDesktop portal with libei, where no
    /// private route works.
    Portal(Box<PortalInjector>),
    /// None that SayType can use: the compositor's name, and why.
    Unreachable(&'static str, String),
}

impl Native {
    /// Connect to `$WAYLAND_DISPLAY`; `None` if there is no Wayland compositor.
    /// The compositor's private route first (it needs no dialog), then the
    /// portal (`data_dir` keeps its restore token).
    pub fn connect(data_dir: Option<&Path>) -> Result<Option<Native>, InjectError> {
        let (offer, conn) = match WlrInjector::connect()? {
            Found::NoWayland => return Ok(None),
            Found::Wlroots(wlr) => return Ok(Some(Native::Wlroots(wlr))),
            Found::Other(offer, conn) => (offer, conn),
        };
        let name = family(&offer);
        let mut why = no_route_of(name);
        if offer.kde {
            match KwinInjector::connect(SeatKeymap::on(&conn)?)? {
                Kwin::Ready(kwin) => return Ok(Some(Native::Kwin(kwin))),
                Kwin::Refused(refused) => why = refused,
            }
        }
        if offer.gnome {
            match MutterInjector::connect(SeatKeymap::on(&conn)?) {
                Ok(Some(mutter)) => return Ok(Some(Native::Mutter(Box::new(mutter)))),
                Ok(None) => {}
                Err(failed) => why = failed,
            }
        }
        if let Some(portal) = PortalInjector::connect(data_dir)? {
            return Ok(Some(Native::Portal(Box::new(portal))));
        }
        Ok(Some(Native::Unreachable(name, why)))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Native::Wlroots(wlr) => wlr.name(),
            Native::Kwin(_) => "KWin",
            Native::Mutter(_) => "mutter",
            Native::Portal(_) => "portal",
            Native::Unreachable(name, _) => name,
        }
    }

    /// The status line for the focused native window.
    pub fn ready_line(&mut self) -> Result<String, InjectError> {
        match self {
            Native::Wlroots(wlr) => wlr.ready_line(),
            Native::Kwin(kwin) => kwin.ready_line(),
            Native::Mutter(mutter) => mutter.ready_line(),
            Native::Portal(portal) => portal.ready_line(),
            Native::Unreachable(_, why) => Err(unreachable(why)),
        }
    }

    /// Inject `text`; `target` gets where it went, when the compositor tells.
    pub fn inject(
        &mut self,
        text: &str,
        settings: InjectSettings,
        progress: &mut dyn Progress,
        target: &mut Option<Target>,
    ) -> Result<Method, InjectError> {
        match self {
            Native::Wlroots(wlr) => {
                wlr.newline = settings.newline;
                let route = wlr.route_now()?;
                let windows = wlr.windows();
                windows.check_focus()?;
                windows.note_focus();
                *target = windows.focused_target();
                with_method(
                    target,
                    inject_wlroots(wlr, route, text, settings.mode, progress),
                )
            }
            Native::Kwin(kwin) => {
                let windows = kwin.windows()?;
                windows.check_focus()?;
                windows.note_focus();
                *target = windows.focused_target();
                with_method(
                    target,
                    keyed::inject(kwin.as_mut(), text, settings, progress),
                )
            }
            Native::Mutter(m) => keyed::inject(m.as_mut(), text, settings, progress),
            Native::Portal(p) => keyed::inject(p.as_mut(), text, settings, progress),
            Native::Unreachable(_, why) => Err(unreachable(why)),
        }
    }

    /// Whether this route knows the focused window and presses single keys (the
    /// dictation flow's joining space, "press enter", "scratch that").
    pub fn flow_keys(&self) -> bool {
        match self {
            Native::Wlroots(wlr) => wlr.lists_windows(),
            Native::Kwin(kwin) => kwin.lists_windows(),
            _ => false,
        }
    }

    /// The compositor's windows, brought up to date (a round trip), where the
    /// route lists them.
    pub fn windows(&mut self) -> Option<&mut Windows> {
        match self {
            Native::Wlroots(wlr) => wlr.windows_now().ok(),
            Native::Kwin(kwin) => kwin.windows().ok(),
            _ => None,
        }
    }

    /// The same as last read (after a message, which ends with a round trip).
    pub fn windows_known(&mut self) -> Option<&mut Windows> {
        match self {
            Native::Wlroots(wlr) => Some(wlr.windows()),
            Native::Kwin(kwin) => Some(kwin.windows_known()),
            _ => None,
        }
    }

    /// Press `key` `count` times into the focused window: where it went, and how.
    pub fn press(
        &mut self,
        key: Key,
        count: usize,
        progress: &mut dyn Progress,
    ) -> Result<(Option<Target>, Result<(), InjectError>), InjectError> {
        let windows = self
            .windows()
            .ok_or_else(|| InjectError::Failed(NO_KEYS.into()))?;
        windows.check_focus()?;
        windows.note_focus();
        let target = windows.focused_target();
        let pressed = match self {
            Native::Wlroots(wlr) => wlr.press(key, count, progress),
            Native::Kwin(kwin) => keyed::press(kwin.as_mut(), key, count, progress),
            _ => Err(InjectError::Failed(NO_KEYS.into())),
        };
        Ok((target, pressed))
    }

    /// The user allows typing (the portal's dialog).
    pub fn grant(&mut self) -> Result<(), InjectError> {
        match self {
            Native::Portal(portal) => portal.grant(),
            _ => Err(super::no_grant_needed()),
        }
    }

    /// Why this session cannot be typed into at all (no Xwayland either).
    pub fn unavailable(&self) -> Option<String> {
        match self {
            Native::Unreachable(_, why) => Some(format!(
                "{why}; and there is no Xwayland (DISPLAY is not set): log in to an X11 \
                 session, or run with --inject none"
            )),
            _ => None,
        }
    }
}

fn unreachable(why: &str) -> InjectError {
    InjectError::Failed(format!(
        "the focused window is a native Wayland window, and {why}. X11 (Xwayland) windows \
         can be typed into: click into one, or log in to an X11 session; the text is in \
         the history to copy"
    ))
}

fn no_route_of(name: &str) -> String {
    format!(
        "this compositor ({name}) offers none of the ways SayType types into one (wlroots' \
         input method and virtual keyboard, KWin's fake input, mutter's RemoteDesktop, \
         the RemoteDesktop portal with libei)"
    )
}

/// The compositor's family, from its globals, for the status line.
fn family(offer: &Offer) -> &'static str {
    if offer.kde {
        "KWin"
    } else if offer.gnome {
        "mutter"
    } else {
        "unknown compositor"
    }
}

/// Through a wlroots compositor: the input method where the focused window takes
/// it, else the virtual keyboard; the terminal rule (the focused window's app id
/// from the compositor's toplevel list): a line break never goes in as a key there
/// (Return, or Shift+Return, runs the line), text with one is pasted with the
/// terminal's paste key (bracketed: the shell runs nothing), a trailing one is
/// dropped.
fn inject_wlroots(
    wlr: &mut WlrInjector,
    route: WlRoute,
    text: &str,
    mode: InjectMode,
    progress: &mut dyn Progress,
) -> Result<Method, InjectError> {
    let terminal = wlr.windows().focused_app().is_some_and(|a| is_terminal(&a));
    let text = if terminal {
        match in_terminal(text) {
            InTerminal::Paste(text) => {
                return wlr
                    .paste_text(text, true, progress)
                    .map(|()| Method::Pasted)
            }
            InTerminal::Usual(text) => text,
        }
    } else {
        text
    };
    let method = pick(mode, || Situation {
        chars: text.chars().count(),
        typeable: wayland::keymap::can_type(text),
        terminal,
    });
    match (method, route) {
        (Method::Pasted, _) => wlr.paste_text(text, terminal, progress),
        (_, WlRoute::InputMethod) => wlr.commit_text(text, progress),
        (_, WlRoute::VirtualKeyboard) => wlr.type_keys(text, progress),
    }
    .map(|()| method)
}
