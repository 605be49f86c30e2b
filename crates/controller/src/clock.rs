//! Time source for the reconcilers.
//!
//! Every decision in this crate takes `now` from a [`Clock`] so tests can pin time
//! (DESIGN.md §7.1). Production uses [`SystemClock`].

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// A source of the current instant (UTC).
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The system wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug, Clone)]
pub struct FakeClock {
    now: Arc<Mutex<Timestamp>>,
}

impl FakeClock {
    /// A fake clock pinned at `now`.
    pub fn new(now: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(now)),
        }
    }

    /// Moves the clock forward (or back, for negative `by`).
    pub fn advance(&self, by: SignedDuration) {
        if let Ok(mut guard) = self.now.lock()
            && let Ok(next) = guard.checked_add(by)
        {
            *guard = next;
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        self.now
            .lock()
            .map(|g| *g)
            .unwrap_or_else(|e| *e.into_inner())
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;
