//! The cap on devices the relay remembers: every agent that registers once (with
//! any id it likes) becomes a device the relay keeps, listed and routable, across
//! restarts. Past the cap, the least recently seen devices that are offline and
//! have nothing queued are forgotten, so made-up ids cannot grow the registry and
//! the store without end. A device with queued messages is never forgotten (its
//! messages were accepted; their bytes are capped instead), nor the default device.

use super::Registry;
use crate::protocol::DeviceId;

impl Registry {
    /// Forget devices until at most `cap` are known (where that is possible);
    /// returns the forgotten ones, for the store to forget too.
    pub fn forget_beyond(&mut self, cap: usize) -> Vec<DeviceId> {
        let known = self.devices.values().filter(|d| d.known).count();
        if known <= cap {
            return Vec::new();
        }
        let mut idle: Vec<(Option<i64>, DeviceId)> = self
            .devices
            .iter()
            .filter(|(id, d)| {
                d.known
                    && !d.online()
                    && d.queue.is_empty()
                    && d.reserved == 0
                    && **id != self.default_device
            })
            .map(|(id, d)| (d.last_seen, id.clone()))
            .collect();
        idle.sort();
        let gone: Vec<DeviceId> = idle
            .into_iter()
            .take(known - cap)
            .map(|(_, id)| id)
            .collect();
        for id in &gone {
            self.devices.remove(id);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageId;
    use crate::relay::registry::QueuedMessage;

    fn dev(s: &str) -> DeviceId {
        DeviceId::parse(s).expect("device")
    }

    #[test]
    fn the_oldest_idle_devices_go_first_and_queued_ones_never() {
        let mut r = Registry::new(dev("desk"), 10);
        r.restore_device(dev("desk"), Some(0));
        for (i, name) in ["old", "older", "queued", "new"].iter().enumerate() {
            let seen = match *name {
                "older" => 1,
                "old" => 2,
                "queued" => 0,
                _ => 10 + i as i64,
            };
            r.restore_device(dev(name), Some(seen));
        }
        let id = MessageId::parse("m").expect("id");
        r.restore_queued(dev("queued"), QueuedMessage::new(id, "x", 1));
        assert!(r.forget_beyond(5).is_empty(), "five known: nothing to do");
        assert_eq!(r.forget_beyond(3), [dev("older"), dev("old")]);
        assert!(!r.is_routable(&dev("old")));
        // Only "new" could still go; "queued" and the default stay whatever the cap.
        assert_eq!(r.forget_beyond(0), [dev("new")]);
        assert!(r.is_routable(&dev("queued")));
        assert!(r.is_routable(&dev("desk")));
    }
}
