//! The routes that type with the user's own layout (KWin's fake-input, mutter's
//! RemoteDesktop): one rule for both. A text whose every character is on the
//! layout is typed (or pasted, as `auto` and the settings say); a text with a
//! character that is not is pasted whole, in every mode: typing around it and
//! pasting the rest could reorder the two (a window reads a paste
//! asynchronously, while later keys may already be on their way).

use super::layout::{Layout, Plan, Stroke};
use super::rule::pick;
use super::{InjectError, InjectSettings, Method, Progress, Situation};

/// A route that sends keys of the user's layout and pastes.
pub trait Keyed {
    /// The user's layout now.
    fn layout(&mut self) -> Result<&Layout, InjectError>;
    /// Type these strokes (one per character of the text, in order).
    fn type_strokes(
        &mut self,
        strokes: &[Stroke],
        progress: &mut dyn Progress,
    ) -> Result<(), InjectError>;
    /// Paste `text` through the clipboard.
    fn paste_text(&mut self, text: &str, progress: &mut dyn Progress) -> Result<(), InjectError>;
}

/// How a message goes in on `layout` under `settings`.
pub fn method_for(layout: &Layout, text: &str, settings: InjectSettings) -> (Method, Plan) {
    let plan = layout.plan(text, settings.newline);
    let method = match (&plan, settings.mode) {
        (Plan::Paste(_), _) => Method::Pasted,
        (_, mode) => pick(mode, || Situation {
            chars: text.chars().count(),
            typeable: true,
            // These compositors do not tell us which window has focus.
            terminal: false,
        }),
    };
    (method, plan)
}

/// Inject `text` through `route`.
pub fn inject(
    route: &mut dyn Keyed,
    text: &str,
    settings: InjectSettings,
    progress: &mut dyn Progress,
) -> Result<Method, InjectError> {
    let (method, plan) = method_for(route.layout()?, text, settings);
    match (method, plan) {
        (Method::Typed, Plan::Type(strokes)) => route.type_strokes(&strokes, progress),
        _ => route.paste_text(text, progress),
    }
    .map(|()| method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::inject::layout::keymap_of;
    use crate::agent::inject::{InjectMode, NewlineKey};

    #[test]
    fn off_layout_text_is_pasted_whole_in_every_mode() {
        let keymap = keymap_of("us", "").expect("xkb data");
        let us = Layout::from_keymap(&keymap, 0).expect("layout");
        let settings = |mode| InjectSettings {
            mode,
            newline: NewlineKey::ShiftReturn,
        };
        for mode in [InjectMode::Type, InjectMode::Auto, InjectMode::Paste] {
            let (method, plan) = method_for(&us, "naïve", settings(mode));
            assert_eq!(method, Method::Pasted, "{mode:?}");
            assert_eq!(plan, Plan::Paste('ï'));
        }
        let (method, plan) = method_for(&us, "plain ASCII\n", settings(InjectMode::Type));
        assert_eq!(method, Method::Typed);
        assert!(matches!(plan, Plan::Type(s) if s.len() == 12));
        let long = "a".repeat(600);
        assert_eq!(
            method_for(&us, &long, settings(InjectMode::Auto)).0,
            Method::Pasted
        );
        assert_eq!(
            method_for(&us, "abc", settings(InjectMode::Paste)).0,
            Method::Pasted
        );
    }
}
