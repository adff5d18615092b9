//! `saytype doctor [--json]`: the checklist of [`crate::doctor`], printed; exit
//! status 1 when something failed, so scripts can use it.

use std::process::ExitCode;
use std::time::Duration;

use super::args::DoctorArgs;
use super::env::Env;
use crate::doctor::{self, DoctorOptions};

pub(super) async fn doctor(args: DoctorArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let opts = DoctorOptions {
        data_dir: env.data_dir(args.data_dir),
        mdns_window: Duration::from_millis(args.mdns_timeout_ms),
    };
    let report = doctor::run(&opts).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", doctor::render(&report));
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
