//! The tray icon and its menu: a StatusNotifierItem with a dbusmenu, spoken over
//! the session bus (ksni), which is what KDE Plasma, GNOME's AppIndicator extension,
//! Xfce, waybar and the others show. The icon's look tells the state (running,
//! paused, error); the menu opens the window, shows a status line, pauses typing,
//! switches the injection mode, asks for the permission to type where the route
//! needs it (the remote desktop portal), copies the pairing link and quits. A click
//! on the icon itself opens the window.
//!
//! The menu is rebuilt from one [`View`] of the state; ksni compares it with what the
//! host has and sends only what changed, so an idle tray sends nothing.

use std::sync::Arc;

use ksni::menu::{CheckmarkItem, MenuItem, RadioGroup, RadioItem, StandardItem, SubMenu};
use ksni::{Handle, Icon, OfflineReason, ToolTip, TrayMethods};
use tokio::sync::{broadcast, watch};

use super::{window, Core};
use crate::agent::inject::InjectMode;
use crate::agent::AgentStatus;
use crate::sync::lock;

const MODES: [(InjectMode, &str); 4] = [
    (InjectMode::Auto, "Automatic"),
    (InjectMode::Type, "Type"),
    (InjectMode::Paste, "Paste"),
    (InjectMode::None, "Record only"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Running,
    Paused,
    Error,
}

/// The three icons as the item carries them (ARGB32, big-endian), decoded once.
struct Icons {
    running: Vec<Icon>,
    paused: Vec<Icon>,
    error: Vec<Icon>,
}

impl Icons {
    fn load() -> Icons {
        Icons {
            running: decode(include_bytes!("../../../icons/tray-running.png")),
            paused: decode(include_bytes!("../../../icons/tray-paused.png")),
            error: decode(include_bytes!("../../../icons/tray-error.png")),
        }
    }

    fn get(&self, look: Look) -> &[Icon] {
        match look {
            Look::Running => &self.running,
            Look::Paused => &self.paused,
            Look::Error => &self.error,
        }
    }
}

/// A PNG as an ARGB32 pixmap; none if it does not decode (the host then shows the
/// title instead of an icon).
fn decode(bytes: &[u8]) -> Vec<Icon> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let Ok(mut reader) = decoder.read_info() else {
        return Vec::new();
    };
    let Some(size) = reader.output_buffer_size() else {
        return Vec::new();
    };
    let mut rgba = vec![0; size];
    let Ok(info) = reader.next_frame(&mut rgba) else {
        return Vec::new();
    };
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Vec::new();
    }
    let (Ok(width), Ok(height)) = (i32::try_from(info.width), i32::try_from(info.height)) else {
        return Vec::new();
    };
    let data = rgba[..info.buffer_size()]
        .chunks_exact(4)
        .flat_map(|p| [p[3], p[0], p[1], p[2]])
        .collect();
    vec![Icon {
        width,
        height,
        data,
    }]
}

/// What the tray shows, computed from the state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct View {
    look: Look,
    detail: String,
    line: String,
    paused: bool,
    /// The route waits for the user's permission: "Allow typing…" is enabled.
    needs_grant: bool,
    mode: InjectMode,
}

fn view(core: &Core) -> View {
    let devices = core.relay.registry().devices();
    let online = devices.iter().filter(|d| d.online).count();
    let (look, detail) = match &core.agent {
        None => (Look::Running, "relay only".to_owned()),
        Some(agent) => match agent.status() {
            AgentStatus::Paused => (Look::Paused, "typing paused".to_owned()),
            AgentStatus::Connected { .. } if agent.injector_ok() => {
                (Look::Running, "ready to type".to_owned())
            }
            AgentStatus::Connected { .. } => (Look::Error, agent.injector_state()),
            AgentStatus::Connecting => (Look::Running, "connecting…".to_owned()),
            AgentStatus::Disconnected { reason, .. } | AgentStatus::Stopped { reason } => {
                (Look::Error, reason)
            }
        },
    };
    let port = core.relay.local_addr().port();
    View {
        look,
        line: format!("Port {port} · {online} agent(s) online · {detail}"),
        detail,
        paused: core.agent.as_ref().is_some_and(|a| a.is_paused()),
        needs_grant: core
            .agent
            .as_ref()
            .is_some_and(|a| a.injector_needs_grant()),
        mode: core
            .relay
            .desktop()
            .map(|d| d.settings().inject_mode)
            .unwrap_or_default(),
    }
}

/// The item: the state it shows and what its entries act on.
struct Tray {
    core: Arc<Core>,
    view: View,
    icons: Icons,
}

impl Tray {
    /// After a click: show its effect at once (ksni sends what changed).
    fn refresh(&mut self) {
        self.view = view(&self.core);
    }
}

impl ksni::Tray for Tray {
    fn id(&self) -> String {
        "saytype".into()
    }

    fn title(&self) -> String {
        "SayType".into()
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::ApplicationStatus
    }

    fn icon_pixmap(&self) -> Vec<Icon> {
        self.icons.get(self.view.look).to_vec()
    }

    fn tool_tip(&self) -> ToolTip {
        ToolTip {
            title: "SayType".into(),
            description: self.view.detail.clone(),
            ..Default::default()
        }
    }

    /// A click on the icon opens the window (the menu is on the other button).
    fn activate(&mut self, _x: i32, _y: i32) {
        open_window(&self.core);
    }

    fn menu(&self) -> Vec<MenuItem<Self>> {
        let v = &self.view;
        let selected = MODES.iter().position(|(m, _)| *m == v.mode).unwrap_or(0);
        vec![
            StandardItem {
                label: "Open SayType".into(),
                activate: Box::new(|t: &mut Tray| open_window(&t.core)),
                ..Default::default()
            }
            .into(),
            StandardItem {
                label: v.line.clone(),
                enabled: false,
                ..Default::default()
            }
            .into(),
            MenuItem::Separator,
            CheckmarkItem {
                label: "Pause typing".into(),
                checked: v.paused,
                activate: Box::new(|t: &mut Tray| {
                    if let Some(agent) = &t.core.agent {
                        agent.set_paused(!agent.is_paused());
                    }
                    t.refresh();
                }),
                ..Default::default()
            }
            .into(),
            StandardItem {
                label: "Allow typing…".into(),
                enabled: v.needs_grant,
                activate: Box::new(|t: &mut Tray| {
                    if let Some(agent) = &t.core.agent {
                        agent.grant_injector();
                    }
                    t.refresh();
                }),
                ..Default::default()
            }
            .into(),
            SubMenu {
                label: "Injection mode".into(),
                submenu: vec![RadioGroup {
                    selected,
                    select: Box::new(|t: &mut Tray, index| {
                        if let Some((mode, _)) = MODES.get(index) {
                            set_mode(&t.core, *mode);
                        }
                        t.refresh();
                    }),
                    options: MODES
                        .iter()
                        .map(|(_, label)| RadioItem {
                            label: (*label).into(),
                            ..Default::default()
                        })
                        .collect(),
                }
                .into()],
                ..Default::default()
            }
            .into(),
            StandardItem {
                label: "Copy pairing link".into(),
                activate: Box::new(|t: &mut Tray| copy_pairing_link(&t.core)),
                ..Default::default()
            }
            .into(),
            MenuItem::Separator,
            StandardItem {
                label: "Quit SayType".into(),
                activate: Box::new(|t: &mut Tray| t.core.shutdown.cancel()),
                ..Default::default()
            }
            .into(),
        ]
    }

    fn watcher_online(&self) {
        self.core.tray_shown.send_replace(true);
    }

    /// The host went away (a panel restarting, or none yet): keep the item, it
    /// registers again when a host comes back.
    fn watcher_offline(&self, reason: OfflineReason) -> bool {
        tracing::info!("no tray host ({reason:?})");
        self.core.tray_shown.send_replace(false);
        true
    }
}

fn open_window(core: &Arc<Core>) {
    if let Err(e) = window::open(core) {
        tracing::warn!("cannot open the window: {e:#}");
    }
}

fn set_mode(core: &Core, mode: InjectMode) {
    if let Some(desktop) = core.relay.desktop() {
        let mut settings = desktop.settings();
        settings.inject_mode = mode;
        if let Err(e) = core.relay.change_settings(&*desktop, settings) {
            tracing::warn!("cannot change the injection mode: {e}");
        }
    }
}

fn copy_pairing_link(core: &Core) {
    let code = match crate::relay::phones::pairing_code(&core.relay, true) {
        Ok(issued) => issued.code,
        Err(_) => return,
    };
    let link = crate::pairing::pairing_link(core.relay.local_addr().port(), &code, None).link;
    let mut clipboard = lock(&core.clipboard);
    if clipboard.is_none() {
        *clipboard = arboard::Clipboard::new().ok();
    }
    match clipboard.as_mut().map(|c| c.set_text(link)) {
        Some(Ok(())) => {}
        _ => tracing::warn!("cannot copy the pairing link: no clipboard"),
    }
}

/// The running tray (stopped with [`Running::shutdown`]).
pub(super) struct Running {
    handle: Handle<Tray>,
}

impl Running {
    pub(super) async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

/// Put the item on the session bus and keep it current. `None` when there is no
/// session bus at all. Whether a host shows it is `core.tray_shown`.
pub(super) async fn start(core: Arc<Core>) -> Option<Running> {
    let tray = Tray {
        view: view(&core),
        core: core.clone(),
        icons: Icons::load(),
    };
    // Until told otherwise by `watcher_offline` (called during the spawn when no
    // host is there yet), the item is shown.
    core.tray_shown.send_replace(true);
    // A host that is not there yet may come (a panel starting after us): the item
    // then registers with it, and `watcher_online` says so.
    match tray.assume_sni_available(true).spawn().await {
        Ok(handle) => {
            tokio::spawn(follow_state(core, handle.clone()));
            Some(Running { handle })
        }
        Err(e) => {
            tracing::warn!("cannot create the tray icon: {e}");
            core.tray_shown.send_replace(false);
            None
        }
    }
}

/// Keep the tray current: on every relay event (devices, settings), agent status
/// change and injector readiness change. Nothing here runs on a timer: an idle
/// tray app must not wake up.
async fn follow_state(core: Arc<Core>, handle: Handle<Tray>) {
    let mut events = core.relay.subscribe_events();
    let mut status = core.agent.as_ref().map(|a| a.status_watch());
    let mut injector = core.agent.as_ref().map(|a| a.injector_watch());
    // What the item shows, as of the last update from here (a click updates it too,
    // from the state this computes from, so the two agree).
    let mut shown = view(&core);
    loop {
        tokio::select! {
            event = events.recv() => {
                if matches!(event, Err(broadcast::error::RecvError::Closed)) {
                    return;
                }
            }
            Some(Ok(())) = changed(status.as_mut()) => {}
            Some(Ok(())) = changed(injector.as_mut()) => {}
            _ = core.shutdown.cancelled() => return,
        }
        // Most relay events (a message stored, ACKed, typed) change nothing the
        // tray shows: those cost a comparison, not a menu rebuild and its diff.
        let new = view(&core);
        if new == shown {
            continue;
        }
        shown = new.clone();
        if handle.update(|t| t.view = new).await.is_none() {
            return; // the tray was shut down
        }
    }
}

/// A watch's next change; never, without one.
async fn changed<T>(
    watch: Option<&mut watch::Receiver<T>>,
) -> Option<Result<(), watch::error::RecvError>> {
    match watch {
        Some(w) => Some(w.changed().await),
        None => std::future::pending().await,
    }
}
