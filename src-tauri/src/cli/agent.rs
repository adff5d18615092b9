//! `saytype agent`: a desktop agent only, connected to a relay elsewhere, until
//! SIGINT or SIGTERM. Paired (`--pair LINK`, once): the sealed agent link, in which
//! the relay proves it holds this agent's key before anything is sent. Not paired:
//! only with an explicit `--relay` and the desktop token (this machine, or a trusted
//! network whose relay allows it); never a relay that merely answers over mDNS.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use tokio_util::sync::CancellationToken;

use super::args::AgentArgs;
use super::env::Env;
use crate::agent::flow::{CommandTable, FlowSettings};
use crate::agent::inject::InjectSettings;
use crate::agent::pairing;
use crate::agent::{Agent, AgentOptions};
use crate::config;
use crate::protocol::agent_link::AGENT_WS_PATH;

const NOT_PAIRED: &str = "this agent is not paired with a relay: pair it first with \
`saytype agent --pair LINK` (the link from the SayType window or `saytype pair` on that \
desktop). Or, on the relay's own machine or a trusted network, pass --relay ws://HOST:PORT/ws \
with the desktop token (--token).";

pub(super) async fn agent(args: AgentArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let flow = flow_settings(&args)?;
    let data_dir = env.data_dir(args.data_dir);
    let device_id = match &args.device_id {
        Some(raw) => super::device_id_flag(raw)?,
        None => config::local_device_id(),
    };
    if let Some(link) = &args.pair {
        let stored = pairing::pair(link, device_id.as_str())
            .await
            .context("pairing failed")?;
        pairing::save(&data_dir, &stored)?;
        println!(
            "paired with {} as {} (its key is kept in {}, readable by you only); \
             the window lists it with the paired phones, where Revoke unpairs it",
            stored.desktop,
            stored.agent_id,
            data_dir.display()
        );
    }
    let opts = match (pairing::load(&data_dir)?, args.relay) {
        (Some(stored), relay) => {
            let url = match relay {
                Some(url) => sealed_url(&checked_ws_url(url)?)?,
                None => stored.relay.clone(),
            };
            tracing::info!(relay = %url, desktop = %stored.desktop, "paired agent");
            let mut opts = AgentOptions::new(url, String::new(), device_id);
            opts.paired = stored.paired_key();
            opts.relay_alternates = stored.relays.clone();
            opts.pairing_dir = Some(data_dir.clone());
            opts
        }
        (None, Some(url)) => {
            // `--token` already holds SAYTYPE_TOKEN when it is set (clap reads it).
            let token = match args.token {
                Some(t) => t,
                None => config::stored_token(&data_dir)
                    .context("no desktop token: pass --token or set SAYTYPE_TOKEN")?,
            };
            AgentOptions::new(checked_ws_url(url)?, token, device_id)
        }
        (None, None) => bail!(NOT_PAIRED),
    };
    config::ensure_data_dir(&data_dir)?;
    let shutdown = CancellationToken::new();
    let inject = InjectSettings {
        mode: args.inject,
        newline: args.newline.into(),
    };
    let mut opts = opts;
    opts.flow = Arc::new(Mutex::new(flow));
    let agent = Agent::start(
        opts,
        Arc::new(Mutex::new(inject)),
        Some(&data_dir),
        shutdown.clone(),
    )?;
    tokio::spawn(crate::shutdown::cancel_on_signal(shutdown));
    agent.wait().await?;
    Ok(ExitCode::SUCCESS)
}

/// The joining space and voice commands, from the flags.
fn flow_settings(args: &AgentArgs) -> anyhow::Result<FlowSettings> {
    let mut flow = FlowSettings {
        join: !args.no_join,
        ..FlowSettings::default()
    };
    if let Some(language) = &args.voice_commands {
        flow.commands = Some(CommandTable::for_language(language).with_context(|| {
            format!(
                "there are no voice commands for the language {language:?} (there are: {})",
                CommandTable::languages().collect::<Vec<_>>().join(", ")
            )
        })?);
    }
    if let Some(ms) = args.join_within_ms {
        flow.join_within = std::time::Duration::from_millis(ms);
    }
    Ok(flow)
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

/// A paired agent given `--relay ws://HOST:PORT/…`: the sealed link at that host.
fn sealed_url(checked: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(checked)?;
    url.set_path(AGENT_WS_PATH);
    url.set_query(None);
    Ok(url.to_string())
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
        assert_eq!(
            sealed_url("ws://10.0.0.1:7373/ws?token=x").expect("url"),
            "ws://10.0.0.1:7373/agent/v1/ws"
        );
    }

    #[test]
    fn the_flow_from_the_flags() {
        use super::super::args::{Cli, Command};
        use clap::Parser;
        let flow = |flags: &[&str]| {
            let cli = Cli::try_parse_from(["saytype", "agent"].iter().chain(flags)).expect("flags");
            match cli.command {
                Some(Command::Agent(args)) => flow_settings(&args),
                other => panic!("{other:?}"),
            }
        };
        let plain = flow(&[]).expect("defaults");
        assert!(plain.join && plain.commands.is_none(), "{plain:?}");
        let set = flow(&["--no-join", "--voice-commands", "en"]).expect("flags");
        assert!(!set.join && set.commands.is_some(), "{set:?}");
        let err = flow(&["--voice-commands", "xx"]).expect_err("no such table");
        assert!(err.to_string().contains("(there are: en)"), "{err}");
    }
}
