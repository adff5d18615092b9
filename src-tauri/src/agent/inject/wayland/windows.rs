//! The right window on Wayland, from the compositor's list of windows: wlroots'
//! `zwlr_foreign_toplevel_manager_v1` ([`session`](super::session)) or KWin's
//! `org_kde_plasma_window_management` (`kwin::windows`). Each says which window is
//! activated, with its app id and title. A message is typed into the window that
//! had the focus when it started; the focus is looked at again after every batch
//! of keys (each batch ends with a round trip, which brings the list up to date),
//! and when another window has it, typing stops there and the message fails with
//! "focus moved to <app> after N of M characters". Unlike X11's grab, nothing stops
//! the focus from moving during a batch: at most one batch ([`REPORT_EVERY`]
//! characters) can reach the other window. Pure bookkeeping: the protocols' event
//! handlers fill it in.
//!
//! [`REPORT_EVERY`]: crate::agent::inject::progress::REPORT_EVERY

use std::collections::HashMap;
use std::hash::Hash;

use wayland_client::backend::ObjectId;

use crate::agent::inject::{FocusNow, InjectError};
use crate::protocol::ws::Target;

/// A window, as the compositor's list describes it.
#[derive(Default)]
pub struct Window {
    pub app_id: String,
    pub title: String,
    pub activated: bool,
}

/// The compositor's windows (by protocol object), and where the current message
/// started.
pub struct Windows<K = ObjectId> {
    /// The compositor lists its windows to us (else the focus is unknown).
    pub listed: bool,
    map: HashMap<K, Window>,
    /// The window that had the focus when the message started.
    started_in: Option<K>,
    /// The window whose focus is watched between messages, and whether the
    /// focus left it since (another window was activated, or it was deactivated).
    watched: Option<K>,
    left: bool,
    /// Small numbers for the windows (a window's id for [`FocusNow`]).
    numbers: HashMap<K, u64>,
    next_number: u64,
}

impl<K> Default for Windows<K> {
    fn default() -> Self {
        Windows {
            listed: false,
            map: HashMap::new(),
            started_in: None,
            watched: None,
            left: false,
            numbers: HashMap::new(),
            next_number: 0,
        }
    }
}

impl<K: Eq + Hash + Clone> Windows<K> {
    /// The window `id` (created on its first event).
    pub fn entry(&mut self, id: K) -> &mut Window {
        self.map.entry(id).or_default()
    }

    /// Window `id` changed its activated state.
    pub fn set_activated(&mut self, id: K, activated: bool) {
        if let Some(watched) = &self.watched {
            if (activated && *watched != id) || (!activated && *watched == id) {
                self.left = true;
            }
        }
        self.entry(id).activated = activated;
    }

    /// Window `id` is gone.
    pub fn remove(&mut self, id: &K) {
        if self.watched.as_ref() == Some(id) {
            self.left = true;
        }
        self.map.remove(id);
        self.numbers.remove(id);
    }

    fn focused(&self) -> Option<(&K, &Window)> {
        self.map.iter().find(|(_, w)| w.activated)
    }

    /// The app id of the focused window (`foot`, `org.gnome.gedit`), if known.
    pub fn focused_app(&self) -> Option<String> {
        self.focused().map(|(_, w)| w.app_id.clone())
    }

    /// The focused window, for the result: its app id and title.
    pub fn focused_target(&self) -> Option<Target> {
        let (_, w) = self.focused()?;
        (!w.app_id.is_empty()).then(|| Target {
            app: w.app_id.clone(),
            title: (!w.title.is_empty()).then(|| w.title.clone()),
            method: None,
        })
    }

    /// Fails when the compositor says no window is focused: keys would go nowhere.
    pub fn check_focus(&self) -> Result<(), InjectError> {
        if self.listed && self.focused().is_none() {
            return Err(InjectError::Failed(
                "no window has the keyboard focus on this Wayland desktop: click into the \
                 window to type into, then send the message again"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Note the window that has the focus now: the message goes there.
    pub fn note_focus(&mut self) {
        self.started_in = self.focused().map(|(id, _)| id.clone());
    }

    /// An error if the focus is no longer where the message started; `typed` of
    /// `total` characters have been sent. Call after a round trip.
    pub fn focus_kept(&self, typed: usize, total: usize) -> Result<(), InjectError> {
        let Some(started_in) = &self.started_in else {
            // No window list, or no focus when it started: nothing to compare.
            return Ok(());
        };
        let now = self.focused();
        if now.is_some_and(|(id, _)| id == started_in) {
            return Ok(());
        }
        let app = now
            .map(|(_, w)| w.app_id.clone())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "no window".to_owned());
        Err(InjectError::FocusMoved { app, typed, total })
    }

    /// Watch the focused window from now on (after a message went into it).
    pub fn watch(&mut self) {
        self.watched = self.focused().map(|(id, _)| id.clone());
        self.left = false;
    }

    /// The focused window and whether the focus stayed in it since [`watch`](Self::watch).
    /// Call after a round trip.
    pub fn now(&mut self) -> Option<FocusNow> {
        let id = self.focused()?.0.clone();
        let stayed = self.watched.as_ref() == Some(&id) && !self.left;
        let number = match self.numbers.get(&id) {
            Some(n) => *n,
            None => {
                self.next_number += 1;
                self.numbers.insert(id, self.next_number);
                self.next_number
            }
        };
        Some(FocusNow {
            window: number,
            stayed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(windows: &mut Windows<u32>, id: u32, app: &str) {
        windows.entry(id).app_id = app.into();
    }

    fn two() -> Windows<u32> {
        let mut w = Windows {
            listed: true,
            ..Windows::default()
        };
        window(&mut w, 1, "foot");
        window(&mut w, 2, "org.kde.kate");
        w
    }

    #[test]
    fn the_activated_window_is_the_focus_and_its_target() {
        let mut w = two();
        assert!(w.check_focus().is_err(), "no window activated");
        assert_eq!(w.focused_target(), None);
        w.set_activated(2, true);
        assert!(w.check_focus().is_ok());
        assert_eq!(w.focused_app().as_deref(), Some("org.kde.kate"));
        w.entry(2).title = "notes.txt".into();
        let target = w.focused_target().expect("target");
        assert_eq!(
            (target.app.as_str(), target.title.as_deref()),
            ("org.kde.kate", Some("notes.txt"))
        );
        assert!(
            Windows::<u32>::default().check_focus().is_ok(),
            "not listed: unknown, not refused"
        );
    }

    #[test]
    fn focus_moving_part_way_names_the_window_and_the_count() {
        let mut w = two();
        w.set_activated(1, true);
        w.note_focus();
        assert!(w.focus_kept(5, 10).is_ok());
        w.set_activated(1, false);
        w.set_activated(2, true);
        assert_eq!(
            w.focus_kept(6, 10).expect_err("moved").to_string(),
            InjectError::FocusMoved {
                app: "org.kde.kate".into(),
                typed: 6,
                total: 10
            }
            .to_string()
        );
    }

    #[test]
    fn stayed_only_while_the_watched_window_kept_the_focus() {
        let mut w = two();
        w.set_activated(1, true);
        w.watch();
        let first = w.now().expect("focus");
        assert!(first.stayed);
        // Away and back between two messages: not stayed, same window number.
        w.set_activated(1, false);
        w.set_activated(2, true);
        w.set_activated(2, false);
        w.set_activated(1, true);
        let back = w.now().expect("focus");
        assert_eq!((back.window, back.stayed), (first.window, false));
        w.watch();
        assert!(w.now().expect("focus").stayed);
        w.remove(&1);
        assert!(w.now().is_none());
    }
}
