//! The in-process desktop parts (`Daemon`) as the tests start them: record-only
//! local agent `desk`, no mDNS, any free port, the tests' token.

use std::path::Path;

use saytype::agent::inject::{InjectMode, InjectSettings, NewlineKey};
use saytype::daemon::DaemonOptions;
use saytype::protocol::DeviceId;
use saytype::settings::Settings;

use super::TOKEN;

/// Options for a daemon on `data_dir` listening on `bind`.
pub fn record_only_options(data_dir: &Path, bind: &str) -> DaemonOptions {
    let mut opts = DaemonOptions::from_settings(data_dir.to_path_buf(), &Settings::default());
    opts.token = Some(TOKEN.into());
    opts.bind = bind.parse().expect("ip");
    opts.port = 0;
    opts.mdns = false;
    opts.device_id = Some(DeviceId::parse("desk").expect("id"));
    opts.inject = InjectSettings {
        mode: InjectMode::None,
        newline: NewlineKey::ShiftReturn,
    };
    opts
}
