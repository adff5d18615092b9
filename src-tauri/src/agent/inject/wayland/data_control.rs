//! The clipboard through `zwlr_data_control_v1`, on one connection of our own
//! that lives as long as the injector, served by a thread of its own (an actor
//! fed by a channel). Made for KWin, which answers every new connection of a
//! program it grants fake-input to only after looking the program up (about 2 s
//! for a debug build): arboard's data-control backend connects anew for each
//! read and write, six times a paste.
//!
//! Being the owner ourselves also tells us when the window has read the paste:
//! the compositor passes its `receive` on to us as `send`. A paste is reported
//! once it is read, and the user's text goes back on the clipboard then.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::pipe::{pipe_with, PipeFlags};
use wayland_client::backend::ObjectId;
use wayland_client::globals::registry_queue_init;
use wayland_client::protocol::wl_seat::WlSeat;
use wayland_client::{
    delegate_noop, event_created_child, Connection, Dispatch, EventQueue, Proxy, QueueHandle,
};
use wayland_protocols_wlr::data_control::v1::client::{
    zwlr_data_control_device_v1::{self as device, ZwlrDataControlDeviceV1},
    zwlr_data_control_manager_v1::ZwlrDataControlManagerV1,
    zwlr_data_control_offer_v1::{self as offer, ZwlrDataControlOfferV1},
    zwlr_data_control_source_v1::{self as source, ZwlrDataControlSourceV1},
};

use super::session::lost;
use crate::agent::inject::InjectError;

/// The text types we offer, and take in this order of preference.
pub const TEXT_TYPES: &[&str] = &[
    "text/plain;charset=utf-8",
    "UTF8_STRING",
    "text/plain",
    "STRING",
    "TEXT",
];
/// How long another client may take to hand over its clipboard text.
const READ_WAIT: Duration = Duration::from_secs(2);
/// How long the actor waits for the socket before it looks at its mailbox again.
const TICK: Duration = Duration::from_millis(5);

enum Command {
    /// The clipboard's text, if it holds text.
    Get(mpsc::Sender<Option<String>>),
    /// Own the clipboard with this text (`None`: empty it); answered once the
    /// compositor has made it the selection, with how many reads it saw so far.
    Set(Option<String>, mpsc::Sender<Result<(), InjectError>>),
    /// How many times the compositor asked for our current text.
    Reads(mpsc::Sender<usize>),
}

/// A handle on the clipboard thread.
pub struct DataControl {
    tx: mpsc::Sender<Command>,
}

impl DataControl {
    /// Connect (`$WAYLAND_DISPLAY`) and start the thread.
    pub fn start() -> Result<DataControl, InjectError> {
        let conn = Connection::connect_to_env()
            .map_err(|e| InjectError::Unavailable(format!("no Wayland clipboard ({e})")))?;
        let (globals, mut queue) = registry_queue_init::<State>(&conn).map_err(lost)?;
        let qh = queue.handle();
        let unavailable = |e| InjectError::Unavailable(format!("no Wayland clipboard ({e})"));
        let seat: WlSeat = globals.bind(&qh, 1..=7, ()).map_err(unavailable)?;
        let manager: ZwlrDataControlManagerV1 =
            globals.bind(&qh, 1..=2, ()).map_err(unavailable)?;
        let device = manager.get_data_device(&seat, &qh, ());
        let mut state = State::default();
        queue.roundtrip(&mut state).map_err(lost)?;
        let (tx, rx) = mpsc::channel();
        let mut actor = Actor {
            queue,
            state,
            manager,
            device,
            rx,
        };
        std::thread::Builder::new()
            .name("saytype-clipboard".into())
            .spawn(move || actor.run())
            .map_err(|e| InjectError::Unavailable(format!("no clipboard thread: {e}")))?;
        Ok(DataControl { tx })
    }

    fn ask<T>(&self, command: impl FnOnce(mpsc::Sender<T>) -> Command) -> Result<T, InjectError> {
        let (tx, rx) = mpsc::channel();
        let gone = || InjectError::Unavailable("the clipboard thread stopped".into());
        self.tx.send(command(tx)).map_err(|_| gone())?;
        rx.recv().map_err(|_| gone())
    }

    pub fn text(&self) -> Result<Option<String>, InjectError> {
        self.ask(Command::Get)
    }

    pub fn set(&self, text: Option<String>) -> Result<(), InjectError> {
        self.ask(|tx| Command::Set(text, tx))?
    }

    pub fn reads(&self) -> Result<usize, InjectError> {
        self.ask(Command::Reads)
    }
}

#[derive(Default)]
struct State {
    /// Offers announced, with their types.
    offers: HashMap<ObjectId, (ZwlrDataControlOfferV1, Vec<String>)>,
    /// The current selection, when another client owns it.
    selection: Option<ObjectId>,
    /// Our source while it is the selection, with its text and reads so far.
    ours: Option<(ZwlrDataControlSourceV1, String, usize)>,
}

struct Actor {
    queue: EventQueue<State>,
    state: State,
    manager: ZwlrDataControlManagerV1,
    device: ZwlrDataControlDeviceV1,
    rx: mpsc::Receiver<Command>,
}

impl Actor {
    fn run(&mut self) {
        loop {
            match self.rx.try_recv() {
                Ok(command) => self.handle(command),
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {
                    if self.pump(TICK).is_err() {
                        break;
                    }
                }
            }
        }
        if let Some((source, ..)) = self.state.ours.take() {
            source.destroy();
        }
        self.device.destroy();
        let _ = self.queue.flush();
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Get(reply) => {
                let _ = reply.send(self.get());
            }
            Command::Set(text, reply) => {
                let _ = reply.send(self.set(text));
            }
            Command::Reads(reply) => {
                let _ = reply.send(self.state.ours.as_ref().map_or(0, |o| o.2));
            }
        }
    }

    /// Read and dispatch what the compositor sent, waiting up to `wait`.
    fn pump(&mut self, wait: Duration) -> Result<(), InjectError> {
        self.queue.flush().map_err(lost)?;
        if let Some(guard) = self.queue.prepare_read() {
            let ready = {
                let fd = guard.connection_fd();
                let mut fds = [PollFd::new(&fd, PollFlags::IN)];
                let timeout = Timespec::try_from(wait).unwrap_or(Timespec {
                    tv_sec: 0,
                    tv_nsec: 5_000_000,
                });
                poll(&mut fds, Some(&timeout)).unwrap_or(0)
            };
            if ready > 0 {
                guard.read().map_err(lost)?;
            }
        }
        self.queue.dispatch_pending(&mut self.state).map_err(lost)?;
        Ok(())
    }

    fn get(&mut self) -> Option<String> {
        if let Some((_, text, _)) = &self.state.ours {
            return Some(text.clone());
        }
        let (offer, types) = self.state.offers.get(self.state.selection.as_ref()?)?;
        let mime = TEXT_TYPES.iter().find(|t| types.iter().any(|m| m == *t))?;
        let (read, write) = pipe_with(PipeFlags::CLOEXEC).ok()?;
        offer.receive((*mime).to_owned(), write.as_fd());
        drop(write);
        self.queue.flush().ok()?;
        read_all(read, READ_WAIT)
    }

    fn set(&mut self, text: Option<String>) -> Result<(), InjectError> {
        if let Some((old, ..)) = self.state.ours.take() {
            old.destroy();
        }
        let qh = self.queue.handle();
        match text {
            Some(text) => {
                let source = self.manager.create_data_source(&qh, ());
                for t in TEXT_TYPES {
                    source.offer((*t).to_owned());
                }
                self.device.set_selection(Some(&source));
                self.state.ours = Some((source, text, 0));
            }
            None => self.device.set_selection(None),
        }
        self.queue.roundtrip(&mut self.state).map_err(lost)?;
        Ok(())
    }
}

/// Everything from `read` until the writer closes it, or `None` after `wait`.
pub fn read_all(read: OwnedFd, wait: Duration) -> Option<String> {
    let deadline = Instant::now() + wait;
    let mut file = std::fs::File::from(read);
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let timeout = Timespec::try_from(left).ok()?;
        let mut fds = [PollFd::new(&file, PollFlags::IN)];
        if poll(&mut fds, Some(&timeout)).ok()? == 0 {
            return None;
        }
        match file.read(&mut chunk).ok()? {
            0 => return String::from_utf8(bytes).ok(),
            n => bytes.extend_from_slice(&chunk[..n]),
        }
    }
}

ignore_registry!(State);

delegate_noop!(State: ignore WlSeat);
delegate_noop!(State: ZwlrDataControlManagerV1);

impl Dispatch<ZwlrDataControlDeviceV1, ()> for State {
    fn event(
        state: &mut Self,
        _: &ZwlrDataControlDeviceV1,
        event: device::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            device::Event::DataOffer { id } => {
                state.offers.insert(id.id(), (id, Vec::new()));
            }
            device::Event::Selection { id } => {
                // The previous selection's offer is spent.
                if let Some((old, _)) = state.selection.take().and_then(|o| state.offers.remove(&o))
                {
                    old.destroy();
                }
                state.selection = id.map(|o| o.id());
            }
            _ => {}
        }
    }

    event_created_child!(State, ZwlrDataControlDeviceV1, [
        device::EVT_DATA_OFFER_OPCODE => (ZwlrDataControlOfferV1, ()),
    ]);
}

impl Dispatch<ZwlrDataControlOfferV1, ()> for State {
    fn event(
        state: &mut Self,
        proxy: &ZwlrDataControlOfferV1,
        event: offer::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let offer::Event::Offer { mime_type } = event {
            if let Some((_, types)) = state.offers.get_mut(&proxy.id()) {
                types.push(mime_type);
            }
        }
    }
}

impl Dispatch<ZwlrDataControlSourceV1, ()> for State {
    fn event(
        state: &mut Self,
        proxy: &ZwlrDataControlSourceV1,
        event: source::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let ours = state.ours.as_mut().filter(|(s, ..)| s == proxy);
        match (event, ours) {
            (source::Event::Send { fd, .. }, Some((_, text, reads))) => {
                *reads += 1;
                let bytes = text.clone().into_bytes();
                // Written from a thread of its own: a reader slower than the pipe
                // buffer must not stall the clipboard.
                let _ = std::thread::Builder::new()
                    .name("saytype-clipboard-write".into())
                    .spawn(move || {
                        let _ = std::fs::File::from(fd).write_all(&bytes);
                    });
            }
            (source::Event::Cancelled, Some(_)) => {
                state.ours = None;
                proxy.destroy();
            }
            (source::Event::Cancelled, None) => proxy.destroy(),
            _ => {}
        }
    }
}
