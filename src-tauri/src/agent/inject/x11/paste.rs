//! The X11 paste backend: the text goes on the clipboard (arboard), the focused
//! window gets Ctrl+V (Ctrl+Shift+V in terminals, where Ctrl+V is a control
//! character), the clipboard holds the text for [`PASTE_HOLD`], then the user's own
//! clipboard comes back through the [`Lent`] guard, also when a step fails.

use std::time::Duration;

use enigo::{Direction, Keyboard};

use super::keymap::{keysym_of, CONTROL_L};
use super::{input_error, refresh_keymap, X11Injector};
use crate::agent::inject::clipboard::Lent;
use crate::agent::inject::InjectError;

/// How long the clipboard keeps the pasted text before the user's is put back: the
/// target reads it some time after the paste shortcut (WebKit needs ~200 ms).
pub const PASTE_HOLD: Duration = Duration::from_millis(200);

impl X11Injector {
    /// Put `text` on the clipboard, send the paste shortcut, hold the clipboard
    /// until the target has read it, then give the user back what they had —
    /// unless something else has taken the clipboard meanwhile.
    pub fn paste_text(&mut self, text: &str, shift_paste: bool) -> Result<(), InjectError> {
        let clipboard = match &mut self.clipboard {
            Some(clipboard) => clipboard,
            empty => empty.insert(
                arboard::Clipboard::new()
                    .map_err(|e| InjectError::Unavailable(format!("no clipboard: {e}")))?,
            ),
        };
        // Dropped on every way out: the user's clipboard comes back.
        let _lent = Lent::put(clipboard, text)?;
        refresh_keymap(&self.conn, &mut self.typist)?;
        let find = |sym: u32| {
            self.typist
                .find(sym)
                .map(|(kc, _)| u16::from(kc))
                .ok_or_else(|| InjectError::Failed(format!("no key for keysym {sym:#x}")))
        };
        let control = find(CONTROL_L)?;
        let v = find(keysym_of('v'))?;
        let shift = u16::from(self.typist.shift_keycode());
        let mut held = vec![control];
        if shift_paste {
            held.push(shift);
        }
        let mut sent = Ok(());
        for &k in &held {
            if sent.is_ok() {
                sent = self.enigo.raw(k, Direction::Press).map_err(input_error);
            }
        }
        if sent.is_ok() {
            sent = self.enigo.raw(v, Direction::Click).map_err(input_error);
        }
        for &k in held.iter().rev() {
            let _ = self.enigo.raw(k, Direction::Release);
        }
        sent?;
        std::thread::sleep(PASTE_HOLD);
        Ok(())
    }
}
