//! The desktop window's API, under `/ui/api`: status and live events, the history
//! (with retry, delete, clear), settings and pause, pairing, diagnostics. The same page serves
//! the Tauri window and an ordinary browser at `http://127.0.0.1:PORT/ui`.
//!
//! Two locks on it (see the router): requests must come from this machine
//! (loopback), and the API needs the pairing token like everything else. The relay
//! knows nothing of the local agent, mDNS or settings; it asks the
//! [`Desktop`](super::desktop::Desktop) that the process registered (see `daemon`),
//! so the relay can run alone as well.

pub(super) mod diagnostics;
pub(super) mod history;
pub(super) mod pairing;
pub(super) mod phones;
pub(super) mod settings;
pub(super) mod status;
