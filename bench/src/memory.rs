//! Memory per sleeper: `count` threads or tasks that each sleep, in a
//! process of their own. The figure is the process's peak resident memory
//! (`VmHWM`) less its resident memory before the first one started,
//! divided by `count`.
//!
//! Threads can run out before `count`: `Builder::spawn` may return an
//! error, which is reported here, or the process may be killed on the way
//! (std aborts when it cannot set up a new thread's stack guard); the
//! driver reports that from the exit status.

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use book_process::inspect;
use serde_json::{Value, json};

pub fn measure(
    kind: &str,
    count: usize,
    duration: Duration,
) -> io::Result<Value> {
    let before = resident_kib()?;
    let began = Instant::now();
    let mut spawned = count;
    let mut failure = None;
    match kind {
        "threads" => {
            let mut handles = Vec::with_capacity(count);
            for i in 0..count {
                match thread::Builder::new()
                    .spawn(move || thread::sleep(duration))
                {
                    Ok(handle) => {
                        handles.push(handle);
                        // Progress, for the driver: if std aborts the
                        // process, this says how far it got.
                        if (i + 1) % 1000 == 0 {
                            eprintln!("spawned {}", i + 1);
                        }
                    }
                    Err(e) => {
                        spawned = i;
                        failure = Some(format!(
                            "spawn failed after {i} threads: {e}"
                        ));
                        break;
                    }
                }
            }
            for handle in handles {
                let _ = handle.join();
            }
        }
        "tokio-ct" => {
            let runtime = crate::servers::tokio_runtime(false)?;
            runtime.block_on(async {
                let handles: Vec<_> = (0..count)
                    .map(|_| tokio::spawn(tokio::time::sleep(duration)))
                    .collect();
                for handle in handles {
                    let _ = handle.await;
                }
            });
        }
        "book" => crate::book::sleepers(count, duration)?,
        "book-tuned" => crate::book_tuned::sleepers(count, duration)?,
        other => {
            return Err(io::Error::other(format!("no sleeper kind {other}")));
        }
    }
    let wall = began.elapsed().as_secs_f64();
    let peak = peak_resident_kib()?;
    let grown = peak.saturating_sub(before) as f64 * 1024.0;
    Ok(json!({
        "kind": kind,
        "count": count,
        "spawned": spawned,
        "failure": failure,
        "wall_s": wall,
        "rss_before_kib": before,
        "peak_rss_kib": peak,
        "bytes_per_sleeper": if spawned > 0 { grown / spawned as f64 } else { 0.0 },
    }))
}

/// This process's resident memory now, in KiB (`VmRSS`).
fn resident_kib() -> io::Result<u64> {
    inspect::resident_kib(std::process::id())
}

/// The most resident memory this process has had, in KiB (`VmHWM`).
fn peak_resident_kib() -> io::Result<u64> {
    inspect::peak_resident_kib(std::process::id())
}
