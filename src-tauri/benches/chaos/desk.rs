//! The desktop side of one scenario: the relay and (in `split`) the agent, how
//! they are started, and stopping "the typist" (whichever process types), which
//! also asks the X server whether that stop left keys pressed.

use std::path::Path;

use crate::common::DEFAULT_DEVICE;
use crate::procs::{AgentProc, ServeProc};
use crate::scenario::Scenario;
use crate::xkeys::keys_down;

/// The processes of a scenario.
pub(crate) struct Desk {
    pub(crate) relay: ServeProc,
    /// `None` in the local scenario (the relay's own agent types).
    pub(crate) agent: Option<AgentProc>,
    display: String,
    /// After which stops of the typist keys were left pressed in the X server.
    pub(crate) keys_left_down: Vec<String>,
}

impl Desk {
    /// The scenario's processes (not started yet): the relay on `port`, its
    /// data and logs under `dir`, typing on X display `display`.
    pub(crate) fn new(scenario: Scenario, display: &str, dir: &Path, port: u16) -> Desk {
        let mut relay_args = vec!["--port".to_owned(), port.to_string()];
        let mut relay_env = Vec::new();
        match scenario {
            Scenario::Split => relay_args.push("--no-agent".into()),
            Scenario::Local => {
                relay_args.extend(["--inject".into(), "type".into()]);
                relay_env.push(("DISPLAY".to_owned(), display.to_owned()));
            }
        }
        Desk {
            relay: ServeProc {
                served: None,
                data: dir.join("relay-data"),
                args: relay_args,
                env: relay_env,
                log: dir.join("relay.log"),
                incarnation: 0,
            },
            agent: (scenario == Scenario::Split).then(|| AgentProc {
                child: None,
                args: vec![
                    "--relay".into(),
                    format!("ws://127.0.0.1:{port}/ws"),
                    "--data-dir".into(),
                    dir.join("agent-data").display().to_string(),
                    "--device-id".into(),
                    DEFAULT_DEVICE.into(),
                    "--inject".into(),
                    "type".into(),
                ],
                display: display.to_owned(),
                log: dir.join("agent.log"),
                log_offset: 0,
                incarnation: 0,
            }),
            display: display.to_owned(),
            keys_left_down: Vec::new(),
        }
    }

    /// The process that types.
    pub(crate) fn typist_registered(&self) -> bool {
        match &self.agent {
            Some(a) => a.registered(),
            None => self.relay.registered(),
        }
    }

    pub(crate) fn start_typist(&mut self) {
        match &mut self.agent {
            Some(a) => a.start(),
            None => self.relay.start(),
        }
    }

    pub(crate) async fn stop_typist(&mut self, sig: &str, why: &str) -> String {
        let how = match &mut self.agent {
            Some(a) => a.stop(sig, why).await,
            None => self.relay.stop(sig, why).await,
        };
        let down = keys_down(&self.display);
        if down.is_empty() {
            how
        } else {
            self.keys_left_down
                .push(format!("{why} ({sig}): {}", down.join(", ")));
            format!("{how}; KEYS LEFT DOWN in the X server: {}", down.join(", "))
        }
    }

    pub(crate) fn ensure_up(&mut self) {
        if !self.relay.is_up() {
            self.relay.start();
        }
        if let Some(a) = &mut self.agent {
            if !a.is_up() {
                a.start();
            }
        }
    }
}
