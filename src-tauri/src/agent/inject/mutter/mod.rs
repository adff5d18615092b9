//! GNOME (mutter 43): `org.gnome.Mutter.RemoteDesktop` on the session bus, the
//! interface GNOME's own remote desktop uses; no prompt. Keys go as keysyms,
//! which mutter maps to keycodes of the user's layout (with Shift or AltGr as
//! needed) and drops when the layout has none: so the layout is read first (the
//! seat's keymap) and a text with a character off the layout is pasted whole,
//! through the session's own clipboard ([`clipboard`](super::remote_clipboard)).
//!
//! zbus is async (tokio); the injection thread is not, so the injector owns a
//! one-worker runtime that keeps the bus connection serviced between calls.

use std::sync::Arc;

use zbus::Proxy;

use super::keyed::Keyed;
use super::layout::{Layout, Stroke};
use super::lend;
use super::progress::{checkpoint, Progress};
use super::remote_clipboard::{self as clipboard, Channel};
use super::wayland::seat_keymap::SeatKeymap;
use super::InjectError;

const SERVICE: &str = "org.gnome.Mutter.RemoteDesktop";
const PATH: &str = "/org/gnome/Mutter/RemoteDesktop";
const SESSION: &str = "org.gnome.Mutter.RemoteDesktop.Session";
const NOTIFY: &str = "NotifyKeyboardKeysym";
const SHIFT_L: u32 = 0xffe1;
const RETURN: u32 = 0xff0d;
const CONTROL_L: u32 = 0xffe3;
const V: u32 = 0x76;

pub struct MutterInjector {
    runtime: tokio::runtime::Runtime,
    session: Proxy<'static>,
    seat: SeatKeymap,
    clipboard: Arc<clipboard::Shared>,
}

impl MutterInjector {
    /// Start a RemoteDesktop session on the session bus (`seat`: a connection to
    /// mutter made before). `Ok(None)`: mutter does not offer it here.
    pub fn connect(seat: SeatKeymap) -> Result<Option<MutterInjector>, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("saytype-dbus")
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a D-Bus runtime: {e}"))?;
        let session = runtime.block_on(async {
            let bus = zbus::Connection::session().await?;
            let desktop = Proxy::new(&bus, SERVICE, PATH, SERVICE).await?;
            let path: zbus::zvariant::OwnedObjectPath = desktop.call("CreateSession", &()).await?;
            let session = Proxy::new_owned(bus, SERVICE, path, SESSION).await?;
            session.call_method("Start", &()).await?;
            let clipboard = clipboard::enable(Channel::Mutter(session.clone())).await?;
            Ok::<_, zbus::Error>((session, clipboard))
        });
        let (session, clipboard) = match session {
            Ok(s) => s,
            Err(zbus::Error::MethodError(name, ..))
                if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown" =>
            {
                return Ok(None)
            }
            Err(e) => {
                return Err(format!(
                    "mutter's RemoteDesktop did not start a session: {e}"
                ))
            }
        };
        let mutter = MutterInjector {
            runtime,
            session,
            seat,
            clipboard,
        };
        // The seat gets a keyboard (and windows the focus) once our virtual
        // keyboard has sent a key: a Shift tap, which types nothing.
        let _ = mutter.notify(&[(SHIFT_L, true), (SHIFT_L, false)]);
        Ok(Some(mutter))
    }

    pub fn ready_line(&mut self) -> Result<String, InjectError> {
        self.seat.roundtrip()?;
        Ok("typing through mutter's RemoteDesktop (GNOME)".into())
    }

    /// Send key events (keysym, pressed) in order; the last waits for mutter's
    /// answer, so all of them have been handled when this returns.
    fn notify(&self, keys: &[(u32, bool)]) -> Result<(), InjectError> {
        let Some((last, rest)) = keys.split_last() else {
            return Ok(());
        };
        self.runtime
            .block_on(async {
                for key in rest {
                    self.session.call_noreply(NOTIFY, key).await?;
                }
                self.session.call_method(NOTIFY, last).await.map(|_| ())
            })
            .map_err(|e| {
                InjectError::Unavailable(format!("mutter's RemoteDesktop session ended: {e}"))
            })
    }
}

impl Keyed for MutterInjector {
    fn layout(&mut self) -> Result<&Layout, InjectError> {
        self.seat.roundtrip()?;
        self.seat.layout()
    }

    fn send_batch(&mut self, batch: &[Stroke]) -> Result<(), InjectError> {
        let mut keys = Vec::with_capacity(batch.len() * 4);
        for s in batch {
            // mutter adds Shift and AltGr for a keysym's level itself; Shift is
            // ours only where the keysym does not need it (Shift+Return).
            let shift = s.shift && s.keysym == RETURN;
            if shift {
                keys.push((SHIFT_L, true));
            }
            keys.extend([(s.keysym, true), (s.keysym, false)]);
            if shift {
                keys.push((SHIFT_L, false));
            }
        }
        self.notify(&keys)
    }

    /// Paste `text`: our session owns the clipboard with it, the window gets
    /// Ctrl+V, and once mutter has fetched the text for it the user's text goes
    /// back (served by our session from then on).
    /// (mutter does not say which window has the focus: never a terminal's key.)
    fn paste_text(
        &mut self,
        text: &str,
        _terminal: bool,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let total = text.chars().count();
        checkpoint(progress, 0, total)?;
        let shortcut = [(CONTROL_L, true), (V, true), (V, false), (CONTROL_L, false)];
        let (shared, runtime) = (self.clipboard.clone(), &self.runtime);
        lend::through_session(&shared, runtime, text, || self.notify(&shortcut))?;
        let _ = progress.advanced(total);
        Ok(())
    }
}

impl Drop for MutterInjector {
    fn drop(&mut self) {
        let _ = self
            .runtime
            .block_on(self.session.call_noreply("Stop", &()));
    }
}
