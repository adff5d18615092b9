//! What a process tree costs, from `/proc`: CPU time (utime + stime), context
//! switches (voluntary + involuntary, every thread: each is a wake-up), resident
//! and proportional memory. Two samples give the cost of the time between them.

use std::collections::HashMap;

/// One thread's counters.
#[derive(Debug, Clone)]
pub struct Thread {
    pub pid: u32,
    pub name: String,
    pub switches: u64,
    pub ticks: u64,
}

/// A process tree at one moment.
#[derive(Debug, Clone)]
pub struct Sample {
    /// By thread id.
    pub threads: HashMap<u32, Thread>,
    /// (pid, name, RSS KiB, PSS KiB) of every process.
    pub processes: Vec<(u32, String, u64, u64)>,
}

fn ticks_per_second() -> f64 {
    // getconf CLK_TCK; 100 on every Linux this runs on.
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

fn field(status: &str, name: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

impl Sample {
    pub fn take(root: u32) -> Sample {
        let (_, rows) = super::desktop::tree_rss(root);
        let mut threads = HashMap::new();
        let mut processes = Vec::new();
        for (pid, name, rss) in rows {
            let pss = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
                .map(|s| field(&s, "Pss:"))
                .unwrap_or(0);
            processes.push((pid, name, rss, pss));
            let tasks = std::fs::read_dir(format!("/proc/{pid}/task"));
            for task in tasks.into_iter().flatten().flatten() {
                let Ok(tid) = task.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let dir = task.path();
                let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
                let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
                // utime and stime: fields 14 and 15, the 12th and 13th after the name.
                let after: Vec<&str> = stat
                    .rsplit_once(") ")
                    .map(|(_, r)| r.split_whitespace().collect())
                    .unwrap_or_default();
                let tick = |i: usize| after.get(i).and_then(|v| v.parse::<u64>().ok());
                let name = status
                    .lines()
                    .find_map(|l| l.strip_prefix("Name:"))
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                threads.insert(
                    tid,
                    Thread {
                        pid,
                        name,
                        switches: field(&status, "voluntary_ctxt_switches:")
                            + field(&status, "nonvoluntary_ctxt_switches:"),
                        ticks: tick(11).unwrap_or(0) + tick(12).unwrap_or(0),
                    },
                );
            }
        }
        Sample { threads, processes }
    }

    pub fn rss_kib(&self) -> u64 {
        self.processes.iter().map(|p| p.2).sum()
    }

    pub fn pss_kib(&self) -> u64 {
        self.processes.iter().map(|p| p.3).sum()
    }

    /// What happened since `before`: CPU seconds, context switches, and the threads
    /// that switched, busiest first (name, switches, CPU seconds). Threads that
    /// ended in between are not counted.
    pub fn since(&self, before: &Sample) -> (f64, u64, Vec<(String, u64, f64)>) {
        let hz = ticks_per_second();
        let mut rows: Vec<(String, u64, f64)> = self
            .threads
            .iter()
            .map(|(tid, t)| {
                let (s0, t0) = before
                    .threads
                    .get(tid)
                    .map_or((0, 0), |b| (b.switches, b.ticks));
                (
                    format!("{}/{tid}", t.name),
                    t.switches.saturating_sub(s0),
                    t.ticks.saturating_sub(t0) as f64 / hz,
                )
            })
            .filter(|r| r.1 > 0 || r.2 > 0.0)
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1));
        let cpu = rows.iter().map(|r| r.2).sum();
        let switches = rows.iter().map(|r| r.1).sum();
        (cpu, switches, rows)
    }
}
