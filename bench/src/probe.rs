//! Measuring deliveries. Every bench message carries its send instant in its body
//! (`bench:<stream>:<seq>:<unix_nanos>`), so a follower computes the end-to-end latency on
//! arrival (sender and follower share this machine's clock) and recognises each message by
//! `(stream, seq)`: a second arrival is a duplicate, an acknowledged message that never arrives
//! is lost.

use hdrhistogram::Histogram;
use std::{
    collections::HashMap,
    time::{SystemTime, UNIX_EPOCH},
};

/// Nanoseconds since the Unix epoch, now.
pub fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// The body of message `seq` of `stream`, stamped with the current time.
pub fn body(stream: u32, seq: u64) -> String {
    format!("bench:{stream}:{seq}:{}", unix_nanos())
}

/// `(stream, seq, sent_unix_nanos)` of a bench body; `None` for any other text.
pub fn parse_body(body: &str) -> Option<(u32, u64, u64)> {
    let mut parts = body.strip_prefix("bench:")?.split(':');
    let stream = parts.next()?.parse().ok()?;
    let seq = parts.next()?.parse().ok()?;
    let sent = parts.next()?.parse().ok()?;
    Some((stream, seq, sent))
}

/// A histogram of microseconds from 1 µs to one hour, 3 significant digits.
#[expect(clippy::expect_used, reason = "constant bounds that are valid")]
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// Records `micros` (clamped into the histogram's range).
pub fn record(histogram: &mut Histogram<u64>, micros: u64) {
    let _ = histogram.record(micros.clamp(1, 3_600_000_000));
}

/// The sequence numbers seen of one stream: a growable bitmap, 1 bit per message.
#[derive(Debug, Default, Clone)]
pub struct SeqSet {
    words: Vec<u64>,
    len: u64,
}

impl SeqSet {
    /// Marks `seq`; false when it was already marked.
    pub fn insert(&mut self, seq: u64) -> bool {
        let word = usize::try_from(seq / 64).unwrap_or(usize::MAX);
        if word == usize::MAX {
            return false;
        }
        if self.words.len() <= word {
            self.words.resize(word + 1, 0);
        }
        let bit = 1u64 << (seq % 64);
        let fresh = self.words[word] & bit == 0;
        self.words[word] |= bit;
        if fresh {
            self.len += 1;
        }
        fresh
    }

    pub fn contains(&self, seq: u64) -> bool {
        usize::try_from(seq / 64)
            .ok()
            .and_then(|w| self.words.get(w))
            .is_some_and(|word| word & (1u64 << (seq % 64)) != 0)
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// What one follower received: the latency of live deliveries, and which messages arrived.
#[derive(Debug, Clone)]
pub struct Ledger {
    /// Live deliveries (not resume replays): receive instant minus send instant, in µs.
    pub latency: Histogram<u64>,
    pub seen: HashMap<u32, SeqSet>,
    /// Arrivals of a message already seen.
    pub duplicates: u64,
    /// Every arrival of a bench message, duplicates included.
    pub arrivals: u64,
    /// Arrivals during a resume replay.
    pub replayed: u64,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            latency: new_histogram(),
            seen: HashMap::new(),
            duplicates: 0,
            arrivals: 0,
            replayed: 0,
        }
    }
}

impl Ledger {
    /// Records the arrival of `body` now; false when it is not a bench message.
    pub fn arrive(&mut self, body: &str, replayed: bool) -> bool {
        let Some((stream, seq, sent)) = parse_body(body) else {
            return false;
        };
        self.arrivals += 1;
        if !self.seen.entry(stream).or_default().insert(seq) {
            self.duplicates += 1;
        } else if replayed {
            self.replayed += 1;
        } else {
            record(&mut self.latency, unix_nanos().saturating_sub(sent) / 1_000);
        }
        true
    }

    /// How many of `acknowledged` (by stream: the acknowledged sequence numbers) never arrived.
    pub fn missing(&self, acknowledged: &HashMap<u32, SeqSet>, streams: &[u32]) -> u64 {
        let empty = SeqSet::default();
        streams
            .iter()
            .filter_map(|stream| acknowledged.get(stream).map(|acked| (stream, acked)))
            .map(|(stream, acked)| {
                let seen = self.seen.get(stream).unwrap_or(&empty);
                acked_seqs(acked).filter(|seq| !seen.contains(*seq)).count() as u64
            })
            .sum()
    }

    /// Distinct messages of `streams` that arrived.
    pub fn delivered(&self, streams: &[u32]) -> u64 {
        streams
            .iter()
            .filter_map(|s| self.seen.get(s))
            .map(SeqSet::len)
            .sum()
    }
}

/// The sequence numbers marked in `set`.
fn acked_seqs(set: &SeqSet) -> impl Iterator<Item = u64> + '_ {
    set.words.iter().enumerate().flat_map(|(w, word)| {
        (0..64u64)
            .filter(move |bit| word & (1u64 << bit) != 0)
            .map(move |bit| w as u64 * 64 + bit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_carries_stream_seq_and_time() {
        let text = body(7, 42);
        let parsed = parse_body(&text);
        assert_eq!(parsed.map(|(stream, seq, _)| (stream, seq)), Some((7, 42)));
        assert!(parsed.is_some_and(|(_, _, sent)| sent > 0));
        assert_eq!(parse_body("hello"), None);
        assert_eq!(parse_body("bench:x:1:2"), None);
    }

    #[test]
    fn the_ledger_counts_losses_and_duplicates() {
        let mut acked: HashMap<u32, SeqSet> = HashMap::new();
        for seq in 0..100 {
            acked.entry(1).or_default().insert(seq);
        }
        let mut ledger = Ledger::default();
        for seq in 0..98 {
            assert!(ledger.arrive(&body(1, seq), false));
        }
        ledger.arrive(&body(1, 5), false);
        assert_eq!(ledger.duplicates, 1);
        assert_eq!(ledger.delivered(&[1]), 98);
        assert_eq!(ledger.missing(&acked, &[1]), 2);
        assert_eq!(ledger.latency.len(), 98);
    }
}
