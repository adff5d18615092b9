//! The tray icon and its menu. The icon's look tells the state (running, paused,
//! error); the menu opens the window, shows a status line, pauses typing, switches
//! the injection mode, asks for the permission to type where the route needs it
//! (the remote desktop portal), copies the pairing link and quits.

use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use tokio::sync::{broadcast, watch};

use super::{window, Core};
use crate::agent::inject::InjectMode;
use crate::agent::AgentStatus;
use crate::sync::lock;

const TRAY: &str = "saytype";

/// Every menu entry, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Open,
    Status,
    Pause,
    Grant,
    Mode(InjectMode),
    CopyLink,
    Quit,
}

const MODES: [(InjectMode, &str); 4] = [
    (InjectMode::Auto, "Automatic"),
    (InjectMode::Type, "Type"),
    (InjectMode::Paste, "Paste"),
    (InjectMode::None, "Record only"),
];

impl Item {
    fn id(self) -> &'static str {
        match self {
            Item::Open => "open",
            Item::Status => "status",
            Item::Pause => "pause",
            Item::Grant => "grant",
            Item::Mode(InjectMode::Auto) => "mode-auto",
            Item::Mode(InjectMode::Type) => "mode-type",
            Item::Mode(InjectMode::Paste) => "mode-paste",
            Item::Mode(InjectMode::None) => "mode-none",
            Item::CopyLink => "copy-link",
            Item::Quit => "quit",
        }
    }

    fn from_id(id: &str) -> Option<Item> {
        let all = [
            Item::Open,
            Item::Status,
            Item::Pause,
            Item::Grant,
            Item::CopyLink,
            Item::Quit,
        ]
        .into_iter()
        .chain(MODES.iter().map(|(m, _)| Item::Mode(*m)));
        all.into_iter().find(|item| item.id() == id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    Running,
    Paused,
    Error,
}

fn icon(look: Look) -> Option<Image<'static>> {
    let bytes: &'static [u8] = match look {
        Look::Running => include_bytes!("../../../icons/tray-running.png"),
        Look::Paused => include_bytes!("../../../icons/tray-paused.png"),
        Look::Error => include_bytes!("../../../icons/tray-error.png"),
    };
    Image::from_bytes(bytes).ok()
}

/// Build the tray. `false` when this desktop cannot show one (no appindicator
/// library: its loader panics, which is contained here).
pub(super) fn install(app: &AppHandle) -> bool {
    let built = panic::catch_unwind(AssertUnwindSafe(|| build(app)));
    match built {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!("cannot create the tray icon: {e}");
            false
        }
        Err(_) => {
            tracing::warn!("cannot create the tray icon: the appindicator library is missing");
            false
        }
    }
}

fn build(app: &AppHandle) -> tauri::Result<()> {
    let core = app.state::<Core>();
    let mode = core
        .relay
        .desktop()
        .map(|d| d.settings().inject_mode)
        .unwrap_or_default();
    let open = MenuItem::with_id(app, Item::Open.id(), "Open SayType", true, None::<&str>)?;
    let status = MenuItem::with_id(app, Item::Status.id(), "Starting…", false, None::<&str>)?;
    let pause = CheckMenuItem::with_id(
        app,
        Item::Pause.id(),
        "Pause typing",
        true,
        false,
        None::<&str>,
    )?;
    // Enabled while the route waits for the user's permission.
    let grant = MenuItem::with_id(app, Item::Grant.id(), "Allow typing…", false, None::<&str>)?;
    let mut mode_items = Vec::new();
    for (m, label) in MODES {
        mode_items.push(CheckMenuItem::with_id(
            app,
            Item::Mode(m).id(),
            label,
            true,
            m == mode,
            None::<&str>,
        )?);
    }
    let mode_refs: Vec<&dyn tauri::menu::IsMenuItem<Wry>> = mode_items
        .iter()
        .map(|i| i as &dyn tauri::menu::IsMenuItem<Wry>)
        .collect();
    let modes = Submenu::with_items(app, "Injection mode", true, &mode_refs)?;
    let copy = MenuItem::with_id(
        app,
        Item::CopyLink.id(),
        "Copy pairing link",
        true,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, Item::Quit.id(), "Quit SayType", true, None::<&str>)?;
    let separator = || PredefinedMenuItem::separator(app);
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &status,
            &separator()?,
            &pause,
            &grant,
            &modes,
            &copy,
            &separator()?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("SayType")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu);
    if let Some(image) = icon(Look::Running) {
        builder = builder.icon(image);
    }
    builder.build(app)?;
    app.manage(MenuHandles {
        status,
        pause,
        grant,
        modes: mode_items,
        shown: Mutex::new(None),
    });
    Ok(())
}

/// The entries whose text or check mark follows the state.
struct MenuHandles {
    status: MenuItem<Wry>,
    pause: CheckMenuItem<Wry>,
    grant: MenuItem<Wry>,
    modes: Vec<CheckMenuItem<Wry>>,
    /// What the tray shows now (`None` before the first refresh).
    shown: Mutex<Option<View>>,
}

fn on_menu(app: &AppHandle, event: MenuEvent) {
    let Some(item) = Item::from_id(event.id().as_ref()) else {
        return;
    };
    let core = app.state::<Core>();
    match item {
        Item::Open => {
            if let Err(e) = window::open(app) {
                tracing::warn!("cannot open the window: {e:#}");
            }
        }
        Item::Status => {}
        Item::Pause => {
            if let Some(agent) = &core.agent {
                agent.set_paused(!agent.is_paused());
            }
        }
        Item::Grant => {
            if let Some(agent) = &core.agent {
                agent.grant_injector();
            }
        }
        Item::Mode(mode) => {
            if let Some(desktop) = core.relay.desktop() {
                let mut settings = desktop.settings();
                settings.inject_mode = mode;
                if let Err(e) = desktop.update_settings(settings) {
                    tracing::warn!("cannot change the injection mode: {e}");
                }
                core.relay.emit(crate::protocol::ui::UiEvent::Settings);
            }
        }
        Item::CopyLink => copy_pairing_link(&core),
        Item::Quit => {
            core.shutdown.cancel();
            app.exit(0);
        }
    }
    refresh(app, true);
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

/// What the tray shows: computed from the state, applied only where it changed
/// (each change is D-Bus traffic to the tray host, and a new icon is a file).
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

/// Bring the icon, status line and check marks up to date. After a click the
/// check marks are set even when nothing changed: GTK toggles a clicked check item
/// itself, whatever the state then does.
fn refresh(app: &AppHandle, clicked: bool) {
    let core = app.state::<Core>();
    let Some(handles) = app.try_state::<MenuHandles>() else {
        return;
    };
    let new = view(&core);
    let mut shown = lock(&handles.shown);
    let old = shown.as_ref();
    if !clicked && old.is_some_and(|old| *old == new) {
        return;
    }
    if let Some(tray) = app.tray_by_id(TRAY) {
        if old.is_none_or(|o| o.look != new.look) {
            let _ = tray.set_icon(icon(new.look));
        }
        if old.is_none_or(|o| o.detail != new.detail) {
            let _ = tray.set_tooltip(Some(format!("SayType: {}", new.detail)));
        }
    }
    if old.is_none_or(|o| o.line != new.line) {
        let _ = handles.status.set_text(&new.line);
    }
    let _ = handles.pause.set_checked(new.paused);
    let _ = handles.grant.set_enabled(new.needs_grant);
    for (item, (m, _)) in handles.modes.iter().zip(MODES) {
        let _ = item.set_checked(m == new.mode);
    }
    *shown = Some(new);
}

/// Keep the tray current: on every relay event (devices, settings), agent status
/// change and injector readiness change. Nothing here runs on a timer: an idle
/// tray app must not wake up.
pub(super) async fn follow_state(app: AppHandle) {
    let core = app.state::<Core>();
    let mut events = core.relay.subscribe_events();
    let mut status = core.agent.as_ref().map(|a| a.status_watch());
    let mut injector = core.agent.as_ref().map(|a| a.injector_watch());
    let shutdown = core.shutdown.clone();
    refresh_on_main(&app);
    loop {
        tokio::select! {
            event = events.recv() => {
                if matches!(event, Err(broadcast::error::RecvError::Closed)) {
                    return;
                }
            }
            Some(Ok(())) = changed(status.as_mut()) => {}
            Some(Ok(())) = changed(injector.as_mut()) => {}
            _ = shutdown.cancelled() => return,
        }
        refresh_on_main(&app);
    }
}

/// Refreshes run on the main thread one after another (a click refreshes there
/// too): the menu's setters wait for the main thread, so a refresh elsewhere that
/// holds the shown state while a click's refresh waits for it would deadlock.
fn refresh_on_main(app: &AppHandle) {
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || refresh(&handle, false));
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
