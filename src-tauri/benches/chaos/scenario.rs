//! The two scenarios and what each may do to its processes: `split` (relay and
//! agent, two processes) and `local` (the relay with its built-in agent), each
//! with its own weighted menu of kills.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Scenario {
    /// Relay and agent, two processes.
    Split,
    /// `saytype serve` with its built-in agent.
    Local,
}

impl Scenario {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Scenario::Split => "split",
            Scenario::Local => "local",
        }
    }

    /// What the chaos may do, with weights.
    pub(crate) fn actions(self) -> &'static [(&'static str, u64)] {
        match self {
            Scenario::Split => &[
                ("relay -9", 12),
                ("relay TERM", 10),
                ("agent -9", 15),
                ("agent TERM", 10),
                ("aimed register", 25),
                ("aimed typing", 28),
            ],
            Scenario::Local => &[
                ("serve -9", 20),
                ("serve TERM", 15),
                ("aimed register", 30),
                ("aimed typing", 35),
            ],
        }
    }

    /// The name of the process that types, as the actions spell it.
    pub(crate) fn typist(self) -> &'static str {
        if self == Scenario::Split {
            "agent"
        } else {
            "serve"
        }
    }
}
