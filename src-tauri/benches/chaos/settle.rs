//! Settling after the chaos: every accepted id must reach a final status
//! (`injected` or `failed`) at the relay, and the window must go quiet, before
//! anything is checked.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::clock::{ms, sleep};
use crate::common::desktop::Target;
use crate::common::{RelayClient, TOKEN};
use crate::journal::Journal;
use crate::senders::Ledger;
use crate::texts::message_id;

/// The accepted messages, and the relay's last word on each: polled until all are
/// final, or for 240 s plus 50 ms per 1,000 bytes sent.
pub(crate) async fn final_statuses(
    url: &str,
    ledger: &Ledger,
    journal: &Journal,
) -> (Vec<u64>, HashMap<u64, Value>) {
    let accepted: Vec<u64> = ledger
        .lock()
        .expect("ledger")
        .iter()
        .filter(|(_, m)| m.accepted.is_some())
        .map(|(n, _)| *n)
        .collect();
    let backlog_chars: usize = ledger
        .lock()
        .expect("ledger")
        .values()
        .map(|m| m.text.len())
        .sum();
    journal.note(
        true,
        &format!(
            "{} accepted; settling (waiting for every id to be final)",
            accepted.len()
        ),
    );
    let client = RelayClient::new(url, TOKEN);
    let settle_deadline = Instant::now() + Duration::from_secs(240) + ms(backlog_chars as u64 / 20);
    let mut statuses: HashMap<u64, Value> = HashMap::new();
    loop {
        let mut open = 0;
        for &n in &accepted {
            if statuses
                .get(&n)
                .is_some_and(|s| s["status"] == "injected" || s["status"] == "failed")
            {
                continue;
            }
            let r = client
                .get(&format!("/transcription/{}", message_id(n)))
                .await;
            let v = r.json().unwrap_or(Value::Null);
            let v = if r.status == 200 {
                v
            } else {
                json!({"status": format!("HTTP {}", r.status), "body": v})
            };
            if v["status"] != "injected" && v["status"] != "failed" {
                open += 1;
            }
            statuses.insert(n, v);
        }
        if open == 0 || Instant::now() > settle_deadline {
            break;
        }
        sleep(ms(1_000)).await;
    }
    (accepted, statuses)
}

/// Wait until the window's file has not changed for 3 s (60 s at most).
pub(crate) async fn window_quiet(target: &Target) {
    let mut last = String::new();
    let mut quiet = Instant::now();
    let quiet_deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let now = target.text();
        if now != last {
            last = now;
            quiet = Instant::now();
        } else if quiet.elapsed() > Duration::from_secs(3) || Instant::now() > quiet_deadline {
            break;
        }
        sleep(ms(100)).await;
    }
}
