//! Typing and pasting on X11, the Linux route while there is an X display (also
//! XWayland): x11rb reads and binds the key mapping (see [`planner`] for why we
//! manage it ourselves), enigo sends the key events (XTest), arboard owns the
//! clipboard for paste.
//!
//! - [`keymap`]: the server's core key mapping, as data;
//! - [`planner`]: which keycode types which character, and what to bind first;
//! - [`typing`]: the typing backend (executes the planner's chunks);
//! - [`paste`]: the paste backend (clipboard + Ctrl+V);
//! - [`terminal`]: pastes into a terminal (PRIMARY + Shift+Insert);
//! - [`focus`]: typing stops when the focus moves to another window;
//! - [`held`]: modifier keys a killed run left held down, released before each
//!   message;
//! - [`keys`] and [`watch`]: single keys (Return, BackSpace) and whether the
//!   focus left a window between two messages, for the dictation flow.
//!
//! Both backends share one [`X11Injector`]: one X connection, one enigo, one view of
//! the keymap and of the keycodes we bound (unbound again on drop).

pub mod focus;
pub mod held;
pub mod keymap;
pub mod keys;
pub mod paste;
pub mod planner;
pub mod terminal;
pub mod typing;
pub mod watch;

use enigo::{Enigo, Settings};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{Atom, AtomEnum, ConnectionExt, Window};
use x11rb::rust_connection::RustConnection;

use super::{new_enigo, InjectError, NewlineKey};
use keymap::CoreKeymap;
use planner::Typist;

pub struct X11Injector {
    conn: RustConnection,
    root: Window,
    enigo: Enigo,
    typist: Typist,
    clipboard: Option<arboard::Clipboard>,
    atoms: Atoms,
    /// Keys sent since the last barrier (for the time allowance).
    keys_since_barrier: usize,
    /// The window that had the focus when the message started (see [`focus`]).
    started_in: Option<Window>,
    ping_serial: u32,
    watching_root: bool,
    /// The window the last message went into, watched on a connection of its own.
    focus_watch: Option<watch::FocusWatch>,
}

#[derive(Clone, Copy)]
struct Atoms {
    wm_protocols: Atom,
    net_wm_ping: Atom,
    net_active_window: Atom,
    net_wm_name: Atom,
}

impl X11Injector {
    /// Connect to the X display (`DISPLAY`).
    pub fn connect() -> Result<X11Injector, InjectError> {
        let (conn, screen) = x11rb::connect(None)
            .map_err(|e| InjectError::Unavailable(format!("no X display to type into ({e})")))?;
        let root = conn
            .setup()
            .roots
            .get(screen)
            .map(|s| s.root)
            .ok_or_else(|| InjectError::Unavailable("the X display has no screen".into()))?;
        let keymap = read_keymap(&conn)?;
        let typist = Typist::new(keymap).map_err(|e| InjectError::Unavailable(e.to_string()))?;
        let settings = Settings {
            // No sleeps between events: the exactness comes from the key mapping.
            linux_delay: 0,
            ..Settings::default()
        };
        let enigo = new_enigo(&settings)?;
        let intern = |name: &[u8]| -> Result<Atom, InjectError> {
            Ok(conn
                .intern_atom(false, name)
                .map_err(x11_error)?
                .reply()
                .map_err(x11_error)?
                .atom)
        };
        let atoms = Atoms {
            wm_protocols: intern(b"WM_PROTOCOLS")?,
            net_wm_ping: intern(b"_NET_WM_PING")?,
            net_active_window: intern(b"_NET_ACTIVE_WINDOW")?,
            net_wm_name: intern(b"_NET_WM_NAME")?,
        };
        Ok(X11Injector {
            conn,
            root,
            enigo,
            typist,
            clipboard: None,
            atoms,
            keys_since_barrier: 0,
            started_in: None,
            ping_serial: 0,
            watching_root: false,
            focus_watch: None,
        })
    }

    pub fn set_newline(&mut self, key: NewlineKey) {
        self.typist.newline = key;
    }

    /// Re-read the key mapping (the user may have switched layouts).
    fn refresh_keymap(&mut self) -> Result<(), InjectError> {
        refresh_keymap(&self.conn, &mut self.typist)
    }

    /// Whether `text` can be typed without rebinding keycodes mid-text.
    pub fn types_easily(&mut self, text: &str) -> bool {
        let _ = self.refresh_keymap();
        self.typist.can_type(text) && !self.typist.needs_rebinding(text)
    }

    /// The top-level window that has (or contains) the keyboard focus.
    fn focused_toplevel(&self) -> Option<Window> {
        let mut window = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
        for _ in 0..16 {
            if window == self.root || window <= 1 {
                return None;
            }
            let has_protocols = self
                .conn
                .get_property(false, window, self.atoms.wm_protocols, AtomEnum::ATOM, 0, 0)
                .ok()?
                .reply()
                .ok()?
                .type_
                != u32::from(AtomEnum::NONE);
            if has_protocols {
                return Some(window);
            }
            window = self.conn.query_tree(window).ok()?.reply().ok()?.parent;
        }
        None
    }

    /// The window the window manager calls active (`_NET_ACTIVE_WINDOW`). Under
    /// Xwayland it is 0 while a native Wayland window has the focus (WAYLAND.md),
    /// which is how a Wayland session tells that an X window is the target.
    pub fn active_window(&self) -> Option<Window> {
        let reply = self
            .conn
            .get_property(
                false,
                self.root,
                self.atoms.net_active_window,
                AtomEnum::WINDOW,
                0,
                1,
            )
            .ok()?
            .reply()
            .ok()?;
        let active = reply.value32()?.next();
        active.filter(|&w| w != 0)
    }

    /// WM_CLASS of the focused top-level window (`xterm`, `firefox`, ...).
    pub fn focused_class(&self) -> Option<String> {
        self.class_of(self.input_focus()?)
    }

    /// The window with the keyboard focus, as the server says (`None` for no
    /// focus, and for PointerRoot, where the focus follows the pointer).
    fn input_focus(&self) -> Option<Window> {
        let focus = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
        (focus > 1).then_some(focus)
    }

    /// WM_CLASS of `window` or of the first ancestor that has one.
    fn class_of(&self, mut window: Window) -> Option<String> {
        for _ in 0..16 {
            if window == self.root || window == 0 {
                return None;
            }
            let prop = self
                .conn
                .get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 256)
                .ok()?
                .reply()
                .ok()?;
            if !prop.value.is_empty() {
                // "instance\0Class\0": the class is the second string.
                let class = prop
                    .value
                    .split(|&b| b == 0)
                    .filter(|s| !s.is_empty())
                    .nth(1)
                    .or_else(|| prop.value.split(|&b| b == 0).next())?;
                return Some(String::from_utf8_lossy(class).into_owned());
            }
            window = self.conn.query_tree(window).ok()?.reply().ok()?.parent;
        }
        None
    }
}

impl Drop for X11Injector {
    /// Leave the user's key mapping as we found it.
    fn drop(&mut self) {
        let per = self.typist.keysyms_per_keycode();
        for keycode in self.typist.bound_keycodes() {
            let none = vec![0u32; usize::from(per)];
            let _ = self.conn.change_keyboard_mapping(1, keycode, per, &none);
        }
        let _ = self.conn.flush();
    }
}

/// Re-read the key mapping into the typist's view (a free function, so a paste can
/// call it while it holds the clipboard field).
fn refresh_keymap(conn: &RustConnection, typist: &mut Typist) -> Result<(), InjectError> {
    let keymap = read_keymap(conn)?;
    typist
        .refresh(keymap)
        .map_err(|e| InjectError::Failed(e.to_string()))
}

fn read_keymap(conn: &RustConnection) -> Result<CoreKeymap, InjectError> {
    let setup = conn.setup();
    let (min, max) = (setup.min_keycode, setup.max_keycode);
    let reply = conn
        .get_keyboard_mapping(min, max - min + 1)
        .map_err(x11_error)?
        .reply()
        .map_err(x11_error)?;
    Ok(CoreKeymap {
        min_keycode: min,
        keysyms_per_keycode: reply.keysyms_per_keycode,
        keysyms: reply.keysyms,
    })
}

fn x11_error(e: impl std::fmt::Display) -> InjectError {
    InjectError::Failed(format!("X server error: {e}"))
}
