//! The `auto` rule: keys or clipboard for one message. Pure logic, so every backend
//! and route applies the same rule and the tests pin it.

use super::{InjectMode, Method};

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

/// The method for `mode`; `auto` asks the rule about the situation.
pub fn pick(mode: InjectMode, situation: impl FnOnce() -> Situation) -> Method {
    match mode {
        InjectMode::Type => Method::Typed,
        InjectMode::Paste => Method::Pasted,
        _ => choose_method(situation()),
    }
}

/// What a message becomes in a terminal, where Return (and Shift+Return, which
/// terminals read as Return) runs the line: a trailing line break is dropped, and
/// text that still has one goes in through the terminal's paste (bracketed, so the
/// shell inserts it and runs nothing). Return is never pressed in a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InTerminal<'a> {
    /// No line break left: typed or pasted by the usual rule.
    Usual(&'a str),
    /// Through the terminal's own paste.
    Paste(&'a str),
}

pub fn in_terminal(text: &str) -> InTerminal<'_> {
    let text = text.trim_end_matches(is_line_break);
    if text.contains(is_line_break) {
        InTerminal::Paste(text)
    } else {
        InTerminal::Usual(text)
    }
}

/// Whether `text` has a line break anywhere (one that would go in as a key).
pub fn has_line_break(text: &str) -> bool {
    text.contains(is_line_break)
}

/// `result`, with its method written into `target` (where it went) once it worked.
pub fn with_method(
    target: &mut Option<crate::protocol::ws::Target>,
    result: Result<Method, crate::agent::inject::InjectError>,
) -> Result<Method, crate::agent::inject::InjectError> {
    if let (Some(target), Ok(method)) = (target.as_mut(), &result) {
        target.method = Some(method.as_str().to_owned());
    }
    result
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// Terminal emulators: X11 WM_CLASS values and Wayland app ids (compared
/// case-insensitively).
const TERMINALS: &[&str] = &[
    // Wayland app ids that differ from the X11 classes below.
    "footclient",
    "org.gnome.Terminal",
    "org.gnome.Console",
    "org.gnome.Ptyxis",
    "org.kde.konsole",
    "org.kde.yakuake",
    "com.mitchellh.ghostty",
    "ghostty",
    "io.elementary.terminal",
    "org.codeberg.dnkl.foot",
    "contour",
    "rio",
    // X11 classes (most Wayland app ids are the same names).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_of_every_kind() {
        assert!(has_line_break("a\nb") && has_line_break("a\r") && has_line_break("\u{2028}"));
        assert!(!has_line_break("a\tb"));
    }

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
    fn line_breaks_in_terminals_are_pasted_and_a_trailing_one_dropped() {
        use InTerminal::*;
        assert_eq!(in_terminal("ls -l"), Usual("ls -l"));
        assert_eq!(in_terminal("ls -l\n"), Usual("ls -l"), "no Return pressed");
        assert_eq!(in_terminal("ls\r\n\n"), Usual("ls"));
        assert_eq!(in_terminal("\n"), Usual(""));
        assert_eq!(in_terminal("touch a\necho b\n"), Paste("touch a\necho b"));
        assert_eq!(in_terminal("a\r\nb"), Paste("a\r\nb"));
    }

    #[test]
    fn terminal_classes() {
        assert!(is_terminal("XTerm"));
        assert!(is_terminal("gnome-terminal-server"));
        assert!(is_terminal("kitty"));
        // Wayland app ids.
        assert!(is_terminal("foot"));
        assert!(is_terminal("Alacritty"));
        assert!(is_terminal("org.gnome.Terminal"));
        assert!(is_terminal("org.kde.konsole"));
        assert!(is_terminal("org.wezfurlong.wezterm"));
        assert!(!is_terminal("org.gnome.gedit"));
        assert!(!is_terminal("firefox"));
        assert!(!is_terminal("Gedit"));
    }
}
