//! The right window: a message is typed into the window that had the keyboard
//! focus when it started. Every batch of [`REPORT_EVERY`] keys is sent under a
//! server grab right after a look at the focus (see `typing.rs`), so no other
//! client can move the focus between the look and the keys; when it has moved,
//! typing stops there and the message fails with "focus moved to <app> after N of
//! M characters": the N characters are in the first window, none in the other.
//!
//! [`REPORT_EVERY`]: crate::agent::inject::progress::REPORT_EVERY

use super::X11Injector;
use crate::agent::inject::InjectError;

impl X11Injector {
    /// Note the window that has the focus now: the message goes there.
    pub(super) fn note_focus(&mut self) {
        self.started_in = self.input_focus();
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
