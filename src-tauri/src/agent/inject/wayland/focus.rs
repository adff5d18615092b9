//! The right window on wlroots: the compositor's toplevel list
//! (`zwlr_foreign_toplevel_manager_v1`) says which window is activated, with its
//! app id and title. A message is typed into the window that had the focus when
//! it started; the focus is looked at again after every batch of keys (each batch
//! ends with a round trip, which brings the list up to date), and when another
//! window has it, typing stops there and the message fails with "focus moved to
//! <app> after N of M characters". Unlike X11's grab, nothing stops the focus from
//! moving during a batch: at most one batch ([`REPORT_EVERY`] characters) can
//! reach the other window.
//!
//! [`REPORT_EVERY`]: crate::agent::inject::progress::REPORT_EVERY

use wayland_client::backend::ObjectId;

use super::session::{Toplevel, WlrInjector};
use crate::agent::inject::InjectError;
use crate::protocol::ws::Target;

impl WlrInjector {
    /// The activated window in the toplevel list.
    fn focused(&self) -> Option<(&ObjectId, &Toplevel)> {
        self.state.toplevels.iter().find(|(_, t)| t.activated)
    }

    /// The app id of the focused window (`foot`, `org.gnome.gedit`), if known.
    pub fn focused_app(&self) -> Option<String> {
        self.focused().map(|(_, t)| t.app_id.clone())
    }

    /// The focused window, for the result: its app id and title.
    pub fn focused_target(&self) -> Option<Target> {
        let (_, t) = self.focused()?;
        (!t.app_id.is_empty()).then(|| Target {
            app: t.app_id.clone(),
            title: (!t.title.is_empty()).then(|| t.title.clone()),
            method: None,
        })
    }

    /// Note the window that has the focus now: the message goes there.
    pub fn note_focus(&mut self) {
        self.started_in = self.focused().map(|(id, _)| id.clone());
    }

    /// An error if the focus is no longer where the message started; `typed` of
    /// `total` characters have been sent. Call after a round trip.
    pub(super) fn focus_kept(&self, typed: usize, total: usize) -> Result<(), InjectError> {
        let Some(started_in) = &self.started_in else {
            // No toplevel list, or no focus when it started: nothing to compare.
            return Ok(());
        };
        let now = self.focused();
        if now.is_some_and(|(id, _)| id == started_in) {
            return Ok(());
        }
        let app = now
            .map(|(_, t)| t.app_id.clone())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "no window".to_owned());
        Err(InjectError::FocusMoved { app, typed, total })
    }
}
