//! mDNS: the relay advertises itself as `_saytype._tcp.local.` (PROTOCOL.md §5) so
//! phones and agents find it without an IP address; `saytype discover` and an
//! agent started without `--relay` browse for it.
//!
//! mdns-sd runs its own daemon thread; these are thin handles. Addresses are not
//! fixed at start: `enable_addr_auto` makes the daemon announce whatever addresses
//! each interface has, on every interface, and follow them as they change (Wi-Fi
//! reconnects, DHCP renewals, a new VPN).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};

use crate::protocol::DeviceId;

pub const SERVICE_TYPE: &str = "_saytype._tcp.local.";

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("mDNS is not available: {0}")]
    Mdns(#[from] mdns_sd::Error),
}

/// The relay's advertisement; withdrawn (goodbye packets) on [`Advertiser::stop`]
/// or drop.
pub struct Advertiser {
    daemon: Option<ServiceDaemon>,
    fullname: String,
}

impl Advertiser {
    pub fn start(device: &DeviceId, port: u16) -> Result<Advertiser, DiscoveryError> {
        let daemon = ServiceDaemon::new()?;
        let host = format!("{device}.local.");
        let properties = [
            ("v", "1"),
            ("id", device.as_str()),
            ("ws", "/ws"),
            ("api", "/transcription"),
            ("auth", "bearer"),
        ];
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            device.as_str(),
            &host,
            "",
            port,
            &properties[..],
        )?
        .enable_addr_auto();
        let fullname = info.get_fullname().to_owned();
        daemon.register(info)?;
        tracing::info!(instance = %device, port, "advertising over mDNS");
        Ok(Advertiser {
            daemon: Some(daemon),
            fullname,
        })
    }

    /// Withdraw the record and stop the daemon.
    pub fn stop(&mut self) {
        let Some(daemon) = self.daemon.take() else {
            return;
        };
        if let Ok(done) = daemon.unregister(&self.fullname) {
            // Wait for the goodbye packets to go out, briefly.
            let _ = done.recv_timeout(Duration::from_secs(1));
        }
        if let Ok(done) = daemon.shutdown() {
            let _ = done.recv_timeout(Duration::from_secs(1));
        }
        tracing::info!("mDNS advertisement withdrawn");
    }
}

impl Drop for Advertiser {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A relay found on the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundRelay {
    pub instance: String,
    pub device_id: String,
    pub addresses: Vec<IpAddr>,
    pub port: u16,
}

impl FoundRelay {
    /// Addresses to try, best first: IPv4 before IPv6, LAN before loopback.
    pub fn preferred_addresses(&self) -> Vec<IpAddr> {
        let mut list = self.addresses.clone();
        list.sort_by_key(|ip| (ip.is_loopback(), ip.is_ipv6(), *ip));
        list
    }
}

/// What browsing saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A relay answered (or its record changed), after this long.
    Found(FoundRelay, Duration),
    /// A relay withdrew its record (or it expired), after this long.
    Gone(String, Duration),
}

/// Browse for relays for up to `window`; `on_change` sees each change with the
/// relays known so far and returns `true` to stop early. Returns the relays known at
/// the end. Blocking: call it from a blocking context.
pub fn browse(
    window: Duration,
    mut on_change: impl FnMut(&Change, &[FoundRelay]) -> bool,
) -> Result<Vec<FoundRelay>, DiscoveryError> {
    let daemon = ServiceDaemon::new()?;
    let events = daemon.browse(SERVICE_TYPE)?;
    let started = Instant::now();
    let deadline = started + window;
    let mut found: BTreeMap<String, FoundRelay> = BTreeMap::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let change = match events.recv_timeout(left) {
            Ok(ServiceEvent::ServiceResolved(service)) => {
                let instance = instance_of(&service.fullname);
                let device_id = service
                    .txt_properties
                    .get_property_val_str("id")
                    .unwrap_or(&instance)
                    .to_owned();
                let mut addresses: Vec<IpAddr> =
                    service.addresses.iter().map(|a| a.to_ip_addr()).collect();
                addresses.sort();
                addresses.dedup();
                let relay = FoundRelay {
                    instance,
                    device_id,
                    addresses,
                    port: service.port,
                };
                found.insert(service.fullname.clone(), relay.clone());
                Change::Found(relay, started.elapsed())
            }
            Ok(ServiceEvent::ServiceRemoved(_, fullname)) => {
                found.remove(&fullname);
                Change::Gone(instance_of(&fullname), started.elapsed())
            }
            Ok(_) => continue,
            Err(_) => break,
        };
        let list: Vec<FoundRelay> = found.values().cloned().collect();
        if on_change(&change, &list) {
            break;
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    if let Ok(done) = daemon.shutdown() {
        let _ = done.recv_timeout(Duration::from_millis(500));
    }
    Ok(found.into_values().collect())
}

fn instance_of(fullname: &str) -> String {
    fullname
        .strip_suffix(&format!(".{SERVICE_TYPE}"))
        .unwrap_or(fullname)
        .to_owned()
}

/// This machine's LAN addresses, best first (see [`crate::netaddr`]): the default
/// route's interface, then other LAN interfaces, then bridges and VPNs.
pub fn lan_addresses() -> Vec<IpAddr> {
    crate::netaddr::candidates()
        .into_iter()
        .map(|c| c.ip)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lan_addresses_come_first_and_urls_are_well_formed() {
        let relay = FoundRelay {
            instance: "desk".into(),
            device_id: "desk".into(),
            addresses: vec![
                "127.0.0.1".parse().expect("ip"),
                "fe80::1".parse().expect("ip"),
                "192.168.1.20".parse().expect("ip"),
            ],
            port: 7373,
        };
        let order = relay.preferred_addresses();
        assert_eq!(order[0], "192.168.1.20".parse::<IpAddr>().expect("ip"));
        assert_eq!(order[2], "127.0.0.1".parse::<IpAddr>().expect("ip"));
    }
}
