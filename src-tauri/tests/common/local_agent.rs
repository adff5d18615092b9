//! The real desktop agent (`saytype::agent::Agent`) with a scripted injector, for
//! tests of the agent's guarantees: what it types, where a message is held, and a
//! crash at an exact point.
//!
//! A crash is the agent's runtime shut down at once: its tasks and sockets vanish
//! as in a `kill -9` (the relay sees the connection drop), and an injector held
//! at a [`Gate`] is never released, so it writes nothing more either.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use saytype::agent::inject::{InjectError, Injector, Method, Progress, Readiness};
use saytype::agent::{Agent, AgentOptions, AgentStatus};
use saytype::protocol::DeviceId;
use tokio_util::sync::CancellationToken;

use super::SOON;

/// Holds the next message part way: it types `after` characters, then waits for
/// [`Gate::release`].
#[derive(Default)]
pub struct Gate {
    state: Mutex<GateState>,
    released: Condvar,
    holding: AtomicBool,
}

#[derive(Default)]
struct GateState {
    armed: Option<usize>,
    open: bool,
}

impl Gate {
    /// Hold the next message after `after` characters.
    pub fn arm(&self, after: usize) {
        let mut s = self.state.lock().expect("gate");
        s.armed = Some(after);
        s.open = false;
        self.holding.store(false, Ordering::Release);
    }

    /// Whether a message is held at the gate now.
    pub fn is_holding(&self) -> bool {
        self.holding.load(Ordering::Acquire)
    }

    pub fn release(&self) {
        self.state.lock().expect("gate").open = true;
        self.released.notify_all();
    }

    /// If armed, type up to the hold point and wait there, asking `progress`
    /// now and then whether to go on (a stopping agent says no: interrupted
    /// there). Returns how many characters are in.
    fn pass(&self, progress: &mut dyn Progress, total: usize) -> Result<usize, InjectError> {
        let Some(after) = self.state.lock().expect("gate").armed.take() else {
            return Ok(0);
        };
        for typed in 1..=after {
            progress.advanced(typed);
        }
        self.holding.store(true, Ordering::Release);
        let mut s = self.state.lock().expect("gate");
        while !s.open {
            if !progress.advanced(after) {
                self.holding.store(false, Ordering::Release);
                return Err(InjectError::Interrupted {
                    typed: after,
                    total,
                });
            }
            s = self
                .released
                .wait_timeout(s, Duration::from_millis(10))
                .expect("gate")
                .0;
        }
        self.holding.store(false, Ordering::Release);
        Ok(after)
    }
}

/// Records what it typed. "fail" fails, "no display" is unavailable; anything
/// else is typed one character at a time, telling progress, through the gate.
pub struct Scripted {
    typed: Arc<Mutex<Vec<String>>>,
    gate: Arc<Gate>,
    /// Where the last message went: [`scripted_target`] once it is typed.
    target: Option<saytype::protocol::ws::Target>,
}

/// The window a [`Scripted`] injector reports typing into.
pub fn scripted_target() -> serde_json::Value {
    serde_json::json!({"app": "Scripted", "title": "the test window", "method": "typed"})
}

impl Injector for Scripted {
    fn inject(&mut self, text: &str, progress: &mut dyn Progress) -> Result<Method, InjectError> {
        match text {
            "fail" => return Err(InjectError::Failed("the window went away".into())),
            "no display" => {
                return Err(InjectError::Unavailable(
                    "no display: DISPLAY is not set".into(),
                ))
            }
            _ => {}
        }
        self.target = None;
        let total = text.chars().count();
        let held = self.gate.pass(progress, total)?;
        for typed in held + 1..=total {
            if !progress.advanced(typed) {
                return Err(InjectError::Interrupted { typed, total });
            }
        }
        self.typed.lock().expect("typed").push(text.to_owned());
        self.target = serde_json::from_value(scripted_target()).ok();
        Ok(Method::Typed)
    }

    fn take_target(&mut self) -> Option<saytype::protocol::ws::Target> {
        self.target.take()
    }

    fn readiness(&mut self) -> Readiness {
        Readiness::Ready("scripted".into())
    }
}

/// A desktop agent on a runtime of its own, so that it can be crashed.
pub struct TestAgent {
    pub agent: Option<Agent>,
    pub gate: Arc<Gate>,
    typed: Arc<Mutex<Vec<String>>>,
    shutdown: CancellationToken,
    runtime: Option<tokio::runtime::Runtime>,
    crashed: bool,
}

/// Start an agent for `device` on `url`, keeping its inbox in `data_dir`.
pub fn start_agent(
    url: &str,
    token: &str,
    device: &str,
    data_dir: Option<&std::path::Path>,
) -> TestAgent {
    let opts = AgentOptions::new(
        url.to_owned(),
        token.to_owned(),
        DeviceId::parse(device).expect("id"),
    );
    start_agent_with(opts, data_dir)
}

/// Start an agent with `opts` (short backoff), keeping its inbox in `data_dir`.
pub fn start_agent_with(mut opts: AgentOptions, data_dir: Option<&std::path::Path>) -> TestAgent {
    let typed = Arc::new(Mutex::new(Vec::new()));
    let gate = Arc::new(Gate::default());
    let (sink, g) = (typed.clone(), gate.clone());
    opts.backoff_base = Duration::from_millis(20);
    opts.backoff_cap = Duration::from_millis(200);
    let shutdown = CancellationToken::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("agent runtime");
    let agent = {
        let _inside = runtime.enter();
        Agent::start_with(
            opts,
            move || {
                Box::new(Scripted {
                    typed: sink,
                    gate: g,
                    target: None,
                })
            },
            data_dir,
            shutdown.clone(),
        )
        .expect("agent starts")
    };
    TestAgent {
        agent: Some(agent),
        gate,
        typed,
        shutdown,
        runtime: Some(runtime),
        crashed: false,
    }
}

impl TestAgent {
    fn agent(&mut self) -> &mut Agent {
        self.agent.as_mut().expect("agent running")
    }

    pub async fn wait_status(&mut self, what: &str, check: impl FnMut(&AgentStatus) -> bool) {
        tokio::time::timeout(SOON, self.agent().status.wait_for(check))
            .await
            .unwrap_or_else(|_| panic!("agent never {what}"))
            .expect("status channel");
    }

    pub async fn wait_connected(&mut self) {
        self.wait_status("connected", |s| matches!(s, AgentStatus::Connected { .. }))
            .await;
    }

    pub fn typed(&self) -> Vec<String> {
        self.typed.lock().expect("typed").clone()
    }

    /// A graceful stop (SIGTERM, Quit): `Ok` once the agent has stopped.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        let agent = self.agent.take().expect("agent running");
        tokio::time::timeout(SOON, agent.wait())
            .await
            .expect("stops")
            .expect("cleanly");
    }

    /// Start a graceful stop without waiting for it.
    pub fn begin_stop(&self) {
        self.shutdown.cancel();
    }

    /// Wait for a stop begun with [`TestAgent::begin_stop`].
    pub async fn stopped(mut self) -> anyhow::Result<()> {
        let agent = self.agent.take().expect("agent running");
        tokio::time::timeout(SOON, agent.wait())
            .await
            .expect("stops")
    }

    /// Die at once, as with `kill -9`: nothing more is sent or written. (A message
    /// held at the gate stays held: its thread never goes on.)
    pub fn crash(mut self) {
        self.crashed = true;
        self.agent.take();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for TestAgent {
    fn drop(&mut self) {
        if self.crashed {
            return;
        }
        self.shutdown.cancel();
        // A gate left shut would hold the injection thread for ever.
        self.gate.release();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
