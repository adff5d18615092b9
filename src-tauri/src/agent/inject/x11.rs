//! Typing and pasting on X11: x11rb reads and binds the key mapping (see
//! [`super::keymap`] for why we manage it ourselves), enigo sends the key events
//! (XTest), arboard owns the clipboard for paste.
//!
//! Two X connections are involved (ours for the key mapping, enigo's for the key
//! events), and the server orders requests per connection only. So after binding
//! keycodes we wait for our connection's round trip before enigo sends a key that
//! uses them.

use std::time::{Duration, Instant};

use enigo::{Direction, Enigo, Keyboard, Settings};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    Atom, AtomEnum, ChangeWindowAttributesAux, ClientMessageEvent, ConnectionExt, EventMask,
    KeyButMask, Window,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use super::keymap::{keysym_of, Chunk, CoreKeymap, PlanError, Stroke, Typist};
use super::InjectError;

/// How long the clipboard keeps the pasted text before the user's is put back: the
/// target reads it some time after the paste shortcut (WebKit needs ~200 ms).
pub const PASTE_HOLD: Duration = Duration::from_millis(200);

/// Barrier for windows that do not answer `_NET_WM_PING` (xterm and other Xt
/// programs): wait this long after the last use of a keycode, plus
/// [`BACKLOG_PER_KEY`] for every key sent since the previous barrier, before
/// rebinding it. xterm processes about 5,000 keys/s here; this allows for clients
/// ten times slower.
const REBIND_GUARD: Duration = Duration::from_millis(150);
const BACKLOG_PER_KEY: Duration = Duration::from_micros(2_000);
/// How long a ping barrier waits for the target's answer.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

const CAPS_LOCK: u32 = 0xffe5;
const CONTROL_L: u32 = 0xffe3;

pub struct X11Injector {
    conn: RustConnection,
    root: Window,
    enigo: Enigo,
    typist: Typist,
    clipboard: Option<arboard::Clipboard>,
    atoms: Atoms,
    /// Keys sent since the last barrier (for the time allowance).
    keys_since_barrier: usize,
    ping_serial: u32,
    watching_root: bool,
}

#[derive(Clone, Copy)]
struct Atoms {
    wm_protocols: Atom,
    net_wm_ping: Atom,
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
        let enigo = Enigo::new(&settings).map_err(|e| {
            InjectError::Unavailable(format!("cannot simulate keyboard input: {e}"))
        })?;
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
        };
        Ok(X11Injector {
            conn,
            root,
            enigo,
            typist,
            clipboard: None,
            atoms,
            keys_since_barrier: 0,
            ping_serial: 0,
            watching_root: false,
        })
    }

    pub fn set_newline(&mut self, key: super::keymap::NewlineKey) {
        self.typist.newline = key;
    }

    /// Re-read the key mapping (the user may have switched layouts).
    fn refresh_keymap(&mut self) -> Result<(), InjectError> {
        let keymap = read_keymap(&self.conn)?;
        self.typist
            .refresh(keymap)
            .map_err(|e| InjectError::Failed(e.to_string()))
    }

    /// Whether `text` can be typed without rebinding keycodes mid-text.
    pub fn types_easily(&mut self, text: &str) -> bool {
        let _ = self.refresh_keymap();
        self.typist.can_type(text) && !self.typist.needs_rebinding(text)
    }

    /// Type `text` into the focused window, exactly.
    pub fn type_text(&mut self, text: &str) -> Result<(), InjectError> {
        self.refresh_keymap()?;
        // Caps Lock would turn typed letters into capitals: lift it while typing.
        let caps = self.caps_lock_on();
        if caps {
            self.tap_keysym(CAPS_LOCK)?;
        }
        let result = self.type_chunks(text);
        if caps {
            let _ = self.tap_keysym(CAPS_LOCK);
        }
        result
    }

    fn type_chunks(&mut self, text: &str) -> Result<(), InjectError> {
        let mut rest = text;
        while !rest.is_empty() {
            let chunk = self
                .typist
                .next_chunk(rest)
                .map_err(|e: PlanError| InjectError::Failed(e.to_string()))?;
            if chunk.consumed == 0 {
                return Err(InjectError::Failed("could not plan the text".into()));
            }
            self.apply_bindings(&chunk)?;
            self.send_strokes(&chunk.strokes)?;
            self.typist.mark_used(&chunk, Instant::now());
            rest = &rest[chunk.consumed..];
        }
        Ok(())
    }

    fn apply_bindings(&mut self, chunk: &Chunk) -> Result<(), InjectError> {
        if chunk.bindings.is_empty() {
            return Ok(());
        }
        if let Some(last_use) = chunk.rebind_after {
            self.barrier(last_use);
        }
        let per = self.typist.keysyms_per_keycode();
        for &(keycode, pair) in &chunk.bindings {
            // Group 1 and group 2 alike (plain, shifted); the rest empty.
            let syms: Vec<u32> = (0..usize::from(per))
                .map(|i| if i < 4 { pair[i % 2] } else { 0 })
                .collect();
            self.conn
                .change_keyboard_mapping(1, keycode, per, &syms)
                .map_err(x11_error)?;
        }
        // The reply is the round trip that puts the bindings in force before
        // enigo's events arrive; it also shows whether the server kept them as
        // asked (XKB may reinterpret a core binding).
        let keymap = read_keymap(&self.conn)?;
        for &(keycode, pair) in &chunk.bindings {
            if !keymap.carries(keycode, pair) {
                return Err(InjectError::Failed(format!(
                    "the X server did not keep the binding of keycode {keycode} to keysyms {:#x}/{:#x}",
                    pair[0], pair[1]
                )));
            }
        }
        Ok(())
    }

    /// Wait until the focused window has processed every key sent so far: ask it to
    /// answer a `_NET_WM_PING` (answered in event order), or, if it does not speak
    /// that protocol, allow time for its backlog.
    fn barrier(&mut self, last_use: Instant) {
        if self.ping_focused_window() != Some(true) {
            let allowance = REBIND_GUARD + BACKLOG_PER_KEY * self.keys_since_barrier as u32;
            let ready = last_use + allowance;
            let now = Instant::now();
            if ready > now {
                std::thread::sleep(ready - now);
            }
        }
        self.keys_since_barrier = 0;
    }

    /// `Some(true)` once the focused top-level window answered a ping, `Some(false)`
    /// if it did not answer in time, `None` if it does not support pings.
    fn ping_focused_window(&mut self) -> Option<bool> {
        let top = self.focused_toplevel()?;
        let protocols = self
            .conn
            .get_property(false, top, self.atoms.wm_protocols, AtomEnum::ATOM, 0, 64)
            .ok()?
            .reply()
            .ok()?;
        let supports_ping = protocols
            .value32()
            .is_some_and(|mut atoms| atoms.any(|a| a == self.atoms.net_wm_ping));
        if !supports_ping {
            return None;
        }
        if !self.watching_root {
            // The answer is sent to the root window for SubstructureNotify listeners.
            let aux = ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY);
            self.conn.change_window_attributes(self.root, &aux).ok()?;
            self.watching_root = true;
        }
        self.ping_serial = self.ping_serial.wrapping_add(1);
        let serial = self.ping_serial;
        let ping = ClientMessageEvent::new(
            32,
            top,
            self.atoms.wm_protocols,
            [self.atoms.net_wm_ping, serial, top, 0, 0],
        );
        self.conn
            .send_event(false, top, EventMask::NO_EVENT, ping)
            .ok()?;
        self.conn.flush().ok()?;
        let deadline = Instant::now() + PING_TIMEOUT;
        while Instant::now() < deadline {
            while let Ok(Some(event)) = self.conn.poll_for_event() {
                if let Event::ClientMessage(msg) = event {
                    let data = msg.data.as_data32();
                    if data[0] == self.atoms.net_wm_ping && data[1] == serial {
                        return Some(true);
                    }
                }
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        Some(false)
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

    fn send_strokes(&mut self, strokes: &[Stroke]) -> Result<(), InjectError> {
        self.keys_since_barrier += strokes.len();
        let shift = u16::from(self.typist.shift_keycode());
        let mut shift_down = false;
        let result = (|| {
            for stroke in strokes {
                if stroke.shift != shift_down {
                    let dir = if stroke.shift {
                        Direction::Press
                    } else {
                        Direction::Release
                    };
                    self.enigo.raw(shift, dir).map_err(input_error)?;
                    shift_down = stroke.shift;
                }
                self.enigo
                    .raw(u16::from(stroke.keycode), Direction::Click)
                    .map_err(input_error)?;
            }
            Ok(())
        })();
        if shift_down {
            let _ = self.enigo.raw(shift, Direction::Release);
        }
        result
    }

    fn tap_keysym(&mut self, keysym: u32) -> Result<(), InjectError> {
        let (keycode, _) = self
            .typist
            .find(keysym)
            .ok_or_else(|| InjectError::Failed(format!("no key for keysym {keysym:#x}")))?;
        self.enigo
            .raw(u16::from(keycode), Direction::Click)
            .map_err(input_error)
    }

    fn caps_lock_on(&self) -> bool {
        self.conn
            .query_pointer(self.root)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|r| r.mask.contains(KeyButMask::LOCK))
    }

    /// Put `text` on the clipboard, send the paste shortcut, hold the clipboard
    /// until the target has read it, then give the user back what they had —
    /// unless something else has taken the clipboard meanwhile.
    pub fn paste_text(&mut self, text: &str, shift_paste: bool) -> Result<(), InjectError> {
        if self.clipboard.is_none() {
            self.clipboard = Some(
                arboard::Clipboard::new()
                    .map_err(|e| InjectError::Unavailable(format!("no clipboard: {e}")))?,
            );
        }
        let Some(clipboard) = self.clipboard.as_mut() else {
            return Err(InjectError::Unavailable("no clipboard".into()));
        };
        let previous = clipboard.get_text().ok();
        clipboard
            .set_text(text)
            .map_err(|e| InjectError::Failed(format!("cannot set the clipboard: {e}")))?;
        self.refresh_keymap()?;
        let find = |sym: u32| {
            self.typist
                .find(sym)
                .map(|(kc, _)| u16::from(kc))
                .ok_or_else(|| InjectError::Failed(format!("no key for keysym {sym:#x}")))
        };
        let control = find(CONTROL_L)?;
        let v = find(keysym_of('v'))?;
        let shift = u16::from(self.typist.shift_keycode());
        let mut held = vec![control];
        if shift_paste {
            held.push(shift);
        }
        let mut sent = Ok(());
        for &k in &held {
            if sent.is_ok() {
                sent = self.enigo.raw(k, Direction::Press).map_err(input_error);
            }
        }
        if sent.is_ok() {
            sent = self.enigo.raw(v, Direction::Click).map_err(input_error);
        }
        for &k in held.iter().rev() {
            let _ = self.enigo.raw(k, Direction::Release);
        }
        sent?;
        std::thread::sleep(PASTE_HOLD);
        if let Some(clipboard) = self.clipboard.as_mut() {
            if clipboard.get_text().ok().as_deref() == Some(text) {
                let _ = match previous {
                    Some(p) => clipboard.set_text(p),
                    None => clipboard.clear(),
                };
            }
        }
        Ok(())
    }

    /// WM_CLASS of the focused top-level window (`xterm`, `firefox`, ...).
    pub fn focused_class(&self) -> Option<String> {
        let mut window = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
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

fn input_error(e: enigo::InputError) -> InjectError {
    InjectError::Failed(format!("keyboard input failed: {e}"))
}
