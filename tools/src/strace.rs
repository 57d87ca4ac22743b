//! `strace`, for the tests that count a program's system calls (Part
//! Five's claim that the tuned runtime reads once per message). Found on
//! PATH, or installed from Debian's package when we are root, as the
//! browser tests install Chromium; anywhere else the error says what to
//! install.

use std::path::PathBuf;
use std::sync::Mutex;

use anyhow::Result;

use crate::browser::{Plan, can_use_apt, carry_out, on_path};

/// The path of `strace`, installing it first if need be.
pub fn ensure_installed() -> Result<PathBuf> {
    // Tests run in parallel threads: one of them installs, the others wait.
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _one_at_a_time = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let plan = match on_path("strace") {
        Some(path) => Plan::Use(path),
        None if can_use_apt() => Plan::Install(&["strace"]),
        None => Plan::Fail(
            "this test counts system calls with strace, which is not on \
             PATH: install it (`sudo apt-get install strace` on Debian and \
             Ubuntu)"
                .into(),
        ),
    };
    carry_out(plan, || Ok(on_path("strace")))
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
