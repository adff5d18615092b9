//! `saytype agent`: a desktop agent only, connected to a relay elsewhere (given, or
//! found over mDNS), until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio_util::sync::CancellationToken;

use super::args::AgentArgs;
use super::env::Env;
use crate::agent::inject::InjectSettings;
use crate::agent::{Agent, AgentOptions};
use crate::config;
use crate::protocol::DeviceId;

pub(super) async fn agent(args: AgentArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let data_dir = env.data_dir(args.data_dir);
    let relay = match args.relay {
        Some(url) => checked_ws_url(url)?,
        None => find_relay(args.relay_id.as_deref()).await?,
    };
    // `--token` already holds SAYTYPE_TOKEN when it is set (clap reads it).
    let token = match args.token {
        Some(t) => t,
        None => config::stored_token(&data_dir)
            .context("no pairing token: pass --token or set SAYTYPE_TOKEN")?,
    };
    let device_id = match &args.device_id {
        Some(raw) => super::device_id_flag(raw)?,
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
        Arc::new(Mutex::new(inject)),
        Some(&data_dir),
        shutdown.clone(),
    )?;
    tokio::spawn(crate::shutdown::cancel_on_signal(shutdown));
    agent.wait().await?;
    Ok(ExitCode::SUCCESS)
}

/// `--relay` as given, once it is plainly a `ws://` URL with a host: a typo is
/// reported at once instead of being retried for ever.
fn checked_ws_url(raw: String) -> anyhow::Result<String> {
    let Some(rest) = raw.strip_prefix("ws://") else {
        bail!("the relay URL must start with ws:// (got {raw:?})");
    };
    // The URL standard repairs `ws:///ws` into `ws://ws/`: say what is missing instead.
    if rest.is_empty() || rest.starts_with('/') {
        bail!("the relay URL has no host: {raw:?}");
    }
    url::Url::parse(&raw).with_context(|| format!("the relay URL is not valid: {raw:?}"))?;
    Ok(raw)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_urls_must_be_ws_with_a_host() {
        let ok = "ws://192.168.1.20:7373/ws".to_owned();
        assert_eq!(checked_ws_url(ok.clone()).expect("valid"), ok);
        assert!(checked_ws_url("ws://[fd00::2]:1/ws".into()).is_ok());
        for bad in ["http://host:1/ws", "host:1/ws", "ws:///ws", "wss://host/ws"] {
            assert!(checked_ws_url(bad.into()).is_err(), "{bad}");
        }
    }
}
