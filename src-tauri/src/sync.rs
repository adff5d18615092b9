//! Poison-tolerant locking, in one place.
//!
//! A panic while a lock was held cannot leave our plain data half-updated in a way
//! that matters more than stopping, so a poisoned lock is simply taken.

use std::sync::{Mutex, MutexGuard};

/// Lock `m`, taking it even if a panicking thread poisoned it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
