//! What `/proc` shows of the whole machine: the processor, memory, load,
//! kernel settings, and the TCP counters of this network namespace.

use std::collections::BTreeMap;
use std::fs;
use std::io;

use procfs::{CpuInfo, Current, LoadAverage, Meminfo};

/// A kernel setting (`/proc/sys/KEY`, e.g. `vm/max_map_count`), its
/// whitespace as the kernel prints it, less the final newline.
pub fn sysctl(key: &str) -> io::Result<String> {
    let value = fs::read_to_string(format!("/proc/sys/{key}"))?;
    Ok(value.trim_end_matches('\n').to_owned())
}

/// A kernel setting that is one number, e.g. `kernel/pid_max`.
pub fn sysctl_number(key: &str) -> io::Result<u64> {
    sysctl(key)?
        .trim()
        .parse()
        .map_err(|e| io::Error::other(format!("/proc/sys/{key}: {e}")))
}

/// The model name of the first processor.
pub fn cpu_model() -> Option<String> {
    let info = CpuInfo::current().ok()?;
    Some(info.model_name(0)?.trim().to_owned())
}

/// The machine's memory, in KiB (`MemTotal`).
pub fn memory_kib() -> Option<u64> {
    // `procfs` gives bytes; the kernel counts in KiB.
    Some(Meminfo::current().ok()?.mem_total / 1024)
}

/// The running kernel's release, as `uname -r` prints it.
pub fn kernel_release() -> io::Result<String> {
    Ok(sysctl("kernel/osrelease")?.trim().to_owned())
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    Some(f64::from(LoadAverage::current().ok()?.one))
}

/// TCP counters of this network namespace that tell of full queues:
/// connections dropped because the accept queue was full
/// (`listen_overflows`), all connections dropped at listen
/// (`listen_drops`), SYN cookies sent because the SYN queue was full
/// (`syncookies_sent`), and segments sent again (`tcp_retransmits`).
///
/// `procfs` reads `/proc/net/snmp` but not `/proc/net/netstat`, where the
/// first three are; both files have one layout, read here.
pub fn tcp_counters() -> BTreeMap<String, f64> {
    let mut counters = BTreeMap::new();
    let wanted = [
        ("TcpExt", "ListenOverflows", "listen_overflows"),
        ("TcpExt", "ListenDrops", "listen_drops"),
        ("TcpExt", "SyncookiesSent", "syncookies_sent"),
        ("Tcp", "RetransSegs", "tcp_retransmits"),
    ];
    for file in ["/proc/net/netstat", "/proc/net/snmp"] {
        let text = fs::read_to_string(file).unwrap_or_default();
        // Each group is two lines: "Group: names..." then "Group: values".
        let lines: Vec<&str> = text.lines().collect();
        for pair in lines.chunks(2) {
            let [names, values] = pair else { continue };
            let (Some((group, names)), Some((_, values))) =
                (names.split_once(": "), values.split_once(": "))
            else {
                continue;
            };
            for (name, value) in
                names.split_whitespace().zip(values.split_whitespace())
            {
                for (g, n, key) in wanted {
                    if g == group
                        && n == name
                        && let Ok(value) = value.parse::<f64>()
                    {
                        counters.insert(key.to_string(), value);
                    }
                }
            }
        }
    }
    counters
}
