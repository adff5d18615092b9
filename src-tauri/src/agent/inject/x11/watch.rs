//! Whether the focus left a window between two messages: the window the last
//! message went into is watched for `FocusOut` on an X connection of its own (the
//! typing connection's event queue belongs to its ping barrier). Any focus change
//! away from it counts (a click elsewhere, a window manager's Alt+Tab), except
//! the focus moving into one of its own subwindows and the passing grabs of a
//! key binding. It cannot see the user type or click inside the window itself.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ChangeWindowAttributesAux, ConnectionExt, EventMask, NotifyDetail, NotifyMode, Window,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use crate::agent::inject::FocusNow;

pub struct FocusWatch {
    conn: RustConnection,
    window: Option<Window>,
    left: bool,
}

impl FocusWatch {
    pub fn connect() -> Option<FocusWatch> {
        let (conn, _) = x11rb::connect(None).ok()?;
        Some(FocusWatch {
            conn,
            window: None,
            left: false,
        })
    }

    fn input_focus(&self) -> Option<Window> {
        let focus = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
        (focus > 1).then_some(focus)
    }

    /// Read the events that came: did the focus leave the watched window?
    fn drain(&mut self) {
        while let Ok(Some(event)) = self.conn.poll_for_event() {
            if let Event::FocusOut(e) = event {
                let passing = e.mode == NotifyMode::GRAB || e.mode == NotifyMode::UNGRAB;
                if Some(e.event) == self.window && !passing && e.detail != NotifyDetail::INFERIOR {
                    self.left = true;
                }
            }
        }
    }

    /// Watch the window that has the focus now (and stop watching the last one).
    pub fn watch(&mut self) {
        if let Some(old) = self.window.take() {
            let none = ChangeWindowAttributesAux::new().event_mask(EventMask::NO_EVENT);
            let _ = self.conn.change_window_attributes(old, &none);
        }
        self.drain();
        self.left = false;
        let Some(focus) = self.input_focus() else {
            return;
        };
        let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::FOCUS_CHANGE);
        if self.conn.change_window_attributes(focus, &aux).is_err() {
            return;
        }
        self.window = Some(focus);
        // The focus may have moved before the selection took effect.
        if self.input_focus() != Some(focus) {
            self.left = true;
        }
    }

    /// The focused window now, and whether the focus stayed in the watched one.
    pub fn now(&mut self) -> Option<FocusNow> {
        // The reply comes after every event the server sent before it.
        let focus = self.input_focus();
        self.drain();
        let focus = focus?;
        Some(FocusNow {
            window: u64::from(focus),
            stayed: self.window == Some(focus) && !self.left,
        })
    }
}
