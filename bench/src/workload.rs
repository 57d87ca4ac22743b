//! What a server does with each connection: the one type every contender
//! (`servers.rs`, `part3.rs`, `raw_epoll.rs`, `book_workloads.rs`) and the
//! command line share, and which depends on none of them.

use std::time::Duration;

/// What a server does with each connection.
#[derive(Clone, Copy, Debug)]
pub enum Workload {
    /// Writes "start\n", sleeps, writes "end\n" and closes.
    Sleep(Duration),
    /// Writes back whatever it reads, until the client closes, after
    /// `work` rounds of computing on each read's bytes ([`work_on`]): none
    /// for the echo workloads, enough for a CPU-bound one.
    Echo { work: u32 },
}

/// Spends CPU time on `message`, about a nanosecond and a half per round
/// on the machines of the book's runs: each round mixes one 64-bit word,
/// and depends on the one before, so rounds cannot overlap. The result is
/// passed to `black_box`, so the compiler cannot leave the work out.
pub fn work_on(message: &[u8], rounds: u32) {
    let mut state = message
        .iter()
        .fold(0x9e37_79b9_7f4a_7c15_u64, |state, &byte| {
            (state ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    for _ in 0..rounds {
        state ^= state >> 29;
        state = state.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
    std::hint::black_box(state);
}
