//! What the process around the relay offers the desktop window: the local agent,
//! pause, settings, mDNS. The relay knows nothing of these parts; it asks the
//! [`Desktop`] that the process registered (the daemon implements it), so the relay
//! also runs alone, where the window's desktop routes answer 404.

use std::future::Future;
use std::pin::Pin;

use crate::protocol::ui::{LocalAgentView, MdnsView};
use crate::settings::{Settings, SettingsError};

/// A future that the relay awaits without caring what runs it.
pub type Pending = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

pub trait Desktop: Send + Sync + 'static {
    /// The agent inside this process, if there is one.
    fn local_agent(&self) -> Option<LocalAgentView>;
    /// Pause or resume typing. The future resolves once the change is in force (a
    /// paused agent has left the relay, so new messages are held there).
    fn set_paused(&self, paused: bool) -> Pending;
    fn settings(&self) -> Settings;
    /// Validate, store and apply; returns what is now in force.
    fn update_settings(&self, new: Settings) -> Result<Settings, SettingsError>;
    fn mdns(&self) -> MdnsView;
    /// The user allows typing where the route asks for it (the remote desktop
    /// portal's dialog): asked of the local agent's injector, in turn with the
    /// messages; `false` if there is no local agent.
    fn grant_injector(&self) -> bool;
}
