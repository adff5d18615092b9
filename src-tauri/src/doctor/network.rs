//! The checks about the network: the relay, the addresses a phone could use, mDNS,
//! the firewall.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};

use super::firewall::{self, Proto};
use super::{fail, pass};
use crate::netaddr::{self, Kind};
use crate::protocol::doctor::DoctorCheck;

/// The relay check, with what the later checks need.
pub(super) struct RelayFound {
    pub check: DoctorCheck,
    /// The relay's port, or the configured one when it is not running.
    pub port: u16,
    /// Where it listens, when it runs.
    pub bind: Option<IpAddr>,
}

pub(super) async fn relay(data_dir: &Path) -> RelayFound {
    let configured = crate::settings::Settings::load(data_dir).port;
    let running = crate::pairing::read_relay_info(data_dir)
        .filter(|info| Path::new(&format!("/proc/{}", info.pid)).exists());
    let Some(info) = running else {
        return RelayFound {
            check: fail(
                "relay",
                format!(
                    "SayType is not running (no relay for {})",
                    data_dir.display()
                ),
                Some("start it: `saytype` (the tray app) or `saytype serve`".into()),
            ),
            port: configured,
            bind: None,
        };
    };
    let url = format!("http://127.0.0.1:{}", info.port);
    let health = tokio::time::timeout(Duration::from_secs(3), async {
        let mut c = crate::client::HttpClient::connect(&url).await.ok()?;
        c.get("/health", None).await.ok()
    })
    .await
    .ok()
    .flatten();
    let check = match (health, info.bind) {
        (Some(r), _) if r.status != 200 => fail(
            "relay",
            format!("the relay on port {} answers /health with {}", info.port, r.status),
            Some("restart SayType".into()),
        ),
        (None, _) => fail(
            "relay",
            format!("a relay (pid {}) runs but does not answer on {url}", info.pid),
            Some("restart SayType".into()),
        ),
        (Some(_), Some(bind)) if bind.is_loopback() => fail(
            "relay",
            format!("running on port {}, but on loopback only ({bind}): phones cannot reach it", info.port),
            Some("start it with `saytype serve --bind 0.0.0.0` (the tray app listens on the network)".into()),
        ),
        (Some(_), bind) => pass(
            "relay",
            format!(
                "running on port {}, listening on the network ({})",
                info.port,
                bind.map_or_else(|| "all addresses".into(), |b| b.to_string())
            ),
        ),
    };
    RelayFound {
        check,
        port: info.port,
        bind: info.bind,
    }
}

/// The addresses a phone could use, and which one the QR code carries and why.
pub(super) fn addresses(bind: Option<IpAddr>) -> DoctorCheck {
    let list = netaddr::candidates();
    let Some(best) = list.first() else {
        return fail(
            "addresses",
            "no network address a phone could use (only loopback)",
            Some("connect this machine to the Wi-Fi or Ethernet your phone uses".into()),
        );
    };
    if bind.is_some_and(|b| b.is_loopback()) {
        return fail(
            "addresses",
            format!(
                "the relay listens on loopback only, so no QR code is shown (this machine has {})",
                best.ip
            ),
            Some("start it with `saytype serve --bind 0.0.0.0`".into()),
        );
    }
    let others: Vec<String> = list[1..]
        .iter()
        .map(|c| format!("{} ({})", c.ip, c.reason()))
        .collect();
    let others = if others.is_empty() {
        String::new()
    } else {
        format!("; if the phone cannot open it, try {}", others.join(", "))
    };
    let summary = format!(
        "the QR code carries {} because {}{others}",
        best.ip,
        best.reason()
    );
    match best.kind {
        Kind::Virtual(_) => fail(
            "addresses",
            summary,
            Some("connect this machine to the Wi-Fi or Ethernet your phone uses".into()),
        ),
        _ => pass("addresses", summary),
    }
}

/// A service type of its own, so that no agent takes the probe for a relay.
const PROBE_TYPE: &str = "_saytype-probe._tcp.local.";

/// Announce a probe over mDNS and wait to see it come back: multicast works on at
/// least one interface when it does.
pub(super) fn mdns(window: Duration, port: u16) -> DoctorCheck {
    let interfaces: Vec<String> = netaddr::candidates()
        .into_iter()
        .map(|c| c.interface)
        .collect();
    match probe(window, port) {
        Ok(Some(after)) => pass(
            "mdns",
            format!(
                "multicast works: our own announcement came back in {} ms (announcing on {})",
                after.as_millis(),
                if interfaces.is_empty() { "no LAN interface".into() } else { interfaces.join(", ") }
            ),
        ),
        Ok(None) => {
            let mut checked = Vec::new();
            let rule = firewall::check(Proto::Udp, 5353, &["input", "output"], &mut checked);
            let (why, fix) = match rule {
                Some(b) => (format!(": {}", b.what), b.fix),
                None => (
                    String::new(),
                    "allow UDP port 5353 (mDNS) in the firewall; on networks that filter multicast \
                     (guest Wi-Fi, some offices) pair by scanning the QR code and start agents \
                     with --relay"
                        .into(),
                ),
            };
            fail(
                "mdns",
                format!(
                    "our own mDNS announcement did not come back within {} s, so multicast is \
                     blocked here{why}; agents cannot find this relay by themselves",
                    window.as_secs_f32()
                ),
                Some(fix),
            )
        }
        Err(e) => fail(
            "mdns",
            format!("mDNS cannot start: {e}"),
            Some("check that UDP port 5353 is free to share (another mDNS stack may hold it exclusively)".into()),
        ),
    }
}

fn probe(window: Duration, port: u16) -> Result<Option<Duration>, mdns_sd::Error> {
    let instance = format!("doctor-{}", std::process::id());
    let announcer = ServiceDaemon::new()?;
    let host = format!("saytype-{instance}.local.");
    let info = ServiceInfo::new(PROBE_TYPE, &instance, &host, "", port, &[("v", "1")][..])?
        .enable_addr_auto();
    let fullname = info.get_fullname().to_owned();
    announcer.register(info)?;
    let listener = ServiceDaemon::new()?;
    let events = listener.browse(PROBE_TYPE)?;
    let started = Instant::now();
    let deadline = started + window;
    let mut seen = None;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match events.recv_timeout(left) {
            Ok(ServiceEvent::ServiceResolved(s)) if s.fullname == fullname => {
                seen = Some(started.elapsed());
                break;
            }
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    for daemon in [listener, announcer] {
        let _ = daemon.unregister(&fullname);
        if let Ok(done) = daemon.shutdown() {
            let _ = done.recv_timeout(Duration::from_millis(500));
        }
    }
    Ok(seen)
}

/// A firewall rule that drops the relay's port, from the rules, and from a real
/// connection to the address the QR code carries.
pub(super) fn firewall(port: u16) -> DoctorCheck {
    let mut checked = Vec::new();
    if let Some(b) = firewall::check(Proto::Tcp, port, &["input"], &mut checked) {
        return fail(
            "firewall",
            format!("{}: phones cannot connect", b.what),
            Some(b.fix),
        );
    }
    // Rules not readable (nft needs root) or none found: try the port itself. A
    // connection to our own LAN address goes through the input hook too.
    if let Some(best) = netaddr::candidates().first() {
        let addr = SocketAddr::new(best.ip, port);
        if let Err(e) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            if e.kind() == std::io::ErrorKind::TimedOut {
                return fail(
                    "firewall",
                    format!("connections to {addr} time out: a firewall drops them"),
                    Some(format!("allow TCP port {port} in the firewall (for ufw: sudo ufw allow {port}/tcp)")),
                );
            }
        }
    }
    if checked.is_empty() {
        pass(
            "firewall",
            format!("no connection to port {port} was dropped (the rules could not be read: run `sudo saytype doctor` to check them too)"),
        )
    } else {
        pass(
            "firewall",
            format!(
                "no rule drops TCP port {port} (checked {})",
                checked.join(", ")
            ),
        )
    }
}
