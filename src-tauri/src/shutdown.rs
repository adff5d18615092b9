//! Stopping on SIGINT/SIGTERM, in one place: the signal only cancels a
//! [`CancellationToken`] that its owner passed in; everything else listens to that.

use tokio_util::sync::CancellationToken;

/// Resolves at the first SIGINT or SIGTERM (Ctrl+C where there are no such signals).
pub async fn signalled() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// SIGINT or SIGTERM starts a graceful shutdown: `shutdown` is cancelled and the
/// answer is `true`. If `shutdown` fires first (a Quit from a menu), the answer is
/// `false`, so the task never outlives its owner.
pub async fn cancel_on_signal(shutdown: CancellationToken) -> bool {
    tokio::select! {
        _ = signalled() => {}
        _ = shutdown.cancelled() => return false,
    }
    tracing::info!("shutting down");
    shutdown.cancel();
    true
}
