//! Line breaks into terminals: through the terminal's own paste, never as keys.
//!
//! A terminal reads Shift+Return as Return, so a dictated `touch FILE` + line break
//! ran the command. Pasted, the text reaches the shell inside bracketed-paste
//! markers, and bash (readline 8.1+), zsh and fish insert it without running
//! anything. xterm has no clipboard paste key by default, but Shift+Insert pastes
//! the PRIMARY selection there and in most terminals (VTE, Konsole, kitty, urxvt,
//! tmux passes it on), so the text goes into PRIMARY, lent and given back like the
//! clipboard in [`paste`](super::paste). Every paste into a terminal takes this
//! path (also one without a line break): Ctrl+Shift+V does nothing in plain xterm
//! and reaches bash as quoted-insert.

use arboard::{ClearExtLinux, GetExtLinux, LinuxClipboardKind, SetExtLinux};

use super::keymap::INSERT;
use super::paste::{chord, key_for};
use super::{refresh_keymap, X11Injector};
use crate::agent::inject::clipboard::{self, Clipboard, Lent, PASTE_HOLD};
use crate::agent::inject::progress::{checkpoint, Progress};
use crate::agent::inject::InjectError;

/// The PRIMARY selection, through arboard.
struct Primary<'a>(&'a mut arboard::Clipboard);

impl Clipboard for Primary<'_> {
    fn text(&mut self) -> Option<String> {
        self.0
            .get()
            .clipboard(LinuxClipboardKind::Primary)
            .text()
            .ok()
    }

    fn set_text(&mut self, text: &str) -> Result<(), InjectError> {
        self.0
            .set()
            .clipboard(LinuxClipboardKind::Primary)
            .text(text)
            .map_err(|e| InjectError::Failed(format!("cannot set the PRIMARY selection: {e}")))?;
        clipboard::settle(|| self.text(), text)
    }

    fn clear(&mut self) {
        let _ = self.0.clear_with().clipboard(LinuxClipboardKind::Primary);
    }
}

impl X11Injector {
    /// Paste `text` into the focused terminal: PRIMARY + Shift+Insert, then the
    /// user's PRIMARY selection back.
    pub fn paste_into_terminal(
        &mut self,
        text: &str,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let total = text.chars().count();
        checkpoint(progress, 0, total)?;
        self.release_held_modifiers()?;
        refresh_keymap(&self.conn, &mut self.typist)?;
        let insert = key_for(&self.typist, INSERT)?;
        let shift = u16::from(self.typist.shift_keycode());
        let mut primary = Primary(clipboard::open(&mut self.clipboard)?);
        {
            // Dropped on every way out: the user's selection comes back.
            let _lent = Lent::put(&mut primary, text)?;
            chord(&mut self.enigo, &[shift], insert)?;
            std::thread::sleep(PASTE_HOLD);
        }
        let _ = progress.advanced(total);
        Ok(())
    }
}
