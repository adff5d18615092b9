//! Pairing a phone: the link `http://<LAN address>:<port>/#token=<token>` and its QR
//! code. The token travels in the URL *fragment*, which browsers never send to a
//! server, so it appears in no request line and no log on the way.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use qrcode::render::{svg, unicode};
use qrcode::QrCode;
use serde::{Deserialize, Serialize};

pub fn link(host: IpAddr, port: u16, token: &str) -> String {
    match host {
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}/#token={token}"),
        IpAddr::V4(v4) => format!("http://{v4}:{port}/#token={token}"),
    }
}

/// The link as a QR code drawn with block characters (two rows a line), light on
/// dark so it scans from a dark terminal.
pub fn qr_terminal(link: &str) -> Option<String> {
    let code = QrCode::new(link.as_bytes()).ok()?;
    Some(
        code.render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
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
}

fn info_path(data_dir: &Path) -> PathBuf {
    data_dir.join("relay.json")
}

pub fn write_relay_info(data_dir: &Path, info: &RelayInfo) -> anyhow::Result<()> {
    crate::config::write_private(&info_path(data_dir), &serde_json::to_string(info)?)
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
        assert_eq!(l, "http://192.168.1.20:7373/#token=abc_-123");
        let v6: IpAddr = "fd00::2".parse().expect("ip");
        assert_eq!(link(v6, 1, "t"), "http://[fd00::2]:1/#token=t");
        let qr = qr_terminal(&l).expect("qr");
        assert!(qr.lines().count() > 10);
        assert!(qr_svg(&l).expect("svg").starts_with("<?xml"));
    }

    #[test]
    fn relay_info_round_trip() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(read_relay_info(dir.path()), None);
        let info = RelayInfo {
            port: 7373,
            pid: 42,
        };
        write_relay_info(dir.path(), &info).expect("write");
        assert_eq!(read_relay_info(dir.path()), Some(info));
        remove_relay_info(dir.path());
        assert_eq!(read_relay_info(dir.path()), None);
    }
}
