//! The virtual-keyboard route: our own keymaps ([`keymap`](super::keymap))
//! uploaded through a memfd, then the keys, paced; and the paste shortcut with an
//! ordinary US keymap.

use std::io::Write;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::fs::{memfd_create, MemfdFlags};

use super::keymap::{self, Key, CONTROL_MASK, SHIFT_MASK};
use super::session::WlrInjector;
use crate::agent::inject::clipboard::paste_with;
use crate::agent::inject::progress::{checkpoint, Progress, REPORT_EVERY};
use crate::agent::inject::InjectError;

/// The time one character may take at least. sway passes keys on to the window
/// at once, and a window that reads them slower than they come is disconnected
/// when its buffer fills: 2,031 keys unpaced got the GTK window dropped; a round
/// trip per batch plus 0.1–0.5 ms per key was safe (WAYLAND.md). At this figure
/// the window receives at most 4,000 characters a second.
pub const PER_CHAR: Duration = Duration::from_micros(250);
/// `WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1`.
const XKB_V1: u32 = 1;
const PRESSED: u32 = 1;
const RELEASED: u32 = 0;

impl WlrInjector {
    /// Put `keymap` on our virtual keyboard, unless it is there already.
    fn upload(&mut self, keymap: &str) -> Result<(), InjectError> {
        let keyboard = self.keyboard();
        if self.keymap.as_deref() == Some(keymap) {
            return Ok(());
        }
        let fd = memfd_create("saytype-keymap", MemfdFlags::CLOEXEC)
            .map_err(|e| InjectError::Failed(format!("cannot create the keymap file: {e}")))?;
        let mut file = std::fs::File::from(fd);
        // The format wants the text NUL-terminated, the size counting the NUL.
        file.write_all(keymap.as_bytes())
            .and_then(|()| file.write_all(b"\0"))
            .map_err(|e| InjectError::Failed(format!("cannot write the keymap: {e}")))?;
        let size = u32::try_from(keymap.len() + 1)
            .map_err(|_| InjectError::Failed("keymap too large".into()))?;
        keyboard.keymap(XKB_V1, file.as_fd(), size);
        self.keymap = Some(keymap.to_owned());
        Ok(())
    }

    fn now_ms(&self) -> u32 {
        self.epoch.elapsed().as_millis() as u32
    }

    /// Type `text` with the virtual keyboard, exactly, whatever the user's layout.
    pub fn type_keys(
        &mut self,
        text: &str,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let segments =
            keymap::plan(text, self.newline).map_err(|e| InjectError::Failed(e.to_string()))?;
        let total = text.chars().count();
        let mut typed = 0;
        for segment in segments {
            self.upload(&segment.keymap)?;
            typed = self.send_keys(&segment.keys, typed, total, progress)?;
        }
        Ok(())
    }

    /// Press Return or BackSpace `count` times (with an ordinary US keymap),
    /// paced and focus-checked like typed text.
    pub fn press(
        &mut self,
        key: crate::agent::inject::Key,
        count: usize,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let code = match key {
            crate::agent::inject::Key::Return => keymap::US_ENTER,
            crate::agent::inject::Key::BackSpace => keymap::US_BACKSPACE,
        };
        checkpoint(progress, 0, count)?;
        self.upload(keymap::US_KEYMAP)?;
        self.send_keys(&vec![Key { code, shift: false }; count], 0, count, progress)?;
        Ok(())
    }

    /// Send `keys` (with the keymap in place) in paced batches, a round trip and
    /// a look at the focus after each; `done` of `total` were sent before.
    /// Returns how many are sent now.
    fn send_keys(
        &mut self,
        keys: &[Key],
        mut done: usize,
        total: usize,
        progress: &mut dyn Progress,
    ) -> Result<usize, InjectError> {
        let keyboard = self.keyboard();
        keyboard.modifiers(0, 0, 0, 0);
        for batch in keys.chunks(REPORT_EVERY) {
            let started = Instant::now();
            let time = self.now_ms();
            for &Key { code, shift } in batch {
                if shift {
                    keyboard.modifiers(SHIFT_MASK, 0, 0, 0);
                }
                keyboard.key(time, code, PRESSED);
                keyboard.key(time, code, RELEASED);
                if shift {
                    keyboard.modifiers(0, 0, 0, 0);
                }
            }
            self.sync()?;
            if let Some(rest) = (PER_CHAR * batch.len() as u32).checked_sub(started.elapsed()) {
                std::thread::sleep(rest);
            }
            done += batch.len();
            self.state.windows.focus_kept(done, total)?;
            checkpoint(progress, done, total)?;
        }
        Ok(done)
    }

    /// Paste `text`: the data-control clipboard holds it (the user's comes back
    /// through the `Lent` guard), the window gets Ctrl+V, or Ctrl+Shift+V in a
    /// terminal.
    ///
    /// Reported pasted once the compositor hands out our text as the selection
    /// (read back before the shortcut, see `clipboard.rs`: without it, 1 paste in
    /// 10 arrived empty), has processed the shortcut (a round trip on the same
    /// connection, after the US keymap, so the window gets keymap, then keys), and
    /// [`PASTE_HOLD`](crate::agent::inject::clipboard::PASTE_HOLD) has passed. The
    /// window's own read of the clipboard is not visible through arboard.
    pub fn paste_text(
        &mut self,
        text: &str,
        terminal: bool,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let total = text.chars().count();
        checkpoint(progress, 0, total)?;
        let mut clipboard = self.clipboard.take();
        let pasted = paste_with(&mut clipboard, text, || self.paste_shortcut(terminal));
        self.clipboard = clipboard;
        pasted?;
        let _ = progress.advanced(total);
        Ok(())
    }

    fn paste_shortcut(&mut self, terminal: bool) -> Result<(), InjectError> {
        self.upload(keymap::US_KEYMAP)?;
        let keyboard = self.keyboard();
        let time = self.now_ms();
        let (mut held, mut mask) = (vec![keymap::US_LEFT_CTRL], CONTROL_MASK);
        if terminal {
            held.push(keymap::US_LEFT_SHIFT);
            mask |= SHIFT_MASK;
        }
        for &k in &held {
            keyboard.key(time, k, PRESSED);
        }
        keyboard.modifiers(mask, 0, 0, 0);
        keyboard.key(time, keymap::US_V, PRESSED);
        keyboard.key(time, keymap::US_V, RELEASED);
        for &k in held.iter().rev() {
            keyboard.key(time, k, RELEASED);
        }
        keyboard.modifiers(0, 0, 0, 0);
        self.sync()
    }
}
