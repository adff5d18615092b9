//! `saytype doctor`: a checklist of what SayType needs from this desktop and this
//! network, each line passed or failed with the reason and the fix. The same report
//! serves `--json` and the window's Diagnostics section ([`DoctorReport`]).
//!
//! Every check is tried for real but changes nothing the user would notice: the
//! injection route is connected but types nothing, the clipboard probe uses a
//! selection nobody pastes from, the mDNS probe uses its own service type so no
//! agent mistakes it for a relay.
//!
//! - [`local`]: the display session, the injection route, the clipboard, the tray
//!   host, autostart, the data directory.
//! - [`network`]: the relay, the addresses a phone could use, mDNS, the firewall.
//! - [`firewall`]: nftables / ufw rules that would drop a port (pure parsing).

pub mod firewall;
mod local;
mod network;

use std::path::PathBuf;
use std::time::Duration;

use crate::protocol::doctor::{DoctorCheck, DoctorReport};

/// What the checks look at.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    pub data_dir: PathBuf,
    /// How long the mDNS probe waits to see its own announcement (about 1 s on a
    /// quiet LAN; 3 s leaves room for a busy one).
    pub mdns_window: Duration,
}

/// Run every check. Blocking parts (the display, the clipboard, mDNS) run on the
/// blocking pool.
pub async fn run(opts: &DoctorOptions) -> DoctorReport {
    let local_checks = tokio::task::spawn_blocking(local::blocking_checks);
    let relay = network::relay(&opts.data_dir).await;
    let mut checks = match local_checks.await {
        Ok(list) => list,
        Err(e) => vec![fail(
            "session",
            format!("the local checks crashed: {e}"),
            None,
        )],
    };
    checks.push(local::tray().await);
    checks.push(local::autostart());
    checks.push(local::data_dir(&opts.data_dir));
    let port = relay.port;
    checks.push(relay.check);
    checks.push(network::addresses(relay.bind));
    let window = opts.mdns_window;
    let mdns = tokio::task::spawn_blocking(move || network::mdns(window, port))
        .await
        .unwrap_or_else(|e| fail("mdns", format!("the mDNS check crashed: {e}"), None));
    checks.push(mdns);
    checks.push(
        tokio::task::spawn_blocking(move || network::firewall(port))
            .await
            .unwrap_or_else(|e| fail("firewall", format!("the firewall check crashed: {e}"), None)),
    );
    DoctorReport {
        ok: checks.iter().all(|c| c.ok),
        checks,
    }
}

/// The report as a person reads it: one line per check, the fix indented below.
pub fn render(report: &DoctorReport) -> String {
    let mut out = String::new();
    for c in &report.checks {
        let mark = if c.ok { '✓' } else { '✗' };
        out.push_str(&format!(
            "{mark} {}: {}\n",
            c.id.replace('_', " "),
            c.summary
        ));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("    fix: {fix}\n"));
        }
    }
    let failed = report.checks.iter().filter(|c| !c.ok).count();
    if failed == 0 {
        out.push_str("\nEverything SayType needs is in place.\n");
    } else {
        out.push_str(&format!(
            "\n{failed} problem(s) found; the fix is under each.\n"
        ));
    }
    out
}

fn pass(id: &str, summary: impl Into<String>) -> DoctorCheck {
    DoctorCheck {
        id: id.into(),
        ok: true,
        summary: summary.into(),
        fix: None,
    }
}

fn fail(id: &str, summary: impl Into<String>, fix: Option<String>) -> DoctorCheck {
    DoctorCheck {
        id: id.into(),
        ok: false,
        summary: summary.into(),
        fix,
    }
}
