//! A small time-bounded cache in front of hot reads (links, API keys, programs), so hot
//! paths read the database once per entry every few seconds. An entry older than its
//! TTL is read again, which bounds how long another instance's change goes unseen;
//! changes made through this instance clear the cache at once.

use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

pub struct TtlCache<K, V> {
    ttl: Duration,
    inner: Arc<Cache<K, (Instant, V)>>,
}

impl<K, V> Clone for TtlCache<K, V> {
    fn clone(&self) -> Self {
        Self {
            ttl: self.ttl,
            inner: self.inner.clone(),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            inner: Arc::new(Cache::new(capacity)),
        }
    }

    /// The cached value while it is fresh; else `load`'s (cached when it succeeds).
    /// Absent values (`None` inside `V`) are cached too, so misses cannot hammer the
    /// database.
    pub async fn get_or_load<E, F>(&self, key: &K, load: F) -> Result<V, E>
    where
        F: std::future::Future<Output = Result<V, E>>,
    {
        if let Some((at, value)) = self.inner.get(key) {
            if at.elapsed() < self.ttl {
                return Ok(value);
            }
        }
        let value = load.await?;
        self.inner
            .insert(key.clone(), (Instant::now(), value.clone()));
        Ok(value)
    }

    pub fn clear(&self) {
        self.inner.clear();
    }
}
