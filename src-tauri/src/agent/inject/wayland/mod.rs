//! Typing and pasting on Wayland. This first slice speaks the wlroots routes
//! (sway; also Hyprland, river, labwc, which offer the same globals):
//!
//! - `zwp_input_method_v2` `commit_string` when the focused window has an active
//!   text input: instant, any Unicode ([`input_method`]);
//! - otherwise `zwp_virtual_keyboard_v1` with keymaps of our own ([`keymap`],
//!   [`typing`]), paced so that the compositor never drops the window;
//! - pasting: the data-control clipboard (arboard) and Ctrl+V through the virtual
//!   keyboard with an ordinary US keymap ([`typing`]);
//! - which window has focus (its app id and title, for the terminal rule, the
//!   result's target, and whether there is one at all), and whether it moved part
//!   way: `zwlr_foreign_toplevel_manager_v1` ([`session`], [`windows`]).
//!
//! [`Offer`] is what a compositor offers, read from its registry globals; other
//! compositors' routes (KWin fake-input, mutter, the portal + libei) are further
//! fields and routes of their own, picked in `route.rs`.

/// The registry's events, which our clients read through `GlobalList` instead.
macro_rules! ignore_registry {
    ($state:ty) => {
        impl
            wayland_client::Dispatch<
                wayland_client::protocol::wl_registry::WlRegistry,
                wayland_client::globals::GlobalListContents,
            > for $state
        {
            fn event(
                _: &mut Self,
                _: &wayland_client::protocol::wl_registry::WlRegistry,
                _: wayland_client::protocol::wl_registry::Event,
                _: &wayland_client::globals::GlobalListContents,
                _: &wayland_client::Connection,
                _: &wayland_client::QueueHandle<Self>,
            ) {
            }
        }
    };
}

pub mod commit;
pub mod data_control;
pub mod input_method;
pub mod keymap;
pub mod seat_keymap;
pub mod session;
pub mod typing;
pub mod windows;

pub use session::WlrInjector;

/// The routes a Wayland compositor offers, from its registry globals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offer {
    pub virtual_keyboard: bool,
    pub input_method: bool,
    pub data_control: bool,
    pub foreign_toplevel: bool,
    /// KWin's own globals (`org_kde_kwin_*`, `org_kde_plasma_*`).
    pub kde: bool,
    /// mutter's `gtk_shell1`.
    pub gnome: bool,
}

impl Offer {
    pub fn from_interfaces<'a>(names: impl IntoIterator<Item = &'a str>) -> Offer {
        let mut offer = Offer::default();
        for name in names {
            match name {
                "zwp_virtual_keyboard_manager_v1" => offer.virtual_keyboard = true,
                "zwp_input_method_manager_v2" => offer.input_method = true,
                "zwlr_data_control_manager_v1" | "ext_data_control_manager_v1" => {
                    offer.data_control = true
                }
                "zwlr_foreign_toplevel_manager_v1" => offer.foreign_toplevel = true,
                "gtk_shell1" => offer.gnome = true,
                n if n.starts_with("org_kde_") => offer.kde = true,
                _ => {}
            }
        }
        offer
    }

    /// The wlroots routes: a virtual keyboard is the one that reaches every window
    /// (the input method only windows with a text input), so it is required.
    pub fn wlroots(&self) -> bool {
        self.virtual_keyboard
    }
}

/// The compositor's name for the status line: sway sets `SWAYSOCK` for its
/// clients; other wlroots compositors are named by their family.
pub fn compositor_name() -> &'static str {
    let desktop = std::env::var("XDG_CURRENT_DESKTOP").unwrap_or_default();
    if std::env::var_os("SWAYSOCK").is_some() || desktop.eq_ignore_ascii_case("sway") {
        "sway"
    } else {
        "wlroots"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offer_comes_from_the_globals() {
        let sway = Offer::from_interfaces([
            "wl_seat",
            "zwp_virtual_keyboard_manager_v1",
            "zwp_input_method_manager_v2",
            "zwlr_data_control_manager_v1",
            "zwlr_foreign_toplevel_manager_v1",
        ]);
        assert!(sway.wlroots() && sway.input_method && sway.data_control);
        let kwin = Offer::from_interfaces(["wl_seat", "org_kde_kwin_fake_input"]);
        assert!(!kwin.wlroots() && kwin.kde && !kwin.gnome);
        let mutter = Offer::from_interfaces(["wl_seat", "gtk_shell1"]);
        assert!(!mutter.wlroots() && mutter.gnome);
        let im_only = Offer::from_interfaces(["zwp_input_method_manager_v2"]);
        assert!(!im_only.wlroots(), "no virtual keyboard: not enough alone");
    }
}
