//! The X11 paste backend: the text goes on the clipboard (arboard), the focused
//! window gets Ctrl+V, the clipboard holds the text for
//! [`PASTE_HOLD`](crate::agent::inject::clipboard::PASTE_HOLD), then the user's own
//! clipboard comes back through the
//! [`Lent`](crate::agent::inject::clipboard::Lent) guard, also when a step fails.
//! Terminals (where Ctrl+V is a control character) get their paste through
//! [`super::terminal`] instead.

use enigo::{Direction, Enigo, Keyboard};

use super::keymap::{keysym_of, CONTROL_L};
use super::planner::Typist;
use super::{refresh_keymap, X11Injector};
use crate::agent::inject::clipboard::paste_with;
use crate::agent::inject::progress::{checkpoint, Progress};
use crate::agent::inject::{input_error, InjectError};

impl X11Injector {
    /// Put `text` on the clipboard, send the paste shortcut, hold the clipboard
    /// until the target has read it, then give the user back what they had —
    /// unless something else has taken the clipboard meanwhile.
    pub fn paste_text(
        &mut self,
        text: &str,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        // A paste is all or nothing: the last chance to stop is before it.
        let total = text.chars().count();
        checkpoint(progress, 0, total)?;
        self.release_held_modifiers()?;
        paste_with(&mut self.clipboard, text, || {
            refresh_keymap(&self.conn, &mut self.typist)?;
            let control = key_for(&self.typist, CONTROL_L)?;
            let v = key_for(&self.typist, keysym_of('v'))?;
            chord(&mut self.enigo, &[control], v)
        })?;
        // All of it is in: a stop asked for now changes nothing.
        let _ = progress.advanced(total);
        Ok(())
    }
}

/// The keycode that types `keysym` (at any level).
pub(super) fn key_for(typist: &Typist, keysym: u32) -> Result<u16, InjectError> {
    typist
        .find(keysym)
        .map(|(kc, _)| u16::from(kc))
        .ok_or_else(|| InjectError::Failed(format!("no key for keysym {keysym:#x}")))
}

/// Press `held` in order, click `key`, release `held` (always, also after an error).
pub(super) fn chord(enigo: &mut Enigo, held: &[u16], key: u16) -> Result<(), InjectError> {
    let mut sent = Ok(());
    for &k in held {
        if sent.is_ok() {
            sent = enigo.raw(k, Direction::Press).map_err(input_error);
        }
    }
    if sent.is_ok() {
        sent = enigo.raw(key, Direction::Click).map_err(input_error);
    }
    for &k in held.iter().rev() {
        let _ = enigo.raw(k, Direction::Release);
    }
    sent
}
