//! How many connections the relay holds, and for how long a request may take to
//! arrive: the limits that keep a flood of silent or half-sent connections from one
//! address from starving everyone else (and the relay's memory).
//!
//! [`Admission`] is the pure part: it counts open connections in total and per
//! client address and hands out a [`Slot`] while both are under their caps; the
//! slot travels with the socket (also into an upgraded WebSocket) and gives its
//! place back when the socket is dropped. [`super::listen`] is the accept loop that
//! uses it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

pub use crate::config::ConnLimits;
use crate::sync::lock;

/// The address a connection counts against: IPv4 as is (an IPv4-mapped IPv6
/// address too), IPv6 by its /64.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// Counts open connections against the caps of [`ConnLimits`].
#[derive(Clone)]
pub struct Admission {
    limits: ConnLimits,
    counts: Arc<Mutex<Counts>>,
}

/// Why a connection was not admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the relay holds its maximum of {0} connections")]
    Total(usize),
    #[error("this address holds its maximum of {0} connections")]
    PerAddress(usize),
}

impl Admission {
    pub fn new(limits: ConnLimits) -> Admission {
        Admission {
            limits,
            counts: Arc::default(),
        }
    }

    /// A slot for a new connection from `ip`, if both caps allow one.
    pub fn admit(&self, ip: IpAddr) -> Result<Slot, Refusal> {
        let key = client_key(ip);
        let mut counts = lock(&self.counts);
        if counts.total >= self.limits.max_connections {
            return Err(Refusal::Total(self.limits.max_connections));
        }
        let here = counts.per_address.entry(key).or_insert(0);
        if *here >= self.limits.max_per_address {
            return Err(Refusal::PerAddress(self.limits.max_per_address));
        }
        *here += 1;
        counts.total += 1;
        Ok(Slot {
            key,
            counts: self.counts.clone(),
        })
    }

    /// Open connections now (for tests and logs).
    pub fn open(&self) -> usize {
        lock(&self.counts).total
    }
}

/// One admitted connection; dropping it frees its place.
pub struct Slot {
    key: IpAddr,
    counts: Arc<Mutex<Counts>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_address.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.per_address.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per: usize) -> ConnLimits {
        ConnLimits {
            max_connections: total,
            max_per_address: per,
            ..ConnLimits::default()
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn one_address_cannot_take_every_place() {
        let a = Admission::new(limits(10, 3));
        let held: Vec<Slot> = (0..3)
            .map(|_| a.admit(ip("10.0.0.1")).expect("admitted"))
            .collect();
        assert_eq!(a.admit(ip("10.0.0.1")).err(), Some(Refusal::PerAddress(3)));
        assert!(a.admit(ip("10.0.0.2")).is_ok());
        drop(held);
        assert_eq!(a.open(), 0);
        assert!(a.admit(ip("10.0.0.1")).is_ok());
    }

    #[test]
    fn the_total_cap_holds_across_addresses() {
        let a = Admission::new(limits(2, 5));
        let _one = a.admit(ip("10.0.0.1")).expect("one");
        let two = a.admit(ip("10.0.0.2")).expect("two");
        assert_eq!(a.admit(ip("10.0.0.3")).err(), Some(Refusal::Total(2)));
        drop(two);
        assert!(a.admit(ip("10.0.0.3")).is_ok());
    }

    #[test]
    fn ipv6_counts_by_its_64_and_mapped_ipv4_as_ipv4() {
        let a = Admission::new(limits(10, 1));
        let _x = a.admit(ip("2001:db8:1:2::1")).expect("first");
        assert!(a.admit(ip("2001:db8:1:2:ffff::9")).is_err(), "same /64");
        assert!(a.admit(ip("2001:db8:1:3::1")).is_ok(), "another /64");
        let _v4 = a.admit(ip("192.0.2.7")).expect("v4");
        assert!(
            a.admit(ip("::ffff:192.0.2.7")).is_err(),
            "mapped is the same"
        );
    }
}
