//! The X11 typing backend: executes the [`planner`](super::planner)'s chunks with
//! XTest key events on our own X connection, binding spare keycodes first and
//! waiting for a barrier before rebinding one the target may still be reading.
//!
//! The key events go on the connection that binds the keycodes and reads the
//! focus, so the server takes them in that order: a binding is in force before the
//! key that uses it, and each batch is sent under a server grab right after a look
//! at the focus ([`super::focus`]). enigo still taps Caps Lock and releases held
//! modifiers.

use std::time::{Duration, Instant};

use enigo::{Direction, Keyboard};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ClientMessageEvent, ConnectionExt, EventMask, KeyButMask,
    KEY_PRESS_EVENT, KEY_RELEASE_EVENT,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::protocol::Event;

use super::keymap::CAPS_LOCK;
use super::planner::{Chunk, PlanError, Stroke};
use super::{read_keymap, x11_error, X11Injector};
use crate::agent::inject::progress::{checkpoint, Progress, REPORT_EVERY};
use crate::agent::inject::{input_error, InjectError};

/// Barrier for windows that do not answer `_NET_WM_PING` (xterm and other Xt
/// programs): wait this long after the last use of a keycode, plus
/// [`BACKLOG_PER_KEY`] for every key sent since the previous barrier, before
/// rebinding it. xterm processes about 5,000 keys/s here; this allows for clients
/// ten times slower.
const REBIND_GUARD: Duration = Duration::from_millis(150);
const BACKLOG_PER_KEY: Duration = Duration::from_micros(2_000);
/// How long a ping barrier waits for the target's answer.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

impl X11Injector {
    /// Type `text` into the focused window, exactly, telling `progress` as it goes.
    pub fn type_text(
        &mut self,
        text: &str,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        self.refresh_keymap()?;
        self.release_held_modifiers()?;
        self.note_focus();
        // Caps Lock would turn typed letters into capitals: lift it while typing.
        let caps = self.caps_lock_on();
        if caps {
            self.tap_keysym(CAPS_LOCK)?;
        }
        let result = self.type_chunks(text, progress);
        if caps {
            let _ = self.tap_keysym(CAPS_LOCK);
        }
        result
    }

    fn type_chunks(&mut self, text: &str, progress: &mut dyn Progress) -> Result<(), InjectError> {
        let total = text.chars().count();
        let mut typed = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let chunk = self
                .typist
                .next_chunk(rest)
                .map_err(|e: PlanError| InjectError::Failed(e.to_string()))?;
            if chunk.consumed == 0 {
                return Err(InjectError::Failed("could not plan the text".into()));
            }
            self.apply_bindings(&chunk)?;
            let chars = rest[..chunk.consumed].chars().count();
            let sent = self.send_reported(&chunk.strokes, chars, typed, total, progress);
            self.typist.mark_used(&chunk, Instant::now());
            sent?;
            typed += chars;
            rest = &rest[chunk.consumed..];
        }
        Ok(())
    }

    /// Send a chunk's strokes in batches of [`REPORT_EVERY`] ([`Self::send_batch`]),
    /// reporting after each.
    /// The planner makes one stroke per character; should a chunk ever differ, it
    /// is reported once, whole.
    fn send_reported(
        &mut self,
        strokes: &[Stroke],
        chars: usize,
        typed: usize,
        total: usize,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        if strokes.len() != chars {
            self.send_batch(strokes, typed, total)?;
            return checkpoint(progress, typed + chars, total);
        }
        let mut done = typed;
        for batch in strokes.chunks(REPORT_EVERY) {
            self.send_batch(batch, done, total)?;
            done += batch.len();
            checkpoint(progress, done, total)?;
        }
        Ok(())
    }

    fn apply_bindings(&mut self, chunk: &Chunk) -> Result<(), InjectError> {
        if chunk.bindings.is_empty() {
            return Ok(());
        }
        if let Some(last_use) = chunk.rebind_after {
            self.barrier(last_use);
        }
        let per = self.typist.keysyms_per_keycode();
        for &(keycode, pair) in &chunk.bindings {
            // Group 1 and group 2 alike (plain, shifted); the rest empty.
            let syms: Vec<u32> = (0..usize::from(per))
                .map(|i| if i < 4 { pair[i % 2] } else { 0 })
                .collect();
            self.conn
                .change_keyboard_mapping(1, keycode, per, &syms)
                .map_err(x11_error)?;
        }
        // The reply is the round trip that puts the bindings in force before
        // enigo's events arrive; it also shows whether the server kept them as
        // asked (XKB may reinterpret a core binding).
        let keymap = read_keymap(&self.conn)?;
        for &(keycode, pair) in &chunk.bindings {
            if !keymap.carries(keycode, pair) {
                return Err(InjectError::Failed(format!(
                    "the X server did not keep the binding of keycode {keycode} to keysyms {:#x}/{:#x}",
                    pair[0], pair[1]
                )));
            }
        }
        Ok(())
    }

    /// Wait until the focused window has processed every key sent so far: ask it to
    /// answer a `_NET_WM_PING` (answered in event order), or, if it does not speak
    /// that protocol, allow time for its backlog.
    fn barrier(&mut self, last_use: Instant) {
        if self.ping_focused_window() != Some(true) {
            let allowance = REBIND_GUARD + BACKLOG_PER_KEY * self.keys_since_barrier as u32;
            let ready = last_use + allowance;
            let now = Instant::now();
            if ready > now {
                std::thread::sleep(ready - now);
            }
        }
        self.keys_since_barrier = 0;
    }

    /// `Some(true)` once the focused top-level window answered a ping, `Some(false)`
    /// if it did not answer in time, `None` if it does not support pings.
    fn ping_focused_window(&mut self) -> Option<bool> {
        let top = self.focused_toplevel()?;
        let protocols = self
            .conn
            .get_property(false, top, self.atoms.wm_protocols, AtomEnum::ATOM, 0, 64)
            .ok()?
            .reply()
            .ok()?;
        let supports_ping = protocols
            .value32()
            .is_some_and(|mut atoms| atoms.any(|a| a == self.atoms.net_wm_ping));
        if !supports_ping {
            return None;
        }
        if !self.watching_root {
            // The answer is sent to the root window for SubstructureNotify listeners.
            let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY);
            self.conn.change_window_attributes(self.root, &aux).ok()?;
            self.watching_root = true;
        }
        self.ping_serial = self.ping_serial.wrapping_add(1);
        let serial = self.ping_serial;
        let ping = ClientMessageEvent::new(
            32,
            top,
            self.atoms.wm_protocols,
            [self.atoms.net_wm_ping, serial, top, 0, 0],
        );
        self.conn
            .send_event(false, top, EventMask::NO_EVENT, ping)
            .ok()?;
        self.conn.flush().ok()?;
        let deadline = Instant::now() + PING_TIMEOUT;
        while Instant::now() < deadline {
            while let Ok(Some(event)) = self.conn.poll_for_event() {
                if let Event::ClientMessage(msg) = event {
                    let data = msg.data.as_data32();
                    if data[0] == self.atoms.net_wm_ping && data[1] == serial {
                        return Some(true);
                    }
                }
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        Some(false)
    }

    /// Send one batch of strokes into the window the message started in: under a
    /// server grab, the focus is checked, the keys are sent on our own connection
    /// (XTest), and a round trip has the server deliver them, so no other client
    /// (a window manager, a click handled by one) can move the focus between the
    /// check and the keys: a batch goes whole into the right window or not at all.
    pub(super) fn send_batch(
        &mut self,
        strokes: &[Stroke],
        typed: usize,
        total: usize,
    ) -> Result<(), InjectError> {
        self.keys_since_barrier += strokes.len();
        self.conn.grab_server().map_err(x11_error)?;
        let result = self
            .check_focus(typed, total)
            .and_then(|()| self.fake_strokes(strokes))
            .and_then(|()| {
                // The round trip: every key above is delivered before the grab ends.
                self.conn
                    .get_input_focus()
                    .map_err(x11_error)?
                    .reply()
                    .map_err(x11_error)?;
                Ok(())
            });
        let _ = self.conn.ungrab_server();
        let _ = self.conn.flush();
        result
    }

    fn fake_strokes(&mut self, strokes: &[Stroke]) -> Result<(), InjectError> {
        let shift = self.typist.shift_keycode();
        let mut shift_down = false;
        let result = (|| {
            for stroke in strokes {
                if stroke.shift != shift_down {
                    self.fake_key(shift, stroke.shift)?;
                    shift_down = stroke.shift;
                }
                self.fake_key(stroke.keycode, true)?;
                self.fake_key(stroke.keycode, false)?;
            }
            Ok(())
        })();
        if shift_down {
            let _ = self.fake_key(shift, false);
        }
        result
    }

    fn fake_key(&self, keycode: u8, press: bool) -> Result<(), InjectError> {
        let kind = if press {
            KEY_PRESS_EVENT
        } else {
            KEY_RELEASE_EVENT
        };
        self.conn
            .xtest_fake_input(kind, keycode, x11rb::CURRENT_TIME, self.root, 0, 0, 0)
            .map_err(input_failed)?;
        Ok(())
    }

    fn tap_keysym(&mut self, keysym: u32) -> Result<(), InjectError> {
        let (keycode, _) = self
            .typist
            .find(keysym)
            .ok_or_else(|| InjectError::Failed(format!("no key for keysym {keysym:#x}")))?;
        self.enigo
            .raw(u16::from(keycode), Direction::Click)
            .map_err(input_error)
    }

    fn caps_lock_on(&self) -> bool {
        self.conn
            .query_pointer(self.root)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|r| r.mask.contains(KeyButMask::LOCK))
    }
}

fn input_failed(e: impl std::fmt::Display) -> InjectError {
    InjectError::Failed(format!("keyboard input failed: {e}"))
}
