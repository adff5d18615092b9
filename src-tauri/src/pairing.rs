//! Pairing a phone: the link `http://<LAN address>:<port>/#pair=<code>` and its QR
//! code. The one-time pairing code (docs/sealed-link.md) travels in the URL
//! *fragment*, which browsers never send to a server, so it appears in no request
//! line and no log on the way; the phone turns it into a key of its own.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use qrcode::render::{svg, unicode};
use qrcode::QrCode;
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// A pairing link, with the address chosen for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairingLink {
    /// `http://<host>:<port>/#pair=<code>`.
    pub link: String,
    /// The address in the link.
    pub host: IpAddr,
    /// This machine's LAN addresses: what the host was chosen from, and what the
    /// desktop window offers instead.
    pub lan_addresses: Vec<IpAddr>,
}

/// The link a phone opens to pair with the relay on `port`: for `host` when given,
/// else this machine's first LAN address, else 127.0.0.1 (which pairs this machine
/// only; `lan_addresses` is then empty). The one place that chooses the address,
/// for `saytype pair`, the tray's "Copy pairing link" and the window's pairing view.
pub fn pairing_link(port: u16, code: &str, host: Option<IpAddr>) -> PairingLink {
    let lan_addresses = crate::discovery::lan_addresses();
    let host = host
        .or_else(|| lan_addresses.first().copied())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    PairingLink {
        link: link(host, port, code),
        host,
        lan_addresses,
    }
}

/// The link for a given address (see [`pairing_link`] to choose one).
pub fn link(host: IpAddr, port: u16, code: &str) -> String {
    match host {
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}/#pair={code}"),
        IpAddr::V4(v4) => format!("http://{v4}:{port}/#pair={code}"),
    }
}

/// The link as a QR code drawn with block characters (two rows a line), dark
/// modules as filled blocks, with its quiet zone. With `colors` (a terminal), each
/// line is painted black on white, so the code is dark on light and scans on light
/// and dark terminals alike; without (a pipe), plain characters.
pub fn qr_terminal(link: &str, colors: bool) -> Option<String> {
    let code = QrCode::new(link.as_bytes()).ok()?;
    let drawn = code
        .render::<unicode::Dense1x2>()
        .dark_color(unicode::Dense1x2::Dark)
        .light_color(unicode::Dense1x2::Light)
        .quiet_zone(true)
        .build();
    if !colors {
        return Some(drawn);
    }
    // 256-colour black on white: the same in every terminal theme.
    let painted: Vec<String> = drawn
        .lines()
        .map(|line| format!("\x1b[38;5;16;48;5;231m{line}\x1b[0m"))
        .collect();
    Some(painted.join("\n"))
}

/// The link as an SVG QR code, for the desktop window.
pub fn qr_svg(link: &str) -> Option<String> {
    let code = QrCode::new(link.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    )
}

/// What a running relay leaves in its data directory so that `saytype pair` (a
/// separate process) knows its port.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RelayInfo {
    pub port: u16,
    pub pid: u32,
    /// The address it listens on (`saytype doctor` tells loopback-only relays apart);
    /// absent in files written before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<IpAddr>,
}

fn info_path(data_dir: &Path) -> PathBuf {
    data_dir.join("relay.json")
}

pub fn write_relay_info(data_dir: &Path, info: &RelayInfo) -> Result<(), ConfigError> {
    crate::config::write_private_json(&info_path(data_dir), info, false)
}

pub fn read_relay_info(data_dir: &Path) -> Option<RelayInfo> {
    let text = std::fs::read_to_string(info_path(data_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn remove_relay_info(data_dir: &Path) {
    let _ = std::fs::remove_file(info_path(data_dir));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_and_codes() {
        let ip: IpAddr = "192.168.1.20".parse().expect("ip");
        let l = link(ip, 7373, "abc_-123");
        assert_eq!(l, "http://192.168.1.20:7373/#pair=abc_-123");
        let v6: IpAddr = "fd00::2".parse().expect("ip");
        assert_eq!(link(v6, 1, "t"), "http://[fd00::2]:1/#pair=t");
        let qr = qr_terminal(&l, false).expect("qr");
        assert!(qr.lines().count() > 10);
        assert!(!qr.contains('\x1b'));
        let painted = qr_terminal(&l, true).expect("qr");
        assert!(painted
            .lines()
            .all(|line| line.starts_with("\x1b[38;5;16;48;5;231m") && line.ends_with("\x1b[0m")));
        // Dark on light: the quiet zone (first line) is light, so blank.
        assert!(qr.lines().next().is_some_and(|l| l.trim().is_empty()));
        assert!(qr_svg(&l).expect("svg").starts_with("<?xml"));
    }

    #[test]
    fn pairing_link_uses_the_given_host_else_a_lan_one() {
        let given = pairing_link(7373, "t", Some("10.0.0.5".parse().expect("ip")));
        assert_eq!(given.link, "http://10.0.0.5:7373/#pair=t");
        let chosen = pairing_link(7373, "t", None);
        let expected = chosen
            .lan_addresses
            .first()
            .copied()
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(chosen.host, expected);
        assert_eq!(chosen.link, link(expected, 7373, "t"));
    }

    #[test]
    fn relay_info_round_trip() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(read_relay_info(dir.path()), None);
        let info = RelayInfo {
            port: 7373,
            pid: 42,
            bind: None,
        };
        write_relay_info(dir.path(), &info).expect("write");
        assert_eq!(read_relay_info(dir.path()), Some(info));
        remove_relay_info(dir.path());
        assert_eq!(read_relay_info(dir.path()), None);
    }
}
