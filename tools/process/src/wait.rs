//! Waiting for something a process does, polled, up to a deadline: every
//! wait of a test is bounded, and says what it waited for when it gives
//! up.

use std::thread;
use std::time::{Duration, Instant};

use crate::inspect;

/// Polls `condition` until it holds; panics, naming `what`, once
/// `within` has passed without it.
pub fn wait_until(
    what: &str,
    within: Duration,
    mut condition: impl FnMut() -> bool,
) {
    wait_for(what, within, || condition().then_some(()))
}

/// Polls `found` until it finds something, and returns it; panics,
/// naming `what`, once `within` has passed without it.
pub fn wait_for<T>(
    what: &str,
    within: Duration,
    mut found: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    // Short pauses first, for what happens at once (a process going back
    // to sleep), longer ones later, so that a long wait does not take a
    // core from the process it waits for.
    let mut pause = Duration::from_micros(100);
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "waited {within:?} for {what}, in vain"
        );
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// Waits until process `pid` listens on TCP port `port` in its network,
/// as the kernel reports in `/proc/PID/net/tcp`.
pub fn wait_until_listening(pid: u32, port: u16, within: Duration) {
    wait_until(
        &format!("process {pid} to listen on port {port}"),
        within,
        || inspect::listens_on(pid, port),
    );
}

/// Waits until process `pid` listens on a TCP port, of the kernel's
/// choosing, and returns it: for a server started on port 0.
pub fn wait_for_listening_port(pid: u32, within: Duration) -> u16 {
    wait_for(&format!("process {pid} to listen"), within, || {
        inspect::listening_port(pid)
    })
}
