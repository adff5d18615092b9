//! `saytype discover`: the relays that answer over mDNS within a time window, or
//! (`--watch`) each one as it appears and disappears.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use super::args::DiscoverArgs;
use crate::discovery::{Change, FoundRelay};

pub(super) async fn discover(args: DiscoverArgs) -> anyhow::Result<ExitCode> {
    let window = Duration::from_millis(args.timeout_ms);
    let watch = args.watch;
    let mut first_seen: BTreeMap<String, Duration> = BTreeMap::new();
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

fn describe(relay: &FoundRelay) -> String {
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
