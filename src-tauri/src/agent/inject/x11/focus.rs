//! The right window: a message is typed into the window that had the keyboard
//! focus when it started. Every batch of [`REPORT_EVERY`] keys is sent under a
//! server grab right after a look at the focus (see `typing.rs`), so no other
//! client can move the focus between the look and the keys; when it has moved,
//! typing stops there and the message fails with "focus moved to <app> after N of
//! M characters": the N characters are in the first window, none in the other.
//!
//! [`REPORT_EVERY`]: crate::agent::inject::progress::REPORT_EVERY

use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, Window};

use super::X11Injector;
use crate::agent::inject::InjectError;
use crate::protocol::ws::Target;

impl X11Injector {
    /// Note the window that has the focus now: the message goes there.
    pub(super) fn note_focus(&mut self) {
        self.started_in = self.input_focus();
    }

    /// The focused window, for the result: its application (WM_CLASS) and title.
    pub fn focused_target(&self) -> Option<Target> {
        let focus = self.input_focus()?;
        Some(Target {
            app: self.class_of(focus)?,
            title: self.title_of(focus),
            method: None,
        })
    }

    /// The title (`_NET_WM_NAME`, else `WM_NAME`) of `window` or of the first
    /// ancestor that has one.
    fn title_of(&self, mut window: Window) -> Option<String> {
        for _ in 0..16 {
            if window == self.root || window <= 1 {
                return None;
            }
            for name in [self.atoms.net_wm_name, AtomEnum::WM_NAME.into()] {
                let prop = self
                    .conn
                    .get_property(false, window, name, AtomEnum::ANY, 0, 256)
                    .ok()?
                    .reply()
                    .ok()?;
                if !prop.value.is_empty() {
                    return Some(String::from_utf8_lossy(&prop.value).into_owned());
                }
            }
            window = self.conn.query_tree(window).ok()?.reply().ok()?.parent;
        }
        None
    }

    /// An error if the focus is no longer where the message started; `typed` of
    /// `total` characters have been sent.
    pub(super) fn check_focus(&self, typed: usize, total: usize) -> Result<(), InjectError> {
        let Some(started_in) = self.started_in else {
            // No focus to compare (PointerRoot, or none): nothing to tell.
            return Ok(());
        };
        let now = self.input_focus();
        if now == Some(started_in) {
            return Ok(());
        }
        let app = now
            .and_then(|w| self.class_of(w))
            .unwrap_or_else(|| "no window".to_owned());
        Err(InjectError::FocusMoved { app, typed, total })
    }
}
