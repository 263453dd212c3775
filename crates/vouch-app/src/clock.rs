//! The clock the use cases read: the wall clock, moved by an offset that tests set to
//! run a 14-day hold, a boost's end or a schedule without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vouch_domain::Millis;

/// Cheap to clone; clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Now, in the store's time unit.
    pub fn now(&self) -> Millis {
        wall_ms().saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// The machine's own clock, which ids are made with (never moved by tests).
    pub fn wall(&self) -> Millis {
        wall_ms()
    }

    /// Sets this clock (and every clone of it) to `at`: replays of recorded traffic
    /// run each step at the time it happened.
    pub fn set_to(&self, at: Millis) {
        self.offset_ms
            .store(at.saturating_sub(wall_ms()), Ordering::Relaxed);
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

fn wall_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_move_together() {
        let a = Clock::system();
        let b = a.clone();
        let before = b.now();
        a.advance(Duration::from_secs(14 * 86_400));
        assert!(b.now() - before >= 14 * 86_400_000);
    }
}
