//! Time shorthands shared by every part of the soak: milliseconds, an async
//! sleep, and the wall clock that log lines carry (to line them up with the
//! processes' own logs).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(crate) async fn sleep(d: Duration) {
    tokio::time::sleep(d).await;
}

pub(crate) fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}
