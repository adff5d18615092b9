//! The portable backend, for systems without a route of their own (Windows, macOS):
//! enigo's own text entry for typing, arboard + the platform's paste shortcut for
//! pasting, with the user's clipboard given back by the
//! [`Lent`](super::clipboard::Lent) guard.
//!
//! It is compiled on Linux too (unused there: X11 has exact typing) so that
//! `cargo check` on Linux keeps it honest.
#![cfg_attr(target_os = "linux", allow(dead_code))]

use enigo::{Direction, Enigo, Key, Keyboard, Settings};

use super::clipboard::paste_with;
use super::progress::{checkpoint, Progress};
use super::{input_error, new_enigo, InjectError};

/// The paste shortcut's modifier: Command on macOS, Control elsewhere.
const PASTE_MODIFIER: Key = if cfg!(target_os = "macos") {
    Key::Meta
} else {
    Key::Control
};

pub struct PortableInjector {
    enigo: Enigo,
    clipboard: Option<arboard::Clipboard>,
}

impl PortableInjector {
    pub fn connect() -> Result<PortableInjector, InjectError> {
        Ok(PortableInjector {
            enigo: new_enigo(&Settings::default())?,
            clipboard: None,
        })
    }

    /// Typed in pieces of [`REPORT_EVERY`](super::progress::REPORT_EVERY)
    /// characters, so progress is told and a stop is heard between them.
    pub fn type_text(
        &mut self,
        text: &str,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let chars: Vec<char> = text.chars().collect();
        let mut typed = 0;
        for piece in chars.chunks(super::progress::REPORT_EVERY) {
            let piece: String = piece.iter().collect();
            self.enigo.text(&piece).map_err(input_error)?;
            typed += piece.chars().count();
            checkpoint(progress, typed, chars.len())?;
        }
        Ok(())
    }

    pub fn paste_text(
        &mut self,
        text: &str,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        checkpoint(progress, 0, text.chars().count())?;
        let enigo = &mut self.enigo;
        paste_with(&mut self.clipboard, text, || {
            let pressed = enigo.key(PASTE_MODIFIER, Direction::Press);
            let clicked = pressed.and_then(|()| enigo.key(Key::Unicode('v'), Direction::Click));
            let _ = enigo.key(PASTE_MODIFIER, Direction::Release);
            clicked.map_err(input_error)
        })
    }
}
