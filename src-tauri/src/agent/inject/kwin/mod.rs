//! KDE Plasma: KWin's `org_kde_kwin_fake_input` (wayland-protocols-plasma), keys of
//! the user's layout by evdev code, and pasting through the data-control
//! clipboard; which window has the focus from KWin's window list ([`windows`]):
//! the terminal rule, the focus check and the result's target. KWin offers both
//! only to programs its `.desktop` entry names ([`grant`]); SayType installs that
//! entry when KWin withholds them, then connects again.

pub mod grant;
pub mod windows;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wayland_client::delegate_noop;
use wayland_protocols_plasma::fake_input::client::org_kde_kwin_fake_input::OrgKdeKwinFakeInput;
use wayland_protocols_plasma::plasma_window_management::client::org_kde_plasma_window_management::OrgKdePlasmaWindowManagement;

use super::keyed::{self, Keyed};
use super::layout::{Layout, Stroke};
use super::lend;
use super::progress::{checkpoint, Progress};
use super::wayland::data_control::DataControl;
use super::wayland::seat_keymap::{KeymapState, SeatKeymap};
use super::wayland::windows::Windows;
use super::InjectError;
use windows::WINDOW_MANAGEMENT;

const FAKE_INPUT: &str = "org_kde_kwin_fake_input";
/// How long a new `.desktop` entry may take to reach KWin, and how often we look.
const GRANT_WAIT: Duration = Duration::from_secs(6);
const GRANT_POLL: Duration = Duration::from_millis(200);
const PRESSED: u32 = 1;
const RELEASED: u32 = 0;

pub struct KwinInjector {
    seat: SeatKeymap,
    fake: OrgKdeKwinFakeInput,
    clipboard: Option<DataControl>,
    /// The `.desktop` entry SayType installed for the grant, if it did.
    pub granted_by: Option<PathBuf>,
}

/// What connecting to KWin gave.
pub enum Kwin {
    Ready(Box<KwinInjector>),
    /// KWin withholds fake-input even with the entry in place: why.
    Refused(String),
}

impl KwinInjector {
    /// Connect to KWin's fake-input, installing the `.desktop` entry first if
    /// KWin does not offer it yet (`seat`: a connection made before).
    pub fn connect(seat: SeatKeymap) -> Result<Kwin, InjectError> {
        let offers = |seat: &SeatKeymap, name: &str| seat.interfaces().iter().any(|i| i == name);
        if offers(&seat, FAKE_INPUT) && offers(&seat, WINDOW_MANAGEMENT) {
            return Self::bind(seat, None);
        }
        // KWin filters its globals per connection, when the connection is made:
        // with the entry in place, a new connection sees fake-input.
        drop(seat);
        let Some(apps) = grant::applications_dir() else {
            return Ok(Kwin::Refused(
                "KWin offers its fake input only to programs with a .desktop entry, and \
                 SayType cannot find your home folder to write one"
                    .into(),
            ));
        };
        let exe = std::env::current_exe()
            .map_err(|e| InjectError::Unavailable(format!("cannot find SayType's binary: {e}")))?;
        let installed = grant::install(&apps, &exe).map_err(|e| {
            InjectError::Unavailable(format!(
                "cannot write {} for KWin's fake input: {e}",
                apps.join(grant::FILE_NAME).display()
            ))
        })?;
        tracing::info!(
            "KWin: {} the .desktop entry that lets SayType type: {}",
            match &installed {
                grant::Installed::Written(_) => "installed",
                grant::Installed::Present(_) => "found",
            },
            installed.path().display()
        );
        // KWin reads new entries through its service cache, which looks at the
        // folders at most every 1.5 s or so: a new entry takes a moment.
        let deadline = Instant::now() + GRANT_WAIT;
        let seat = loop {
            let Some(seat) = SeatKeymap::connect()? else {
                return Err(InjectError::Unavailable(
                    "the Wayland compositor went away".into(),
                ));
            };
            let typing = offers(&seat, FAKE_INPUT);
            // Both come with the entry; a KWin that offers typing but keeps its
            // window list is used without (the focus then is unknown).
            if typing && (offers(&seat, WINDOW_MANAGEMENT) || Instant::now() > deadline) {
                break seat;
            }
            if Instant::now() > deadline {
                return Ok(Kwin::Refused(format!(
                    "KWin did not grant SayType its fake input, although {} names this \
                     binary ({}): is the file in a folder of XDG_DATA_DIRS or \
                     XDG_DATA_HOME as KWin sees them? Log out and in again, or use X11 \
                     windows",
                    installed.path().display(),
                    exe.display()
                )));
            }
            drop(seat);
            std::thread::sleep(GRANT_POLL);
        };
        Self::bind(seat, Some(installed.path().to_owned()))
    }

    fn bind(mut seat: SeatKeymap, granted_by: Option<PathBuf>) -> Result<Kwin, InjectError> {
        let qh = seat.handle();
        let fake: OrgKdeKwinFakeInput = seat
            .globals
            .bind(&qh, 4..=4, ())
            .map_err(|e| InjectError::Unavailable(format!("KWin fake input: {e}")))?;
        fake.authenticate(
            "SayType".into(),
            "types the text you dictate on your phone".into(),
        );
        // The window list: KWin announces every window at once.
        seat.state.windows.listed = seat
            .globals
            .bind::<OrgKdePlasmaWindowManagement, _, _>(&qh, 1..=16, ())
            .is_ok();
        seat.roundtrip()?;
        Ok(Kwin::Ready(Box::new(KwinInjector {
            seat,
            fake,
            clipboard: None,
            granted_by,
        })))
    }

    pub fn ready_line(&mut self) -> Result<String, InjectError> {
        self.seat.roundtrip()?;
        Ok(match &self.granted_by {
            Some(path) => format!(
                "typing through KWin fake-input (allowed by {}, which SayType installed)",
                path.display()
            ),
            None => "typing through KWin fake-input".into(),
        })
    }

    /// KWin lists its windows to us: the focus is known.
    pub fn lists_windows(&self) -> bool {
        self.seat.state.windows.listed
    }

    /// KWin's windows as last read.
    pub fn windows_known(&mut self) -> &mut Windows {
        &mut self.seat.state.windows
    }

    /// KWin's windows: which one has the focus (after a round trip).
    pub fn windows(&mut self) -> Result<&mut Windows, InjectError> {
        self.seat.roundtrip()?;
        Ok(&mut self.seat.state.windows)
    }

    /// Send key events (evdev code, pressed) in order.
    fn keys(&self, events: &[(u32, bool)]) {
        send_keys(&self.fake, events);
    }
}

impl Keyed for KwinInjector {
    fn layout(&mut self) -> Result<&Layout, InjectError> {
        // A round trip first: a keymap the user changed since is read.
        self.seat.roundtrip()?;
        self.seat.layout()
    }

    fn send_batch(&mut self, batch: &[Stroke]) -> Result<(), InjectError> {
        let events = keyed::batch_events(self.seat.layout()?, batch)?;
        self.keys(&events);
        self.seat.roundtrip()
    }

    fn knows_focus(&self) -> bool {
        self.lists_windows()
    }

    fn focused_app(&self) -> Option<String> {
        self.seat.state.windows.focused_app()
    }

    fn focus_kept(&self, typed: usize, total: usize) -> Result<(), InjectError> {
        self.seat.state.windows.focus_kept(typed, total)
    }

    /// Paste `text`: our own clipboard owner holds it, the window gets Ctrl+V
    /// (a terminal Ctrl+Shift+V), and once the window has read it (the compositor
    /// asks us for it) the user's clipboard goes back.
    fn paste_text(
        &mut self,
        text: &str,
        terminal: bool,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError> {
        let total = text.chars().count();
        checkpoint(progress, 0, total)?;
        let shortcut = keyed::paste_events(self.seat.layout()?, terminal)?;
        if self.clipboard.is_none() {
            self.clipboard = Some(DataControl::start()?);
        }
        let clipboard = self
            .clipboard
            .as_ref()
            .ok_or_else(|| failed("no clipboard"))?;
        let (fake, seat) = (&self.fake, &mut self.seat);
        lend::through_data_control(clipboard, text, || {
            send_keys(fake, &shortcut);
            seat.roundtrip()
        })?;
        let _ = progress.advanced(total);
        Ok(())
    }
}

/// Send key events (evdev code, pressed) in order.
fn send_keys(fake: &OrgKdeKwinFakeInput, events: &[(u32, bool)]) {
    for &(code, pressed) in events {
        fake.keyboard_key(code, if pressed { PRESSED } else { RELEASED });
    }
}

fn failed(e: impl std::fmt::Display) -> InjectError {
    InjectError::Failed(e.to_string())
}

delegate_noop!(KeymapState: OrgKdeKwinFakeInput);
