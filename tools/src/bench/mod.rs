//! `qrc-tool bench`: measures any PKCS#11 module through its C API, next to
//! a second module (--compare) and to the Rust libraries ours is built on
//! (--raw), operations interleaved between them in one run.
//!
//! - [`ops`]: the operations; [`keys`]: their templates and mechanisms;
//! - [`target`]: a module with a token of its own; [`module_ops`]: the
//!   operations through PKCS#11; [`raw_lib`]: the same, library alone;
//!   [`probe`]: what a child process measures;
//! - [`runner`]: rounds, memory and threads; [`stats`], [`memory`];
//! - [`report`]: table, JSON, CSV.

mod keys;
mod memory;
mod module_ops;
mod ops;
mod probe;
mod progress;
mod raw_lib;
mod report;
mod runner;
mod stats;
mod target;

use crate::pin::{self, Pin};
use anyhow::{bail, Result};
use clap::Args;
use ops::Op;
use progress::Progress;
use report::{Machine, OpResult, Report, Role, Row, TargetInfo, ThreadRate};
use runner::{Budget, Lane, Runnable, Sample};
use std::path::{Path, PathBuf};
use std::time::Duration;
use target::{Target, TokenChoice};

/// Options of `qrc-tool bench` (the module, --store and --slot are the
/// tool's global options).
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// A second module measured in the same run, operations interleaved
    /// (e.g. /usr/lib/softhsm/libsofthsm2.so); it gets a throw-away token
    #[arg(long, value_name = "PATH")]
    compare: Option<PathBuf>,
    /// Also call each algorithm directly from the Rust library the module
    /// uses, for the overhead ratio
    #[arg(long)]
    raw: bool,
    /// Thread counts to measure throughput with, each thread with its own
    /// session, e.g. 1,2,4 (not for operations whose calls take over 1 s)
    #[arg(long, value_delimiter = ',', value_name = "N,…")]
    threads: Vec<usize>,
    /// Print JSON
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV
    #[arg(long)]
    csv: bool,
    /// Timed iterations per operation and target (fewer where a third of
    /// them takes over 10 s)
    #[arg(long, value_name = "N", conflicts_with = "seconds")]
    iterations: Option<u64>,
    /// Seconds per operation and target [default: 1]
    #[arg(long, value_name = "S")]
    seconds: Option<f64>,
    /// Only operations whose name contains one of these |-separated
    /// strings (case-insensitive), e.g. "ML-DSA-65|find"
    #[arg(long, value_name = "FILTER")]
    ops: Option<String>,
    /// List the operations and exit
    #[arg(long)]
    list: bool,
    /// User PIN: of the token to use (an initialised --store), or of the
    /// token the bench initialises. Prefer QRC_PIN: other users see
    /// arguments (ps)
    #[arg(long, env = "QRC_PIN", hide_env_values = true, value_parser = pin::parse)]
    pin: Option<Pin>,
    /// SO PIN of the token the bench initialises. Prefer QRC_SO_PIN
    #[arg(long, env = "QRC_SO_PIN", hide_env_values = true, value_parser = pin::parse)]
    so_pin: Option<Pin>,
    /// Initialise the token first even if it is initialised (destroys every
    /// object on it). Without --store the token is a fresh throw-away one
    #[arg(long)]
    init: bool,
    /// Searches among 10,000 and 100,000 objects on modules other than
    /// qrcpkcs11 too (capped at 1,000 by default: slow on SoftHSMv2)
    #[arg(long)]
    big: bool,
    /// Internal: measure C_Initialize and the first login in this process
    #[arg(long, hide = true)]
    probe: bool,
}

impl BenchArgs {
    fn budget(&self) -> Result<Budget> {
        match (self.iterations, self.seconds) {
            (Some(0), _) => bail!("--iterations must be at least 1"),
            (Some(n), _) => Ok(Budget::Iterations(n)),
            (None, Some(s)) if !(s > 0.0 && s.is_finite()) => bail!("--seconds must be positive"),
            (None, Some(s)) => Ok(Budget::Seconds(s)),
            (None, None) => Ok(Budget::Seconds(1.0)),
        }
    }
}

/// Runs the bench against the module at `path`.
pub fn run(path: &Path, store: Option<&Path>, slot: Option<u64>, args: &BenchArgs) -> Result<()> {
    if args.probe {
        return probe::child(path);
    }
    let ops = ops::select(ops::catalogue(), args.ops.as_deref());
    if args.list {
        let names: Vec<&str> = ops.iter().map(|o| o.name.as_str()).collect();
        return crate::emit(&(names.join("\n") + "\n"));
    }
    if ops.is_empty() {
        bail!(
            "no operation matches --ops {:?} (see --list)",
            args.ops.as_deref().unwrap_or("")
        );
    }
    if args.threads.contains(&0) {
        bail!("--threads counts must be at least 1");
    }
    let budget = args.budget()?;
    let machine = Machine::this();
    let choice = TokenChoice {
        store,
        slot,
        pin: args.pin.as_ref().map(|p| p.as_str()),
        so_pin: args.so_pin.as_ref().map(|p| p.as_str()),
        init: args.init,
    };
    let main = Target::open(path, &choice)?;
    let compare = match &args.compare {
        Some(other) => {
            if same_file(path, other) {
                bail!("--compare names the module under test itself");
            }
            let choice = TokenChoice {
                store: None,
                slot: None,
                ..choice
            };
            Some(Target::open(other, &choice)?)
        }
        None => None,
    };
    let mut modules = vec![(Role::Module, &main)];
    modules.extend(compare.iter().map(|t| (Role::Compare, t)));
    let progress = Progress::new(ops.len());
    let mut results = vec![];
    for op in &ops {
        results.push(measure(op, &modules, args, budget, &progress));
        progress.step();
    }
    progress.finish();
    let report = Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        machine,
        budget: match budget {
            Budget::Iterations(n) => format!("{n} iterations"),
            Budget::Seconds(s) => format!("{s} s"),
        },
        targets: target_infos(&modules, args.raw),
        thread_counts: args.threads.clone(),
        results,
    };
    let text = if args.json {
        report.json()?
    } else if args.csv {
        report.csv()
    } else {
        report.text()
    };
    crate::emit(&text)?;
    drop(modules);
    if let Some(t) = compare {
        t.close()?;
    }
    main.close()
}

/// Whether two paths name one file (loading it twice would share one
/// initialised instance).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn target_infos(modules: &[(Role, &Target)], raw: bool) -> Vec<TargetInfo> {
    let mut out: Vec<TargetInfo> = modules
        .iter()
        .map(|(role, t)| TargetInfo {
            role: *role,
            name: t.name.clone(),
            path: t.module.path.display().to_string(),
        })
        .collect();
    if raw {
        out.push(TargetInfo {
            role: Role::Raw,
            name: "libraries".into(),
            path: "libcrux-ml-kem, libcrux-ml-dsa, slh-dsa, falcon-rs, aes-gcm, sha2 (called directly)"
                .into(),
        });
    }
    out
}

/// A lane for `op` on one module, or the row saying why there is none.
fn module_lane<'a>(
    op: &Op,
    role: Role,
    t: &'a Target,
    args: &BenchArgs,
    progress: &Progress,
) -> Result<Lane<'a>, Box<Row>> {
    let skip = |note: String| Box::new(Row::without(role, &t.name, "skipped", note));
    let fail = |e: anyhow::Error| {
        if target::unsupported(&e) {
            skip(format!("{e:#}"))
        } else {
            Box::new(Row::without(role, &t.name, "failed", format!("{e:#}")))
        }
    };
    t.offers(&op.needs()).map_err(skip)?;
    if let Some(n) = op.population() {
        if n > t.object_cap(args.big) {
            let cap = ops::thousands(target::SMALL_CAP);
            return Err(skip(format!(
                "capped at {cap} objects on this module (--big)"
            )));
        }
        let total = ops::thousands(n);
        let say = |count: usize| {
            progress.say(format!(
                "{}: creating objects {} / {total}",
                t.name,
                ops::thousands(count)
            ));
        };
        t.populate(n, &say).map_err(fail)?;
    }
    let run: Runnable<'a> = match op.kind {
        ops::Kind::InitProbe { .. } | ops::Kind::FirstLogin => {
            let prober = probe::Prober::new(t).map_err(fail)?;
            let login = op.kind == ops::Kind::FirstLogin;
            Box::new(move || {
                let r = prober.run(t.pin())?;
                let (us, peak) = if login {
                    (r.login_us, r.login_peak_kib)
                } else {
                    (r.init_us, r.open_peak_kib)
                };
                Ok(Sample {
                    time: Duration::from_secs_f64(us / 1e6),
                    child_peak_kib: peak,
                })
            })
        }
        kind => {
            let mut step = module_ops::prepare(kind, t).map_err(fail)?;
            Box::new(move || step().map(Sample::from))
        }
    };
    Ok(Lane::new(
        run,
        !matches!(op.kind, ops::Kind::InitProbe { .. } | ops::Kind::FirstLogin),
    ))
}

/// Measures `op` on every target, interleaved, then with each thread count.
fn measure(
    op: &Op,
    modules: &[(Role, &Target)],
    args: &BenchArgs,
    budget: Budget,
    progress: &Progress,
) -> OpResult {
    // Lanes and the targets they run on, in row order; rows without a
    // lane are kept as they are.
    let mut rows: Vec<Option<Row>> = vec![];
    let mut lanes = vec![];
    let mut who: Vec<(usize, Role, String)> = vec![];
    for (role, t) in modules {
        progress.say(format!("{} — {}", op.name, t.name));
        match module_lane(op, *role, t, args, progress) {
            Ok(lane) => {
                who.push((rows.len(), *role, t.name.clone()));
                rows.push(None);
                lanes.push(lane);
            }
            Err(row) => rows.push(Some(*row)),
        }
    }
    if args.raw {
        if let Some(prepared) = raw_lib::prepare(op.kind) {
            let name = "libraries".to_string();
            match prepared {
                Ok(mut step) => {
                    who.push((rows.len(), Role::Raw, name));
                    rows.push(None);
                    lanes.push(Lane::new(Box::new(move || step().map(Sample::from)), true));
                }
                Err(e) => rows.push(Some(Row::without(
                    Role::Raw,
                    &name,
                    "failed",
                    format!("{e:#}"),
                ))),
            }
        }
    }
    runner::interleave(&mut lanes, budget, &|i| {
        if let Some((_, _, name)) = who.get(i) {
            progress.say(format!("{} — {name}", op.name));
        }
    });
    for (lane, (slot, role, name)) in lanes.into_iter().zip(&who) {
        rows[*slot] = Some(match lane.result() {
            Ok(m) => Row::measured(*role, name, &m),
            Err(e) => Row::without(*role, name, "failed", format!("{e:#}")),
        });
    }
    let mut result = OpResult {
        op: op.name.clone(),
        rows: rows.into_iter().flatten().collect(),
    };
    if op.threaded() && !args.threads.is_empty() {
        let measured = |r: &&mut Row| r.status == "ok" && runner::threads_worthwhile(r.median_us);
        for row in result.rows.iter_mut().filter(measured) {
            let module = modules
                .iter()
                .find(|(role, _)| *role == row.role)
                .map(|(_, t)| *t);
            let kind = op.kind;
            let prepare = || match module {
                Some(t) => module_ops::prepare(kind, t),
                None => raw_lib::prepare(kind).unwrap_or_else(|| bail!("no library call")),
            };
            for &n in &args.threads {
                progress.say(format!("{} — {}, {n} threads", op.name, row.target));
                let rate = runner::threaded(&prepare, n, budget);
                row.threads.push(ThreadRate {
                    threads: n,
                    ops_per_s: rate.as_ref().ok().map(|r| r.ops_per_s),
                    cpus: rate.as_ref().ok().and_then(|r| r.cpus),
                    note: rate.err().map(|e| format!("{e:#}")),
                });
            }
        }
    }
    result.set_ratios();
    result
}
