//! One paste through a clipboard SayType holds for the moment: the user's text is
//! kept, ours goes in, the paste shortcut is sent, and once the window has read it
//! (held a moment longer: a window may read twice) the user's text goes back,
//! unless someone else took the clipboard meanwhile. Two kinds of clipboard: the
//! compositor's data-control one (KWin; the portal route where the portal has
//! none) and a remote-desktop session's own (mutter, the portal).

use std::time::{Duration, Instant};

use super::clipboard::PASTE_HOLD;
use super::remote_clipboard::Shared;
use super::wayland::data_control::DataControl;
use super::InjectError;

/// How long the window may take to read a paste.
const READ_WAIT: Duration = Duration::from_secs(3);

/// Paste `text` through the data-control clipboard; `send` presses the shortcut.
pub fn through_data_control(
    control: &DataControl,
    text: &str,
    send: impl FnOnce() -> Result<(), InjectError>,
) -> Result<(), InjectError> {
    let previous = control.text()?;
    control.set(Some(text.to_owned()))?;
    let read = send().and_then(|()| wait_read(|| control.reads()));
    if control.text()?.as_deref() == Some(text) {
        control.set(previous)?;
    }
    read
}

/// Paste `text` through a remote-desktop session's clipboard (its D-Bus calls on
/// `runtime`); `send` presses the shortcut.
pub fn through_session(
    shared: &Shared,
    runtime: &tokio::runtime::Runtime,
    text: &str,
    send: impl FnOnce() -> Result<(), InjectError>,
) -> Result<(), InjectError> {
    let previous = runtime.block_on(async {
        let previous = shared.text().await;
        shared.offer(text.to_owned()).await.map(|()| previous)
    })?;
    let read = send().and_then(|()| wait_read(|| Ok(shared.reads())));
    if let Some(previous) = previous.filter(|_| shared.owns()) {
        runtime.block_on(shared.offer(previous))?;
    }
    read
}

/// After the paste shortcut: wait until the window has read the text from our
/// clipboard owner (`reads` counts the hand-overs), then hold it a moment longer.
fn wait_read(reads: impl Fn() -> Result<usize, InjectError>) -> Result<(), InjectError> {
    let deadline = Instant::now() + READ_WAIT;
    while reads()? == 0 {
        if Instant::now() > deadline {
            return Err(InjectError::NotRead { blind: false });
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(PASTE_HOLD);
    Ok(())
}
