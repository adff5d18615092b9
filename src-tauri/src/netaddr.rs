//! The addresses a phone could use to reach this machine, best first: the address
//! of the interface that holds the default route (the one the Wi-Fi or Ethernet
//! gives), then other LAN interfaces, and last the addresses of Docker and
//! virtual-machine bridges and VPNs, which a phone on the same Wi-Fi cannot reach.
//! The pairing link carries the first; the window, `saytype pair` and
//! `saytype doctor` name the others.
//!
//! The ranking is pure ([`rank`]) so that it is tested on made-up interface lists;
//! [`candidates`] reads this machine's.

use std::net::IpAddr;

/// One address, with why it is where it is in the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub ip: IpAddr,
    pub interface: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The interface holds the default route.
    DefaultRoute,
    /// Another interface that looks like a real network.
    Lan,
    /// A bridge or tunnel that phones on the LAN cannot reach; the text names it.
    Virtual(&'static str),
}

impl Candidate {
    /// Why this address is where it is ("the default route's interface wlan0").
    pub fn reason(&self) -> String {
        match self.kind {
            Kind::DefaultRoute => format!("{} holds the default route", self.interface),
            Kind::Lan => format!("{} (no default route)", self.interface),
            Kind::Virtual(what) => format!(
                "{} is {what}: phones usually cannot reach it",
                self.interface
            ),
        }
    }
}

/// Interface-name prefixes of bridges and tunnels, with what they are. Names are
/// all a program sees without privileges; these are the names the tools choose.
const VIRTUAL: &[(&str, &str)] = &[
    ("docker", "a Docker bridge"),
    ("br-", "a Docker network bridge"),
    ("virbr", "a virtual-machine bridge (libvirt)"),
    ("vboxnet", "a VirtualBox host-only network"),
    ("vmnet", "a VMware network"),
    ("lxcbr", "a container bridge (LXC)"),
    ("lxdbr", "a container bridge (LXD)"),
    ("podman", "a container bridge (Podman)"),
    ("cni", "a container network"),
    ("flannel", "a container network"),
    ("veth", "a container's link"),
    ("tun", "a VPN tunnel"),
    ("tap", "a VPN tunnel"),
    ("wg", "a WireGuard VPN"),
    ("tailscale", "a Tailscale VPN"),
    ("zt", "a ZeroTier VPN"),
    ("ppp", "a point-to-point link (VPN or modem)"),
    ("nordlynx", "a VPN"),
    ("proton", "a VPN"),
    ("vpn", "a VPN"),
];

fn virtual_kind(interface: &str) -> Option<&'static str> {
    VIRTUAL
        .iter()
        .find(|(prefix, _)| interface.starts_with(prefix))
        .map(|(_, what)| *what)
}

/// Usable for a phone: IPv4 (phones and QR codes handle it best), not loopback,
/// not link-local.
fn usable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !v4.is_loopback() && !v4.is_link_local() && !v4.is_unspecified(),
        IpAddr::V6(_) => false,
    }
}

/// Rank `(interface, address)` pairs, given the interface of the default route.
pub fn rank(interfaces: &[(String, IpAddr)], default_route: Option<&str>) -> Vec<Candidate> {
    let mut list: Vec<Candidate> = interfaces
        .iter()
        .filter(|(_, ip)| usable(ip))
        .map(|(name, ip)| Candidate {
            ip: *ip,
            interface: name.clone(),
            kind: if Some(name.as_str()) == default_route {
                // Even a veth or a tunnel is right when all traffic goes through it.
                Kind::DefaultRoute
            } else {
                virtual_kind(name).map_or(Kind::Lan, Kind::Virtual)
            },
        })
        .collect();
    list.sort_by_key(|c| (c.kind, c.ip));
    list.dedup_by(|a, b| a.ip == b.ip);
    list
}

/// The interface of the IPv4 default route, from the kernel's routing table
/// (`/proc/net/route`: destination `00000000` and mask `00000000`).
pub fn default_route_interface() -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/route").ok()?;
    default_route_in(&table)
}

fn default_route_in(table: &str) -> Option<String> {
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [iface, "00000000", _gateway, _flags, _refcnt, _use, _metric, "00000000", ..] => {
                Some((*iface).to_owned())
            }
            _ => None,
        }
    })
}

/// This machine's candidates, best first.
pub fn candidates() -> Vec<Candidate> {
    let interfaces: Vec<(String, IpAddr)> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| (i.name.clone(), i.ip()))
        .collect();
    rank(&interfaces, default_route_interface().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ifs(list: &[(&str, &str)]) -> Vec<(String, IpAddr)> {
        list.iter()
            .map(|(n, ip)| ((*n).to_owned(), ip.parse().expect("ip")))
            .collect()
    }

    #[test]
    fn the_default_routes_interface_wins_over_docker_and_vpn() {
        let list = ifs(&[
            ("lo", "127.0.0.1"),
            ("docker0", "172.17.0.1"),
            ("tun0", "10.8.0.5"),
            ("wlan0", "192.168.1.23"),
            ("wlan0", "fe80::1"),
        ]);
        let ranked = rank(&list, Some("wlan0"));
        let ips: Vec<String> = ranked.iter().map(|c| c.ip.to_string()).collect();
        assert_eq!(ips, ["192.168.1.23", "172.17.0.1", "10.8.0.5"]);
        assert_eq!(ranked[0].kind, Kind::DefaultRoute);
        assert!(
            ranked[1].reason().contains("Docker"),
            "{}",
            ranked[1].reason()
        );
        assert!(ranked[2].reason().contains("VPN"), "{}", ranked[2].reason());
    }

    #[test]
    fn without_a_default_route_real_looking_interfaces_come_first() {
        let list = ifs(&[("br-1a2b", "172.18.0.1"), ("enp3s0", "10.0.0.7")]);
        let ranked = rank(&list, None);
        assert_eq!(ranked[0].interface, "enp3s0");
        assert_eq!(ranked[0].kind, Kind::Lan);
        // A VPN that holds the default route is where traffic goes: it comes first.
        let ranked = rank(
            &ifs(&[("wg0", "10.2.0.2"), ("eth0", "192.168.0.4")]),
            Some("wg0"),
        );
        assert_eq!(ranked[0].interface, "wg0");
        assert!(rank(&ifs(&[("lo", "127.0.0.1")]), None).is_empty());
    }

    #[test]
    fn the_default_route_is_read_from_the_kernel_table() {
        let table =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                     docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n\
                     wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n";
        assert_eq!(default_route_in(table).as_deref(), Some("wlan0"));
        assert_eq!(default_route_in("Iface\tDestination\n"), None);
    }
}
