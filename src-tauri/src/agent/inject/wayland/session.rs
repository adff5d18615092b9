//! The connection to a wlroots compositor: its globals (the [`Offer`]), our seat
//! objects (virtual keyboard, input method, the toplevel list), and the per
//! message choice of route. The IO shell around the pure parts
//! ([`keymap`](super::keymap), [`ImState`], [`Offer`]).

use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};

use wayland_client::globals::registry_queue_init;
use wayland_client::protocol::wl_seat::WlSeat;
use wayland_client::{
    delegate_noop, event_created_child, Connection, Dispatch, EventQueue, Proxy, QueueHandle,
};
use wayland_protocols_misc::zwp_input_method_v2::client::{
    zwp_input_method_manager_v2::ZwpInputMethodManagerV2,
    zwp_input_method_v2::{self, ZwpInputMethodV2},
};
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::{
    zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1,
    zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1,
};
use wayland_protocols_wlr::foreign_toplevel::v1::client::{
    zwlr_foreign_toplevel_handle_v1::{self as handle, ZwlrForeignToplevelHandleV1},
    zwlr_foreign_toplevel_manager_v1::{self as toplevels, ZwlrForeignToplevelManagerV1},
};

use super::commit::ImState;
use super::windows::Windows;
use super::{compositor_name, Offer};
use crate::agent::inject::{InjectError, NewlineKey};

/// What the compositor sends us, gathered by the event queue.
#[derive(Default)]
pub struct State {
    pub(super) im: ImState,
    /// The toplevel list: which window has the focus (see [`super::windows`]).
    pub windows: Windows,
}

/// What `$WAYLAND_DISPLAY` leads to.
pub enum Found {
    /// No Wayland compositor to connect to.
    NoWayland,
    /// A compositor without the wlroots routes (KWin, mutter): its offer, and
    /// the connection that read it (reused: KWin looks up the program behind
    /// every new connection, which takes seconds for a large binary).
    Other(Offer, Connection),
    Wlroots(Box<WlrInjector>),
}

/// Typing and pasting through a wlroots compositor.
pub struct WlrInjector {
    pub(super) queue: EventQueue<State>,
    pub(super) state: State,
    pub(super) qh: QueueHandle<State>,
    seat: WlSeat,
    vk_manager: ZwpVirtualKeyboardManagerV1,
    im_manager: Option<ZwpInputMethodManagerV2>,
    pub(super) keyboard: Option<ZwpVirtualKeyboardV1>,
    /// The keymap the virtual keyboard has now.
    pub(super) keymap: Option<String>,
    pub(super) input_method: Option<ZwpInputMethodV2>,
    pub(super) clipboard: Option<arboard::Clipboard>,
    pub newline: NewlineKey,
    /// Key timestamps count from here.
    pub(super) epoch: Instant,
    name: &'static str,
}

/// Which wlroots route a message takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WlRoute {
    InputMethod,
    VirtualKeyboard,
}

impl WlrInjector {
    /// Connect to `$WAYLAND_DISPLAY` and see what it offers.
    pub fn connect() -> Result<Found, InjectError> {
        let Ok(conn) = Connection::connect_to_env() else {
            return Ok(Found::NoWayland);
        };
        let (globals, queue) = registry_queue_init::<State>(&conn).map_err(lost)?;
        let offer = globals
            .contents()
            .with_list(|list| Offer::from_interfaces(list.iter().map(|g| g.interface.as_str())));
        if !offer.wlroots() {
            return Ok(Found::Other(offer, conn));
        }
        let qh = queue.handle();
        let bind_error = |e| InjectError::Unavailable(format!("Wayland: {e}"));
        let seat: WlSeat = globals.bind(&qh, 1..=7, ()).map_err(bind_error)?;
        let vk_manager = globals.bind(&qh, 1..=1, ()).map_err(bind_error)?;
        let im_manager = globals.bind(&qh, 1..=1, ()).ok();
        let listed = globals
            .bind::<ZwlrForeignToplevelManagerV1, _, _>(&qh, 1..=3, ())
            .is_ok();
        let mut injector = WlrInjector {
            queue,
            state: State::default(),
            qh,
            seat,
            vk_manager,
            im_manager,
            keyboard: None,
            keymap: None,
            input_method: None,
            clipboard: None,
            newline: NewlineKey::default(),
            epoch: Instant::now(),
            name: compositor_name(),
        };
        injector.state.windows.listed = listed;
        injector.sync()?;
        Ok(Found::Wlroots(Box::new(injector)))
    }

    /// A round trip: the compositor has processed everything we sent, and we have
    /// its answers (focus, input-method state).
    pub(super) fn sync(&mut self) -> Result<(), InjectError> {
        self.queue.roundtrip(&mut self.state).map_err(lost)?;
        Ok(())
    }

    /// Wait, at most `within`, until the input method's `done` count moves past
    /// `serial`: the window has answered a commit (it sends its text input's new
    /// state, which the compositor passes on with a `done`). Whether it did.
    pub(super) fn wait_done(&mut self, serial: u32, within: Duration) -> Result<bool, InjectError> {
        let deadline = Instant::now() + within;
        loop {
            self.queue.dispatch_pending(&mut self.state).map_err(lost)?;
            if self.state.im.serial() != serial {
                return Ok(true);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            self.queue.flush().map_err(lost)?;
            let Some(guard) = self.queue.prepare_read() else {
                continue;
            };
            let readable = {
                let fd = guard.connection_fd();
                let mut fds = [PollFd::new(&fd, PollFlags::IN)];
                let timeout = Timespec {
                    tv_sec: left.as_secs() as _,
                    tv_nsec: left.subsec_nanos() as _,
                };
                rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0) > 0
            };
            if readable {
                guard.read().map_err(lost)?;
            }
        }
    }

    /// Read what has arrived, without waiting.
    pub(super) fn dispatch_pending(&mut self) -> Result<(), InjectError> {
        self.queue.dispatch_pending(&mut self.state).map_err(lost)?;
        let _ = self.queue.flush();
        Ok(())
    }

    /// Our virtual keyboard, created on first use.
    pub(super) fn keyboard(&mut self) -> ZwpVirtualKeyboardV1 {
        match &self.keyboard {
            Some(k) => k.clone(),
            None => {
                let k = self
                    .vk_manager
                    .create_virtual_keyboard(&self.seat, &self.qh, ());
                self.keymap = None;
                self.keyboard = Some(k.clone());
                k
            }
        }
    }

    /// The route for the focused window: the input method if it is active there
    /// (the window has a text input and no other input method holds the seat),
    /// else the virtual keyboard.
    pub fn route_now(&mut self) -> Result<WlRoute, InjectError> {
        if self.input_method.is_none() {
            if let Some(manager) = &self.im_manager {
                self.input_method = Some(manager.get_input_method(&self.seat, &self.qh, ()));
            }
        }
        self.sync()?;
        Ok(if self.state.im.usable() {
            WlRoute::InputMethod
        } else {
            WlRoute::VirtualKeyboard
        })
    }

    /// The compositor's windows: which one has the focus.
    pub fn windows(&mut self) -> &mut Windows {
        &mut self.state.windows
    }

    /// The same after a round trip (up to date).
    pub fn windows_now(&mut self) -> Result<&mut Windows, InjectError> {
        self.sync()?;
        Ok(&mut self.state.windows)
    }

    /// The compositor lists its windows to us: the focus is known.
    pub fn lists_windows(&self) -> bool {
        self.state.windows.listed
    }

    /// The status line for the route the focused window gets now.
    pub fn ready_line(&mut self) -> Result<String, InjectError> {
        Ok(match self.route_now()? {
            WlRoute::InputMethod => format!("typing through the input method ({})", self.name),
            WlRoute::VirtualKeyboard => {
                format!("typing through a virtual keyboard ({})", self.name)
            }
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl Drop for WlrInjector {
    fn drop(&mut self) {
        if let Some(im) = self.input_method.take() {
            im.destroy();
        }
        if let Some(k) = self.keyboard.take() {
            k.destroy();
        }
        let _ = self.queue.flush();
    }
}

/// The compositor went away or closed our connection.
pub(super) fn lost(e: impl std::fmt::Display) -> InjectError {
    InjectError::Unavailable(format!(
        "lost the connection to the Wayland compositor ({e})"
    ))
}

ignore_registry!(State);

delegate_noop!(State: ignore WlSeat);
delegate_noop!(State: ZwpVirtualKeyboardManagerV1);
delegate_noop!(State: ZwpVirtualKeyboardV1);
delegate_noop!(State: ZwpInputMethodManagerV2);

impl Dispatch<ZwpInputMethodV2, ()> for State {
    fn event(
        state: &mut Self,
        _: &ZwpInputMethodV2,
        event: zwp_input_method_v2::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        use zwp_input_method_v2::Event;
        match event {
            Event::Activate => state.im.activate(),
            Event::Deactivate => state.im.deactivate(),
            Event::Done => state.im.done(),
            Event::Unavailable => state.im.unavailable(),
            _ => {}
        }
    }
}

impl Dispatch<ZwlrForeignToplevelManagerV1, ()> for State {
    fn event(
        _: &mut Self,
        _: &ZwlrForeignToplevelManagerV1,
        _: toplevels::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }

    event_created_child!(State, ZwlrForeignToplevelManagerV1, [
        toplevels::EVT_TOPLEVEL_OPCODE => (ZwlrForeignToplevelHandleV1, ()),
    ]);
}

impl Dispatch<ZwlrForeignToplevelHandleV1, ()> for State {
    fn event(
        state: &mut Self,
        proxy: &ZwlrForeignToplevelHandleV1,
        event: handle::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let windows = &mut state.windows;
        match event {
            handle::Event::AppId { app_id } => windows.entry(proxy.id()).app_id = app_id,
            handle::Event::Title { title } => windows.entry(proxy.id()).title = title,
            handle::Event::State { state: flags } => {
                let activated = handle::State::Activated as u32;
                let activated = flags
                    .chunks_exact(4)
                    .any(|b| b.try_into().ok().map(u32::from_ne_bytes) == Some(activated));
                windows.set_activated(proxy.id(), activated);
            }
            handle::Event::Closed => {
                windows.remove(&proxy.id());
                proxy.destroy();
            }
            _ => {}
        }
    }
}
