//! The environment variables SayType honours, read once at start and passed down,
//! so that nothing deeper reads the process environment behind its caller's back.

use std::path::PathBuf;

/// `SAYTYPE_TOKEN`, `SAYTYPE_DATA_DIR` and `SAYTYPE_WORKER_THREADS`, as read at start.
/// (`--token` of `agent` and `send` also takes `SAYTYPE_TOKEN` through clap, so their
/// help shows it.)
#[derive(Debug, Clone, Default)]
pub(super) struct Env {
    /// `SAYTYPE_TOKEN`, when set and not empty: used instead of the stored token.
    pub(super) token: Option<String>,
    /// Whether `SAYTYPE_TOKEN` is set at all, even empty (`pair --rotate` warns).
    pub(super) token_set: bool,
    /// `SAYTYPE_DATA_DIR`, when set and not empty.
    pub(super) data_dir: Option<PathBuf>,
    /// `SAYTYPE_WORKER_THREADS`, when a number: the async runtime's thread count.
    pub(super) worker_threads: Option<usize>,
}

impl Env {
    pub(super) fn read() -> Env {
        Env {
            token: std::env::var("SAYTYPE_TOKEN")
                .ok()
                .filter(|t| !t.is_empty()),
            token_set: std::env::var_os("SAYTYPE_TOKEN").is_some(),
            data_dir: std::env::var_os("SAYTYPE_DATA_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            worker_threads: std::env::var("SAYTYPE_WORKER_THREADS")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }

    /// The data directory: `flag` (`--data-dir`), else `SAYTYPE_DATA_DIR`, else the
    /// platform's.
    pub(super) fn data_dir(&self, flag: Option<PathBuf>) -> PathBuf {
        flag.or_else(|| self.data_dir.clone())
            .unwrap_or_else(crate::config::platform_data_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_then_the_environment_then_the_platform() {
        let env = Env {
            data_dir: Some("/from/env".into()),
            ..Env::default()
        };
        assert_eq!(env.data_dir(Some("/flag".into())), PathBuf::from("/flag"));
        assert_eq!(env.data_dir(None), PathBuf::from("/from/env"));
        assert_eq!(
            Env::default().data_dir(None),
            crate::config::platform_data_dir()
        );
    }
}
