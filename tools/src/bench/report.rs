//! The bench's report: a table for people, JSON and CSV for programs.

use super::ops::thousands;
use super::runner::Measured;
use serde::Serialize;
use std::fmt::Write as _;

/// Which target a row is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The module under test (--module), "A".
    Module,
    /// The module compared with (--compare), "B".
    Compare,
    /// The Rust libraries called directly (--raw), "R".
    Raw,
}

impl Role {
    fn letter(self) -> &'static str {
        match self {
            Role::Module => "A",
            Role::Compare => "B",
            Role::Raw => "R",
        }
    }
}

/// Throughput with a number of threads.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ThreadRate {
    pub threads: usize,
    pub ops_per_s: Option<f64>,
    /// CPUs the threads kept busy on average (CPU time over wall time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ThreadRate {
    /// Why the rate may not show the code's scaling: the threads kept
    /// fewer CPUs busy than there were threads (by more than a tenth).
    fn starved(&self) -> Option<String> {
        let cpus = self.cpus?;
        (cpus < 0.9 * self.threads as f64).then(|| {
            format!(
                "only {cpus:.1} CPUs busy on average: the threads waited for CPUs (other \
                 processes) or for locks"
            )
        })
    }
}

/// One target's result for one operation.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub role: Role,
    pub target: String,
    /// "ok", "skipped" (not offered) or "failed".
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub count: Option<usize>,
    pub median_us: Option<f64>,
    pub p99_us: Option<f64>,
    pub ops_per_s: Option<f64>,
    pub peak_rss_kib: Option<u64>,
    pub rss_growth_kib: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<ThreadRate>,
    /// B/A for the compared module (how many times faster A is), A/R for
    /// the libraries (A's overhead).
    pub ratio: Option<f64>,
}

impl Row {
    /// A row with a measurement.
    pub fn measured(role: Role, target: &str, m: &Measured) -> Row {
        Row {
            role,
            target: target.to_string(),
            status: "ok",
            note: None,
            count: Some(m.summary.count),
            median_us: Some(m.summary.median_us),
            p99_us: Some(m.summary.p99_us),
            ops_per_s: Some(m.summary.ops_per_s),
            peak_rss_kib: m.peak_kib,
            rss_growth_kib: m.growth_kib,
            threads: vec![],
            ratio: None,
        }
    }

    /// A row without a measurement: `status` is "skipped" or "failed".
    pub fn without(role: Role, target: &str, status: &'static str, note: String) -> Row {
        Row {
            role,
            target: target.to_string(),
            status,
            note: Some(note),
            count: None,
            median_us: None,
            p99_us: None,
            ops_per_s: None,
            peak_rss_kib: None,
            rss_growth_kib: None,
            threads: vec![],
            ratio: None,
        }
    }
}

/// Every target's row for one operation.
#[derive(Clone, Debug, Serialize)]
pub struct OpResult {
    pub op: String,
    pub rows: Vec<Row>,
}

impl OpResult {
    /// Sets the ratios: B/A on the compared module's row, A/R on the
    /// library row, where both medians exist.
    pub fn set_ratios(&mut self) {
        let median = |role| {
            self.rows
                .iter()
                .find(|r| r.role == role)
                .and_then(|r| r.median_us)
        };
        let Some(a) = median(Role::Module) else {
            return;
        };
        for row in &mut self.rows {
            row.ratio = match (row.role, row.median_us) {
                (Role::Compare, Some(b)) if a > 0.0 => Some(b / a),
                (Role::Raw, Some(r)) if r > 0.0 => Some(a / r),
                _ => None,
            };
        }
    }
}

/// The machine the numbers come from.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub nproc: usize,
    pub cpu: String,
    pub kernel: String,
    /// The 1-, 5- and 15-minute load averages when the run started: other
    /// work on the machine skews every figure.
    pub load: String,
}

impl Machine {
    pub fn this() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Machine {
            nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown CPU".into()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map_or_else(|_| "unknown".into(), |s| s.trim().to_string()),
            load: std::fs::read_to_string("/proc/loadavg").map_or_else(
                |_| "unknown".into(),
                |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
            ),
        }
    }
}

/// The first "model name" of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|l| {
        let (key, value) = l.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

/// A module in the report.
#[derive(Clone, Debug, Serialize)]
pub struct TargetInfo {
    pub role: Role,
    pub name: String,
    pub path: String,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub command: String,
    pub machine: Machine,
    /// "1 s" or "100 iterations" per operation and target.
    pub budget: String,
    pub targets: Vec<TargetInfo>,
    /// Thread counts of the throughput columns (empty: single thread only).
    pub thread_counts: Vec<usize>,
    pub results: Vec<OpResult>,
}

/// Microseconds for the table: 3 significant digits below 100, whole
/// numbers with separators above.
fn us(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        grouped(v)
    }
}

/// A whole number with thousands separators.
fn grouped(v: f64) -> String {
    if v.is_finite() {
        thousands(v.max(0.0).round() as usize)
    } else {
        "∞".into()
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "—".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn opt(v: Option<f64>, f: fn(f64) -> String) -> String {
    v.map_or_else(|| "—".into(), f)
}

impl Report {
    /// The table.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "qrc-tool bench on {} × {} (Linux {}, load average {} at the start)",
            m.nproc, m.cpu, m.kernel, m.load
        );
        for t in &self.targets {
            let _ = writeln!(out, "  {}  {:<14} {}", t.role.letter(), t.name, t.path);
        }
        let _ = writeln!(
            out,
            "{} per operation and target, in interleaved rounds; ratio: B/A = how many times \
             faster A is than B, A/R = A's cost over the library alone\n",
            self.budget
        );
        let mut header = format!(
            "{:<46} {:<2} {:>10} {:>10} {:>10}",
            "operation", "", "median µs", "p99 µs", "ops/s"
        );
        for n in &self.thread_counts {
            let _ = write!(header, " {:>10}", format!("ops/s {n}t"));
        }
        let _ = write!(header, " {:>9} {:>7} {:>7}", "peak MiB", "+MiB", "ratio");
        let _ = writeln!(out, "{header}");
        for r in &self.results {
            for (i, row) in r.rows.iter().enumerate() {
                let name = if i == 0 { r.op.as_str() } else { "" };
                let _ = write!(out, "{name:<46} {:<2}", row.role.letter());
                if row.status != "ok" {
                    let note = row.note.as_deref().unwrap_or("");
                    let _ = writeln!(out, " {}: {note}", row.status);
                    continue;
                }
                let _ = write!(
                    out,
                    " {:>10} {:>10} {:>10}",
                    opt(row.median_us, us),
                    opt(row.p99_us, us),
                    opt(row.ops_per_s, grouped)
                );
                for n in &self.thread_counts {
                    let rate = row.threads.iter().find(|t| t.threads == *n);
                    let cell = rate
                        .and_then(|t| t.ops_per_s)
                        .map_or_else(|| "—".into(), grouped);
                    let _ = write!(out, " {cell:>10}");
                }
                let ratio = row.ratio.map_or_else(String::new, |v| format!("{v:.2}×"));
                let _ = writeln!(
                    out,
                    " {:>9} {:>7} {:>7}",
                    mib(row.peak_rss_kib),
                    mib(row.rss_growth_kib),
                    ratio
                );
                for t in &row.threads {
                    if let Some(note) = t.note.clone().or_else(|| t.starved()) {
                        let _ = writeln!(out, "{:<49} {} threads: {note}", "", t.threads);
                    }
                }
            }
        }
        // Empty trailing columns leave blanks at line ends.
        out.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }

    /// JSON, one document.
    pub fn json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self).map(|s| s + "\n")
    }

    /// CSV, one line per operation and target.
    pub fn csv(&self) -> String {
        let mut header = vec![
            "operation",
            "role",
            "target",
            "status",
            "note",
            "count",
            "median_us",
            "p99_us",
            "ops_per_s",
            "peak_rss_kib",
            "rss_growth_kib",
            "ratio",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        header.extend(
            self.thread_counts
                .iter()
                .map(|n| format!("ops_per_s_{n}_threads")),
        );
        header.extend(
            self.thread_counts
                .iter()
                .map(|n| format!("cpus_{n}_threads")),
        );
        let mut out = header.join(",") + "\n";
        let num = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.3}"));
        let int = |v: Option<u64>| v.map_or_else(String::new, |v| v.to_string());
        for r in &self.results {
            for row in &r.rows {
                let mut cells = vec![
                    r.op.clone(),
                    format!("{:?}", row.role).to_lowercase(),
                    row.target.clone(),
                    row.status.to_string(),
                    row.note.clone().unwrap_or_default(),
                    int(row.count.map(|c| c as u64)),
                    num(row.median_us),
                    num(row.p99_us),
                    num(row.ops_per_s),
                    int(row.peak_rss_kib),
                    int(row.rss_growth_kib),
                    num(row.ratio),
                ];
                let rate = |n: &usize| row.threads.iter().find(|t| t.threads == *n);
                for n in &self.thread_counts {
                    cells.push(num(rate(n).and_then(|t| t.ops_per_s)));
                }
                for n in &self.thread_counts {
                    cells.push(num(rate(n).and_then(|t| t.cpus)));
                }
                let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
        out
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::stats::Summary;

    fn measured(median: f64) -> Measured {
        Measured {
            summary: Summary {
                count: 10,
                median_us: median,
                p99_us: median * 2.0,
                ops_per_s: 1e6 / median,
            },
            peak_kib: Some(40 * 1024),
            growth_kib: Some(512),
        }
    }

    fn sample() -> Report {
        let mut op = OpResult {
            op: "find 1 by label among 1,000".into(),
            rows: vec![
                Row::measured(Role::Module, "qrcpkcs11 0.1", &measured(10.0)),
                Row::measured(Role::Compare, "SoftHSM 2.6", &measured(20_000.0)),
                Row::without(Role::Raw, "libraries", "skipped", "no library call".into()),
            ],
        };
        op.rows[0].threads = vec![ThreadRate {
            threads: 2,
            ops_per_s: Some(180_000.0),
            cpus: Some(1.2),
            note: None,
        }];
        op.set_ratios();
        Report {
            command: "qrc-tool bench".into(),
            machine: Machine {
                nproc: 2,
                cpu: "AMD EPYC".into(),
                kernel: "6.1".into(),
                load: "0.10 0.20 0.30".into(),
            },
            budget: "1 s".into(),
            targets: vec![],
            thread_counts: vec![2],
            results: vec![op],
        }
    }

    #[test]
    fn ratios_compare_medians() {
        let r = sample();
        let rows = &r.results[0].rows;
        assert_eq!(rows[0].ratio, None);
        assert_eq!(rows[1].ratio, Some(2000.0));
        assert_eq!(rows[2].ratio, None);
        let mut raw = OpResult {
            op: "x".into(),
            rows: vec![
                Row::measured(Role::Module, "a", &measured(150.0)),
                Row::measured(Role::Raw, "r", &measured(100.0)),
            ],
        };
        raw.set_ratios();
        assert_eq!(raw.rows[1].ratio, Some(1.5));
    }

    #[test]
    fn table_shows_numbers_notes_and_ratios() {
        let text = sample().text();
        assert!(text.contains("2 × AMD EPYC"), "{text}");
        let line = text
            .lines()
            .find(|l| l.starts_with("find 1 by label"))
            .unwrap();
        assert!(line.contains(" 10.0 "), "{line}");
        assert!(line.contains("100,000"), "{line}");
        assert!(line.contains("180,000"), "{line}");
        assert!(line.contains("40.0"), "{line}");
        assert!(text.contains("20,000"), "{text}");
        assert!(text.contains("2000.00×"), "{text}");
        assert!(text.contains("skipped: no library call"), "{text}");
        assert!(text.contains("2 threads: only 1.2 CPUs busy"), "{text}");
    }

    #[test]
    fn csv_quotes_names_with_commas() {
        let csv = sample().csv();
        let mut lines = csv.lines();
        assert!(lines
            .next()
            .unwrap()
            .ends_with(",ratio,ops_per_s_2_threads,cpus_2_threads"));
        let first = lines.next().unwrap();
        assert!(
            first.starts_with("\"find 1 by label among 1,000\",module,qrcpkcs11 0.1,ok,,10,"),
            "{first}"
        );
        assert!(first.ends_with(",180000.000,1.200"), "{first}");
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn json_is_parseable_and_complete() {
        let v: serde_json::Value = serde_json::from_str(&sample().json().unwrap()).unwrap();
        let row = &v["results"][0]["rows"][1];
        assert_eq!(row["role"], "compare");
        assert_eq!(row["ratio"], 2000.0);
        assert_eq!(v["results"][0]["rows"][0]["threads"][0]["cpus"], 1.2);
        assert_eq!(v["machine"]["nproc"], 2);
        assert_eq!(v["results"][0]["rows"][2]["status"], "skipped");
    }

    #[test]
    fn cpu_model_comes_from_cpuinfo() {
        let info = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: avx2\n";
        assert_eq!(cpu_model(info).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model(""), None);
        assert_eq!(us(5.123), "5.12");
        assert_eq!(us(1234.4), "1,234");
    }
}
