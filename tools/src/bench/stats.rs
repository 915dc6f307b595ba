//! Summaries of timing samples: median, 99th percentile, operations per
//! second.

use std::time::Duration;

/// What one operation measured on one target, with one thread.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Timed operations.
    pub count: usize,
    /// Median latency in microseconds.
    pub median_us: f64,
    /// 99th-percentile latency in microseconds (nearest rank).
    pub p99_us: f64,
    /// Operations per second over the time spent in the timed operations.
    pub ops_per_s: f64,
}

/// Latency samples of one operation, collected over several rounds.
#[derive(Default)]
pub struct Samples {
    micros: Vec<f64>,
    total: Duration,
}

impl Samples {
    /// Records one operation's latency.
    pub fn push(&mut self, d: Duration) {
        self.micros.push(d.as_secs_f64() * 1e6);
        self.total += d;
    }

    /// The summary, or `None` without samples.
    pub fn summary(&self) -> Option<Summary> {
        let mut sorted = self.micros.clone();
        sorted.sort_by(f64::total_cmp);
        let total = self.total.as_secs_f64();
        Some(Summary {
            count: sorted.len(),
            median_us: median(&sorted)?,
            p99_us: percentile(&sorted, 99)?,
            ops_per_s: if total > 0.0 {
                sorted.len() as f64 / total
            } else {
                f64::INFINITY
            },
        })
    }
}

/// The median of sorted values (mean of the two middle ones for an even
/// count).
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The `pct`-th percentile of sorted values by the nearest-rank method: the
/// smallest value with at least `pct` % of the values at or below it.
fn percentile(sorted: &[f64], pct: usize) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Throughput of `ops` operations done in `wall` by any number of threads.
pub fn throughput(ops: u64, wall: Duration) -> f64 {
    let secs = wall.as_secs_f64();
    if secs > 0.0 {
        ops as f64 / secs
    } else {
        f64::INFINITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(us: &[u64]) -> Samples {
        let mut s = Samples::default();
        for &u in us {
            s.push(Duration::from_micros(u));
        }
        s
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(samples(&[5, 1, 3]).summary().unwrap().median_us, 3.0);
        assert_eq!(samples(&[4, 1, 3, 2]).summary().unwrap().median_us, 2.5);
    }

    #[test]
    fn p99_is_the_nearest_rank() {
        // 1..=100: the 99th value; 1..=200: the 198th.
        let hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(samples(&hundred).summary().unwrap().p99_us, 99.0);
        let two_hundred: Vec<u64> = (1..=200).collect();
        assert_eq!(samples(&two_hundred).summary().unwrap().p99_us, 198.0);
        // Fewer than 100 samples: the largest.
        assert_eq!(samples(&[7, 9, 8]).summary().unwrap().p99_us, 9.0);
    }

    #[test]
    fn ops_per_second_counts_only_timed_work() {
        let s = samples(&[250, 250, 250, 250]).summary().unwrap();
        assert_eq!(s.count, 4);
        assert!((s.ops_per_s - 4000.0).abs() < 1e-6, "{}", s.ops_per_s);
        assert!((throughput(300, Duration::from_millis(150)) - 2000.0).abs() < 1e-6);
    }

    #[test]
    fn no_samples_no_summary() {
        assert_eq!(Samples::default().summary(), None);
    }
}
