//! The portable backend, for systems without a route of their own (Windows, macOS):
//! enigo's own text entry for typing, arboard + the platform's paste shortcut for
//! pasting, with the user's clipboard given back by the [`Lent`] guard.
//!
//! It is compiled on Linux too (unused there: X11 has exact typing) so that
//! `cargo check` on Linux keeps it honest.
#![cfg_attr(target_os = "linux", allow(dead_code))]

use std::time::Duration;

use enigo::{Direction, Enigo, Key, Keyboard, Settings};

use super::clipboard::Lent;
use super::InjectError;

/// As on X11: the target reads the clipboard some time after the shortcut.
const PASTE_HOLD: Duration = Duration::from_millis(200);

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
        let enigo = Enigo::new(&Settings::default()).map_err(|e| {
            InjectError::Unavailable(format!("cannot simulate keyboard input: {e}"))
        })?;
        Ok(PortableInjector {
            enigo,
            clipboard: None,
        })
    }

    pub fn type_text(&mut self, text: &str) -> Result<(), InjectError> {
        self.enigo.text(text).map_err(input_error)
    }

    pub fn paste_text(&mut self, text: &str) -> Result<(), InjectError> {
        let clipboard = match &mut self.clipboard {
            Some(clipboard) => clipboard,
            empty => empty.insert(
                arboard::Clipboard::new()
                    .map_err(|e| InjectError::Unavailable(format!("no clipboard: {e}")))?,
            ),
        };
        let _lent = Lent::put(clipboard, text)?;
        let pressed = self.enigo.key(PASTE_MODIFIER, Direction::Press);
        let clicked = pressed.and_then(|()| self.enigo.key(Key::Unicode('v'), Direction::Click));
        let _ = self.enigo.key(PASTE_MODIFIER, Direction::Release);
        clicked.map_err(input_error)?;
        std::thread::sleep(PASTE_HOLD);
        Ok(())
    }
}

fn input_error(e: enigo::InputError) -> InjectError {
    InjectError::Failed(format!("keyboard input failed: {e}"))
}
