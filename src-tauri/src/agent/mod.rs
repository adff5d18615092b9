//! The desktop agent: a WebSocket client of the relay that ACKs each transcription,
//! then types or pastes it into the focused window and reports the result. The same
//! code runs inside `saytype serve` (and the tray app) and as `saytype agent`.
//!
//! - [`client`]: connect, register, ACK, reconnect with [`backoff`];
//! - [`inject`]: the injection thread and its backends (X11 typing and pasting);
//! - [`dedupe`]: ids already injected, remembered on disk, so nothing is typed twice.

pub mod backoff;
pub mod client;
pub mod dedupe;
pub mod inject;

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use client::{AgentError, AgentOptions, AgentStatus};
use dedupe::SeenIds;
use inject::{DesktopInjector, InjectMode, Injector, InjectorThread, NewlineKey};

/// A running agent.
pub struct Agent {
    pub status: watch::Receiver<AgentStatus>,
    injector_state: Arc<InjectorThread>,
    task: JoinHandle<Result<(), AgentError>>,
}

impl Agent {
    /// Start an agent that injects with the desktop injector.
    pub fn start(
        opts: AgentOptions,
        mode: InjectMode,
        newline: NewlineKey,
        data_dir: Option<&Path>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Agent> {
        Agent::start_with(
            opts,
            move || Box::new(DesktopInjector::new(mode, newline)),
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
        let seen = Arc::new(Mutex::new(seen));
        let (outcome_tx, outcome_rx) = mpsc::unbounded_channel();
        let injector = Arc::new(InjectorThread::spawn(
            make_injector,
            seen.clone(),
            outcome_tx,
        )?);
        let (status_tx, status) = watch::channel(AgentStatus::Connecting);
        let task = tokio::spawn(client::run(
            opts,
            injector.clone(),
            seen,
            outcome_rx,
            status_tx,
            shutdown,
        ));
        Ok(Agent {
            status,
            injector_state: injector,
            task,
        })
    }

    /// What the injector does here, or why it cannot.
    pub fn injector_state(&self) -> String {
        self.injector_state.state()
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
