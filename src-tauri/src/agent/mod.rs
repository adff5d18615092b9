//! The desktop agent: a WebSocket client of the relay that ACKs each transcription,
//! then types or pastes it into the focused window and reports the result. The same
//! code runs inside `saytype serve` (and the tray app) and as `saytype agent`.
//!
//! - [`client`]: the protocol as a pure state machine (frame in, actions out);
//! - [`eventloop`]: the thin IO loop that drives it: connect, read, write,
//!   reconnect with [`backoff`], pause, shut down;
//! - [`inject`]: the [`Injector`] trait, its injection thread (the one place that
//!   skips duplicates, with [`dedupe`]) and its backends (X11 typing and pasting,
//!   a portable one);
//! - [`dedupe`]: ids already injected, remembered on disk, so nothing is typed twice.
//!
//! [`Agent`] wires them: the state machine on a tokio task, the injector on a
//! thread of its own; [`AgentControl`] is the cheap handle the UI keeps.

pub mod backoff;
pub mod client;
pub mod dedupe;
pub mod eventloop;
pub mod inbox;
pub mod inject;

use std::path::Path;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use client::{AgentError, AgentStatus};
use dedupe::SeenIds;
pub use eventloop::AgentOptions;
use eventloop::EventLoop;
use inject::{DesktopInjector, Injector, InjectorThread, Readiness, SharedInjectSettings};

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
}

impl Agent {
    /// Start an agent that injects with the desktop injector.
    pub fn start(
        opts: AgentOptions,
        settings: SharedInjectSettings,
        data_dir: Option<&Path>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Agent> {
        Agent::start_with(
            opts,
            move || Box::new(DesktopInjector::new(settings)),
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
        let seen = match data_dir {
            Some(dir) => {
                let path = dir.join(format!("agent-{}.db", opts.device_id));
                SeenIds::open(&path, dedupe::DEFAULT_CAPACITY).unwrap_or_else(|e| {
                    tracing::warn!(
                        "cannot open {}: {e}; remembering injected ids in memory only",
                        path.display()
                    );
                    SeenIds::in_memory(dedupe::DEFAULT_CAPACITY)
                })
            }
            None => SeenIds::in_memory(dedupe::DEFAULT_CAPACITY),
        };
        let (results_tx, results) = mpsc::unbounded_channel();
        let injector = Arc::new(InjectorThread::spawn(make_injector, seen, results_tx)?);
        let (status_tx, status) = watch::channel(AgentStatus::Connecting);
        let (paused, paused_rx) = watch::channel(false);
        let events = EventLoop::new(
            opts,
            injector.clone(),
            results,
            status_tx,
            paused_rx,
            shutdown,
        );
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
