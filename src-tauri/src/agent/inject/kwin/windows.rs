//! Which window has the focus on KDE Plasma: KWin's `org_kde_plasma_window_management`
//! (the list Plasma's task manager reads), which KWin offers only to programs its
//! `.desktop` entry names, like fake-input ([`grant`](super::grant)). Each window
//! tells its app id, title and state (`active`); the bookkeeping is
//! [`Windows`](crate::agent::inject::wayland::windows::Windows), as on wlroots.

use wayland_client::{Connection, Dispatch, Proxy, QueueHandle};
use wayland_protocols_plasma::plasma_window_management::client::{
    org_kde_plasma_window::{self as window, OrgKdePlasmaWindow},
    org_kde_plasma_window_management::{self as management, OrgKdePlasmaWindowManagement},
};

use crate::agent::inject::wayland::seat_keymap::KeymapState;

pub const WINDOW_MANAGEMENT: &str = "org_kde_plasma_window_management";
/// The `window_with_uuid` event and `get_window_by_uuid` (KWin 5.27 offers 16).
const UUIDS: u32 = 13;
/// `org_kde_plasma_window_management.state.active`.
const ACTIVE: u32 = 1;

impl Dispatch<OrgKdePlasmaWindowManagement, ()> for KeymapState {
    fn event(
        _: &mut Self,
        manager: &OrgKdePlasmaWindowManagement,
        event: management::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        // KWin announces every window (those there at bind time too) with both
        // events from version 13 on: follow each once.
        match event {
            management::Event::Window { id } if manager.version() < UUIDS => {
                manager.get_window(id, qh, ());
            }
            management::Event::WindowWithUuid { uuid, .. } => {
                manager.get_window_by_uuid(uuid, qh, ());
            }
            _ => {}
        }
    }
}

impl Dispatch<OrgKdePlasmaWindow, ()> for KeymapState {
    fn event(
        state: &mut Self,
        proxy: &OrgKdePlasmaWindow,
        event: window::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let windows = &mut state.windows;
        match event {
            window::Event::AppIdChanged { app_id } => windows.entry(proxy.id()).app_id = app_id,
            window::Event::TitleChanged { title } => windows.entry(proxy.id()).title = title,
            window::Event::StateChanged { flags } => {
                windows.set_activated(proxy.id(), flags & ACTIVE != 0)
            }
            window::Event::Unmapped => {
                windows.remove(&proxy.id());
                if proxy.version() >= 4 {
                    proxy.destroy();
                }
            }
            _ => {}
        }
    }
}
