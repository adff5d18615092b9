//! Putting text into the focused window: by typing (enigo), by pasting (arboard +
//! the paste shortcut), chosen per message in `auto` mode, or not at all (`none`).
//!
//! Injection is slow and thread-affine (an X connection, a clipboard owner), so it
//! runs on a thread of its own, fed one message at a time, in order
//! ([`InjectorThread`]); the WebSocket task never waits for it and keeps ACKing and
//! answering pings.

pub mod keymap;
pub mod x11;

use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use tokio::sync::mpsc as tokio_mpsc;

use super::dedupe::SeenIds;
use crate::protocol::MessageId;
pub use keymap::NewlineKey;

/// How the agent puts text into the focused window.
#[derive(
    clap::ValueEnum,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum InjectMode {
    /// Keyboard events.
    Type,
    /// Clipboard and the paste shortcut.
    Paste,
    /// Chosen per message (see [`choose_method`]).
    #[default]
    Auto,
    /// ACK and record only; type nothing.
    None,
}

/// What was done with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Typed,
    Pasted,
    /// `--inject none`.
    Recorded,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InjectError {
    /// Injection cannot work here at all (no display, no permission, Wayland only).
    #[error("{0}")]
    Unavailable(String),
    /// This message could not be injected.
    #[error("{0}")]
    Failed(String),
}

/// Texts longer than this are pasted in `auto` mode (when pasting works in the
/// focused window): typing 500 characters takes about half a second, a paste is
/// instant. Shorter texts are typed, which leaves the user's clipboard (and any
/// clipboard-manager history) untouched.
pub const PASTE_ABOVE_CHARS: usize = 500;

/// What `auto` knows about the situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation {
    pub chars: usize,
    /// Every character can be typed on this keyboard or a spare keycode, without
    /// rebinding keycodes mid-text (which needs barriers and is slow).
    pub typeable: bool,
    /// The focused window is a terminal: Ctrl+V does not paste there.
    pub terminal: bool,
}

/// The `auto` rule: type, unless typing cannot produce the text easily (more rare
/// characters than spare keycodes), or the text is long and the window is not a
/// terminal.
pub fn choose_method(s: Situation) -> Method {
    if !s.typeable || (s.chars > PASTE_ABOVE_CHARS && !s.terminal) {
        Method::Pasted
    } else {
        Method::Typed
    }
}

/// WM_CLASS values of terminal emulators (compared case-insensitively).
const TERMINALS: &[&str] = &[
    "xterm",
    "uxterm",
    "gnome-terminal",
    "gnome-terminal-server",
    "konsole",
    "xfce4-terminal",
    "kitty",
    "alacritty",
    "terminator",
    "tilix",
    "urxvt",
    "rxvt",
    "st",
    "st-256color",
    "wezterm",
    "org.wezfurlong.wezterm",
    "foot",
    "lxterminal",
    "mate-terminal",
    "qterminal",
    "terminology",
    "guake",
    "yakuake",
    "sakura",
    "termite",
    "eterm",
    "ptyxis",
    "kgx",
    "blackbox",
    "com.raggesilver.blackbox",
];

pub fn is_terminal(wm_class: &str) -> bool {
    TERMINALS.iter().any(|t| t.eq_ignore_ascii_case(wm_class))
}

/// Something that can put text into the focused window.
pub trait Injector {
    fn inject(&mut self, text: &str) -> Result<Method, InjectError>;
    /// One line for the status display: what this injector does (`Ok`), or why it
    /// cannot work here (`Err`).
    fn describe(&mut self) -> Result<String, String>;
}

/// Injection settings that may change while the agent runs (from the tray or the
/// window); the injection thread reads them for every message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectSettings {
    pub mode: InjectMode,
    pub newline: NewlineKey,
}

pub type SharedInjectSettings = Arc<Mutex<InjectSettings>>;

/// The desktop injector: X11 through enigo and arboard, connected lazily (and again
/// after a failure, so an agent started before the display comes up recovers).
pub struct DesktopInjector {
    settings: SharedInjectSettings,
    x11: Option<x11::X11Injector>,
}

impl DesktopInjector {
    pub fn new(settings: SharedInjectSettings) -> DesktopInjector {
        DesktopInjector {
            settings,
            x11: None,
        }
    }

    fn current(&self) -> InjectSettings {
        match self.settings.lock() {
            Ok(s) => *s,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    fn x11(&mut self) -> Result<&mut x11::X11Injector, InjectError> {
        if self.x11.is_none() {
            check_session()?;
            self.x11 = Some(x11::X11Injector::connect()?);
        }
        self.x11
            .as_mut()
            .ok_or_else(|| InjectError::Unavailable("no X display".into()))
    }
}

impl Injector for DesktopInjector {
    fn inject(&mut self, text: &str) -> Result<Method, InjectError> {
        let InjectSettings { mode, newline } = self.current();
        if mode == InjectMode::None {
            return Ok(Method::Recorded);
        }
        let x11 = self.x11()?;
        x11.set_newline(newline);
        let terminal = x11.focused_class().is_some_and(|c| is_terminal(&c));
        let method = match mode {
            InjectMode::Type => Method::Typed,
            InjectMode::Paste => Method::Pasted,
            _ => choose_method(Situation {
                chars: text.chars().count(),
                typeable: x11.types_easily(text),
                terminal,
            }),
        };
        let result = match method {
            Method::Pasted => x11.paste_text(text, terminal),
            _ => x11.type_text(text),
        };
        if let Err(InjectError::Unavailable(_)) = &result {
            // Reconnect next time (the display may have gone and come back).
            self.x11 = None;
        }
        result.map(|()| method)
    }

    fn describe(&mut self) -> Result<String, String> {
        let mode = self.current().mode;
        if mode == InjectMode::None {
            return Ok("recording only (injection mode: none)".into());
        }
        match self.x11() {
            Ok(_) => Ok("ready to type into the focused X11 window".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Typing goes through X11. Under Wayland only X11 (XWayland) windows receive it;
/// without XWayland there is nothing to type into.
fn check_session() -> Result<(), InjectError> {
    let wayland = std::env::var("XDG_SESSION_TYPE").is_ok_and(|t| t == "wayland")
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let x11 = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty());
    match (wayland, x11) {
        (_, true) => Ok(()),
        (true, false) => Err(InjectError::Unavailable(
            "Wayland session without XWayland: SayType types through X11 and has no display \
             to type into (log in to an X11 session, or run with --inject none)"
                .into(),
        )),
        (false, false) => Err(InjectError::Unavailable(
            "no display: DISPLAY is not set, so there is no window to type into".into(),
        )),
    }
}

/// A message for the injector thread.
pub struct Job {
    pub id: MessageId,
    pub text: String,
}

/// What became of a message: `Ok(None)` when it was a duplicate and was skipped.
pub struct Outcome {
    pub id: MessageId,
    pub result: Result<Option<Method>, InjectError>,
}

/// The injection thread: takes jobs in order, records each id durably *before*
/// injecting (so a message is injected at most once, even across a crash), then
/// injects and reports.
/// What the injection thread is asked to do.
enum Work {
    Inject(Job),
    /// Check again whether injection works here (the settings changed).
    Refresh,
}

pub struct InjectorThread {
    jobs: mpsc::Sender<Work>,
    /// Whether injection works here, and the line that says what it does or why not.
    state: Arc<Mutex<(bool, String)>>,
}

impl InjectorThread {
    /// Start the thread. `make` builds the injector on the thread itself (X
    /// connections and clipboard owners belong to the thread that made them).
    pub fn spawn<F>(
        make: F,
        seen: Arc<Mutex<SeenIds>>,
        outcomes: tokio_mpsc::UnboundedSender<Outcome>,
    ) -> std::io::Result<InjectorThread>
    where
        F: FnOnce() -> Box<dyn Injector> + Send + 'static,
    {
        let (jobs, rx) = mpsc::channel::<Work>();
        let state = Arc::new(Mutex::new((true, String::from("starting"))));
        let shared_state = state.clone();
        let set_state = move |described: Result<String, String>| {
            let (ok, text) = match described {
                Ok(t) => (true, t),
                Err(t) => (false, t),
            };
            if let Ok(mut s) = shared_state.lock() {
                *s = (ok, text);
            }
        };
        thread::Builder::new()
            .name("saytype-inject".into())
            .spawn(move || {
                let mut injector = make();
                let description = injector.describe();
                match &description {
                    Ok(d) => tracing::info!("injector: {d}"),
                    Err(e) => tracing::warn!("injector: {e}"),
                }
                set_state(description);
                for work in rx {
                    let job = match work {
                        Work::Inject(job) => job,
                        Work::Refresh => {
                            set_state(injector.describe());
                            continue;
                        }
                    };
                    let first_time = match seen.lock() {
                        Ok(mut s) => s.insert(job.id.as_str()),
                        Err(poisoned) => poisoned.into_inner().insert(job.id.as_str()),
                    };
                    let result = match first_time {
                        Ok(false) => Ok(None),
                        Ok(true) => injector.inject(&job.text).map(Some),
                        Err(e) => Err(InjectError::Failed(format!(
                            "cannot record the message id, not typing it: {e}"
                        ))),
                    };
                    match &result {
                        Err(InjectError::Unavailable(why)) => set_state(Err(why.clone())),
                        Ok(Some(_)) => set_state(injector.describe()),
                        _ => {}
                    }
                    if outcomes.send(Outcome { id: job.id, result }).is_err() {
                        break;
                    }
                }
            })?;
        Ok(InjectorThread { jobs, state })
    }

    /// Whether injection works here, and what it does or why it cannot ("no
    /// display", ...).
    pub fn state(&self) -> (bool, String) {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn submit(&self, job: Job) -> bool {
        self.jobs.send(Work::Inject(job)).is_ok()
    }

    /// Check again, in turn with the messages, whether injection works here.
    pub fn refresh(&self) {
        let _ = self.jobs.send(Work::Refresh);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_types_short_texts_and_pastes_long_ones_outside_terminals() {
        let s = |chars, typeable, terminal| Situation {
            chars,
            typeable,
            terminal,
        };
        assert_eq!(choose_method(s(20, true, false)), Method::Typed);
        assert_eq!(choose_method(s(500, true, false)), Method::Typed);
        assert_eq!(choose_method(s(501, true, false)), Method::Pasted);
        assert_eq!(
            choose_method(s(5_000, true, true)),
            Method::Typed,
            "terminals get typing"
        );
        assert_eq!(
            choose_method(s(3, false, false)),
            Method::Pasted,
            "untypeable text is pasted"
        );
        assert_eq!(choose_method(s(3, false, true)), Method::Pasted);
    }

    #[test]
    fn terminal_classes() {
        assert!(is_terminal("XTerm"));
        assert!(is_terminal("gnome-terminal-server"));
        assert!(is_terminal("kitty"));
        assert!(!is_terminal("firefox"));
        assert!(!is_terminal("Gedit"));
    }

    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Injector for Recorder {
        fn inject(&mut self, text: &str) -> Result<Method, InjectError> {
            if text == "fail" {
                return Err(InjectError::Failed("no focus".into()));
            }
            self.0.lock().expect("lock").push(text.to_owned());
            Ok(Method::Typed)
        }
        fn describe(&mut self) -> Result<String, String> {
            Ok("recorder".into())
        }
    }

    #[tokio::test]
    async fn the_thread_injects_in_order_once_per_id() {
        let typed = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(Mutex::new(SeenIds::in_memory(100)));
        let (tx, mut rx) = tokio_mpsc::unbounded_channel();
        let sink = typed.clone();
        let thread =
            InjectorThread::spawn(move || Box::new(Recorder(sink)), seen, tx).expect("thread");
        let id = |s: &str| MessageId::parse(s).expect("id");
        for (i, text) in [("a", "one"), ("b", "two"), ("a", "one"), ("c", "fail")] {
            assert!(thread.submit(Job {
                id: id(i),
                text: text.into()
            }));
        }
        let mut outcomes = Vec::new();
        for _ in 0..4 {
            let o = rx.recv().await.expect("outcome");
            outcomes.push((o.id.to_string(), o.result));
        }
        assert_eq!(outcomes[0], ("a".into(), Ok(Some(Method::Typed))));
        assert_eq!(outcomes[1], ("b".into(), Ok(Some(Method::Typed))));
        assert_eq!(
            outcomes[2],
            ("a".into(), Ok(None)),
            "a duplicate is skipped"
        );
        assert_eq!(
            outcomes[3],
            ("c".into(), Err(InjectError::Failed("no focus".into())))
        );
        assert_eq!(*typed.lock().expect("lock"), ["one", "two"]);
    }
}
