//! `strace`, for the tests that count a program's system calls (Part
//! Five's claim that the tuned runtime reads once per message), from
//! Debian's package; `cargo book install-tools` installs it.

use std::path::PathBuf;

use anyhow::Result;

/// The path of `strace` (installed by `cargo book install-tools`).
pub fn ensure_installed() -> Result<PathBuf> {
    crate::install::debian_program(
        "strace",
        &["strace"],
        "this test counts system calls",
    )
}

/// What `strace -c` counted for one system call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub calls: u64,
    pub errors: u64,
}

/// Reads the summary table `strace -c` writes for `syscall`: its rows are
/// `% time  seconds  usecs/call  calls  [errors]  syscall`, the errors
/// column empty when there were none. `None` if the call is not listed.
pub fn counted(summary: &str, syscall: &str) -> Option<Counted> {
    summary.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.last() != Some(&syscall) {
            return None;
        }
        let numbers = &fields[..fields.len() - 1];
        let number = |i: usize| numbers.get(i)?.parse::<u64>().ok();
        Some(Counted {
            calls: number(3)?,
            errors: if numbers.len() > 4 { number(4)? } else { 0 },
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 61.35    0.040011           3     11432      5716 recvfrom
 38.65    0.025205           4      5716           sendto
------ ----------- ----------- --------- --------- ----------------
100.00    0.065216           3     17148      5716 total
";

    #[test]
    fn reads_calls_and_errors_of_one_system_call() {
        let recv = Counted {
            calls: 11432,
            errors: 5716,
        };
        assert_eq!(counted(SUMMARY, "recvfrom"), Some(recv));
        let send = Counted {
            calls: 5716,
            errors: 0,
        };
        assert_eq!(counted(SUMMARY, "sendto"), Some(send));
        assert_eq!(counted(SUMMARY, "epoll_wait"), None);
    }
}
