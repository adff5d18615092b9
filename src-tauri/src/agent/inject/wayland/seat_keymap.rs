//! The user's keymap as the compositor gives it to every client: `wl_seat` →
//! `wl_keyboard` → `keymap` (a file descriptor with the XKB text; which of its
//! layouts is active is told only to the focused client, see
//! [`Layout::from_keymap`]). For the routes that type with the user's own keys
//! (KWin's fake-input, mutter's RemoteDesktop); the connection also carries
//! whatever else such a route binds.

use std::os::unix::fs::FileExt;

use wayland_client::globals::{registry_queue_init, GlobalList};
use wayland_client::protocol::{wl_keyboard, wl_seat};
use wayland_client::{Connection, Dispatch, EventQueue, QueueHandle, WEnum};

use super::session::lost;
use super::windows::Windows;
use crate::agent::inject::layout::Layout;
use crate::agent::inject::InjectError;

/// What the seat told us.
#[derive(Default)]
pub struct KeymapState {
    keymap: Option<String>,
    /// The keymap changed since the layout was last read.
    changed: bool,
    keyboard: Option<wl_keyboard::WlKeyboard>,
    /// The compositor's windows, where a route binds a list of them (KWin).
    pub windows: Windows,
}

/// A connection that follows the seat's keymap.
pub struct SeatKeymap {
    pub queue: EventQueue<KeymapState>,
    pub state: KeymapState,
    pub globals: GlobalList,
    layout: Option<Layout>,
}

impl SeatKeymap {
    /// Connect to `$WAYLAND_DISPLAY`; `None` if there is no compositor there.
    pub fn connect() -> Result<Option<SeatKeymap>, InjectError> {
        let Ok(conn) = Connection::connect_to_env() else {
            return Ok(None);
        };
        Self::on(&conn).map(Some)
    }

    /// On a connection made before (a registry of its own on it).
    pub fn on(conn: &Connection) -> Result<SeatKeymap, InjectError> {
        let (globals, queue) = registry_queue_init::<KeymapState>(conn).map_err(lost)?;
        let qh = queue.handle();
        // The seat announces its capabilities; we ask for its keyboard then.
        globals
            .bind::<wl_seat::WlSeat, _, _>(&qh, 1..=7, ())
            .map_err(|e| InjectError::Unavailable(format!("Wayland: no seat ({e})")))?;
        let mut seat = SeatKeymap {
            queue,
            state: KeymapState::default(),
            globals,
            layout: None,
        };
        seat.roundtrip()?;
        Ok(seat)
    }

    pub fn interfaces(&self) -> Vec<String> {
        self.globals
            .contents()
            .with_list(|list| list.iter().map(|g| g.interface.clone()).collect())
    }

    pub fn roundtrip(&mut self) -> Result<(), InjectError> {
        self.queue.roundtrip(&mut self.state).map_err(lost)?;
        // Twice: the keyboard asked for in the first answers in the second.
        self.queue.roundtrip(&mut self.state).map_err(lost)?;
        Ok(())
    }

    pub fn handle(&self) -> QueueHandle<KeymapState> {
        self.queue.handle()
    }

    /// The user's layout now (the keymap as last announced).
    pub fn layout(&mut self) -> Result<&Layout, InjectError> {
        self.queue.dispatch_pending(&mut self.state).map_err(lost)?;
        if self.state.changed || self.layout.is_none() {
            let keymap = self.state.keymap.as_deref().ok_or_else(|| {
                InjectError::Failed(
                    "the compositor has not told SayType the keyboard layout (no keyboard on \
                     the seat?): plug in or enable a keyboard, then send the message again"
                        .into(),
                )
            })?;
            let layout =
                Layout::from_keymap(keymap).map_err(|e| InjectError::Failed(e.to_string()))?;
            self.state.changed = false;
            self.layout = Some(layout);
        }
        self.layout
            .as_ref()
            .ok_or_else(|| InjectError::Failed("no keyboard layout".into()))
    }
}

ignore_registry!(KeymapState);

impl Dispatch<wl_seat::WlSeat, ()> for KeymapState {
    fn event(
        state: &mut Self,
        seat: &wl_seat::WlSeat,
        event: wl_seat::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        if let wl_seat::Event::Capabilities {
            capabilities: WEnum::Value(caps),
        } = event
        {
            if caps.contains(wl_seat::Capability::Keyboard) && state.keyboard.is_none() {
                state.keyboard = Some(seat.get_keyboard(qh, ()));
            }
        }
    }
}

impl Dispatch<wl_keyboard::WlKeyboard, ()> for KeymapState {
    fn event(
        state: &mut Self,
        _: &wl_keyboard::WlKeyboard,
        event: wl_keyboard::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let wl_keyboard::Event::Keymap { fd, size, .. } = event {
            let file = std::fs::File::from(fd);
            let mut buf = vec![0; size as usize];
            if file.read_exact_at(&mut buf, 0).is_ok() {
                let text = String::from_utf8_lossy(&buf);
                state.keymap = Some(text.trim_end_matches('\0').to_owned());
                state.changed = true;
            }
        }
    }
}
