//! `saytype` without a command (the tray app), or an explanation when this build
//! has no GUI.

use std::process::ExitCode;

use super::env::Env;

#[cfg(feature = "gui")]
pub(super) fn run_app(hidden: bool, env: &Env) -> anyhow::Result<ExitCode> {
    crate::app::run(hidden, env.data_dir(None), env.token.clone())?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "gui"))]
pub(super) fn run_app(_hidden: bool, _env: &Env) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this build has no GUI (built without the `gui` feature); run `saytype serve`")
}
