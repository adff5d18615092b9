//! The byte budget of the queues: how many bytes of not-yet-ACKed messages one
//! device, and all devices together, may have waiting. Counted in the bytes of each
//! message's ready `transcription` frame (its text plus a few dozen bytes), from the
//! moment a slot is reserved until the message leaves the queue.

/// Why a message cannot be queued now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueFull {
    /// The device has its maximum number of messages waiting.
    Messages(usize),
    /// The device has its maximum of queued bytes.
    DeviceBytes(usize),
    /// All devices together have the relay's maximum of queued bytes.
    TotalBytes(usize),
}

/// The caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteCaps {
    pub per_device: usize,
    pub total: usize,
}

impl Default for ByteCaps {
    fn default() -> ByteCaps {
        ByteCaps {
            per_device: usize::MAX,
            total: usize::MAX,
        }
    }
}

/// The relay-wide count; each device keeps its own count next to its queue.
#[derive(Debug, Default)]
pub(super) struct Budget {
    pub(super) caps: ByteCaps,
    total: usize,
}

impl Budget {
    /// Take `bytes` for a device that has `device_bytes` already.
    pub(super) fn take(&mut self, device_bytes: &mut usize, bytes: usize) -> Result<(), QueueFull> {
        if device_bytes.saturating_add(bytes) > self.caps.per_device {
            return Err(QueueFull::DeviceBytes(self.caps.per_device));
        }
        if self.total.saturating_add(bytes) > self.caps.total {
            return Err(QueueFull::TotalBytes(self.caps.total));
        }
        *device_bytes += bytes;
        self.total += bytes;
        Ok(())
    }

    /// Count bytes that are already stored (restored at startup) whatever the caps.
    pub(super) fn restore(&mut self, device_bytes: &mut usize, bytes: usize) {
        *device_bytes += bytes;
        self.total += bytes;
    }

    pub(super) fn give_back(&mut self, device_bytes: &mut usize, bytes: usize) {
        *device_bytes = device_bytes.saturating_sub(bytes);
        self.total = self.total.saturating_sub(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_device_and_total_caps() {
        let mut b = Budget {
            caps: ByteCaps {
                per_device: 10,
                total: 15,
            },
            total: 0,
        };
        let (mut a, mut c) = (0, 0);
        assert!(b.take(&mut a, 8).is_ok());
        assert_eq!(b.take(&mut a, 3), Err(QueueFull::DeviceBytes(10)));
        assert!(b.take(&mut c, 7).is_ok());
        assert_eq!(b.take(&mut c, 1), Err(QueueFull::TotalBytes(15)));
        b.give_back(&mut a, 8);
        assert_eq!(a, 0);
        assert!(b.take(&mut c, 3).is_ok());
        // Restored bytes count even past the caps (they are stored already).
        b.restore(&mut a, 100);
        assert_eq!(b.take(&mut c, 0), Err(QueueFull::TotalBytes(15)));
    }
}
