//! The desktop injector's hooks for the dictation flow ([`crate::agent::inject::keys`]):
//! the focused window and single keys, through X11 (Xorg, or an Xwayland window
//! under a compositor). The routes to native Wayland windows cannot tell yet.

use super::{DesktopInjector, Route};
use crate::agent::inject::keys::NO_KEYS;
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

    pub(super) fn focus_now_hook(&mut self) -> Option<FocusNow> {
        self.x11_route()?.focus_now()
    }

    pub(super) fn watch_focus_hook(&mut self) {
        if let Some(x11) = self.x11_route() {
            x11.watch_focus();
        }
    }

    pub(super) fn can_press_hook(&mut self) -> bool {
        self.current().mode == InjectMode::None || self.x11_route().is_some()
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
        let Some(x11) = self.x11_route() else {
            return Err(InjectError::Failed(NO_KEYS.into()));
        };
        let mut target = x11.focused_target();
        let result = x11.press(key, count, progress);
        if let (Some(t), Ok(())) = (target.as_mut(), &result) {
            t.method = Some(Method::Typed.as_str().to_owned());
        }
        self.target = target;
        result.map(|()| Method::Typed)
    }
}
