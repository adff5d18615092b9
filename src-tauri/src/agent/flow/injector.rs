//! [`FlowInjector`]: the desktop injector with the dictation flow around it. It
//! reads a message's voice commands, adds the joining space, types the pieces
//! through the route (its rules unchanged: a line break in a terminal is still a
//! paste), presses Return where asked, and removes the previous message on
//! "scratch that". It says what went in ([`Injector::take_typed`]) when that is
//! not the text as said.

use std::time::Instant;

use super::commands::{Parsed, Piece};
use super::memory::{Entry, Memory, Refused};
use super::{FlowSettings, SharedFlowSettings};
use crate::agent::inject::keys::NO_KEYS;
use crate::agent::inject::rule::{in_terminal, InTerminal};
use crate::agent::inject::{
    is_terminal, FocusNow, InjectError, Injector, Key, Method, Progress, Readiness,
};
use crate::protocol::ws::Target;
use crate::sync::lock;

/// The `method` of a result for "scratch that".
pub const ERASED: &str = "erased";

pub struct FlowInjector {
    inner: Box<dyn Injector>,
    settings: SharedFlowSettings,
    memory: Memory,
    target: Option<Target>,
    typed: Option<String>,
}

/// Progress of one piece, counted on from the pieces before it.
struct Offset<'a> {
    inner: &'a mut dyn Progress,
    base: usize,
}

impl Progress for Offset<'_> {
    fn advanced(&mut self, typed: usize) -> bool {
        self.inner.advanced(self.base + typed)
    }
}

impl FlowInjector {
    pub fn new(inner: Box<dyn Injector>, settings: SharedFlowSettings) -> FlowInjector {
        FlowInjector {
            inner,
            settings,
            memory: Memory::default(),
            target: None,
            typed: None,
        }
    }

    /// Remove the previous message, or say why not.
    fn scratch(
        &mut self,
        focus: Option<FocusNow>,
        progress: &mut dyn Progress,
    ) -> Result<Method, InjectError> {
        let scratch = self
            .memory
            .scratch(focus)
            .map_err(|why: Refused| InjectError::Failed(format!("scratch that: {why}")))?;
        let result = self
            .inner
            .press(Key::BackSpace, scratch.backspaces, progress);
        self.target = self.inner.take_target();
        match result {
            Ok(Method::Recorded) => Ok(Method::Recorded),
            Ok(method) => {
                self.memory.scratched(Instant::now());
                if let Some(t) = &mut self.target {
                    t.method = Some(ERASED.into());
                }
                self.typed = Some(String::new());
                Ok(method)
            }
            Err(e) => {
                self.memory.forget();
                Err(e)
            }
        }
    }

    /// Type the pieces in order; remember what went in.
    fn type_pieces(
        &mut self,
        mut pieces: Vec<Piece>,
        focus: Option<FocusNow>,
        settings: FlowSettings,
        progress: &mut dyn Progress,
    ) -> Result<Method, InjectError> {
        if pieces.contains(&Piece::Enter) && !self.inner.can_press() {
            // Before any of it is typed: half a message with no Return helps no one.
            return Err(InjectError::Failed(format!("press enter: {NO_KEYS}")));
        }
        let now = Instant::now();
        if let Some(Piece::Text(first)) = pieces.first_mut() {
            if settings.join && self.memory.joins(focus, now, settings.join_within, first) {
                first.insert(0, ' ');
            }
        }
        let mut typed = String::new();
        let mut method = None;
        let mut not_erasable = None;
        let total: usize = pieces.iter().map(Piece::chars).sum();
        // The message as meant (a pressed Return as a line break).
        let meant: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Enter => "\n",
            })
            .collect();
        let mut sent = 0;
        for piece in &pieces {
            let mut offset = Offset {
                inner: &mut *progress,
                base: sent,
            };
            let (result, went_in) = match piece {
                Piece::Text(text) => {
                    let result = self.inner.inject(text, &mut offset);
                    let target = self.inner.take_target();
                    let went_in = went_in(text, target.as_ref());
                    if text.contains('\t') {
                        not_erasable = Some("pressed Tab (it may have moved to another field)");
                    }
                    self.target = self.target.take().or(target);
                    (result, went_in)
                }
                Piece::Enter => {
                    let result = self.inner.press(Key::Return, 1, &mut offset);
                    let target = self.inner.take_target();
                    self.target = self.target.take().or(target);
                    not_erasable = Some("pressed Return");
                    (result, "\n".to_owned())
                }
            };
            match result {
                Ok(m) => {
                    sent += piece.chars();
                    typed.push_str(&went_in);
                    method = Some(match (method, m) {
                        (Some(Method::Pasted), _) | (_, Method::Pasted) => Method::Pasted,
                        (_, m) => m,
                    });
                }
                Err(e) => {
                    self.memory.forget();
                    return Err(counted(e, sent, total));
                }
            }
        }
        let method = method.unwrap_or(Method::Typed);
        match (method, focus) {
            (Method::Recorded, _) | (_, None) => self.memory.forget(),
            (_, Some(focus)) => {
                let app = self.target.as_ref().map(|t| t.app.clone());
                let entry = Entry {
                    ends_in_space: meant.ends_with(char::is_whitespace),
                    typed: typed.clone(),
                    not_erasable,
                };
                self.memory.typed(focus.window, app, Instant::now(), entry);
                self.inner.watch_focus();
            }
        }
        if let Some(t) = &mut self.target {
            t.method = Some(method.as_str().to_owned());
        }
        // Record-only mode typed nothing: no "typed" to show.
        self.typed = (method != Method::Recorded).then_some(typed);
        Ok(method)
    }
}

/// A piece's failure counted in the whole message: `before` characters of the
/// pieces before it were in, of `total`.
fn counted(e: InjectError, before: usize, total: usize) -> InjectError {
    match e {
        InjectError::Interrupted { typed, .. } => InjectError::Interrupted {
            typed: before + typed,
            total,
        },
        InjectError::FocusMoved { app, typed, .. } => InjectError::FocusMoved {
            app,
            typed: before + typed,
            total,
        },
        e => e,
    }
}

/// What of `text` went into the window: a terminal drops a trailing line break
/// (the route's terminal rule).
fn went_in(text: &str, target: Option<&Target>) -> String {
    match target {
        Some(t) if is_terminal(&t.app) => match in_terminal(text) {
            InTerminal::Usual(t) | InTerminal::Paste(t) => t.to_owned(),
        },
        _ => text.to_owned(),
    }
}

impl Injector for FlowInjector {
    fn inject(&mut self, text: &str, progress: &mut dyn Progress) -> Result<Method, InjectError> {
        self.target = None;
        self.typed = None;
        let settings = *lock(&self.settings);
        let parsed = match settings.commands {
            Some(table) => table.parse(text),
            None => Parsed::literal(text),
        };
        let focus = self.inner.focus_now();
        let result = match parsed {
            Parsed::Scratch => self.scratch(focus, progress),
            Parsed::Pieces(pieces) => self.type_pieces(pieces, focus, settings, progress),
        };
        if self.typed.as_deref() == Some(text) {
            self.typed = None;
        }
        result
    }

    fn take_target(&mut self) -> Option<Target> {
        self.target.take()
    }

    fn take_typed(&mut self) -> Option<String> {
        self.typed.take()
    }

    fn readiness(&mut self) -> Readiness {
        self.inner.readiness()
    }

    fn grant(&mut self) -> Result<(), InjectError> {
        self.inner.grant()
    }
}

#[cfg(test)]
#[path = "injector_tests.rs"]
mod tests;
