//! The process's own figures, read from `/proc/self` at each scrape (Linux;
//! elsewhere they are left out): resident memory, open and allowed file
//! descriptors, threads, and the start time (which shows restarts).

use std::time::{SystemTime, UNIX_EPOCH};

/// Sets the process gauges; `started` is when the recorder was installed.
pub(super) fn record(started: SystemTime) {
    if let Some(status) = read("/proc/self/status") {
        if let Some(kib) = field(&status, "VmRSS:") {
            metrics::gauge!("process_resident_memory_bytes").set(kib * 1024.0);
        }
        if let Some(threads) = field(&status, "Threads:") {
            metrics::gauge!("process_threads").set(threads);
        }
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        metrics::gauge!("process_open_fds").set(fds.count() as f64);
    }
    if let Some(limit) = read("/proc/self/limits").and_then(|limits| max_open_files(&limits)) {
        metrics::gauge!("process_max_fds").set(limit);
    }
    let since_epoch = started.duration_since(UNIX_EPOCH).unwrap_or_default();
    metrics::gauge!("process_start_time_seconds").set(since_epoch.as_secs_f64());
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The first number after `name` on its line of /proc/self/status.
fn field(status: &str, name: &str) -> Option<f64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The soft limit on the "Max open files" line of /proc/self/limits.
fn max_open_files(limits: &str) -> Option<f64> {
    limits
        .lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}
