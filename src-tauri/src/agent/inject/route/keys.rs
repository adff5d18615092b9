//! The desktop injector's hooks for the dictation flow ([`crate::agent::inject::keys`]):
//! the focused window and single keys, through X11 (Xorg, or an Xwayland window
//! under a compositor) and the Wayland routes that know the focused window (wlroots,
//! KWin: see [`Native::flow_keys`]). mutter and the portal cannot tell.

use super::{DesktopInjector, Route};
use crate::agent::inject::keys::NO_KEYS;
use crate::agent::inject::native::Native;
use crate::agent::inject::{x11, FocusNow, InjectError, InjectMode, Key, Method, Progress};

impl DesktopInjector {
    /// The X11 route, when it is the one for the focused window.
    fn x11_route(&mut self) -> Option<&mut x11::X11Injector> {
        match self.route().ok()? {
            Route::X11(x11) => Some(x11),
            Route::Wayland(_, Some(x11)) if x11.active_window().is_some() => Some(x11),
            _ => None,
        }
    }

    /// The native Wayland route, when a native window has the focus and the
    /// route knows which.
    fn native_route(&mut self) -> Option<&mut Native> {
        if self.x11_route().is_some() {
            return None;
        }
        match self.route().ok()? {
            Route::Wayland(native, _) if native.flow_keys() => Some(native.as_mut()),
            _ => None,
        }
    }

    pub(super) fn focus_now_hook(&mut self) -> Option<FocusNow> {
        if let Some(x11) = self.x11_route() {
            return x11.focus_now();
        }
        self.native_route()?.windows()?.now()
    }

    pub(super) fn watch_focus_hook(&mut self) {
        if let Some(x11) = self.x11_route() {
            x11.watch_focus();
        } else if let Some(windows) = self.native_route().and_then(Native::windows_known) {
            // The message ended with a round trip: the list is current.
            windows.watch();
        }
    }

    pub(super) fn can_press_hook(&mut self) -> bool {
        self.current().mode == InjectMode::None
            || self.x11_route().is_some()
            || self.native_route().is_some()
    }

    pub(super) fn press_hook(
        &mut self,
        key: Key,
        count: usize,
        progress: &mut dyn Progress,
    ) -> Result<Method, InjectError> {
        self.target = None;
        if self.current().mode == InjectMode::None {
            return Ok(Method::Recorded);
        }
        let (mut target, result) = if let Some(x11) = self.x11_route() {
            (x11.focused_target(), x11.press(key, count, progress))
        } else if let Some(native) = self.native_route() {
            native.press(key, count, progress)?
        } else {
            return Err(InjectError::Failed(NO_KEYS.into()));
        };
        if let (Some(t), Ok(())) = (target.as_mut(), &result) {
            t.method = Some(Method::Typed.as_str().to_owned());
        }
        self.target = target;
        result.map(|()| Method::Typed)
    }
}
