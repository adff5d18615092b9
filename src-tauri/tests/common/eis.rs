//! An in-process EIS server (reis's server side) for the portal route's tests:
//! it offers one seat with a keyboard whose keymap it chooses, and records every
//! key event a client sends, in order. Ctrl+V calls `on_paste` (the stand-in
//! portal then reads the clipboard, as a window pasting would).

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use reis::eis;
use reis::handshake::EisHandshaker;
use reis::request::{DeviceCapability, EisRequest, EisRequestConverter};
use reis::PendingRequestResult;
use rustix::event::{poll, PollFd, PollFlags};

const CONTROL: u32 = 29;
const V: u32 = 47;

/// What the server saw.
#[derive(Default)]
pub struct EisLog {
    /// (evdev code, pressed), in order.
    pub keys: Mutex<Vec<(u32, bool)>>,
    /// Frames received.
    pub frames: Mutex<usize>,
    /// Connections served.
    pub connections: Mutex<usize>,
}

/// Serve one client on `stream` with `keymap` (XKB text), on a thread.
pub fn serve(
    stream: UnixStream,
    keymap: String,
    log: Arc<EisLog>,
    on_paste: impl Fn() + Send + 'static,
) {
    std::thread::spawn(move || {
        if let Err(e) = run(stream, &keymap, &log, on_paste) {
            eprintln!("EIS server: {e}");
        }
    });
}

fn run(
    stream: UnixStream,
    keymap: &str,
    log: &EisLog,
    on_paste: impl Fn(),
) -> Result<(), Box<dyn std::error::Error>> {
    *log.connections.lock().expect("log") += 1;
    let mut file = tempfile::tempfile()?;
    file.write_all(keymap.as_bytes())?;
    file.write_all(&[0])?;
    let size = u32::try_from(keymap.len() + 1)?;
    let context = eis::Context::new(stream)?;
    let mut handshaker = EisHandshaker::new(&context, 1);
    let mut converter: Option<EisRequestConverter> = None;
    let mut control = false;
    // Kept for as long as the client is served.
    let mut _seat = None;
    loop {
        let mut fds = [PollFd::new(&context, PollFlags::IN)];
        poll(&mut fds, None)?;
        if context.read()? == 0 {
            return Ok(());
        }
        while let Some(request) = context.pending_request() {
            let request = match request {
                PendingRequestResult::Request(r) => r,
                PendingRequestResult::ParseError(e) => return Err(e.to_string().into()),
                PendingRequestResult::InvalidObject(_) => continue,
            };
            let Some(conv) = converter.as_mut() else {
                if let Some(resp) = handshaker.handle_request(request)? {
                    let conv = EisRequestConverter::new(&context, resp, 1);
                    _seat = Some(
                        conv.handle()
                            .add_seat(Some("default"), DeviceCapability::Keyboard.into()),
                    );
                    converter = Some(conv);
                }
                let _ = context.flush();
                continue;
            };
            conv.handle_request(request)?;
            while let Some(request) = conv.next_request() {
                match request {
                    EisRequest::Bind(bind)
                        if bind.capabilities.contains(DeviceCapability::Keyboard) =>
                    {
                        let device = bind.seat.add_device(
                            Some("keyboard"),
                            eis::device::DeviceType::Virtual,
                            DeviceCapability::Keyboard.into(),
                            |device| {
                                if let Some(kb) = device.interface::<eis::Keyboard>() {
                                    kb.keymap(eis::keyboard::KeymapType::Xkb, size, file.as_fd());
                                }
                            },
                        );
                        device.resumed();
                    }
                    EisRequest::KeyboardKey(key) => {
                        let pressed = key.state == eis::keyboard::KeyState::Press;
                        log.keys.lock().expect("log").push((key.key, pressed));
                        if key.key == CONTROL {
                            control = pressed;
                        }
                        if key.key == V && pressed && control {
                            on_paste();
                        }
                    }
                    EisRequest::Frame(_) => *log.frames.lock().expect("log") += 1,
                    EisRequest::Disconnect => return Ok(()),
                    _ => {}
                }
            }
            let _ = context.flush();
        }
    }
}

/// The text `keys` type on `keymap` (xkbcommon's state, as a window's toolkit
/// reads them): Return as a line break.
pub fn typed_text(keymap: &str, keys: &[(u32, bool)]) -> String {
    use xkbcommon::xkb;
    let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
    let keymap = xkb::Keymap::new_from_string(
        &context,
        keymap.to_owned(),
        xkb::KEYMAP_FORMAT_TEXT_V1,
        xkb::COMPILE_NO_FLAGS,
    )
    .expect("keymap");
    let mut state = xkb::State::new(&keymap);
    let mut text = String::new();
    for &(code, pressed) in keys {
        let key = xkb::Keycode::new(code + 8);
        if pressed {
            match state.key_get_utf8(key).as_str() {
                "\r" => text.push('\n'),
                s => text.push_str(s),
            }
        }
        state.update_key(
            key,
            if pressed {
                xkb::KeyDirection::Down
            } else {
                xkb::KeyDirection::Up
            },
        );
    }
    text
}
