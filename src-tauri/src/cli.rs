//! The command line of PROTOCOL.md §6: `saytype [serve|agent|send|discover|pair]`.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tokio_util::sync::CancellationToken;

use crate::agent::inject::{InjectMode, InjectSettings, NewlineKey};
use crate::agent::{Agent, AgentOptions};
use crate::config::{self, DEFAULT_PORT};
use crate::daemon::{Daemon, DaemonOptions};
use crate::protocol::DeviceId;

#[derive(Parser, Debug)]
#[command(
    name = "saytype",
    version,
    about = "Say it on your phone, it is typed on your desktop."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Tray app: start in the tray without opening the window (as at login).
    #[arg(long)]
    hidden: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
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
    /// The tray app's window (started by the tray app itself).
    #[command(hide = true)]
    Window,
}

#[derive(Args, Debug)]
struct DiscoverArgs {
    /// How long to listen, in milliseconds.
    #[arg(long, default_value_t = 3_000)]
    timeout_ms: u64,
    /// Print relays as they appear and disappear, until the timeout (extension).
    #[arg(long)]
    watch: bool,
}

#[derive(Args, Debug)]
struct PairArgs {
    /// Make a new token first: the old one stops working at once (phones and agents
    /// paired with it must pair again).
    #[arg(long)]
    rotate: bool,
    /// Data directory. Default: SAYTYPE_DATA_DIR or the platform's.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address to put in the link. Default: this machine's first LAN address.
    #[arg(long)]
    host: Option<IpAddr>,
}

/// How a dictated newline is typed.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
enum NewlineArg {
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
struct ServeArgs {
    /// TCP port (0 = any free port). Default: the settings' port, else 7373.
    #[arg(long)]
    port: Option<u16>,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::UNSPECIFIED))]
    bind: IpAddr,
    /// Data directory (token, database). Default: SAYTYPE_DATA_DIR or the platform's.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Relay only: no local agent.
    #[arg(long)]
    no_agent: bool,
    /// Do not advertise over mDNS.
    #[arg(long)]
    no_mdns: bool,
    /// Injection mode of the local agent. Default: the settings', else auto.
    #[arg(long, value_enum)]
    inject: Option<InjectMode>,
    /// How the local agent types a newline (extension). Default: the settings', else
    /// shift-return.
    #[arg(long, value_enum)]
    newline: Option<NewlineArg>,
    /// Heartbeat ping interval in milliseconds.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(10..))]
    heartbeat_ms: u64,
    /// How long a POST waits for the agent's ACK, in milliseconds.
    #[arg(long, default_value_t = 5_000)]
    ack_timeout_ms: u64,
    /// Device id of the local agent (and the default target). Default: the host name.
    #[arg(long)]
    device_id: Option<String>,
    /// Most messages queued per device (extension).
    #[arg(long, default_value_t = config::DEFAULT_QUEUE_CAP as u64, value_parser = clap::value_parser!(u64).range(1..))]
    queue_cap: u64,
}

#[derive(Args, Debug)]
struct AgentArgs {
    /// The relay's WebSocket URL, e.g. ws://192.168.1.20:7373/ws. Default: found
    /// over mDNS.
    #[arg(long)]
    relay: Option<String>,
    /// With several relays on the network: the device id of the one to use.
    #[arg(long)]
    relay_id: Option<String>,
    /// Device id to register as. Default: the host name.
    #[arg(long)]
    device_id: Option<String>,
    #[arg(long, value_enum, default_value_t = InjectMode::Auto)]
    inject: InjectMode,
    /// How a newline is typed (extension).
    #[arg(long, value_enum, default_value_t = NewlineArg::ShiftReturn)]
    newline: NewlineArg,
    /// Pairing token (extension). Default: SAYTYPE_TOKEN, else the data directory's.
    #[arg(long, env = "SAYTYPE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Data directory (remembered message ids). Default: SAYTYPE_DATA_DIR or the platform's.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct SendArgs {
    /// The text to send.
    text: String,
    /// The relay's base URL.
    #[arg(long, default_value_t = format!("http://127.0.0.1:{DEFAULT_PORT}"))]
    relay: String,
    /// Target device id (default: the relay's own).
    #[arg(long)]
    device: Option<String>,
    /// Idempotency key (extension): sending again with the same id delivers once.
    #[arg(long)]
    id: Option<String>,
    /// Pairing token (extension). Default: SAYTYPE_TOKEN, else the local data directory's.
    #[arg(long, env = "SAYTYPE_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        None => run_app(cli.hidden),
        Some(Command::Window) => run_window(),
        Some(command) => match runtime() {
            Ok(rt) => rt.block_on(run_command(command)),
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("saytype: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    // enigo warns about harmless keymap details at every start; keep its errors only.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,enigo=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = std::env::var("SAYTYPE_WORKER_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder.worker_threads(n);
    }
    builder
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(feature = "gui")]
fn run_app(hidden: bool) -> anyhow::Result<ExitCode> {
    crate::app::run(hidden)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(feature = "gui")]
fn run_window() -> anyhow::Result<ExitCode> {
    crate::app::run_window()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
fn run_window() -> anyhow::Result<ExitCode> {
    bail!("this build has no GUI (built without the `gui` feature)")
}

#[cfg(not(feature = "gui"))]
fn run_app(_hidden: bool) -> anyhow::Result<ExitCode> {
    bail!("this build has no GUI (built without the `gui` feature); run `saytype serve`")
}

async fn run_command(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Send(args) => send(args).await,
        Command::Agent(args) => agent(args).await,
        Command::Discover(args) => discover(args).await,
        Command::Pair(args) => pair(args).await,
        Command::Window => run_window(),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    raise_fd_limit();
    let data_dir = args.data_dir.unwrap_or_else(config::default_data_dir);
    let settings = crate::settings::Settings::load(&data_dir);
    let mut opts = DaemonOptions::from_settings(data_dir, &settings);
    opts.bind = args.bind;
    if let Some(port) = args.port {
        opts.port = port;
    }
    opts.mdns = !args.no_mdns;
    opts.agent = !args.no_agent;
    if let Some(mode) = args.inject {
        opts.inject.mode = mode;
    }
    if let Some(newline) = args.newline {
        opts.inject.newline = newline.into();
    }
    opts.heartbeat = Duration::from_millis(args.heartbeat_ms);
    opts.ack_timeout = Duration::from_millis(args.ack_timeout_ms);
    opts.queue_cap = usize::try_from(args.queue_cap).unwrap_or(usize::MAX);
    if let Some(raw) = &args.device_id {
        opts.device_id = Some(
            DeviceId::parse(raw)
                .with_context(|| format!("--device-id {raw:?} is not a valid device id"))?,
        );
    }
    let shutdown = CancellationToken::new();
    let daemon = Daemon::start(opts, shutdown.clone()).await?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening on http://{}", daemon.local_addr())?;
        stdout.flush()?;
    }
    tokio::spawn(cancel_on_signal(shutdown));
    daemon.run().await?;
    tracing::info!("relay stopped");
    Ok(ExitCode::SUCCESS)
}

async fn agent(args: AgentArgs) -> anyhow::Result<ExitCode> {
    let data_dir = args.data_dir.unwrap_or_else(config::default_data_dir);
    let relay = match args.relay {
        Some(url) => url,
        None => find_relay(args.relay_id.as_deref()).await?,
    };
    let token = match args.token {
        Some(t) => t,
        None => config::existing_token(&data_dir)
            .context("no pairing token: pass --token or set SAYTYPE_TOKEN")?,
    };
    let device_id = match &args.device_id {
        Some(raw) => DeviceId::parse(raw)
            .with_context(|| format!("--device-id {raw:?} is not a valid device id"))?,
        None => config::local_device_id(),
    };
    config::ensure_data_dir(&data_dir)?;
    let shutdown = CancellationToken::new();
    let inject = InjectSettings {
        mode: args.inject,
        newline: args.newline.into(),
    };
    let agent = Agent::start(
        AgentOptions::new(relay, token, device_id),
        std::sync::Arc::new(std::sync::Mutex::new(inject)),
        Some(&data_dir),
        shutdown.clone(),
    )?;
    tokio::spawn(cancel_on_signal(shutdown));
    agent.wait().await?;
    Ok(ExitCode::SUCCESS)
}

/// SIGINT or SIGTERM starts a graceful shutdown.
async fn cancel_on_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}

/// Each agent connection is a file descriptor; the usual soft limit of 1,024 is far
/// below what a relay should hold, so raise it to the hard limit.
fn raise_fd_limit() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::debug!("cannot raise the open-file limit: {e}");
    }
}

async fn send(args: SendArgs) -> anyhow::Result<ExitCode> {
    let token = match args.token {
        Some(t) => t,
        None => config::existing_token(&config::default_data_dir()).context(
            "no pairing token: pass --token, set SAYTYPE_TOKEN, or run the relay on this machine first",
        )?,
    };
    let mut body = serde_json::json!({ "text": args.text });
    if let Some(device) = args.device {
        body["deviceId"] = device.into();
    }
    if let Some(id) = args.id {
        body["id"] = id.into();
    }
    let mut client = crate::client::HttpClient::connect(&args.relay).await?;
    let response = client
        .post_json("/transcription", Some(&token), &body)
        .await?;
    let text = String::from_utf8_lossy(&response.body);
    if response.status.is_success() {
        println!("{text}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("saytype: the relay answered {}: {text}", response.status);
        Ok(ExitCode::FAILURE)
    }
}

/// The relay an agent should use when no `--relay` was given: the only one on the
/// network, or the one named by `--relay-id`.
async fn find_relay(wanted: Option<&str>) -> anyhow::Result<String> {
    let wanted = wanted.map(|w| {
        DeviceId::parse(w)
            .map(|d| d.to_string())
            .unwrap_or(w.to_owned())
    });
    let want = wanted.clone();
    let found = tokio::task::spawn_blocking(move || {
        crate::discovery::browse(Duration::from_secs(5), |_, list| match &want {
            Some(id) => list.iter().any(|r| &r.device_id == id),
            None => false,
        })
    })
    .await??;
    let relay = match (&wanted, found.as_slice()) {
        (Some(id), list) => list
            .iter()
            .find(|r| &r.device_id == id)
            .with_context(|| format!("no relay with device id {id:?} found over mDNS"))?,
        (None, [one]) => one,
        (None, []) => {
            bail!("no SayType relay found over mDNS in 5 s; pass --relay ws://HOST:PORT/ws")
        }
        (None, many) => bail!(
            "several relays found ({}); choose one with --relay-id",
            many.iter()
                .map(|r| r.device_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let ip = relay
        .preferred_addresses()
        .into_iter()
        .next()
        .context("the relay advertised no address")?;
    let url = relay.ws_url(ip);
    tracing::info!(relay = %relay.device_id, %url, "found the relay over mDNS");
    Ok(url)
}

async fn discover(args: DiscoverArgs) -> anyhow::Result<ExitCode> {
    use crate::discovery::Change;
    let window = Duration::from_millis(args.timeout_ms);
    let watch = args.watch;
    let mut first_seen: std::collections::BTreeMap<String, Duration> = Default::default();
    let (found, first_seen) = tokio::task::spawn_blocking(move || {
        let found = crate::discovery::browse(window, |change, _| {
            match change {
                Change::Found(relay, after) => {
                    first_seen.entry(relay.instance.clone()).or_insert(*after);
                    if watch {
                        println!("found {} after {} ms", describe(relay), after.as_millis());
                    }
                }
                Change::Gone(instance, after) if watch => {
                    println!("gone {instance} after {} ms", after.as_millis());
                }
                Change::Gone(..) => {}
            }
            false
        });
        found.map(|f| (f, first_seen))
    })
    .await??;
    if watch {
        return Ok(ExitCode::SUCCESS);
    }
    if found.is_empty() {
        println!(
            "No SayType relay found on this network in {:.1} s.\n\
             Is the desktop app running, and on the same network? Some networks block \
             multicast (mDNS); pairing with the link or QR code from `saytype pair` works \
             regardless.",
            window.as_secs_f64()
        );
        return Ok(ExitCode::from(2));
    }
    println!("Found {} SayType relay(s):", found.len());
    for relay in &found {
        let after = first_seen.get(&relay.instance).map_or(0, |d| d.as_millis());
        println!("  {} (answered after {after} ms)", describe(relay));
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(relay: &crate::discovery::FoundRelay) -> String {
    let addresses: Vec<String> = relay
        .preferred_addresses()
        .iter()
        .map(ToString::to_string)
        .collect();
    format!(
        "{}  device {}  port {}  addresses {}",
        relay.instance,
        relay.device_id,
        relay.port,
        addresses.join(", ")
    )
}

async fn pair(args: PairArgs) -> anyhow::Result<ExitCode> {
    let data_dir = args.data_dir.unwrap_or_else(config::default_data_dir);
    // A relay that crashed leaves its file behind: only trust a live process.
    let running = crate::pairing::read_relay_info(&data_dir)
        .filter(|info| std::path::Path::new(&format!("/proc/{}", info.pid)).exists());
    let port = running.as_ref().map_or(DEFAULT_PORT, |r| r.port);
    let mut token = config::load_or_create_token(&data_dir)?;
    if args.rotate {
        token = rotate(&data_dir, port, &token, running.is_some()).await?;
    }
    let host = match args.host {
        Some(h) => h,
        None => {
            match crate::discovery::lan_addresses().first() {
                Some(ip) => *ip,
                None => {
                    eprintln!("saytype: no LAN address found; the link uses 127.0.0.1 (this machine only)");
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                }
            }
        }
    };
    let link = crate::pairing::link(host, port, &token);
    if running.is_none() {
        eprintln!(
            "saytype: no relay is running on {}; start it (saytype serve) before scanning",
            data_dir.display()
        );
    }
    if let Some(qr) = crate::pairing::qr_terminal(&link) {
        println!("{qr}");
    }
    println!("Scan the code with your phone, or open this link on it:\n{link}");
    Ok(ExitCode::SUCCESS)
}

/// A new token: through the running relay (so it takes effect at once and closes
/// old connections), or in the data directory when no relay runs.
async fn rotate(
    data_dir: &std::path::Path,
    port: u16,
    token: &str,
    running: bool,
) -> anyhow::Result<String> {
    if std::env::var_os("SAYTYPE_TOKEN").is_some() {
        eprintln!(
            "saytype: SAYTYPE_TOKEN is set; it will override the rotated token at the next start"
        );
    }
    if running {
        let mut client =
            crate::client::HttpClient::connect(&format!("http://127.0.0.1:{port}")).await?;
        let response = client
            .request(hyper::Method::POST, "/token/rotate", Some(token), None)
            .await?;
        anyhow::ensure!(
            response.status.is_success(),
            "the relay refused to rotate the token: {}",
            String::from_utf8_lossy(&response.body)
        );
        let new = response.json()?["token"].as_str().map(str::to_owned);
        return new.context("the relay did not return the new token");
    }
    let new = config::new_token()?;
    config::store_token(data_dir, &new)?;
    Ok(new)
}
