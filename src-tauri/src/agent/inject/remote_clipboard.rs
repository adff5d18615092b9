//! The clipboard of a remote desktop session, as GNOME's remote desktop uses it:
//! our session owns the selection, the compositor asks it for the text when a
//! window pastes (`SetSelection`, `SelectionTransfer` → `SelectionWrite`,
//! `SelectionWriteDone`; `SelectionRead` for the user's text). No Xwayland
//! needed, and we see the read. Two channels speak it: mutter's private
//! RemoteDesktop session (`EnableClipboard`), and the portal's
//! `org.freedesktop.portal.Clipboard` (`RequestClipboard` before `Start`), whose
//! calls and signals carry the session handle first.
//!
//! Requests are served by a task on the injector's runtime, for as long as the
//! session lives (the user's text, given back after a paste, is served by it too).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use zbus::zvariant::{OwnedFd, OwnedObjectPath, OwnedValue, Value};
use zbus::Proxy;

use crate::agent::inject::wayland::data_control::{read_all, TEXT_TYPES};
use crate::agent::inject::InjectError;
use crate::sync::lock;

/// How long the compositor may take to make our text the selection, or another
/// owner to hand over its text.
const WAIT: Duration = Duration::from_secs(2);

/// Where the clipboard's calls go.
#[derive(Clone)]
pub enum Channel {
    /// mutter's `org.gnome.Mutter.RemoteDesktop.Session` object.
    Mutter(Proxy<'static>),
    /// The portal's `org.freedesktop.portal.Clipboard`, for this session.
    Portal {
        clipboard: Proxy<'static>,
        session: OwnedObjectPath,
    },
}

type Options = HashMap<&'static str, Value<'static>>;

impl Channel {
    fn proxy(&self) -> &Proxy<'static> {
        match self {
            Channel::Mutter(p) | Channel::Portal { clipboard: p, .. } => p,
        }
    }

    /// A call, with the session handle first on the portal.
    async fn call<R>(&self, call: Call<'_>) -> zbus::Result<R>
    where
        R: for<'d> serde::Deserialize<'d> + zbus::zvariant::Type,
    {
        let (p, session) = match self {
            Channel::Mutter(p) => (p, None),
            Channel::Portal { clipboard, session } => (clipboard, Some(session)),
        };
        match (call, session) {
            (Call::Write(serial), None) => p.call("SelectionWrite", &(serial,)).await,
            (Call::Write(serial), Some(s)) => p.call("SelectionWrite", &(s, serial)).await,
            (Call::WriteDone(serial, ok), None) => {
                p.call("SelectionWriteDone", &(serial, ok)).await
            }
            (Call::WriteDone(serial, ok), Some(s)) => {
                p.call("SelectionWriteDone", &(s, serial, ok)).await
            }
            (Call::Read(mime), None) => p.call("SelectionRead", &(mime,)).await,
            (Call::Read(mime), Some(s)) => p.call("SelectionRead", &(s, mime)).await,
            (Call::Set(options), None) => p.call("SetSelection", &(options,)).await,
            (Call::Set(options), Some(s)) => p.call("SetSelection", &(s, options)).await,
        }
    }

    /// A `SelectionTransfer` for our session: (mime type, serial).
    fn transfer(&self, message: &zbus::Message) -> Option<(String, u32)> {
        let body = message.body();
        match self {
            Channel::Mutter(_) => body.deserialize().ok(),
            Channel::Portal { session, .. } => {
                let (to, mime, serial) =
                    body.deserialize::<(OwnedObjectPath, String, u32)>().ok()?;
                (to == *session).then_some((mime, serial))
            }
        }
    }

    /// A `SelectionOwnerChanged` for our session: whether we own the selection.
    fn owner_changed(&self, message: &zbus::Message) -> Option<bool> {
        type Changed = HashMap<String, OwnedValue>;
        let body = message.body();
        let options = match self {
            Channel::Mutter(_) => body.deserialize::<Changed>().ok()?,
            Channel::Portal { session, .. } => {
                let (to, options) = body.deserialize::<(OwnedObjectPath, Changed)>().ok()?;
                (to == *session).then_some(options)?
            }
        };
        // mutter spells it with dashes, the portal with underscores.
        let ours = ["session-is-owner", "session_is_owner"]
            .iter()
            .find_map(|k| options.get(*k))
            .and_then(|v| bool::try_from(v).ok());
        Some(ours.unwrap_or(false))
    }
}

/// The clipboard calls.
enum Call<'a> {
    Write(u32),
    WriteDone(u32, bool),
    Read(&'a str),
    Set(Options),
}

/// What the serving task and the injection thread share.
pub struct Shared {
    channel: Channel,
    /// The text we offer while our session owns the selection.
    content: Mutex<Option<String>>,
    /// Our session owns the selection (the last `SelectionOwnerChanged`).
    owner: AtomicBool,
    /// Texts handed out since the last `SetSelection`.
    reads: AtomicUsize,
}

/// Enable the session's clipboard (mutter: `EnableClipboard`; the portal's was
/// requested before `Start`) and start serving it.
pub async fn enable(channel: Channel) -> zbus::Result<Arc<Shared>> {
    let shared = Arc::new(Shared {
        channel: channel.clone(),
        content: Mutex::default(),
        owner: AtomicBool::new(false),
        reads: AtomicUsize::new(0),
    });
    let proxy = channel.proxy();
    let mut transfers = proxy.receive_signal("SelectionTransfer").await?;
    let mut owners = proxy.receive_signal("SelectionOwnerChanged").await?;
    if let Channel::Mutter(session) = &channel {
        session
            .call_method("EnableClipboard", &(Options::new(),))
            .await?;
    }
    let serve = shared.clone();
    tokio::spawn(async move {
        while let Some(message) = transfers.next().await {
            let Some((_mime, serial)) = serve.channel.transfer(&message) else {
                continue;
            };
            let text = lock(&serve.content).clone();
            let written = match text {
                Some(text) => write(&serve.channel, serial, text).await,
                None => false,
            };
            if written {
                serve.reads.fetch_add(1, Ordering::SeqCst);
            }
            let _ = serve
                .channel
                .call::<()>(Call::WriteDone(serial, written))
                .await;
        }
    });
    let watch = shared.clone();
    tokio::spawn(async move {
        while let Some(message) = owners.next().await {
            let Some(ours) = watch.channel.owner_changed(&message) else {
                continue;
            };
            watch.owner.store(ours, Ordering::SeqCst);
        }
    });
    Ok(shared)
}

/// Hand `text` over through the descriptor the compositor gives for `serial`.
async fn write(channel: &Channel, serial: u32, text: String) -> bool {
    let Ok(fd) = channel.call::<OwnedFd>(Call::Write(serial)).await else {
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
    pub async fn text(&self) -> Option<String> {
        if self.owns() {
            return lock(&self.content).clone();
        }
        for mime in TEXT_TYPES {
            if let Ok(fd) = self.channel.call::<OwnedFd>(Call::Read(mime)).await {
                let fd = std::os::fd::OwnedFd::from(fd);
                return tokio::task::spawn_blocking(move || read_all(fd, WAIT))
                    .await
                    .ok()
                    .flatten();
            }
        }
        None
    }

    /// Offer `text` as the selection; returns once the compositor says our
    /// session owns it.
    pub async fn offer(&self, text: String) -> Result<(), InjectError> {
        *lock(&self.content) = Some(text);
        self.reads.store(0, Ordering::SeqCst);
        self.owner.store(false, Ordering::SeqCst);
        // mutter spells the key with a dash, the portal with an underscore.
        let key = match self.channel {
            Channel::Mutter(_) => "mime-types",
            Channel::Portal { .. } => "mime_types",
        };
        let mut options = Options::new();
        options.insert(key, Value::from(TEXT_TYPES.to_vec()));
        self.channel
            .call::<()>(Call::Set(options))
            .await
            .map_err(|e| {
                InjectError::Failed(format!("the desktop did not take the clipboard: {e}"))
            })?;
        let deadline = Instant::now() + WAIT;
        while !self.owns() {
            if Instant::now() > deadline {
                return Err(InjectError::Failed(
                    "the desktop did not make SayType's text the clipboard; nothing was pasted"
                        .into(),
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(())
    }
}
