//! The user's clipboard, lent to a paste and given back by a drop guard, so it is
//! restored on every way out of the paste, an error half way included.
//!
//! The restore is skipped when the clipboard no longer holds our text: something
//! else (the user, a clipboard manager) took it meanwhile, and theirs wins.

use std::time::{Duration, Instant};

use super::InjectError;

/// How long the clipboard keeps the pasted text before the user's is put back: the
/// target reads it some time after the paste shortcut (WebKit needs ~200 ms).
pub const PASTE_HOLD: Duration = Duration::from_millis(200);
/// How long a new clipboard text may take to be the one the desktop hands out.
const SETTLE: Duration = Duration::from_secs(2);

/// Paste `text` through the clipboard in `slot` (opened on first use): lend it the
/// text, send the paste `shortcut`, hold for [`PASTE_HOLD`], then give it back.
pub fn paste_with(
    slot: &mut Option<arboard::Clipboard>,
    text: &str,
    shortcut: impl FnOnce() -> Result<(), InjectError>,
) -> Result<(), InjectError> {
    let clipboard = open(slot)?;
    // Dropped on every way out: the user's clipboard comes back.
    let _lent = Lent::put(clipboard, text)?;
    shortcut()?;
    std::thread::sleep(PASTE_HOLD);
    Ok(())
}

/// The clipboard in `slot`, opened on first use.
pub fn open(slot: &mut Option<arboard::Clipboard>) -> Result<&mut arboard::Clipboard, InjectError> {
    match slot {
        Some(clipboard) => Ok(clipboard),
        empty => Ok(empty.insert(
            arboard::Clipboard::new()
                .map_err(|e| InjectError::Unavailable(format!("no clipboard: {e}")))?,
        )),
    }
}

/// The clipboard operations a paste needs; arboard in the backends, a fake in tests.
pub trait Clipboard {
    /// The current text, if the clipboard holds text.
    fn text(&mut self) -> Option<String>;
    fn set_text(&mut self, text: &str) -> Result<(), InjectError>;
    fn clear(&mut self);
}

impl Clipboard for arboard::Clipboard {
    fn text(&mut self) -> Option<String> {
        self.get_text().ok()
    }

    /// Returns once the clipboard hands out `text`: arboard's Wayland backend
    /// returns before its own connection has even sent `set_selection` (a thread
    /// of its own does that), so a paste shortcut sent at once could reach the
    /// window before the new selection does, and it pasted the old one or nothing
    /// (1 paste in 10 in the benchmark). A read goes through the display server
    /// (the compositor, or the X server), so reading `text` back means the server
    /// has made it the selection, and has told the focused window so before any
    /// key sent after this.
    fn set_text(&mut self, text: &str) -> Result<(), InjectError> {
        arboard::Clipboard::set_text(self, text)
            .map_err(|e| InjectError::Failed(format!("cannot set the clipboard: {e}")))?;
        settle(|| self.get_text().ok(), text)
    }

    fn clear(&mut self) {
        let _ = arboard::Clipboard::clear(self);
    }
}

/// Wait until `read` gives back `text`: the selection is the one the display
/// server hands out (see [`Clipboard::set_text`] for arboard).
pub fn settle(mut read: impl FnMut() -> Option<String>, text: &str) -> Result<(), InjectError> {
    let deadline = Instant::now() + SETTLE;
    while read().as_deref() != Some(text) {
        if Instant::now() > deadline {
            return Err(InjectError::Failed(
                "the clipboard did not take the text to paste (does a clipboard \
                 manager replace it?); nothing was pasted"
                    .into(),
            ));
        }
        std::thread::yield_now();
    }
    Ok(())
}

/// Holds `text` on the clipboard; on drop, puts back what was there before.
pub struct Lent<'a> {
    clipboard: &'a mut dyn Clipboard,
    previous: Option<String>,
    ours: String,
}

impl<'a> Lent<'a> {
    /// Remember the user's text, then put `text` on the clipboard.
    pub fn put(clipboard: &'a mut dyn Clipboard, text: &str) -> Result<Lent<'a>, InjectError> {
        let previous = clipboard.text();
        clipboard.set_text(text)?;
        Ok(Lent {
            clipboard,
            previous,
            ours: text.to_owned(),
        })
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if self.clipboard.text().as_deref() != Some(self.ours.as_str()) {
            return;
        }
        match self.previous.take() {
            Some(previous) => {
                let _ = self.clipboard.set_text(&previous);
            }
            None => self.clipboard.clear(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Fake(Option<String>);

    impl Clipboard for Fake {
        fn text(&mut self) -> Option<String> {
            self.0.clone()
        }
        fn set_text(&mut self, text: &str) -> Result<(), InjectError> {
            self.0 = Some(text.to_owned());
            Ok(())
        }
        fn clear(&mut self) {
            self.0 = None;
        }
    }

    fn paste_that_fails(clipboard: &mut dyn Clipboard) -> Result<(), InjectError> {
        let _lent = Lent::put(clipboard, "dictated")?;
        Err(InjectError::Failed("no key for Control".into()))
    }

    #[test]
    fn restored_on_drop_even_after_an_error() {
        let mut clipboard = Fake(Some("mine".into()));
        assert!(paste_that_fails(&mut clipboard).is_err());
        assert_eq!(clipboard.0.as_deref(), Some("mine"));

        let mut empty = Fake::default();
        {
            let _lent = Lent::put(&mut empty, "dictated").expect("put");
        }
        assert_eq!(empty.0, None, "an empty clipboard is emptied again");
    }

    #[test]
    fn not_restored_when_someone_else_took_the_clipboard() {
        let mut clipboard = Fake(Some("mine".into()));
        {
            let lent = Lent::put(&mut clipboard, "dictated").expect("put");
            lent.clipboard.set_text("copied meanwhile").expect("set");
        }
        assert_eq!(clipboard.0.as_deref(), Some("copied meanwhile"));
    }
}
