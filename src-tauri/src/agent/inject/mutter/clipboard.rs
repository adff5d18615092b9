//! The clipboard of mutter's RemoteDesktop session (`EnableClipboard`,
//! `SetSelection`, `SelectionTransfer` → `SelectionWrite`, `SelectionRead`), as
//! GNOME's remote desktop uses it: our session owns the selection, mutter asks it
//! for the text when a window pastes. No Xwayland needed, and we see the read.
//!
//! Requests are served by a task on the injector's runtime, for as long as the
//! session lives (the user's text, given back after a paste, is served by it too).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use zbus::zvariant::{OwnedFd, OwnedValue, Value};
use zbus::Proxy;

use crate::agent::inject::wayland::data_control::{read_all, TEXT_TYPES};
use crate::agent::inject::InjectError;
use crate::sync::lock;

/// How long mutter may take to make our text the selection, or another owner
/// to hand over its text.
const WAIT: Duration = Duration::from_secs(2);

/// What the serving task and the injection thread share.
#[derive(Default)]
pub struct Shared {
    /// The text we offer while our session owns the selection.
    content: Mutex<Option<String>>,
    /// Our session owns the selection (mutter's last `SelectionOwnerChanged`).
    owner: AtomicBool,
    /// Texts handed out since the last `SetSelection`.
    reads: AtomicUsize,
}

/// Enable the session's clipboard and start serving it.
pub async fn enable(session: &Proxy<'static>) -> zbus::Result<Arc<Shared>> {
    let shared = Arc::new(Shared::default());
    let mut transfers = session.receive_signal("SelectionTransfer").await?;
    let mut owners = session.receive_signal("SelectionOwnerChanged").await?;
    session
        .call_method("EnableClipboard", &(HashMap::<&str, Value>::new(),))
        .await?;
    let (s, serve) = (session.clone(), shared.clone());
    tokio::spawn(async move {
        while let Some(message) = transfers.next().await {
            let Ok((_mime, serial)) = message.body().deserialize::<(String, u32)>() else {
                continue;
            };
            let text = lock(&serve.content).clone();
            let written = match text {
                Some(text) => write(&s, serial, text).await,
                None => false,
            };
            if written {
                serve.reads.fetch_add(1, Ordering::SeqCst);
            }
            let _ = s
                .call_method("SelectionWriteDone", &(serial, written))
                .await;
        }
    });
    let watch = shared.clone();
    tokio::spawn(async move {
        while let Some(message) = owners.next().await {
            let Ok(options) = message.body().deserialize::<HashMap<String, OwnedValue>>() else {
                continue;
            };
            let ours = options
                .get("session-is-owner")
                .and_then(|v| bool::try_from(v).ok())
                .unwrap_or(false);
            watch.owner.store(ours, Ordering::SeqCst);
        }
    });
    Ok(shared)
}

/// Hand `text` over through the descriptor mutter gives for `serial`.
async fn write(session: &Proxy<'static>, serial: u32, text: String) -> bool {
    let Ok(fd) = session
        .call::<_, _, OwnedFd>("SelectionWrite", &(serial,))
        .await
    else {
        return false;
    };
    let fd = std::os::fd::OwnedFd::from(fd);
    tokio::task::spawn_blocking(move || std::fs::File::from(fd).write_all(text.as_bytes()).is_ok())
        .await
        .unwrap_or(false)
}

impl Shared {
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }

    pub fn owns(&self) -> bool {
        self.owner.load(Ordering::SeqCst)
    }

    /// The clipboard's text now, if it holds text.
    pub async fn text(&self, session: &Proxy<'static>) -> Option<String> {
        if self.owns() {
            return lock(&self.content).clone();
        }
        for mime in TEXT_TYPES {
            if let Ok(fd) = session
                .call::<_, _, OwnedFd>("SelectionRead", &(*mime,))
                .await
            {
                let fd = std::os::fd::OwnedFd::from(fd);
                return tokio::task::spawn_blocking(move || read_all(fd, WAIT))
                    .await
                    .ok()
                    .flatten();
            }
        }
        None
    }

    /// Offer `text` as the selection; returns once mutter says our session owns it.
    pub async fn offer(&self, session: &Proxy<'static>, text: String) -> Result<(), InjectError> {
        *lock(&self.content) = Some(text);
        self.reads.store(0, Ordering::SeqCst);
        self.owner.store(false, Ordering::SeqCst);
        let mut options = HashMap::new();
        options.insert("mime-types", Value::from(TEXT_TYPES.to_vec()));
        session
            .call_method("SetSelection", &(options,))
            .await
            .map_err(|e| InjectError::Failed(format!("mutter did not take the clipboard: {e}")))?;
        let deadline = Instant::now() + WAIT;
        while !self.owns() {
            if Instant::now() > deadline {
                return Err(InjectError::Failed(
                    "mutter did not make SayType's text the clipboard; nothing was pasted".into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }
}
