//! `saytype serve`: the relay and the local agent without any GUI, until SIGINT or
//! SIGTERM.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::args::ServeArgs;
use super::env::Env;
use crate::daemon::{Daemon, DaemonOptions};
use crate::settings::Settings;

pub(super) async fn serve(args: ServeArgs, env: &Env) -> anyhow::Result<ExitCode> {
    raise_fd_limit();
    let data_dir = env.data_dir(args.data_dir);
    let settings = Settings::load(&data_dir);
    let mut opts = DaemonOptions::from_settings(data_dir, &settings);
    opts.token = env.token.clone();
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
    if let Some(ms) = args.join_within_ms {
        opts.flow.join_within = Duration::from_millis(ms);
    }
    opts.ack_timeout = Duration::from_millis(args.ack_timeout_ms);
    opts.allow_bearer_from_network = args.allow_bearer_from_network;
    opts.queue_cap = usize::try_from(args.queue_cap).unwrap_or(usize::MAX);
    if let Some(raw) = &args.device_id {
        opts.device_id = Some(super::device_id_flag(raw)?);
    }
    let shutdown = CancellationToken::new();
    let daemon = Daemon::start(opts, shutdown.clone()).await?;
    {
        // Scripts and tests wait for the first line: flush it at once, with the hint
        // in the same write, so that a reader that stops after one line never makes a
        // later write fail.
        let addr = daemon.local_addr();
        let text = format!("listening on http://{addr}\n{}\n", pairing_hint(addr.ip()));
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
    }
    tokio::spawn(crate::shutdown::cancel_on_signal(shutdown));
    daemon.run().await?;
    tracing::info!("relay stopped");
    Ok(ExitCode::SUCCESS)
}

/// What a new user does next, after the `listening on` line.
fn pairing_hint(bound: std::net::IpAddr) -> &'static str {
    if bound.is_loopback() {
        "phones cannot reach a relay on loopback: to pair one, start it with --bind 0.0.0.0"
    } else {
        "to pair a phone: run `saytype pair` and scan the code, or open the SayType window"
    }
}

/// Each agent connection is a file descriptor; the usual soft limit of 1,024 is far
/// below what a relay should hold, so raise it to the hard limit.
fn raise_fd_limit() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::debug!("cannot raise the open-file limit: {e}");
    }
}
