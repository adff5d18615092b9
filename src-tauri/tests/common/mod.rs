//! Helpers for integration tests, one file per idea: [`relay`] (an in-process relay
//! on a loopback port), [`client`] (post, then poll the status), [`agent`] (a test
//! agent speaking the WebSocket protocol by hand), [`served`] (the real binary),
//! [`desktop`] (Xvfb and real windows), [`tray`] (the tray app under D-Bus), [`wayland`] (headless sway and
//! native Wayland windows), [`mutter`] and [`kwin`] (headless GNOME and KDE
//! compositors on a private [`session_bus`]), [`netns`] (two network namespaces). The
//! benches include this module too.
#![allow(dead_code, unreachable_pub)]

pub mod agent;
pub mod bash;
pub mod client;
pub mod daemon;
pub mod desktop;
pub mod dictate;
pub mod eis;
pub mod kwin;
pub mod local_agent;
pub mod mutter;
pub mod netns;
pub mod phone;
pub mod portal;
pub mod relay;
pub mod sealed_frames;
pub mod served;
pub mod session_bus;
pub mod shell;
pub mod terminal;
pub mod tray;
pub mod tray_host;
pub mod usage;
pub mod wayland;

use std::time::Duration;

// Re-exported for `use common::*`; each test binary uses only some of them.
#[allow(unused_imports)]
pub use agent::{close_code, ws_connect, ws_connect_from, Agent, Event, Ws};
#[allow(unused_imports)]
pub use client::RelayClient;
#[allow(unused_imports)]
pub use relay::{Options, TestRelay};

/// The token of every relay the tests and benches start.
pub const TOKEN: &str = "test-token-0123456789abcdef";
/// The relay's own device: POSTs without a `deviceId` go there.
pub const DEFAULT_DEVICE: &str = "desk";
/// Generous bound for things that should happen at once (CI machines can be slow).
pub const SOON: Duration = Duration::from_secs(5);

/// Poll `check` until it holds or `SOON` passes.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + SOON;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for: {what}");
}
