//! `saytype send`: one transcription to a relay, for scripts. The relay's answer goes
//! to stdout as it came (or to stderr, with a failing exit code, when refused).

use std::process::ExitCode;

use anyhow::Context;

use super::args::SendArgs;
use super::env::Env;
use crate::client::HttpClient;

pub(super) async fn send(args: SendArgs, env: &Env) -> anyhow::Result<ExitCode> {
    // `--token` already holds SAYTYPE_TOKEN when it is set (clap reads it).
    let token = match args.token {
        Some(t) => t,
        None => crate::config::stored_token(&env.data_dir(None)).context(
            "no pairing token: pass --token, set SAYTYPE_TOKEN, or run the relay on this machine first",
        )?,
    };
    let body = crate::protocol::TranscriptionBody {
        text: args.text,
        device_id: args.device,
        id: args.id,
        timestamp: None,
    };
    let mut client = HttpClient::connect(&args.relay).await?;
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
