//! Memory and CPU of the processes under test, read from `/proc` (Linux only): resident memory
//! from `/proc/<pid>/status` (`VmRSS`), CPU seconds from `/proc/<pid>/stat` (utime + stime, in
//! clock ticks of 1/100 s, the value of `USER_HZ` on every Linux architecture the bench runs on).
//!
//! Processes are measured in groups: a gateway, a service process, or all of PostgreSQL's
//! processes together. A process that exits between two samples drops out of its group's sums.

use serde::Serialize;

const TICKS_PER_SEC: f64 = 100.0;

/// Processes measured together under one name.
#[derive(Debug, Clone)]
pub struct ProcessGroup {
    /// `gateway 0`, `chatalot all`, `nats-server`, `postgres`, `redis-server`, ...
    pub name: String,
    pub pids: Vec<u32>,
}

/// One group at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub rss_kib: u64,
    pub cpu_secs: f64,
}

/// Resident memory of `pid` in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// CPU seconds (user + system) `pid` has used so far.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime field 14, stime field 15 (1-based, man 5 proc).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / TICKS_PER_SEC)
}

impl ProcessGroup {
    pub fn sample(&self) -> Sample {
        let mut sample = Sample::default();
        for &pid in &self.pids {
            sample.rss_kib += rss_kib(pid).unwrap_or(0);
            sample.cpu_secs += cpu_secs(pid).unwrap_or(0.0);
        }
        sample
    }
}

/// Every process whose `/proc/<pid>/comm` is `name`, except this one.
pub fn pids_named(name: &str) -> Vec<u32> {
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != me)
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim_end() == name)
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// A short label for `pid`: its command name and first argument (`chatalot gateway`).
pub fn label(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut args = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned());
    let program = args
        .next()
        .map(|p| p.rsplit('/').next().unwrap_or_default().to_string())
        .unwrap_or_else(|| "?".to_string());
    match args.next() {
        Some(role) if !role.starts_with('-') => format!("{program} {role} ({pid})"),
        _ => format!("{program} ({pid})"),
    }
}

/// The groups of a run: each given pid alone, then (with `measure_system`) NATS, PostgreSQL,
/// Redis and any `chatalot` process not given explicitly.
pub fn groups(gateway_pids: &[u32], pids: &[u32], measure_system: bool) -> Vec<ProcessGroup> {
    let mut groups: Vec<ProcessGroup> = gateway_pids
        .iter()
        .chain(pids)
        .map(|&pid| ProcessGroup {
            name: label(pid),
            pids: vec![pid],
        })
        .collect();
    if measure_system {
        for pid in pids_named("chatalot") {
            if !gateway_pids.contains(&pid) && !pids.contains(&pid) {
                groups.push(ProcessGroup {
                    name: label(pid),
                    pids: vec![pid],
                });
            }
        }
        for name in ["nats-server", "postgres", "redis-server"] {
            let found = pids_named(name);
            if !found.is_empty() {
                groups.push(ProcessGroup {
                    name: name.to_string(),
                    pids: found,
                });
            }
        }
    }
    groups
}

/// A group's memory and CPU over a measured window.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessUsage {
    pub name: String,
    pub pids: Vec<u32>,
    pub rss_before_kib: u64,
    pub rss_after_kib: u64,
    /// CPU seconds (user + system) used during the window.
    pub cpu_secs: f64,
    /// `cpu_secs` per 10,000 deliveries (scenarios that deliver messages), else null.
    pub cpu_secs_per_10k_deliveries: Option<f64>,
}

/// Samples of every group at the start of a window.
pub struct Window {
    groups: Vec<ProcessGroup>,
    before: Vec<Sample>,
}

impl Window {
    pub fn start(groups: &[ProcessGroup]) -> Self {
        Self {
            groups: groups.to_vec(),
            before: groups.iter().map(ProcessGroup::sample).collect(),
        }
    }

    /// Usage since [`Window::start`]; `deliveries` (when known) gives the per-10k figure.
    pub fn finish(&self, deliveries: Option<u64>) -> Vec<ProcessUsage> {
        self.groups
            .iter()
            .zip(&self.before)
            .map(|(group, before)| {
                let after = group.sample();
                let cpu_secs = round3((after.cpu_secs - before.cpu_secs).max(0.0));
                ProcessUsage {
                    name: group.name.clone(),
                    pids: group.pids.clone(),
                    rss_before_kib: before.rss_kib,
                    rss_after_kib: after.rss_kib,
                    cpu_secs,
                    cpu_secs_per_10k_deliveries: deliveries
                        .filter(|d| *d > 0)
                        .map(|d| round3(cpu_secs * 10_000.0 / d as f64)),
                }
            })
            .collect()
    }
}

/// `x` rounded to 3 decimals, for readable JSON.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_cpu() {
        let me = std::process::id();
        assert!(rss_kib(me).is_some_and(|kib| kib > 0));
        assert!(cpu_secs(me).is_some_and(|secs| secs >= 0.0));
        assert_eq!(rss_kib(u32::MAX), None);
    }
}
