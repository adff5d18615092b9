//! One-time pairing codes waiting for a phone: each valid for [`CODE_TTL_MS`] and
//! for one phone, found by its public id. Pure logic, time passed in.

use crate::sealed::{CodeKeys, CODE_ID_LEN};

/// How long a pairing code can be used.
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// A code shown again (the window reopened) only while it has this long left.
const REUSE_MIN_LEFT_MS: i64 = 2 * 60 * 1000;
/// At most this many codes wait at once; the oldest goes first.
const MAX_PENDING: usize = 8;

/// A code and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: String,
    pub expires_at: i64,
}

#[derive(Debug, Default)]
pub struct PendingCodes {
    pending: Vec<(IssuedCode, CodeKeys)>,
}

impl PendingCodes {
    fn prune(&mut self, now: i64) {
        self.pending.retain(|(c, _)| c.expires_at > now);
    }

    /// Add a fresh code (made by the caller from OS randomness).
    pub fn issue(&mut self, code: String, now: i64) -> IssuedCode {
        self.prune(now);
        if self.pending.len() >= MAX_PENDING {
            self.pending.remove(0);
        }
        let issued = IssuedCode {
            expires_at: now + CODE_TTL_MS,
            code,
        };
        let keys = CodeKeys::derive(&issued.code);
        self.pending.push((issued.clone(), keys));
        issued
    }

    /// The newest code if it still has a while to go (the window asks again on
    /// each refresh; one QR code should not turn into many).
    pub fn current(&mut self, now: i64) -> Option<IssuedCode> {
        self.prune(now);
        let (newest, _) = self.pending.last()?;
        (newest.expires_at - now >= REUSE_MIN_LEFT_MS).then(|| newest.clone())
    }

    /// The keys of the code with this id, if it is still valid (not taken).
    pub fn find(&mut self, id: &[u8; CODE_ID_LEN], now: i64) -> Option<CodeKeys> {
        self.prune(now);
        self.pending
            .iter()
            .find(|(_, k)| &k.id == id)
            .map(|(_, k)| k.clone())
    }

    /// Use the code up: one code pairs one phone. `false` if it was gone already
    /// (another phone was quicker).
    pub fn take(&mut self, id: &[u8; CODE_ID_LEN], now: i64) -> bool {
        self.prune(now);
        let before = self.pending.len();
        self.pending.retain(|(_, k)| &k.id != id);
        self.pending.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_once_and_only_while_valid() {
        let mut codes = PendingCodes::default();
        let issued = codes.issue("abc".into(), 1_000);
        let id = CodeKeys::derive("abc").id;
        assert_eq!(codes.current(1_000), Some(issued.clone()));
        assert!(codes.find(&id, 2_000).is_some());
        assert!(codes.take(&id, 2_000));
        assert!(!codes.take(&id, 2_000));
        assert!(codes.find(&id, 2_000).is_none());

        codes.issue("late".into(), 1_000);
        let late = CodeKeys::derive("late").id;
        assert!(codes.find(&late, 1_000 + CODE_TTL_MS).is_none());
        assert_eq!(codes.current(1_000 + CODE_TTL_MS), None);
    }

    #[test]
    fn the_window_reuses_a_fresh_code_and_the_oldest_goes_first() {
        let mut codes = PendingCodes::default();
        codes.issue("c0".into(), 0);
        assert_eq!(codes.current(CODE_TTL_MS - REUSE_MIN_LEFT_MS + 1), None);
        for i in 1..=MAX_PENDING {
            codes.issue(format!("c{i}"), 0);
        }
        assert!(codes.find(&CodeKeys::derive("c0").id, 0).is_none());
        assert!(codes.find(&CodeKeys::derive("c1").id, 0).is_some());
    }
}
