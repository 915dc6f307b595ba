//! Running measurements: interleaved rounds over the targets of one
//! operation, with resident memory sampled around each round, and
//! throughput with several threads, each with its own session.

use super::memory;
use super::module_ops::Step;
use super::stats::{throughput, Samples, Summary};
use anyhow::{anyhow, Result};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Rounds each target's share is cut into, alternating between targets, so
/// that drift in the machine's speed hits all of them alike.
pub const ROUNDS: u64 = 3;
/// Iterations per round at most in time mode: the samples of a
/// sub-microsecond call would otherwise grow this process by megabytes,
/// which the memory columns would blame on the operation.
const MAX_PER_ROUND: u64 = 20_000;
/// In iteration mode, a round stops once it has run this long, whatever
/// is left of its iterations: `--iterations 100` of an SLH-DSA-SHAKE-256s
/// signature (seconds each) would otherwise take most of an hour.
const ROUND_CEILING: Duration = Duration::from_secs(10);
/// Operations whose median call is slower are not measured with threads:
/// each thread would generate its own keys and warm up (seconds each for
/// the SLH-DSA "s" sets) for a few calls that tell no more than the
/// single-thread rate.
const THREADED_MAX_MEDIAN_US: f64 = 1e6;

/// How long each target runs each operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Budget {
    /// This many timed iterations (at least one per round; fewer where a
    /// round reaches [`ROUND_CEILING`]).
    Iterations(u64),
    /// About this long, in seconds, and at least one iteration per round.
    Seconds(f64),
}

impl Budget {
    /// Iterations of round `r` in iteration mode; `None` in time mode.
    fn round_iterations(self, r: u64) -> Option<u64> {
        match self {
            Budget::Iterations(n) => Some((n / ROUNDS + u64::from(r < n % ROUNDS)).max(1)),
            Budget::Seconds(_) => None,
        }
    }

    /// Whether a round that did `n` iterations in `elapsed` is done.
    fn round_done(self, r: u64, n: u64, elapsed: Duration) -> bool {
        match (self, self.round_iterations(r)) {
            (_, Some(want)) => n >= want || (n >= 1 && elapsed >= ROUND_CEILING),
            (Budget::Seconds(s), None) => {
                n >= MAX_PER_ROUND || (n >= 1 && elapsed.as_secs_f64() >= s / ROUNDS as f64)
            }
            (Budget::Iterations(_), None) => true,
        }
    }

    /// Whether a thread that did `n` iterations in `elapsed` is done.
    fn thread_done(self, n: u64, elapsed: Duration) -> bool {
        match self {
            Budget::Iterations(want) => {
                n >= want || (n >= 1 && elapsed >= ROUND_CEILING * ROUNDS as u32)
            }
            Budget::Seconds(s) => n >= 1 && elapsed.as_secs_f64() >= s,
        }
    }
}

/// Whether an operation whose single calls took `median_us` is measured
/// with threads too.
pub fn threads_worthwhile(median_us: Option<f64>) -> bool {
    median_us.is_some_and(|m| m <= THREADED_MAX_MEDIAN_US)
}

/// One iteration's result: its time, and the peak resident memory of the
/// child process that did it, if it was done in one.
pub struct Sample {
    pub time: Duration,
    pub child_peak_kib: Option<u64>,
}

impl From<Duration> for Sample {
    fn from(time: Duration) -> Sample {
        Sample {
            time,
            child_peak_kib: None,
        }
    }
}

/// A timed iteration, whatever runs it.
pub type Runnable<'a> = Box<dyn FnMut() -> Result<Sample> + 'a>;

/// What a target measured for one operation.
#[derive(Clone, Debug)]
pub struct Measured {
    pub summary: Summary,
    /// Peak resident KiB of the process that did the work (this one, or the
    /// child), the largest over the rounds.
    pub peak_kib: Option<u64>,
    /// How far this process's peak rose above its resident size at the
    /// start of a round, the largest over the rounds (none for children).
    pub growth_kib: Option<u64>,
}

/// One target's share of an interleaved measurement.
pub struct Lane<'a> {
    run: Runnable<'a>,
    warm_up: bool,
    samples: Samples,
    peak_kib: Option<u64>,
    growth_kib: Option<u64>,
    error: Option<anyhow::Error>,
}

impl<'a> Lane<'a> {
    /// A lane; `warm_up` runs one untimed iteration first (not for child
    /// processes, which start cold by design).
    pub fn new(run: Runnable<'a>, warm_up: bool) -> Lane<'a> {
        Lane {
            run,
            warm_up,
            samples: Samples::default(),
            peak_kib: None,
            growth_kib: None,
            error: None,
        }
    }

    /// The measurement, or the error that stopped it.
    pub fn result(self) -> Result<Measured> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let summary = self
            .samples
            .summary()
            .ok_or_else(|| anyhow!("no iteration completed"))?;
        Ok(Measured {
            summary,
            peak_kib: self.peak_kib,
            growth_kib: self.growth_kib,
        })
    }

    /// One round: iterations until the budget's share is spent.
    fn round(&mut self, budget: Budget, r: u64) {
        let before = memory::current_kib();
        let reset = memory::reset_peak();
        let start = Instant::now();
        let mut n = 0;
        let mut child_peak = None;
        while !budget.round_done(r, n, start.elapsed()) {
            match (self.run)() {
                Ok(sample) => {
                    self.samples.push(sample.time);
                    child_peak = child_peak.max(sample.child_peak_kib);
                }
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
            n += 1;
        }
        if child_peak.is_some() {
            self.peak_kib = self.peak_kib.max(child_peak);
            return;
        }
        let peak = memory::peak_kib();
        self.peak_kib = self.peak_kib.max(peak);
        if let (Some(before), Some(peak), true) = (before, peak, reset) {
            self.growth_kib = self.growth_kib.max(Some(peak.saturating_sub(before)));
        }
    }
}

/// Runs the lanes in alternating rounds; `on_round` is told which lane
/// runs next.
pub fn interleave(lanes: &mut [Lane], budget: Budget, on_round: &dyn Fn(usize)) {
    for (i, lane) in lanes.iter_mut().enumerate() {
        if lane.warm_up {
            on_round(i);
            if let Err(e) = (lane.run)() {
                lane.error = Some(e);
            }
        }
    }
    for r in 0..ROUNDS {
        for (i, lane) in lanes.iter_mut().enumerate() {
            if lane.error.is_none() {
                on_round(i);
                lane.round(budget, r);
            }
        }
    }
}

/// What several threads did together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throughput {
    /// Operations per second over the wall time.
    pub ops_per_s: f64,
    /// CPU time the bench threads used over the wall time: how many CPUs
    /// they kept busy. Fewer than the threads means they waited, for CPUs
    /// other processes held or for a lock, and the scaling is not the
    /// code's alone.
    pub cpus: Option<f64>,
}

/// CPU time the calling thread used so far (user and system), in seconds.
fn thread_cpu_seconds() -> Option<f64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one rusage through a valid pointer.
    if unsafe { libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: getrusage succeeded, so the struct is initialised.
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// Operations per second with `threads` threads, each running its own step
/// from `prepare` (its own session and keys, for a module), all starting
/// together; counted over the wall time, so untimed clean-up inside an
/// iteration counts too.
pub fn threaded<'a>(
    prepare: &(dyn Fn() -> Result<Step<'a>> + Sync),
    threads: usize,
    budget: Budget,
) -> Result<Throughput> {
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| -> Result<(u64, Option<f64>)> {
                    let ready = prepare().and_then(|mut step| {
                        step()?;
                        Ok(step)
                    });
                    // Every worker reaches the barrier, ready or not.
                    barrier.wait();
                    let mut step = ready?;
                    let start = Instant::now();
                    let cpu_start = thread_cpu_seconds();
                    let mut n = 0;
                    while !budget.thread_done(n, start.elapsed()) {
                        step()?;
                        n += 1;
                    }
                    let cpu = cpu_start
                        .zip(thread_cpu_seconds())
                        .map(|(before, after)| after - before);
                    Ok((n, cpu))
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut total = 0;
        let mut cpu = Some(0.0);
        let mut failure = None;
        for w in workers {
            match w.join() {
                Ok(Ok((n, used))) => {
                    total += n;
                    cpu = cpu.zip(used).map(|(sum, t)| sum + t);
                }
                Ok(Err(e)) => failure = Some(e),
                Err(_) => failure = Some(anyhow!("a bench thread panicked")),
            }
        }
        let wall = start.elapsed();
        let cpus = cpu.map(|t| t / wall.as_secs_f64());
        match failure {
            Some(e) => Err(e),
            None => Ok(Throughput {
                ops_per_s: throughput(total, wall),
                cpus,
            }),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterations_are_spread_over_the_rounds() {
        let b = Budget::Iterations(10);
        let per: Vec<u64> = (0..ROUNDS)
            .map(|r| b.round_iterations(r).unwrap())
            .collect();
        assert_eq!(per, [4, 3, 3]);
        assert_eq!(Budget::Iterations(1).round_iterations(2), Some(1));
        assert_eq!(Budget::Seconds(1.0).round_iterations(0), None);
    }

    #[test]
    fn slow_calls_are_bounded() {
        let b = Budget::Iterations(100);
        assert!(!b.round_done(0, 5, ROUND_CEILING / 2));
        assert!(b.round_done(0, 5, ROUND_CEILING));
        assert!(
            !b.round_done(0, 0, ROUND_CEILING * 2),
            "one iteration at least"
        );
        assert!(!b.thread_done(5, ROUND_CEILING));
        assert!(b.thread_done(5, ROUND_CEILING * ROUNDS as u32));
        assert!(threads_worthwhile(Some(140_000.0)));
        assert!(!threads_worthwhile(Some(3_400_000.0)));
        assert!(!threads_worthwhile(None));
    }

    #[test]
    fn time_budget_needs_one_iteration_and_its_share() {
        let b = Budget::Seconds(0.3);
        assert!(!b.round_done(0, 0, Duration::from_secs(5)));
        assert!(!b.round_done(0, 7, Duration::from_millis(50)));
        assert!(b.round_done(0, 7, Duration::from_millis(101)));
        assert!(b.thread_done(1, Duration::from_millis(300)));
        assert!(!b.thread_done(0, Duration::from_secs(1)));
    }

    #[test]
    fn lanes_alternate_and_summarise() {
        use std::cell::RefCell;
        let order = RefCell::new(vec![]);
        let mut lanes: Vec<Lane> = (0..2)
            .map(|i| {
                let order = &order;
                let run: Runnable = Box::new(move || {
                    order.borrow_mut().push(i);
                    Ok(Duration::from_micros(10 * (i as u64 + 1)).into())
                });
                Lane::new(run, true)
            })
            .collect();
        interleave(&mut lanes, Budget::Iterations(6), &|_| {});
        // Warm-ups, then two iterations per lane per round, lane 0 first.
        assert_eq!(*order.borrow(), [0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
        let results: Vec<Measured> = lanes.into_iter().map(|l| l.result().unwrap()).collect();
        assert_eq!(results[0].summary.count, 6);
        assert_eq!(results[1].summary.median_us, 20.0);
    }

    #[test]
    fn threads_add_up_and_failures_surface() {
        let sleepy = || -> Result<Step<'static>> {
            Ok(Box::new(|| {
                std::thread::sleep(Duration::from_millis(2));
                Ok(Duration::from_millis(2))
            }))
        };
        // Sleeping threads overlap whatever the cores: about 500/s each,
        // and they keep no CPU busy.
        let one = threaded(&sleepy, 1, Budget::Iterations(20)).unwrap();
        let four = threaded(&sleepy, 4, Budget::Iterations(20)).unwrap();
        assert!(one.ops_per_s < 520.0, "{one:?}");
        assert!(four.ops_per_s > 2.5 * one.ops_per_s, "{one:?} {four:?}");
        assert!(four.cpus.is_some_and(|c| c < 1.0), "{four:?}");
        let broken =
            || -> Result<Step<'static>> { Err(anyhow!("C_OpenSession: CKR_SESSION_COUNT")) };
        let err = threaded(&broken, 2, Budget::Iterations(5)).unwrap_err();
        assert!(err.to_string().contains("CKR_SESSION_COUNT"));
    }

    #[test]
    fn a_failing_lane_stops_alone() {
        let mut calls = 0;
        let failing: Runnable = Box::new(move || {
            calls += 1;
            if calls > 2 {
                Err(anyhow!("C_Sign: CKR_DEVICE_ERROR"))
            } else {
                Ok(Duration::from_micros(1).into())
            }
        });
        let fine: Runnable = Box::new(|| Ok(Duration::from_micros(2).into()));
        let mut lanes = vec![Lane::new(failing, false), Lane::new(fine, false)];
        interleave(&mut lanes, Budget::Iterations(9), &|_| {});
        let mut it = lanes.into_iter();
        let err = it.next().unwrap().result().unwrap_err();
        assert!(err.to_string().contains("CKR_DEVICE_ERROR"));
        assert_eq!(it.next().unwrap().result().unwrap().summary.count, 9);
    }
}
