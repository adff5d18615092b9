//! The routes that type with the user's own layout (KWin's fake-input, mutter's
//! RemoteDesktop, the portal): one rule for all. A text whose every character is
//! on the layout is typed (or pasted, as `auto` and the settings say); a text with
//! a character that is not is pasted whole, in every mode: typing around it and
//! pasting the rest could reorder the two (a window reads a paste
//! asynchronously, while later keys may already be on their way). Where the
//! route knows the focused window (KWin), the terminal rule applies as on X11 and
//! wlroots, and typing stops when the focus moves.

use std::time::Instant;

use super::layout::{Layout, LayoutError, Plan, Stroke};
use super::progress::{checkpoint, REPORT_EVERY};
use super::rule::{has_line_break, in_terminal, pick, InTerminal};
use super::wayland::typing::PER_CHAR;
use super::{is_terminal, InjectError, InjectSettings, Key, Method, Progress, Situation};

/// A route that sends keys of the user's layout and pastes.
pub trait Keyed {
    /// The user's layout now.
    fn layout(&mut self) -> Result<&Layout, InjectError>;
    /// Send these strokes (one per character, in order); returns once the
    /// compositor has handled them.
    fn send_batch(&mut self, batch: &[Stroke]) -> Result<(), InjectError>;
    /// Paste `text` through the clipboard, with the terminal's paste key
    /// (Ctrl+Shift+V) when `terminal`, else Ctrl+V.
    fn paste_text(
        &mut self,
        text: &str,
        terminal: bool,
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError>;
    /// Whether the route can tell which window has the focus.
    fn knows_focus(&self) -> bool {
        false
    }
    /// The focused window's app id, where the route can tell.
    fn focused_app(&self) -> Option<String> {
        None
    }
    /// An error if the focus left the window the message started in, after
    /// `typed` of `total` characters (called after each batch).
    fn focus_kept(&self, _typed: usize, _total: usize) -> Result<(), InjectError> {
        Ok(())
    }
}

/// How a message goes in on `layout` under `settings` (`terminal`: the focused
/// window is one).
pub fn method_for(
    layout: &Layout,
    text: &str,
    settings: InjectSettings,
    terminal: bool,
) -> (Method, Plan) {
    let plan = layout.plan(text, settings.newline);
    let method = match (&plan, settings.mode) {
        (Plan::Paste(_), _) => Method::Pasted,
        (_, mode) => pick(mode, || Situation {
            chars: text.chars().count(),
            typeable: true,
            terminal,
        }),
    };
    (method, plan)
}

/// Inject `text` through `route`. In a terminal a line break never goes in as a
/// key (it would run the line): text with one is pasted with the terminal's
/// paste key (bracketed: the shell runs nothing), a trailing one is dropped.
/// Where the route cannot tell which window has the focus (mutter, the portal),
/// any window may be a terminal: text with a line break is pasted with Ctrl+V,
/// which editors and chat boxes take as the text and terminals ignore (the
/// message then fails, saying so), so no line runs by accident.
pub fn inject(
    route: &mut dyn Keyed,
    text: &str,
    settings: InjectSettings,
    progress: &mut dyn Progress,
) -> Result<Method, InjectError> {
    if !route.knows_focus() && has_line_break(text) {
        return route
            .paste_text(text, false, progress)
            .map(|()| Method::Pasted)
            .map_err(|e| match e {
                InjectError::NotRead { .. } => InjectError::NotRead { blind: true },
                e => e,
            });
    }
    let terminal = route.focused_app().is_some_and(|a| is_terminal(&a));
    let text = match terminal.then(|| in_terminal(text)) {
        Some(InTerminal::Paste(text)) => {
            return route
                .paste_text(text, true, progress)
                .map(|()| Method::Pasted)
        }
        Some(InTerminal::Usual(text)) => text,
        None => text,
    };
    let (method, plan) = method_for(route.layout()?, text, settings, terminal);
    match (method, plan) {
        (Method::Typed, Plan::Type(strokes)) => type_paced(route, &strokes, progress),
        _ => route.paste_text(text, terminal, progress),
    }
    .map(|()| method)
}

/// Press `key` `count` times through `route` (its evdev code: Return and
/// BackSpace are the same key in every layout), paced and focus-checked like
/// typed text.
pub fn press(
    route: &mut dyn Keyed,
    key: Key,
    count: usize,
    progress: &mut dyn Progress,
) -> Result<(), InjectError> {
    // linux/input-event-codes.h: KEY_ENTER, KEY_BACKSPACE; their keysyms.
    let (code, keysym) = match key {
        Key::Return => (28, 0xff0d),
        Key::BackSpace => (14, 0xff08),
    };
    let stroke = Stroke {
        code,
        keysym,
        shift: false,
        level3: false,
    };
    checkpoint(progress, 0, count)?;
    type_paced(route, &vec![stroke; count], progress)
}

/// The key events (evdev code, pressed) that type `batch` on `layout`: for each
/// stroke its modifiers down, the key down and up, the modifiers up again.
pub fn batch_events(layout: &Layout, batch: &[Stroke]) -> Result<Vec<(u32, bool)>, InjectError> {
    let failed = |e: LayoutError| InjectError::Failed(e.to_string());
    let shift = layout.shift_key().map_err(failed)?;
    let level3 = layout.level3_key().ok();
    if batch.iter().any(|s| s.level3) && level3.is_none() {
        return Err(failed(LayoutError::Missing("AltGr")));
    }
    let mut events = Vec::with_capacity(batch.len() * 4);
    for &stroke in batch {
        let mods = [
            stroke.shift.then_some(shift),
            level3.filter(|_| stroke.level3),
        ];
        let mods = mods.iter().flatten();
        events.extend(mods.clone().map(|m| (m.code, true)));
        events.extend([(stroke.code, true), (stroke.code, false)]);
        events.extend(mods.rev().map(|m| (m.code, false)));
    }
    Ok(events)
}

/// The paste shortcut as key events: Ctrl+V (wherever the layout has `v`), or
/// a terminal's Ctrl+Shift+V.
pub fn paste_events(layout: &Layout, terminal: bool) -> Result<Vec<(u32, bool)>, InjectError> {
    let failed = |e: LayoutError| InjectError::Failed(e.to_string());
    let (control, v) = (
        layout.control_key().map_err(failed)?.code,
        layout.v_key().map_err(failed)?.code,
    );
    let shift = terminal
        .then(|| layout.shift_key().map(|k| k.code))
        .transpose()
        .map_err(failed)?;
    let mut events = vec![(control, true)];
    events.extend(shift.map(|s| (s, true)));
    events.extend([(v, true), (v, false)]);
    events.extend(shift.map(|s| (s, false)));
    events.push((control, false));
    Ok(events)
}

/// The strokes in batches of [`REPORT_EVERY`], paced as on sway: a window that
/// reads keys slower than they come is disconnected when its buffer fills.
fn type_paced(
    route: &mut dyn Keyed,
    strokes: &[Stroke],
    progress: &mut dyn Progress,
) -> Result<(), InjectError> {
    let total = strokes.len();
    let mut typed = 0;
    for batch in strokes.chunks(REPORT_EVERY) {
        let started = Instant::now();
        route.send_batch(batch)?;
        if let Some(rest) = (PER_CHAR * batch.len() as u32).checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
        typed += batch.len();
        route.focus_kept(typed, total)?;
        checkpoint(progress, typed, total)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::inject::layout::keymap_of;
    use crate::agent::inject::{InjectMode, NewlineKey};

    #[test]
    fn keys_come_with_their_modifiers_around_them() {
        let de = Layout::from_keymap(&keymap_of("de", "").expect("xkb data")).expect("de");
        let Plan::Type(strokes) = de.plan("z@A", NewlineKey::Return) else {
            panic!("plan");
        };
        let events = batch_events(&de, &strokes).expect("events");
        let (shift, altgr) = (42, de.level3_key().expect("AltGr").code);
        assert_eq!(
            events,
            [
                (21, true),
                (21, false),
                (altgr, true),
                (16, true),
                (16, false),
                (altgr, false),
                (shift, true),
                (30, true),
                (30, false),
                (shift, false),
            ],
            "z is KEY_Y, @ is AltGr+Q, A is Shift+KEY_A"
        );
        assert_eq!(
            paste_events(&de, false).expect("paste"),
            [(29, true), (47, true), (47, false), (29, false)]
        );
        assert_eq!(
            paste_events(&de, true).expect("terminal paste"),
            [
                (29, true),
                (shift, true),
                (47, true),
                (47, false),
                (shift, false),
                (29, false)
            ]
        );
    }

    /// A route that records what it was asked to do.
    struct Recorder {
        layout: Layout,
        knows_focus: bool,
        app: Option<String>,
        calls: Vec<String>,
    }

    impl Keyed for Recorder {
        fn layout(&mut self) -> Result<&Layout, InjectError> {
            Ok(&self.layout)
        }
        fn send_batch(&mut self, batch: &[Stroke]) -> Result<(), InjectError> {
            self.calls.push(format!("keys {}", batch.len()));
            Ok(())
        }
        fn paste_text(
            &mut self,
            text: &str,
            terminal: bool,
            _: &mut dyn Progress,
        ) -> Result<(), InjectError> {
            self.calls
                .push(format!("paste {text:?} terminal={terminal}"));
            Ok(())
        }
        fn knows_focus(&self) -> bool {
            self.knows_focus
        }
        fn focused_app(&self) -> Option<String> {
            self.app.clone()
        }
    }

    #[test]
    fn a_line_break_is_never_a_key_where_the_focus_is_unknown_or_a_terminal() {
        let keymap = keymap_of("us", "").expect("xkb data");
        let route = |knows_focus, app: Option<&str>| Recorder {
            layout: Layout::from_keymap(&keymap).expect("layout"),
            knows_focus,
            app: app.map(str::to_owned),
            calls: Vec::new(),
        };
        let settings = InjectSettings {
            mode: InjectMode::Type,
            newline: NewlineKey::ShiftReturn,
        };
        struct Quiet;
        impl Progress for Quiet {
            fn advanced(&mut self, _: usize) -> bool {
                true
            }
        }
        let mut progress = Quiet;
        let mut run = |mut r: Recorder, text: &str| {
            let method = inject(&mut r, text, settings, &mut progress).expect("inject");
            (method, r.calls)
        };
        // mutter, the portal: any window may be a terminal.
        assert_eq!(
            run(route(false, None), "ls\n"),
            (
                Method::Pasted,
                vec!["paste \"ls\\n\" terminal=false".to_owned()]
            )
        );
        assert_eq!(run(route(false, None), "ls").0, Method::Typed);
        // KWin: an editor gets the line break typed; a terminal never.
        assert_eq!(
            run(route(true, Some("org.kde.kate")), "a\nb").0,
            Method::Typed
        );
        assert_eq!(
            run(route(true, Some("org.kde.konsole")), "ls\n"),
            (Method::Typed, vec!["keys 2".to_owned()])
        );
        assert_eq!(
            run(route(true, Some("org.kde.konsole")), "a\nb\n").1,
            ["paste \"a\\nb\" terminal=true"]
        );
    }

    #[test]
    fn off_layout_text_is_pasted_whole_in_every_mode() {
        let keymap = keymap_of("us", "").expect("xkb data");
        let us = Layout::from_keymap(&keymap).expect("layout");
        let settings = |mode| InjectSettings {
            mode,
            newline: NewlineKey::ShiftReturn,
        };
        for mode in [InjectMode::Type, InjectMode::Auto, InjectMode::Paste] {
            let (method, plan) = method_for(&us, "naïve", settings(mode), false);
            assert_eq!(method, Method::Pasted, "{mode:?}");
            assert_eq!(plan, Plan::Paste('ï'));
        }
        let (method, plan) = method_for(&us, "plain ASCII\n", settings(InjectMode::Type), false);
        assert_eq!(method, Method::Typed);
        assert!(matches!(plan, Plan::Type(s) if s.len() == 12));
        let long = "a".repeat(600);
        assert_eq!(
            method_for(&us, &long, settings(InjectMode::Auto), false).0,
            Method::Pasted
        );
        assert_eq!(
            method_for(&us, "abc", settings(InjectMode::Paste), false).0,
            Method::Pasted
        );
    }
}
