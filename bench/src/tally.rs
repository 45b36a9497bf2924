//! Live counters shared by every task of a run: what the progress line shows and what the report
//! sums up. Errors are counted, and the first few distinct messages kept for the report.

use std::sync::{
    Mutex,
    atomic::{AtomicU64, Ordering},
};

/// Distinct error messages kept for the report; the rest are only counted.
const ERROR_SAMPLES: usize = 10;

#[derive(Debug, Default)]
pub struct Tally {
    pub connected: AtomicU64,
    pub sent: AtomicU64,
    pub acked: AtomicU64,
    pub delivered: AtomicU64,
    pub logins: AtomicU64,
    pub errors: AtomicU64,
    samples: Mutex<Vec<String>>,
}

impl Tally {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn sub(counter: &AtomicU64, n: u64) {
        counter.fetch_sub(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts an error and keeps its message if it is one of the first distinct ones.
    pub fn error(&self, message: impl Into<String>) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let message = message.into();
        if let Ok(mut samples) = self.samples.lock()
            && samples.len() < ERROR_SAMPLES
            && !samples.contains(&message)
        {
            samples.push(message);
        }
    }

    pub fn error_count(&self) -> u64 {
        Self::get(&self.errors)
    }

    pub fn error_samples(&self) -> Vec<String> {
        self.samples.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
