//! SayType: say it on your phone, it is typed on your desktop.
//!
//! One process bundles a relay (phones `POST /transcription`, agents connect over
//! `/ws`), a desktop agent that types what it receives, mDNS discovery and a small UI.
//! The contract is `shared/PROTOCOL.md` (extensions: `docs/protocol-extensions.md`);
//! data flows one way, each arrow one function call or one channel:
//! phone → [`relay::http`] → [`relay::delivery`] → [`relay::store`] (persisted,
//! queued) → [`relay::registry`] → [`relay::ws`] → agent [`agent::client`] →
//! [`agent::inbox`] (on disk) → ACK → store (delivered) → [`agent::inject`] → inbox
//! (result) → `result` → store (injected / failed) → `resultAck` → inbox (reported),
//! and every store change → [`relay::events`] → the window.
//!
//! Module map:
//! - [`protocol`]: wire types and validation; the only place JSON shapes live:
//!   `ids` (ids, text rules, statuses), `errors` (codes, bodies, close codes),
//!   `http` (the sender API), `ws` (agent and relay frames), `ui` (the window's API),
//!   `sealed` (pairing, sealed envelopes, paired phones), `agent_link` (a paired
//!   agent's handshake and sealed frames).
//! - [`sealed`]: the sealed link's scheme (docs/sealed-link.md), pure functions over
//!   bytes on RustCrypto: keys from the pairing code, the pairing exchange, the
//!   envelopes, the replay window, a paired agent's proofs and sealed frames.
//!   Shared by the relay and its clients.
//! - [`config`]: settings and their defaults, the data directory, the pairing token,
//!   private files. It reads no environment: the command line passes
//!   `SAYTYPE_DATA_DIR` and `SAYTYPE_TOKEN` down as parameters.
//! - [`relay`]: the server, leaves first with no import cycle: `error` (`ApiError`),
//!   `extract` (token and loopback checks), `events` (live window events, phones
//!   seen), `desktop`, `assets`; then `registry` (who is online, per-device queues,
//!   ACK waits) and `heartbeat`, pure logic with unit tests, and `store/` (SQLite:
//!   one job type, group commit by whoever holds the connection, plain SQL functions,
//!   checkpoints on a thread of their own, history retention); `delivery` (accept,
//!   ACK, result, retry, remove, as domain outcomes) and `hold` (messages that waited
//!   too long: held, released, discarded, cancelled from the phone); the thin shells `http`
//!   (senders), `ws` (agents), `phones/` (pairing codes, pairing, sealed calls of
//!   paired phones), `agents/` (paired agents: pairing, the handshake, the sealed
//!   socket `ws` runs on) and `ui/` (the window's API); `router` on top, served by
//!   `listen` (the accept loop) within the connection caps and timeouts of `limits`.
//!   The store keeps paired phones in `store/phones`.
//! - [`agent`]: the desktop agent. `client` is the protocol as a pure state machine
//!   (frame in, actions out), driven by the thin IO loop `eventloop` (connect over
//!   `link`, plain or sealed after a paired agent's handshake, reconnect with
//!   `backoff`, pause, graceful stop); `pairing` (the key `saytype agent --pair`
//!   gets and keeps); `inbox` (every ACKed message on
//!   disk before its ACK, its typing progress and its result until the relay
//!   confirms it); `inject` (the `Injector` trait, the injection thread, the `auto`
//!   rule, the clipboard guard, progress, and one backend per route: `x11` typing
//!   with its own keymap planner and pasting; on Wayland `native` picks `wayland`
//!   (wlroots: input method, virtual keyboard), `kwin` (fake input), `mutter`
//!   (RemoteDesktop) or `portal` (the RemoteDesktop portal with libei), the last
//!   three typing the user's `layout` by one `keyed` rule; `portable` for other
//!   systems); `flow` (dictating in a row around the desktop injector: the joining
//!   space between messages into one window, voice commands from one table per
//!   language, "scratch that").
//! - [`discovery`]: mDNS advertising (the relay) and browsing (`discover`).
//! - [`netaddr`]: the addresses a phone could use, best first (the default route's
//!   interface; Docker/VM bridges and VPNs last), pure ranking plus the machine's list.
//! - [`doctor`]: `saytype doctor` and the window's Diagnostics: each check passed or
//!   failed with its fix (display, route, clipboard, relay, addresses, mDNS, firewall).
//! - [`pairing`]: the pairing link (one-time code in the URL fragment), the one choice of
//!   its LAN address ([`pairing::pairing_link`]), its QR codes, and the running
//!   relay's port file for `saytype pair`.
//! - [`client`]: a minimal HTTP client for `saytype send`, benchmarks and tests; it
//!   parses the relay's `http://` URL with the `url` crate.
//! - [`daemon`]: one process's SayType, as `saytype serve` and the tray app run it:
//!   relay + local agent + mDNS, and the desktop controls the window uses.
//! - [`settings`]: the user's persisted settings (injection mode, port, autostart).
//! - `notify` (Linux): the desktop notification for held messages, on the session bus.
//! - [`sync`]: the poison-tolerant lock everyone uses.
//! - [`shutdown`]: SIGINT/SIGTERM cancel a `CancellationToken` (serve, agent, tray).
//! - [`cli`]: the command line of PROTOCOL.md §6, one file per command; the
//!   environment is read there, once, and passed down.
//! - `app` (feature `gui`): the tray app, a thin shell over the [`daemon`] with no
//!   GTK or WebKit in it: `tray` (a StatusNotifierItem and its menu over D-Bus: icon
//!   states, the menu built from one view of the state), `instance` (a second start
//!   hands over over D-Bus) and `window` (starts and ends the window's process).
//! - `window_app` (feature `gui`): `saytype-window`, the window itself, a Tauri
//!   webview on the relay's `/ui` page (`webkit`: WebKit's settings for it), so
//!   WebKit's memory exists only while the window is open.

pub mod agent;
pub mod cli;
pub mod client;
pub mod config;
pub mod daemon;
pub mod discovery;
pub mod doctor;
pub mod netaddr;
#[cfg(target_os = "linux")]
pub mod notify;
pub mod pairing;
pub mod protocol;
pub mod relay;
pub mod sealed;
pub mod settings;
pub mod shutdown;
pub mod sync;

#[cfg(feature = "gui")]
pub mod app;
#[cfg(feature = "gui")]
pub mod window_app;
