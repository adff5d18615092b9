//! The desktop agent: a WebSocket client of the relay that ACKs each transcription,
//! then types or pastes it into the focused window and reports the result. The same
//! code runs inside `saytype serve` (and the tray app) and as `saytype agent`.
//!
//! - [`client`]: the protocol as a pure state machine (frame in, actions out);
//! - [`status`]: what the agent is doing, and why it stopped;
//! - [`eventloop`]: the thin IO loop that drives it: connect, read, write,
//!   reconnect with [`backoff`], pause, shut down; a paired agent's relay is looked
//!   for at the [`addresses`] it announced too;
//! - [`inbox`]: every transcription the agent ACKs, on disk before the ACK, with
//!   how far its typing got and its result until the relay confirms it: nothing
//!   ACKed is lost in a crash, nothing is typed twice, every result gets home;
//! - [`inject`]: the [`Injector`] trait, its injection thread (which marks each
//!   message started in the inbox before the first key) and its backends (X11
//!   typing and pasting, a portable one);
//! - [`flow`]: dictating in a row around the desktop injector: the joining space
//!   between messages into one window, and voice commands.
//!
//! [`Agent`] wires them: the state machine on a tokio task, the injector on a
//! thread of its own; [`AgentControl`] is the cheap handle the UI keeps.

pub mod addresses;
pub mod backoff;
pub mod client;
pub mod eventloop;
pub mod flow;
pub mod inbox;
pub mod inject;
pub mod link;
pub mod pairing;
pub mod status;

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::protocol::DeviceId;
pub use eventloop::AgentOptions;
use eventloop::{EventLoop, Typing};
use inbox::Inbox;
use inject::{DesktopInjector, Injector, InjectorThread, Job, Readiness, SharedInjectSettings};
pub use link::PairedKey;
pub use status::{AgentError, AgentStatus};

/// A running agent.
pub struct Agent {
    pub status: watch::Receiver<AgentStatus>,
    control: AgentControl,
    task: JoinHandle<Result<(), AgentError>>,
}

/// A cheap handle to steer a running agent and read its state.
#[derive(Clone)]
pub struct AgentControl {
    status: watch::Receiver<AgentStatus>,
    injector: Arc<InjectorThread>,
    paused: Arc<watch::Sender<bool>>,
}

impl AgentControl {
    /// Pause typing: the agent leaves the relay, so new messages wait there, safely
    /// queued, until resumed.
    pub fn set_paused(&self, paused: bool) {
        self.paused.send_replace(paused);
    }

    /// Resolves once the agent has really paused (it has left the relay) or has
    /// stopped for good.
    pub async fn wait_paused(&self) {
        let mut status = self.status.clone();
        let _ = status
            .wait_for(|s| matches!(s, AgentStatus::Paused | AgentStatus::Stopped { .. }))
            .await;
    }

    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    pub fn status(&self) -> AgentStatus {
        self.status.borrow().clone()
    }

    pub fn status_watch(&self) -> watch::Receiver<AgentStatus> {
        self.status.clone()
    }

    /// The injector's readiness, and word of every change.
    pub fn injector_watch(&self) -> watch::Receiver<Readiness> {
        self.injector.readiness_watch()
    }

    /// Whether injection works here, and what it does or why it cannot.
    pub fn injector_readiness(&self) -> Readiness {
        self.injector.readiness()
    }

    /// What the injector does here, or why it cannot.
    pub fn injector_state(&self) -> String {
        self.injector.readiness().text().to_owned()
    }

    /// Whether injection works here (a display, permission, ...).
    pub fn injector_ok(&self) -> bool {
        self.injector.readiness().is_ok()
    }

    /// Re-check the injector (after a change of settings).
    pub fn refresh_injector(&self) {
        self.injector.refresh();
    }

    /// The route waits for the user's permission (the portal's dialog).
    pub fn injector_needs_grant(&self) -> bool {
        matches!(self.injector.readiness(), Readiness::NeedsGrant(_))
    }

    /// The user allows typing where the route asks for it (the portal's dialog).
    pub fn grant_injector(&self) {
        self.injector.grant();
    }
}

impl Agent {
    /// Start an agent that injects with the desktop injector.
    pub fn start(
        opts: AgentOptions,
        settings: SharedInjectSettings,
        data_dir: Option<&Path>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Agent> {
        let dir = data_dir.map(Path::to_owned);
        let flow = opts.flow.clone();
        Agent::start_with(
            opts,
            move || {
                let desktop =
                    Box::new(DesktopInjector::new(settings).with_data_dir(dir.as_deref()));
                Box::new(flow::FlowInjector::new(desktop, flow))
            },
            data_dir,
            shutdown,
        )
    }

    /// Start an agent with any injector (tests use a recording one).
    pub fn start_with<F>(
        opts: AgentOptions,
        make_injector: F,
        data_dir: Option<&Path>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Agent>
    where
        F: FnOnce() -> Box<dyn Injector> + Send + 'static,
    {
        let (inbox, recovered) = open_inbox(data_dir, &opts.device_id)?;
        let inbox = Arc::new(Mutex::new(inbox));
        let (results_tx, results) = mpsc::unbounded_channel();
        let injector = Arc::new(InjectorThread::spawn(
            make_injector,
            inbox.clone(),
            results_tx,
        )?);
        let (status_tx, status) = watch::channel(AgentStatus::Connecting);
        let (paused, paused_rx) = watch::channel(false);
        let typing = Typing {
            injector: injector.clone(),
            inbox,
            results,
            recovered,
        };
        let events = EventLoop::new(opts, typing, status_tx, paused_rx, shutdown);
        let task = tokio::spawn(events.run());
        let control = AgentControl {
            status: status.clone(),
            injector,
            paused: Arc::new(paused),
        };
        Ok(Agent {
            status,
            control,
            task,
        })
    }

    pub fn control(&self) -> AgentControl {
        self.control.clone()
    }

    /// Wait for the agent to stop (shutdown, or a refusal it cannot recover from).
    pub async fn wait(self) -> anyhow::Result<()> {
        match self.task.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => Err(anyhow::anyhow!("the agent task failed: {e}")),
        }
    }
}

/// The agent's inbox (in the data directory: `agent-<device>.db`, where older
/// agents kept their seen ids), and the messages the previous run stored and never
/// started, oldest first. What it left half typed is failed here, to be reported.
fn open_inbox(data_dir: Option<&Path>, device: &DeviceId) -> anyhow::Result<(Inbox, Vec<Job>)> {
    let opened = match data_dir {
        Some(dir) => {
            let path = dir.join(format!("agent-{device}.db"));
            Inbox::open(&path).map_err(|e| format!("cannot open {}: {e}", path.display()))
        }
        None => Err("no data directory".to_owned()),
    };
    let mut inbox = match opened {
        Ok(inbox) => inbox,
        Err(why) => {
            tracing::warn!(
                "{why}: keeping received messages in memory only (a crash may lose them)"
            );
            Inbox::in_memory()?
        }
    };
    let recovered = match inbox.recover() {
        Ok(recovery) => {
            for (id, result) in &recovery.interrupted {
                tracing::warn!(%id, "{}", result.error.as_deref().unwrap_or("interrupted"));
            }
            if !recovery.waiting.is_empty() {
                tracing::info!(
                    waiting = recovery.waiting.len(),
                    "typing messages received before the last stop"
                );
            }
            recovery
                .waiting
                .into_iter()
                .map(|w| Job {
                    id: w.id,
                    text: w.text,
                })
                .collect()
        }
        Err(e) => {
            tracing::error!("cannot read what the last run left: {e}");
            Vec::new()
        }
    };
    if let Err(e) = inbox.prune(inbox::KEEP_FINISHED) {
        tracing::warn!("cannot prune the inbox: {e}");
    }
    Ok((inbox, recovered))
}
