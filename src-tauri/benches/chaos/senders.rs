//! The senders: concurrent clients that post messages through all the killing,
//! each retried with its own id until the relay answers 200, and the ledger of
//! what was sent and what became of each POST (what the final check goes by).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use saytype::client::HttpClient;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use crate::clock::{ms, sleep};
use crate::common::TOKEN;
use crate::journal::Journal;
use crate::rng::Rng;
use crate::texts::{make_text, message_id, LONG};

/// Concurrent senders.
const SENDERS: usize = 3;
/// A sender gives up on one message after this long (never expected).
const POST_GIVE_UP: Duration = Duration::from_secs(240);
/// One POST attempt may take this long (a POST waits up to 5 s for the ACK).
const POST_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) struct Msg {
    pub(crate) text: String,
    /// The first 200 answer's status (`delivered` / `queued`), if any.
    pub(crate) accepted: Option<String>,
    pub(crate) attempts: u32,
}

pub(crate) type Ledger = Arc<Mutex<BTreeMap<u64, Msg>>>;

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) unavailable: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) other_status: AtomicU64,
    pub(crate) given_up: AtomicU64,
}

/// The running senders of one scenario.
pub(crate) struct Senders {
    pub(crate) ledger: Ledger,
    pub(crate) counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Senders {
    /// [`SENDERS`] senders posting to `url`, numbering messages from `first_n`.
    pub(crate) fn start(url: &str, first_n: u64, seed: u64, journal: &Journal) -> Senders {
        let ledger: Ledger = Arc::default();
        let next_n = Arc::new(AtomicU64::new(first_n));
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let tasks = (0..SENDERS)
            .map(|k| {
                tokio::spawn(sender(
                    k,
                    url.to_owned(),
                    ledger.clone(),
                    next_n.clone(),
                    stop.clone(),
                    counters.clone(),
                    seed,
                    journal.clone(),
                ))
            })
            .collect();
        Senders {
            ledger,
            counters,
            stop,
            tasks,
        }
    }

    /// No new messages; wait until each sender's last one is accepted (or given up).
    pub(crate) async fn finish(&mut self) {
        self.stop.store(true, Ordering::Release);
        for s in self.tasks.drain(..) {
            let _ = s.await;
        }
    }
}

/// One POST attempt: `Ok(response)` or the connection failed.
async fn post_once(url: &str, body: &Value) -> Result<(u16, Value), String> {
    let mut c = HttpClient::connect(url).await.map_err(|e| e.to_string())?;
    let r = c
        .post_json("/transcription", Some(TOKEN), body)
        .await
        .map_err(|e| e.to_string())?;
    Ok((r.status.as_u16(), r.json().unwrap_or(Value::Null)))
}

/// Post messages one after the other until `stop`; each is retried with the same
/// id until the relay answers 200.
#[allow(clippy::too_many_arguments)]
async fn sender(
    k: usize,
    url: String,
    ledger: Ledger,
    next_n: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
    seed: u64,
    journal: Journal,
) {
    let mut rng = Rng::new(seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    while !stop.load(Ordering::Acquire) {
        let n = next_n.fetch_add(1, Ordering::AcqRel);
        let len = if rng.chance(30) {
            rng.range(LONG as u64, 1_000)
        } else {
            rng.range(10, 120)
        } as usize;
        let text = make_text(n, len, &mut rng);
        let body = json!({"text": text, "id": message_id(n)});
        ledger.lock().expect("ledger").insert(
            n,
            Msg {
                text,
                accepted: None,
                attempts: 0,
            },
        );
        let started = Instant::now();
        loop {
            if let Some(m) = ledger.lock().expect("ledger").get_mut(&n) {
                m.attempts += 1;
            }
            match tokio::time::timeout(POST_TIMEOUT, post_once(&url, &body)).await {
                Ok(Ok((200, v))) => {
                    let status = v["status"].as_str().unwrap_or("?").to_owned();
                    if let Some(m) = ledger.lock().expect("ledger").get_mut(&n) {
                        m.accepted = Some(status);
                    }
                    counters.accepted.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(Ok((503, _))) => {
                    counters.unavailable.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Ok((code, v))) => {
                    counters.other_status.fetch_add(1, Ordering::Relaxed);
                    journal.note(
                        true,
                        &format!("sender {k}: {} answered {code} {v}", message_id(n)),
                    );
                }
                Ok(Err(_)) => {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    counters.timeouts.fetch_add(1, Ordering::Relaxed);
                    journal.note(
                        false,
                        &format!("sender {k}: {} POST timed out", message_id(n)),
                    );
                }
            }
            if started.elapsed() > POST_GIVE_UP {
                counters.given_up.fetch_add(1, Ordering::Relaxed);
                journal.note(true, &format!("sender {k}: gave up on {}", message_id(n)));
                break;
            }
            sleep(ms(rng.range(100, 300))).await;
        }
        sleep(ms(rng.range(400, 2_400))).await;
    }
}
