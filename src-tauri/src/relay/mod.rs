//! The relay: HTTP API for senders, WebSocket endpoint for agents, durable queue.
//!
//! Modules, leaves first (each imports only those above it):
//! - [`error`] (`ApiError`), [`extract`] (the token and loopback checks), [`guard`]
//!   (the Host allow-list and the Origin check of `/ws`), [`events`]
//!   (live window events, phones seen), [`desktop`] (what the process offers the
//!   window), [`assets`] (the built-in pages);
//! - [`heartbeat`] and [`registry`]: pure routing state (who is online, per-device
//!   queues, ACK waits); [`store`]: SQLite with group commit;
//! - [`delivery`]: the use cases (accept, ACK, result, retry, remove) over registry
//!   and store, returning domain outcomes;
//! - [`http`] (sender API), [`ws`] (agent connections), [`phones`] (pairing and
//!   the sealed phone link), [`ui`] (window API): thin shells that translate;
//! - [`router`]: every route; `listen`: the accept loop that serves it within the
//!   connection limits of [`limits`].
//!
//! [`RelayState`] is the one cloneable handle every handler and connection task
//! shares. Shutdown comes in as a [`CancellationToken`]; [`Relay::wait`] returns once
//! every connection is closed and every accepted message is committed.

pub mod agents;
pub mod assets;
pub mod delivery;
pub mod desktop;
pub mod error;
pub mod events;
pub mod extract;
pub mod guard;
pub mod heartbeat;
pub mod hold;
pub mod http;
pub mod limits;
mod listen;
pub mod modes;
pub mod phones;
pub mod registry;
pub mod router;
pub mod store;
pub mod ui;
pub mod ws;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use anyhow::Context;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::RelayConfig;
use crate::protocol::ui::UiEvent;
use crate::sync::lock;
use events::Events;
use registry::Registry;
use store::Store;

/// Shared state of a running relay. Cloning is one reference-count increment.
#[derive(Clone)]
pub struct RelayState {
    inner: Arc<Inner>,
}

struct Inner {
    config: RelayConfig,
    /// The pairing token in force; connections watch it to learn of a rotation.
    token: watch::Sender<Arc<str>>,
    /// Held only for short, non-async sections (never across an `.await`).
    registry: Mutex<Registry>,
    store: Store,
    shutdown: CancellationToken,
    connections: TaskTracker,
    local_addr: SocketAddr,
    /// Changes the desktop window follows live, and the phones seen recently.
    events: Events,
    /// The process's desktop parts (local agent, settings), when there are any.
    desktop: OnceLock<Arc<dyn desktop::Desktop>>,
    /// One-time pairing codes waiting for a phone (short sections only).
    pairing_codes: Mutex<phones::PendingCodes>,
    /// Held for the relay's life: one relay per data directory.
    _dir_lock: std::fs::File,
}

impl RelayState {
    pub fn config(&self) -> &RelayConfig {
        &self.inner.config
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Lock the routing state (poison-tolerant, see [`crate::sync`]).
    pub fn registry(&self) -> MutexGuard<'_, Registry> {
        lock(&self.inner.registry)
    }

    pub fn token_matches(&self, presented: &str) -> bool {
        extract::tokens_match(presented, &self.inner.token.borrow())
    }

    /// The current token, and word of every change.
    pub fn token_watch(&self) -> watch::Receiver<Arc<str>> {
        self.inner.token.subscribe()
    }

    pub fn current_token(&self) -> Arc<str> {
        self.inner.token.borrow().clone()
    }

    /// Replace the pairing token: stored first, then in force at once. Every
    /// connection that authenticated with the old one is closed with 4001.
    pub fn rotate_token(&self) -> anyhow::Result<Arc<str>> {
        let token = crate::config::new_token()?;
        crate::config::store_token(&self.inner.config.data_dir, &token)?;
        let token: Arc<str> = token.into();
        self.inner.token.send_replace(token.clone());
        tracing::info!("pairing token rotated");
        Ok(token)
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutdown.is_cancelled()
    }

    pub(crate) fn connections(&self) -> &TaskTracker {
        &self.inner.connections
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr
    }

    pub fn events(&self) -> &Events {
        &self.inner.events
    }

    /// Tell the desktop window that something changed (nobody listening is fine).
    pub fn emit(&self, event: UiEvent) {
        self.inner.events.emit(event);
    }

    /// [`RelayState::emit`] for the hot path: the event is only built when a window
    /// is listening.
    pub fn emit_with(&self, make: impl FnOnce() -> UiEvent) {
        self.inner.events.emit_with(make);
    }

    pub fn subscribe_events(&self) -> broadcast::Receiver<UiEvent> {
        self.inner.events.subscribe()
    }

    /// Register the process's desktop parts (once).
    pub fn set_desktop(&self, desktop: Arc<dyn desktop::Desktop>) {
        let _ = self.inner.desktop.set(desktop);
    }

    pub fn desktop(&self) -> Option<Arc<dyn desktop::Desktop>> {
        self.inner.desktop.get().cloned()
    }

    /// Apply new settings through the desktop parts and tell the window: the one
    /// way settings change (the window's API, the tray's menu).
    pub fn change_settings(
        &self,
        desktop: &dyn desktop::Desktop,
        new: crate::settings::Settings,
    ) -> Result<crate::settings::Settings, crate::settings::SettingsError> {
        let applied = desktop.update_settings(new)?;
        self.emit(UiEvent::Settings);
        Ok(applied)
    }

    /// The pairing codes waiting for a phone.
    pub fn pairing_codes(&self) -> MutexGuard<'_, phones::PendingCodes> {
        lock(&self.inner.pairing_codes)
    }
}

/// A relay that is accepting connections.
pub struct Relay {
    addr: SocketAddr,
    state: RelayState,
    server: JoinHandle<std::io::Result<()>>,
}

impl Relay {
    /// Open the store, restore queues, bind and start serving. Returns once the
    /// socket is listening.
    pub async fn start(config: RelayConfig, shutdown: CancellationToken) -> anyhow::Result<Relay> {
        crate::config::ensure_data_dir(&config.data_dir)?;
        let dir_lock = lock_data_dir(&config.data_dir)?;
        let (store, snapshot) = Store::open_with(&config.db_path(), config.storage)
            .with_context(|| format!("cannot open {}", config.db_path().display()))?;
        let mut registry = Registry::new(config.default_device.clone(), config.queue_cap);
        registry.set_byte_caps(registry::ByteCaps {
            per_device: config.storage.queued_bytes_per_device,
            total: config.storage.queued_bytes_total,
        });
        registry.set_hold_after(config.hold_after);
        for (device, last_seen) in snapshot.devices {
            registry.restore_device(device, last_seen);
        }
        let restored = snapshot.queued.len();
        for (device, msg) in snapshot.queued {
            registry.restore_queued(device, msg);
        }
        if restored > 0 {
            tracing::info!(restored, "queued messages restored from the store");
        }

        let listener = listen::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let addr = listener.local_addr()?;
        let state = RelayState {
            inner: Arc::new(Inner {
                token: watch::Sender::new(config.token.as_str().into()),
                config,
                registry: Mutex::new(registry),
                store,
                shutdown: shutdown.clone(),
                connections: TaskTracker::new(),
                local_addr: addr,
                events: Events::default(),
                desktop: OnceLock::new(),
                pairing_codes: Mutex::new(phones::PendingCodes::default()),
                _dir_lock: dir_lock,
            }),
        };
        let server = tokio::spawn(listen::serve(listener, state.clone()));
        Ok(Relay {
            addr,
            state,
            server,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &RelayState {
        &self.state
    }

    /// Wait until the shutdown token fires and everything has wound down: HTTP
    /// requests answered, agent connections closed, the store flushed.
    pub async fn wait(self) -> anyhow::Result<()> {
        let served = self.server.await;
        let tracker = self.state.connections();
        tracker.close();
        tracker.wait().await;
        self.state.store().flush().await;
        served.context("server task failed")??;
        Ok(())
    }
}

/// Two relays on one data directory would each deliver the other's queue: refuse.
fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join("relay.lock");
    let file = crate::config::private_file(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another saytype relay is already using {} (stop it, or pass another --data-dir)",
            dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}
