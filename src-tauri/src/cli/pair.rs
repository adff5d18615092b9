//! `saytype pair`: the pairing link and its QR code in the terminal, optionally after
//! rotating the token.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::args::PairArgs;
use super::env::Env;
use crate::client::HttpClient;
use crate::config::{self, DEFAULT_PORT};
use crate::pairing::{pairing_link, qr_terminal, read_relay_info};
use crate::protocol::sealed::PairingCode;

pub(super) async fn pair(args: PairArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let data_dir = env.data_dir(args.data_dir);
    // A relay that crashed leaves its file behind: only trust a live process.
    let running = read_relay_info(&data_dir)
        .filter(|info| Path::new(&format!("/proc/{}", info.pid)).exists());
    let port = running.as_ref().map_or(DEFAULT_PORT, |r| r.port);
    let mut token = config::load_or_create_token(&data_dir, env.token.clone())?;
    if args.rotate {
        token = rotate(&data_dir, port, &token, running.is_some(), env).await?;
    }
    // The link carries a one-time code that only the running relay can make (and
    // knows): no relay, no code.
    if running.is_none() {
        eprintln!(
            "saytype: SayType is not running on {}; start it (saytype, or saytype serve), then run saytype pair again",
            data_dir.display()
        );
        return Ok(ExitCode::FAILURE);
    }
    if let Some(bind) = running
        .as_ref()
        .and_then(|r| r.bind)
        .filter(|b| b.is_loopback())
    {
        eprintln!(
            "saytype: SayType listens on this computer only ({bind}), so a phone cannot reach it; \
             start it with saytype serve --bind 0.0.0.0 to pair one (no code made)"
        );
        return Ok(ExitCode::FAILURE);
    }
    let code = new_code(port, &token).await?;
    let pairing = pairing_link(port, &code.code, args.host);
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    if let Some(qr) = qr_terminal(&pairing.link, terminal) {
        println!("{qr}");
    }
    println!(
        "Scan the code with your phone, or open this link on it (valid {} minutes, for one phone):\n{}",
        crate::relay::phones::CODE_TTL_MS / 60_000,
        pairing.link
    );
    if args.host.is_none() && pairing.lan_addresses.is_empty() {
        eprintln!("saytype: no LAN address found; the link uses 127.0.0.1 (this machine only)");
    }
    let others: Vec<String> = crate::netaddr::candidates()
        .into_iter()
        .filter(|c| c.ip != pairing.host)
        .map(|c| format!("  {} ({})", c.ip, c.reason()))
        .collect();
    if args.host.is_none() && !others.is_empty() {
        println!(
            "Phone can't open it? Replace {} in the link with another address of this computer:\n{}",
            pairing.host,
            others.join("\n")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A one-time pairing code from the running relay (desktop token, loopback).
async fn new_code(port: u16, token: &str) -> anyhow::Result<PairingCode> {
    let mut client = HttpClient::connect(&format!("http://127.0.0.1:{port}")).await?;
    let response = client
        .request(hyper::Method::POST, "/pairing/code", Some(token), None)
        .await?;
    anyhow::ensure!(
        response.status.is_success(),
        "the relay made no pairing code: {}",
        String::from_utf8_lossy(&response.body)
    );
    serde_json::from_slice(&response.body).context("the relay's pairing code is unreadable")
}

/// A new token: through the running relay (so it takes effect at once and closes
/// old connections), or in the data directory when no relay runs.
async fn rotate(
    data_dir: &Path,
    port: u16,
    token: &str,
    running: bool,
    env: &Env,
) -> anyhow::Result<String> {
    if env.token_set {
        eprintln!(
            "saytype: SAYTYPE_TOKEN is set; it will override the rotated token at the next start"
        );
    }
    if running {
        let mut client = HttpClient::connect(&format!("http://127.0.0.1:{port}")).await?;
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
