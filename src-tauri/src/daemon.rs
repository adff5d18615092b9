//! One process's SayType: the relay, the local agent and the mDNS advertisement,
//! started together and stopped in order. `saytype serve` runs it headless; the
//! tray app runs the same thing under its window. It also implements the window's
//! [`Desktop`] controls (pause, settings, agent and mDNS state).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use crate::agent::flow::{FlowSettings, SharedFlowSettings};
use crate::agent::inject::{
    InjectMode, InjectSettings, Readiness, SharedInjectSettings, RECORDING_ONLY,
};
use crate::agent::{Agent, AgentControl, AgentOptions, AgentStatus};
use crate::config::RelayConfig;
use crate::discovery::Advertiser;
use crate::protocol::ui::{AgentState, InjectorState, LocalAgentView, MdnsView, UiEvent};
use crate::protocol::DeviceId;
use crate::relay::desktop::{Desktop, Pending};
use crate::relay::{Relay, RelayState};
use crate::settings::{Settings, SettingsError};
use crate::sync::lock;

/// How to start a [`Daemon`]: the stored settings overridden by the command line.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    pub data_dir: PathBuf,
    /// The pairing token to use instead of the data directory's (`SAYTYPE_TOKEN`).
    pub token: Option<String>,
    pub bind: IpAddr,
    pub port: u16,
    pub mdns: bool,
    pub agent: bool,
    pub inject: InjectSettings,
    /// The joining space and voice commands.
    pub flow: FlowSettings,
    pub heartbeat: Duration,
    pub ack_timeout: Duration,
    pub device_id: Option<DeviceId>,
    pub queue_cap: usize,
    /// See [`RelayConfig::allow_bearer_from_network`].
    pub allow_bearer_from_network: bool,
    /// History retention and storage caps.
    pub storage: crate::config::StorageLimits,
    /// See [`RelayConfig::hold_after`].
    pub hold_after: Option<Duration>,
}

impl DaemonOptions {
    /// Defaults from the stored settings, for the data directory.
    pub fn from_settings(data_dir: PathBuf, settings: &Settings) -> DaemonOptions {
        DaemonOptions {
            data_dir,
            token: None,
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: settings.port,
            mdns: true,
            agent: true,
            inject: InjectSettings {
                mode: settings.inject_mode,
                newline: settings.newline,
            },
            flow: settings.flow(),
            heartbeat: crate::config::DEFAULT_HEARTBEAT,
            ack_timeout: crate::config::DEFAULT_ACK_TIMEOUT,
            device_id: None,
            queue_cap: crate::config::DEFAULT_QUEUE_CAP,
            allow_bearer_from_network: false,
            storage: crate::config::StorageLimits {
                history_days: settings.history_days,
                history_messages: settings.history_max_messages,
                ..crate::config::StorageLimits::default()
            },
            hold_after: settings.hold_after(),
        }
    }
}

/// A running SayType: stop it by cancelling the token given to [`Daemon::start`],
/// then await [`Daemon::run`].
pub struct Daemon {
    relay: Relay,
    agent: Option<Agent>,
    parts: Arc<Parts>,
    shutdown: CancellationToken,
}

/// What the window's controls reach.
struct Parts {
    data_dir: PathBuf,
    device: DeviceId,
    inject: SharedInjectSettings,
    flow: SharedFlowSettings,
    agent: Option<AgentControl>,
    advertiser: Mutex<Option<Advertiser>>,
    mdns: Mutex<MdnsView>,
    settings: Mutex<Settings>,
}

impl Daemon {
    /// Start everything; returns once the relay is listening.
    pub async fn start(opts: DaemonOptions, shutdown: CancellationToken) -> anyhow::Result<Daemon> {
        let mut config = RelayConfig::new(opts.data_dir.clone(), opts.token.clone())?;
        config.bind = SocketAddr::new(opts.bind, opts.port);
        config.heartbeat = opts.heartbeat;
        config.ack_timeout = opts.ack_timeout;
        config.queue_cap = opts.queue_cap;
        config.allow_bearer_from_network = opts.allow_bearer_from_network;
        config.storage = opts.storage;
        config.hold_after = opts.hold_after;
        if let Some(device) = &opts.device_id {
            config.default_device = device.clone();
        }
        let device = config.default_device.clone();
        let token = config.token.clone();
        let relay = Relay::start(config, shutdown.clone()).await?;
        let addr = relay.local_addr();

        let (advertiser, mdns) = advertise(opts.mdns, &device, addr.port());
        let info = crate::pairing::RelayInfo {
            port: addr.port(),
            pid: std::process::id(),
            bind: Some(addr.ip()),
        };
        if let Err(e) = crate::pairing::write_relay_info(&opts.data_dir, &info) {
            tracing::warn!("cannot record the relay's port for `saytype pair`: {e:#}");
        }

        let inject: SharedInjectSettings = Arc::new(Mutex::new(opts.inject));
        let flow: SharedFlowSettings = Arc::new(Mutex::new(opts.flow));
        let agent = if opts.agent {
            let mut agent_opts = AgentOptions::new(
                format!("ws://{}/ws", loopback_of(addr)),
                token,
                device.clone(),
            );
            // Follow the relay's token, so that a rotation does not lock it out.
            agent_opts.token_updates = Some(relay.state().token_watch());
            agent_opts.flow = flow.clone();
            Some(
                Agent::start(
                    agent_opts,
                    inject.clone(),
                    Some(&opts.data_dir),
                    shutdown.clone(),
                )
                .context("cannot start the local agent")?,
            )
        } else {
            None
        };
        let mut settings = Settings::load(&opts.data_dir);
        settings.inject_mode = opts.inject.mode;
        settings.newline = opts.inject.newline;
        let parts = Arc::new(Parts {
            data_dir: opts.data_dir.clone(),
            device,
            inject,
            flow,
            agent: agent.as_ref().map(Agent::control),
            advertiser: Mutex::new(advertiser),
            mdns: Mutex::new(mdns),
            settings: Mutex::new(settings),
        });
        relay.state().set_desktop(parts.clone());
        #[cfg(target_os = "linux")]
        tokio::spawn(crate::notify::run(relay.state().clone(), shutdown.clone()));
        if let Some(control) = &parts.agent {
            tokio::spawn(forward_agent_changes(
                control.clone(),
                relay.state().clone(),
            ));
        }
        Ok(Daemon {
            relay,
            agent,
            parts,
            shutdown,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.relay.local_addr()
    }

    pub fn state(&self) -> &RelayState {
        self.relay.state()
    }

    pub fn agent(&self) -> Option<AgentControl> {
        self.parts.agent.clone()
    }

    /// Run until the shutdown token fires, then stop in order: withdraw the mDNS
    /// record (no one should find a relay that is leaving), close the relay (agents
    /// told, everything accepted on disk), stop the local agent.
    pub async fn run(self) -> anyhow::Result<()> {
        self.shutdown.cancelled().await;
        let parts = self.parts.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(mut a) = lock(&parts.advertiser).take() {
                a.stop();
            }
        })
        .await;
        self.relay.wait().await?;
        crate::pairing::remove_relay_info(&self.parts.data_dir);
        if let Some(agent) = self.agent {
            if let Err(e) = agent.wait().await {
                tracing::warn!("local agent: {e:#}");
            }
        }
        Ok(())
    }
}

/// Start the mDNS advertisement when `enabled`, and say how it went for the window.
/// A failure is not fatal: phones can still pair with the link.
fn advertise(enabled: bool, device: &DeviceId, port: u16) -> (Option<Advertiser>, MdnsView) {
    if !enabled {
        let view = MdnsView {
            enabled: false,
            advertising: false,
            detail: None,
        };
        return (None, view);
    }
    match Advertiser::start(device, port) {
        Ok(a) => {
            let view = MdnsView {
                enabled: true,
                advertising: true,
                detail: None,
            };
            (Some(a), view)
        }
        Err(e) => {
            tracing::warn!("{e}; phones can still pair with the link from `saytype pair`");
            let view = MdnsView {
                enabled: true,
                advertising: false,
                detail: Some(e.to_string()),
            };
            (None, view)
        }
    }
}

/// The window shows the agent's state live.
async fn forward_agent_changes(control: AgentControl, relay: RelayState) {
    let mut status = control.status_watch();
    let mut injector = control.injector_watch();
    loop {
        tokio::select! {
            changed = status.changed() => if changed.is_err() { return },
            changed = injector.changed() => if changed.is_err() { return },
        }
        relay.emit(UiEvent::Agent);
    }
}

impl Desktop for Parts {
    fn local_agent(&self) -> Option<LocalAgentView> {
        let control = self.agent.as_ref()?;
        let (state, detail) = match control.status() {
            AgentStatus::Connecting => (AgentState::Connecting, None),
            AgentStatus::Connected { .. } => (AgentState::Connected, None),
            AgentStatus::Paused => (AgentState::Paused, None),
            AgentStatus::Disconnected { reason, .. } => (AgentState::Disconnected, Some(reason)),
            AgentStatus::Stopped { reason } => (AgentState::Stopped, Some(reason)),
        };
        let recording = lock(&self.inject).mode == InjectMode::None;
        let readiness = control.injector_readiness();
        let (injector_state, injector) = match (&readiness, recording) {
            // Nothing is typed, so nothing can fail, whatever was checked last.
            (_, true) => (InjectorState::Recording, RECORDING_ONLY.to_owned()),
            // A line of the old mode or of the start: the check is on its way.
            (Readiness::Recording | Readiness::Starting, false) => (
                InjectorState::Checking,
                "checking the new injection mode…".to_owned(),
            ),
            (Readiness::Ready(line), false) => (InjectorState::Ready, line.clone()),
            (Readiness::Unavailable(why) | Readiness::NeedsGrant(why), false) => {
                (InjectorState::Unavailable, why.clone())
            }
        };
        let needs_grant = !recording && matches!(readiness, Readiness::NeedsGrant(_));
        Some(LocalAgentView {
            device_id: self.device.to_string(),
            state,
            detail,
            injector,
            injector_ok: injector_state != InjectorState::Unavailable,
            injector_state,
            injector_needs_grant: needs_grant,
            paused: control.is_paused(),
        })
    }

    fn set_paused(&self, paused: bool) -> Pending {
        let Some(control) = self.agent.clone() else {
            return Box::pin(async {});
        };
        control.set_paused(paused);
        Box::pin(async move {
            if paused {
                control.wait_paused().await;
            }
        })
    }

    fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    fn update_settings(&self, new: Settings) -> Result<Settings, SettingsError> {
        new.validate()?;
        let old = self.settings();
        if new.start_at_login != old.start_at_login {
            crate::settings::set_start_at_login(new.start_at_login)
                .map_err(SettingsError::Autostart)?;
        }
        new.save(&self.data_dir).map_err(SettingsError::Save)?;
        // Injection settings apply to the next message; the port at the next start.
        *lock(&self.inject) = InjectSettings {
            mode: new.inject_mode,
            newline: new.newline,
        };
        {
            // The time limit is the running one (a test may have shortened it).
            let mut flow = lock(&self.flow);
            *flow = FlowSettings {
                join_within: flow.join_within,
                ..new.flow()
            };
        }
        *lock(&self.settings) = new.clone();
        if new.inject_mode != old.inject_mode {
            // Check the new mode now (in turn with the messages), so the window says
            // at once whether it can work here, not after the next message failed.
            if let Some(agent) = &self.agent {
                agent.refresh_injector();
            }
        }
        Ok(new)
    }

    fn mdns(&self) -> MdnsView {
        lock(&self.mdns).clone()
    }

    fn grant_injector(&self) -> bool {
        self.agent
            .as_ref()
            .map(AgentControl::grant_injector)
            .is_some()
    }
}

/// Where the local agent reaches its own relay: loopback when the relay listens on
/// every interface.
fn loopback_of(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}
