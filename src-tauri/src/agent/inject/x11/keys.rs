//! Single keys for the dictation flow: Return ("press enter", also in terminals:
//! the one way a dictated message presses it) and BackSpace ("scratch that"),
//! sent like typed text: in batches under a server grab right after a look at the
//! focus ([`super::focus`]), so they go into the window they started in or
//! nowhere.

use super::keymap::{BACKSPACE, RETURN};
use super::planner::Stroke;
use super::X11Injector;
use crate::agent::inject::progress::{checkpoint, Progress, REPORT_EVERY};
use crate::agent::inject::{FocusNow, InjectError, Key};

impl X11Injector {
    /// Press `key` `count` times into the focused window.
    pub fn press(
        &mut self,
        key: Key,
        count: usize,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        self.refresh_keymap()?;
        self.release_held_modifiers()?;
        self.note_focus();
        let keysym = match key {
            Key::Return => RETURN,
            Key::BackSpace => BACKSPACE,
        };
        let (keycode, shift) = self
            .typist
            .find(keysym)
            .ok_or_else(|| InjectError::Failed(format!("no key for keysym {keysym:#x}")))?;
        let strokes = vec![Stroke { keycode, shift }; count];
        checkpoint(progress, 0, count)?;
        let mut done = 0;
        for batch in strokes.chunks(REPORT_EVERY) {
            self.send_batch(batch, done, count)?;
            done += batch.len();
            checkpoint(progress, done, count)?;
        }
        Ok(())
    }

    /// The focused window, and whether the focus stayed in it since
    /// [`X11Injector::watch_focus`].
    pub fn focus_now(&mut self) -> Option<FocusNow> {
        self.focus_watch()?.now()
    }

    /// Watch the focused window from now on.
    pub fn watch_focus(&mut self) {
        if let Some(watch) = self.focus_watch() {
            watch.watch();
        }
    }

    /// The watch's connection, made the first time.
    fn focus_watch(&mut self) -> Option<&mut super::watch::FocusWatch> {
        if self.focus_watch.is_none() {
            self.focus_watch = super::watch::FocusWatch::connect();
        }
        self.focus_watch.as_mut()
    }
}
