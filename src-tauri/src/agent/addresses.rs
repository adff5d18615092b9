//! Where a paired agent looks for its relay: the address it was given (the one it
//! paired with, or `--relay`), then the others the relay announced after its last
//! handshake (docs/sealed-link.md §7), starting with the one that worked last. So a
//! relay whose machine got a new DHCP lease is found again. Following them is safe:
//! at every address the relay must prove the agent's key before the agent sends
//! anything.

use crate::protocol::agent_link::AGENT_WS_PATH;

/// The most addresses kept (the relay announces at most as many).
pub const MAX_ADDRESSES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAddresses {
    /// The given address first, then the announced ones; no duplicates.
    list: Vec<String>,
    /// The one that worked last.
    preferred: usize,
}

impl KnownAddresses {
    pub fn new(given: String, announced: &[String]) -> KnownAddresses {
        let mut addresses = KnownAddresses {
            list: vec![given],
            preferred: 0,
        };
        addresses.learn(announced);
        addresses
    }

    /// Every address, in the order to try them: the one that worked last first,
    /// then the others in their order.
    pub fn order(&self) -> Vec<String> {
        let mut order = Vec::with_capacity(self.list.len());
        order.extend(self.list.get(self.preferred).cloned());
        order.extend(
            self.list
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != self.preferred)
                .map(|(_, a)| a.clone()),
        );
        order
    }

    /// `address` worked: try it first next time.
    pub fn worked(&mut self, address: &str) {
        if let Some(i) = self.list.iter().position(|a| a == address) {
            self.preferred = i;
        }
    }

    /// The relay announced `announced`: keep the given address and these (only
    /// `ws://…/agent/v1/ws` URLs, at most [`MAX_ADDRESSES`] in all). Whether the
    /// list changed (then it is worth saving).
    pub fn learn(&mut self, announced: &[String]) -> bool {
        let given = self.list[0].clone();
        let preferred = self.list.get(self.preferred).cloned();
        let mut list = vec![given];
        for address in announced.iter().filter(|a| plausible(a)) {
            if list.len() < MAX_ADDRESSES && !list.contains(address) {
                list.push(address.clone());
            }
        }
        let changed = list != self.list;
        self.list = list;
        self.preferred = preferred
            .and_then(|p| self.list.iter().position(|a| *a == p))
            .unwrap_or(0);
        changed
    }

    /// The announced addresses as kept (without the given one), to save.
    pub fn announced(&self) -> &[String] {
        &self.list[1..]
    }
}

/// A relay's agent link URL, as the relay announces them: anything else (another
/// scheme, another path, a host with user info) is not followed.
fn plausible(address: &str) -> bool {
    let Ok(url) = url::Url::parse(address) else {
        return false;
    };
    url.scheme() == "ws"
        && url.host().is_some()
        && url.port().is_some()
        && url.path() == AGENT_WS_PATH
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && address.len() <= 200
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(host: &str) -> String {
        format!("ws://{host}:7373/agent/v1/ws")
    }

    #[test]
    fn the_given_address_then_the_announced_ones_then_the_last_that_worked_first() {
        let mut a = KnownAddresses::new(ws("10.0.0.2"), &[]);
        assert_eq!(a.order(), [ws("10.0.0.2")]);
        assert!(a.learn(&[ws("10.0.0.2"), ws("192.168.1.9"), ws("10.0.0.7")]));
        assert_eq!(
            a.order(),
            [ws("10.0.0.2"), ws("192.168.1.9"), ws("10.0.0.7")]
        );
        assert_eq!(a.announced(), [ws("192.168.1.9"), ws("10.0.0.7")]);
        a.worked(&ws("10.0.0.7"));
        assert_eq!(
            a.order(),
            [ws("10.0.0.7"), ws("10.0.0.2"), ws("192.168.1.9")]
        );
        // The same again: nothing to save, and the preference stays.
        assert!(!a.learn(&[ws("192.168.1.9"), ws("10.0.0.7")]));
        assert_eq!(a.order()[0], ws("10.0.0.7"));
        // A relay that moved again: the old preference is gone, the given one first.
        assert!(a.learn(&[ws("10.0.0.8")]));
        assert_eq!(a.order(), [ws("10.0.0.2"), ws("10.0.0.8")]);
        a.worked("ws://elsewhere:1/agent/v1/ws");
        assert_eq!(a.order()[0], ws("10.0.0.2"));
    }

    #[test]
    fn only_agent_link_urls_and_only_a_few() {
        let mut a = KnownAddresses::new(ws("10.0.0.2"), &[]);
        let odd = [
            "http://10.0.0.3:7373/agent/v1/ws".to_owned(),
            "ws://10.0.0.3:7373/ws".to_owned(),
            "ws://10.0.0.3/agent/v1/ws".to_owned(),
            "ws://u:p@10.0.0.3:7373/agent/v1/ws".to_owned(),
            "ws://10.0.0.3:7373/agent/v1/ws?x=1".to_owned(),
            "nonsense".to_owned(),
        ];
        assert!(!a.learn(&odd));
        let many: Vec<String> = (1..20).map(|i| ws(&format!("10.0.1.{i}"))).collect();
        a.learn(&many);
        assert_eq!(a.order().len(), MAX_ADDRESSES);
        assert_eq!(a.order()[0], ws("10.0.0.2"));
        assert_eq!(
            KnownAddresses::new(ws("[fd00::1]"), &[]).order(),
            [ws("[fd00::1]")]
        );
    }
}
