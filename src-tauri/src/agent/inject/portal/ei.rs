//! The EI side (libei's protocol, spoken with reis) over the descriptor the
//! portal hands out: the handshake as a sender, the seat's keyboard bound, its
//! keymap read (the server's, so keys are planned on the layout the desktop
//! uses), and key events sent in frames. Each batch ends with a `sync`, whose
//! answer says the server has read everything before it: that is the pacing.

use std::cell::Cell;
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

use reis::ei;
use reis::event::{Device, DeviceCapability, EiEvent, EiEventConverter};
use reis::handshake::EiHandshaker;
use reis::PendingRequestResult;
use rustix::event::{poll, PollFd, PollFlags, Timespec};

use crate::agent::inject::InjectError;

/// How long the server may take to answer (the handshake, the keyboard, a sync).
const WAIT: Duration = Duration::from_secs(5);
/// Our name, as the desktop may show it.
const NAME: &str = "SayType";

/// A connected EI sender with a keyboard.
pub struct EiKeyboard {
    context: ei::Context,
    converter: EiEventConverter,
    keyboard: Option<(Device, ei::Keyboard)>,
    keymap: Option<String>,
    /// The keymap changed since it was last taken.
    keymap_changed: bool,
    resumed: bool,
    emulating: bool,
    sequence: u32,
    /// Syncs answered so far.
    synced: Rc<Cell<u64>>,
    asked: u64,
}

fn lost(what: impl std::fmt::Display) -> InjectError {
    InjectError::Unavailable(format!(
        "the desktop's input connection (libei) ended: {what}"
    ))
}

impl EiKeyboard {
    /// Handshake over `socket`, bind the keyboard, and wait until it can type.
    pub fn connect(socket: UnixStream) -> Result<EiKeyboard, InjectError> {
        let context = ei::Context::new(socket).map_err(lost)?;
        let mut handshaker = EiHandshaker::new(NAME, ei::handshake::ContextType::Sender);
        let deadline = Instant::now() + WAIT;
        let resp = 'handshake: loop {
            wait_readable(&context, deadline)?;
            context.read().map_err(lost)?;
            while let Some(event) = context.pending_event() {
                let event = match event {
                    PendingRequestResult::Request(event) => event,
                    PendingRequestResult::ParseError(e) => return Err(lost(e)),
                    PendingRequestResult::InvalidObject(_) => continue,
                };
                if let Some(resp) = handshaker.handle_event(event).map_err(lost)? {
                    break 'handshake resp;
                }
            }
        };
        let converter = EiEventConverter::new(&context, resp);
        let mut ei = EiKeyboard {
            context,
            converter,
            keyboard: None,
            keymap: None,
            keymap_changed: false,
            resumed: false,
            emulating: false,
            sequence: 0,
            synced: Rc::new(Cell::new(0)),
            asked: 0,
        };
        ei.wait(|ei| ei.keyboard.is_some() && ei.resumed, "a keyboard")?;
        Ok(ei)
    }

    /// The keymap the server gave with the keyboard, when it changed since the
    /// last call (the first call has it, if the server gave one).
    pub fn take_keymap(&mut self) -> Result<Option<&str>, InjectError> {
        self.dispatch()?;
        if !std::mem::take(&mut self.keymap_changed) {
            return Ok(None);
        }
        Ok(self.keymap.as_deref())
    }

    /// Send key events (evdev code, pressed), one frame each, then wait until
    /// the server has read them.
    pub fn send(&mut self, events: &[(u32, bool)]) -> Result<(), InjectError> {
        self.wait(|ei| ei.resumed, "the keyboard to be resumed")?;
        let Some((device, keyboard)) = self.keyboard.clone() else {
            return Err(lost("no keyboard"));
        };
        let serial = self.converter.connection().serial();
        if !self.emulating {
            self.sequence += 1;
            device.device().start_emulating(serial, self.sequence);
            self.emulating = true;
        }
        for &(code, pressed) in events {
            let state = if pressed {
                ei::keyboard::KeyState::Press
            } else {
                ei::keyboard::KeyState::Released
            };
            keyboard.key(code, state);
            device.device().frame(serial, now_us());
        }
        self.sync()
    }

    /// A round trip: everything sent before has been read by the server.
    fn sync(&mut self) -> Result<(), InjectError> {
        let callback = self.converter.connection().connection().sync(1);
        let synced = self.synced.clone();
        self.converter.add_callback_handler(callback, move |_| {
            synced.set(synced.get() + 1);
        });
        self.asked += 1;
        let asked = self.asked;
        self.wait(
            move |ei| ei.synced.get() >= asked,
            "the desktop to take the keys",
        )
    }

    /// Read and handle events until `done`, or fail after [`WAIT`].
    fn wait(&mut self, done: impl Fn(&EiKeyboard) -> bool, what: &str) -> Result<(), InjectError> {
        let deadline = Instant::now() + WAIT;
        self.flush()?;
        self.dispatch()?;
        while !done(self) {
            if !wait_readable_until(&self.context, deadline)? {
                return Err(InjectError::Failed(format!(
                    "the desktop did not answer in time (waiting for {what}); nothing more \
                     was typed"
                )));
            }
            match self.context.read() {
                Ok(_) => {}
                Err(e) => return Err(lost(e)),
            }
            self.dispatch()?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<(), InjectError> {
        self.context.flush().map_err(lost)
    }

    /// Handle what has been read.
    fn dispatch(&mut self) -> Result<(), InjectError> {
        while let Some(event) = self.context.pending_event() {
            let event = match event {
                PendingRequestResult::Request(event) => event,
                PendingRequestResult::ParseError(e) => return Err(lost(e)),
                PendingRequestResult::InvalidObject(_) => continue,
            };
            self.converter.handle_event(event).map_err(lost)?;
        }
        while let Some(event) = self.converter.next_event() {
            self.handle(event)?;
        }
        self.flush()
    }

    fn handle(&mut self, event: EiEvent) -> Result<(), InjectError> {
        match event {
            EiEvent::SeatAdded(added) => {
                added
                    .seat
                    .bind_capabilities(DeviceCapability::Keyboard.into());
            }
            EiEvent::DeviceAdded(added) => {
                let device = added.device;
                if let Some(keyboard) = device.interface::<ei::Keyboard>() {
                    if let Some(keymap) = device.keymap() {
                        self.keymap = Some(read_keymap(keymap)?);
                        self.keymap_changed = true;
                    }
                    self.keyboard = Some((device, keyboard));
                    self.resumed = false;
                    self.emulating = false;
                }
            }
            EiEvent::DeviceResumed(e) if self.is_ours(&e.device) => self.resumed = true,
            EiEvent::DevicePaused(e) if self.is_ours(&e.device) => {
                self.resumed = false;
                self.emulating = false;
            }
            EiEvent::DeviceRemoved(e) if self.is_ours(&e.device) => {
                self.keyboard = None;
                self.resumed = false;
            }
            EiEvent::Disconnected(d) => {
                return Err(lost(format!(
                    "{:?}{}",
                    d.reason,
                    d.explanation.map(|e| format!(": {e}")).unwrap_or_default()
                )))
            }
            _ => {}
        }
        Ok(())
    }

    fn is_ours(&self, device: &Device) -> bool {
        self.keyboard.as_ref().is_some_and(|(d, _)| d == device)
    }
}

impl Drop for EiKeyboard {
    fn drop(&mut self) {
        if let Some((device, _)) = &self.keyboard {
            if self.emulating {
                device
                    .device()
                    .stop_emulating(self.converter.connection().serial());
            }
        }
        self.converter.connection().connection().disconnect();
        let _ = self.context.flush();
    }
}

/// The XKB keymap text behind the server's descriptor.
fn read_keymap(keymap: &reis::event::Keymap) -> Result<String, InjectError> {
    if keymap.type_ != ei::keyboard::KeymapType::Xkb {
        return Err(InjectError::Failed(
            "the desktop's keyboard has a keymap SayType cannot read (not XKB)".into(),
        ));
    }
    let file = std::fs::File::from(keymap.fd.try_clone().map_err(lost)?);
    let mut buf = vec![0; keymap.size as usize];
    file.read_exact_at(&mut buf, 0)
        .map_err(|e| InjectError::Failed(format!("cannot read the desktop's keymap: {e}")))?;
    Ok(String::from_utf8_lossy(&buf)
        .trim_end_matches('\0')
        .to_owned())
}

/// Wait until `context` can be read, or fail at `deadline`.
fn wait_readable(context: &ei::Context, deadline: Instant) -> Result<(), InjectError> {
    if wait_readable_until(context, deadline)? {
        Ok(())
    } else {
        Err(InjectError::Unavailable(
            "the desktop's input connection (libei) did not answer the handshake".into(),
        ))
    }
}

/// Whether `context` became readable before `deadline`.
fn wait_readable_until(context: &ei::Context, deadline: Instant) -> Result<bool, InjectError> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let timeout = Timespec::try_from(left).map_err(lost)?;
        let mut fds = [PollFd::new(context, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(lost(e)),
        }
    }
}

/// CLOCK_MONOTONIC in microseconds, as ei timestamps are.
fn now_us() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec as u64) * 1_000_000 + (t.tv_nsec as u64) / 1_000
}
