//! The command line's shape (PROTOCOL.md §6), as clap reads it. The doc comments
//! here are the `--help` texts.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::agent::inject::{InjectMode, NewlineKey};
use crate::config::{DEFAULT_PORT, DEFAULT_QUEUE_CAP};

#[derive(Parser, Debug)]
#[command(
    name = "saytype",
    version,
    about = "Say it on your phone, it is typed on your desktop."
)]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Option<Command>,
    /// Tray app: start in the tray without opening the window (as at login).
    #[arg(long)]
    pub(super) hidden: bool,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Relay + local agent without any GUI.
    Serve(ServeArgs),
    /// A desktop agent only, connected to a relay elsewhere.
    Agent(AgentArgs),
    /// Send one transcription (for scripts).
    Send(SendArgs),
    /// List relays found over mDNS.
    Discover(DiscoverArgs),
    /// Print the pairing link and a QR code.
    Pair(PairArgs),
    /// Check what SayType needs here (display, clipboard, network, firewall, tray),
    /// each with the fix for what is missing.
    Doctor(DoctorArgs),
    /// Write the man pages and shell completions into a directory (for packaging).
    #[command(hide = true)]
    GenerateDocs {
        /// Output directory (created if missing).
        out: PathBuf,
    },
}

#[derive(Args, Debug)]
pub(super) struct DiscoverArgs {
    /// How long to listen, in milliseconds.
    #[arg(long, default_value_t = 3_000)]
    pub(super) timeout_ms: u64,
    /// Print relays as they appear and disappear, until the timeout (extension).
    #[arg(long)]
    pub(super) watch: bool,
}

#[derive(Args, Debug)]
pub(super) struct DoctorArgs {
    /// Print the checks as JSON.
    #[arg(long)]
    pub(super) json: bool,
    /// Data directory. Default: SAYTYPE_DATA_DIR or the platform's.
    #[arg(long)]
    pub(super) data_dir: Option<PathBuf>,
    /// How long to wait for our own mDNS announcement, in milliseconds.
    #[arg(long, default_value_t = 3_000)]
    pub(super) mdns_timeout_ms: u64,
}

#[derive(Args, Debug)]
pub(super) struct PairArgs {
    /// Make a new token first: the old one stops working at once (phones and agents
    /// paired with it must pair again).
    #[arg(long)]
    pub(super) rotate: bool,
    /// Data directory. Default: SAYTYPE_DATA_DIR or the platform's.
    #[arg(long)]
    pub(super) data_dir: Option<PathBuf>,
    /// Address to put in the link. Default: this machine's first LAN address.
    #[arg(long)]
    pub(super) host: Option<IpAddr>,
}

/// How a dictated newline is typed.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(super) enum NewlineArg {
    /// Shift+Return: a line break, even in chat boxes where Return sends.
    #[default]
    ShiftReturn,
    /// Return.
    Return,
}

impl From<NewlineArg> for NewlineKey {
    fn from(n: NewlineArg) -> NewlineKey {
        match n {
            NewlineArg::ShiftReturn => NewlineKey::ShiftReturn,
            NewlineArg::Return => NewlineKey::Return,
        }
    }
}

#[derive(Args, Debug)]
pub(super) struct ServeArgs {
    /// TCP port (0 = any free port). Default: the settings' port, else 7373.
    #[arg(long)]
    pub(super) port: Option<u16>,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    pub(super) bind: IpAddr,
    /// Data directory (token, database). Default: SAYTYPE_DATA_DIR or the platform's.
    #[arg(long)]
    pub(super) data_dir: Option<PathBuf>,
    /// Relay only: no local agent.
    #[arg(long)]
    pub(super) no_agent: bool,
    /// Do not advertise over mDNS.
    #[arg(long)]
    pub(super) no_mdns: bool,
    /// Injection mode of the local agent. Default: the settings', else auto.
    #[arg(long, value_enum)]
    pub(super) inject: Option<InjectMode>,
    /// How the local agent types a newline (extension). Default: the settings', else
    /// shift-return.
    #[arg(long, value_enum)]
    pub(super) newline: Option<NewlineArg>,
    /// Heartbeat ping interval in milliseconds.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(10..))]
    pub(super) heartbeat_ms: u64,
    /// How long after a message the next one into the same window gets a joining
    /// space, in milliseconds (tests shorten it).
    #[arg(long, hide = true)]
    pub(super) join_within_ms: Option<u64>,
    /// How long a POST waits for the agent's ACK, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    pub(super) ack_timeout_ms: u64,
    /// Device id of the local agent (and the default target). Default: the host name.
    #[arg(long)]
    pub(super) device_id: Option<String>,
    /// Most messages queued per device (extension).
    #[arg(long, default_value_t = DEFAULT_QUEUE_CAP as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) queue_cap: u64,
    /// Accept the desktop token (Authorization: Bearer) from other machines too, for
    /// scripts on a trusted network (extension). By default it is accepted from this
    /// machine only: on a shared network anyone could read it off the wire.
    #[arg(long)]
    pub(super) allow_bearer_from_network: bool,
}

#[derive(Args, Debug)]
pub(super) struct AgentArgs {
    /// Pair with a relay first: the link from its window or `saytype pair`
    /// (http://HOST:PORT/#pair=CODE). The key is kept in the data directory.
    #[arg(long, value_name = "LINK")]
    pub(super) pair: Option<String>,
    /// The relay's WebSocket URL, e.g. ws://192.168.1.20:7373/ws. A paired agent
    /// connects to the address it paired with unless given; an agent that is not
    /// paired needs it (and the desktop token: loopback or a trusted network).
    #[arg(long)]
    pub(super) relay: Option<String>,
    /// Device id to register as. Default: the host name.
    #[arg(long)]
    pub(super) device_id: Option<String>,
    #[arg(long, value_enum, default_value_t = InjectMode::Auto)]
    pub(super) inject: InjectMode,
    /// How a newline is typed (extension).
    #[arg(long, value_enum, default_value_t = NewlineArg::ShiftReturn)]
    pub(super) newline: NewlineArg,
    /// Type each message as it comes, without a joining space after the previous
    /// one into the same window.
    #[arg(long)]
    pub(super) no_join: bool,
    /// Read voice commands of this language ("new line", "press enter", "scratch
    /// that", ...). Default: off.
    #[arg(long, value_name = "LANG")]
    pub(super) voice_commands: Option<String>,
    /// See `saytype serve --join-within-ms`.
    #[arg(long, hide = true)]
    pub(super) join_within_ms: Option<u64>,
    /// Pairing token (extension). Default: SAYTYPE_TOKEN, else the data directory's.
    #[arg(long, env = "SAYTYPE_TOKEN", hide_env_values = true)]
    pub(super) token: Option<String>,
    /// Data directory (remembered message ids). Default: SAYTYPE_DATA_DIR or the platform's.
    #[arg(long)]
    pub(super) data_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(super) struct SendArgs {
    /// The text to send.
    pub(super) text: String,
    /// The relay's base URL.
    #[arg(long, default_value_t = format!("http://127.0.0.1:{DEFAULT_PORT}"))]
    pub(super) relay: String,
    /// Target device id (default: the relay's own).
    #[arg(long)]
    pub(super) device: Option<String>,
    /// Idempotency key (extension): sending again with the same id delivers once.
    #[arg(long)]
    pub(super) id: Option<String>,
    /// Pairing token (extension). Default: SAYTYPE_TOKEN, else the local data directory's.
    #[arg(long, env = "SAYTYPE_TOKEN", hide_env_values = true)]
    pub(super) token: Option<String>,
}
