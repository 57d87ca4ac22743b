//! The machine description recorded with every data file, from what
//! `/proc` shows (read by `book-process`).

use std::collections::BTreeMap;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use book_process::{limits, machine};

use crate::data::Machine;

pub fn describe() -> Machine {
    let sysctl = [
        "net/core/somaxconn",
        "net/ipv4/tcp_max_syn_backlog",
        "net/ipv4/ip_local_port_range",
        "vm/max_map_count",
        "kernel/threads-max",
        "vm/overcommit_memory",
    ]
    .into_iter()
    .map(|key| {
        let value = machine::sysctl(key).unwrap_or_default();
        (
            key.replace('/', "."),
            value.split_whitespace().collect::<Vec<_>>().join(" "),
        )
    })
    .collect::<BTreeMap<_, _>>();
    Machine {
        cpu_model: machine::cpu_model().unwrap_or_else(|| "unknown".into()),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        kernel: machine::kernel_release()
            .map(|release| format!("Linux {release}"))
            .unwrap_or_else(|_| "unknown".into()),
        rustc: env!("BENCH_RUSTC_VERSION").into(),
        tokio: env!("BENCH_TOKIO_VERSION").into(),
        date: utc_now(),
        memory_kib: machine::memory_kib().unwrap_or(0),
        nofile_limit: nofile_limit().0,
        sysctl,
        load_before: load_average(),
        load_after: load_average(),
        run_minutes: 0.0,
    }
}

/// The 1-minute load average.
pub fn load_average() -> f64 {
    machine::load_average().unwrap_or(0.0)
}

/// (soft, hard) limits on open descriptors.
pub fn nofile_limit() -> (u64, u64) {
    limits::descriptor_limit().unwrap_or((0, 0))
}

/// Raises the soft limit on open descriptors to the hard limit: 10,000
/// connections need more than the usual 1,024.
pub fn raise_nofile_limit() -> io::Result<()> {
    limits::raise_descriptor_limit().map(drop)
}

/// Now, UTC, as `YYYY-MM-DDTHH:MM:SSZ` (the civil calendar from days since
/// 1970, after Howard Hinnant's `civil_from_days`).
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}
