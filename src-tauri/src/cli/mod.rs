//! The command line of PROTOCOL.md §6: `saytype [serve|agent|send|discover|pair]`.
//! One file per command; this one parses, reads the environment once ([`env`]) and
//! dispatches. Errors end here: each is printed once, as `saytype: …`.

mod agent;
mod app;
mod args;
mod discover;
mod docs;
mod doctor;
mod env;
mod pair;
mod send;
mod serve;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use crate::protocol::DeviceId;
use args::{Cli, Command};
use env::Env;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::read();
    init_logging();
    let result = match cli.command {
        None => app::run_app(cli.hidden, &env),
        Some(Command::GenerateDocs { out }) => docs::generate(&out),
        Some(command) => match runtime(&env) {
            Ok(rt) => rt.block_on(run_command(command, env)),
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

/// Log to stderr (`RUST_LOG` filters); `saytype-window` logs the same way.
pub fn init_logging() {
    // enigo warns about harmless keymap details at every start; keep its errors only.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,enigo=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour_logs())
        .try_init();
}

/// Colour only for a person at a terminal: a log that goes to a file, a pipe or the
/// journal stays plain text (escape codes there are noise to grep), and `NO_COLOR`
/// (no-color.org) turns it off everywhere.
fn colour_logs() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn runtime(env: &Env) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(
            env.worker_threads
                .filter(|&n| n > 0)
                .unwrap_or(crate::config::RELAY_WORKER_THREADS),
        )
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn run_command(command: Command, env: Env) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve::serve(args, &env).await,
        Command::Send(args) => send::send(args, &env).await,
        Command::Agent(args) => agent::agent(args, &env).await,
        Command::Discover(args) => discover::discover(args).await,
        Command::Pair(args) => pair::pair(args, &env).await,
        Command::Doctor(args) => doctor::doctor(args, &env).await,
        Command::GenerateDocs { out } => docs::generate(&out),
    }
}

/// A `--device-id` flag's value, or why it is not one.
fn device_id_flag(raw: &str) -> anyhow::Result<DeviceId> {
    DeviceId::parse(raw).with_context(|| format!("--device-id {raw:?} is not a valid device id"))
}
