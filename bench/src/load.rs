//! The load generator: a process of its own, on Tokio's current_thread
//! scheduler, the same for every contender. It prints one JSON object.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use book_process::inspect::{self, CpuTime};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

/// `n` clients at once, each reading "start\n" then "end\n" to the end of
/// the stream, each given at most `limit`.
pub fn sleep_clients(
    address: SocketAddr,
    n: usize,
    limit: Duration,
) -> io::Result<Value> {
    let runtime = crate::servers::tokio_runtime(false)?;
    runtime.block_on(async move {
        let began = Instant::now();
        let mut clients = JoinSet::new();
        for _ in 0..n {
            clients.spawn(async move {
                match timeout(limit, sleep_client(address, began)).await {
                    Ok(result) => result,
                    Err(_) => Err("timed out".to_string()),
                }
            });
        }
        let mut complete = 0u64;
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        let mut start_latencies = Vec::with_capacity(n);
        while let Some(joined) = clients.join_next().await {
            match joined.map_err(|e| e.to_string()).and_then(|r| r) {
                Ok(first_line_after) => {
                    complete += 1;
                    start_latencies.push(first_line_after.as_secs_f64());
                }
                Err(e) => *errors.entry(e).or_default() += 1,
            }
        }
        let wall = began.elapsed().as_secs_f64();
        start_latencies.sort_by(f64::total_cmp);
        Ok(json!({
            "connections": n,
            "complete": complete,
            "failed": n as u64 - complete,
            "errors": errors,
            "wall_s": wall,
            "slowest_start_s": start_latencies.last().copied().unwrap_or(0.0),
            // A lost SYN is sent again after one second: a start this late
            // waited for at least one retransmission.
            "starts_after_1s": start_latencies.iter().filter(|&&t| t >= 1.0).count(),
            "median_start_s": crate::data::median(&start_latencies).unwrap_or(0.0),
        }))
    })
}

/// One client: returns how long after `began` its "start" line came.
async fn sleep_client(
    address: SocketAddr,
    began: Instant,
) -> Result<Duration, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|e| format!("connect: {}", e.kind()))?;
    let mut got = Vec::with_capacity(16);
    let mut buf = [0u8; 64];
    let mut start_at = None;
    loop {
        let n = stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("read: {}", e.kind()))?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        if start_at.is_none() && got.starts_with(b"start\n") {
            start_at = Some(began.elapsed());
        }
        if got.len() > 10 {
            break;
        }
    }
    match (got.as_slice(), start_at) {
        (b"start\nend\n", Some(at)) => Ok(at),
        _ => Err(format!("wrong reply: {:?}", String::from_utf8_lossy(&got))),
    }
}

/// `connections` clients, each sending `size`-byte messages and reading
/// each back before the next, for `seconds`; plus `idle` connections that
/// only sit there. The CPU time of process `server` is read at the two
/// edges of the measured window, here, where they are: a driver told of
/// them by a line could read them late on a busy machine, both after the
/// window, and find the server used no CPU at all.
pub fn echo_clients(
    address: SocketAddr,
    connections: usize,
    idle: usize,
    size: usize,
    seconds: f64,
    server: u32,
) -> io::Result<Value> {
    let runtime = crate::servers::tokio_runtime(false)?;
    runtime.block_on(async move {
        // Connect everything first, and make one round trip on each
        // connection: then the server has accepted and served every one
        // of them before the measured window begins.
        // A hundred at a time: a server that polls every connection on
        // every turn (Part Three's) then serves many per turn, and the
        // accept queue never overflows.
        let mut quiet = Vec::with_capacity(idle + connections);
        let mut left = idle + connections;
        while left > 0 {
            let batch = left.min(100);
            left -= batch;
            let mut warming = JoinSet::new();
            for _ in 0..batch {
                warming.spawn(timeout(Duration::from_secs(30), async move {
                    let mut stream = TcpStream::connect(address).await?;
                    stream.set_nodelay(true)?;
                    let mut byte = [b'.'];
                    stream.write_all(&byte).await?;
                    stream.read_exact(&mut byte).await?;
                    io::Result::Ok(stream)
                }));
            }
            while let Some(joined) = warming.join_next().await {
                let stream = joined
                    .map_err(io::Error::other)?
                    .map_err(|_| io::Error::other("warm-up timed out"))??;
                quiet.push(stream);
            }
        }
        let streams = quiet.split_off(idle);
        // Setting up is not counted.
        let cpu_at_start = inspect::cpu_time(server)?;
        let began = Instant::now();
        let deadline = began + Duration::from_secs_f64(seconds);
        let mut clients = JoinSet::new();
        for (i, mut stream) in streams.into_iter().enumerate() {
            clients.spawn(async move {
                let message: Vec<u8> =
                    (0..size).map(|j| b'a' + ((i + j) % 26) as u8).collect();
                let mut reply = vec![0u8; size];
                let mut round_trips = 0u64;
                // At least one round trip, however late this task starts
                // on a loaded machine; then until the deadline.
                loop {
                    let step = async {
                        stream.write_all(&message).await?;
                        stream.read_exact(&mut reply).await?;
                        io::Result::Ok(())
                    };
                    match timeout(Duration::from_secs(10), step).await {
                        Ok(Ok(())) if reply == message => round_trips += 1,
                        Ok(Ok(())) => return Err("wrong reply".to_string()),
                        Ok(Err(e)) => {
                            return Err(format!("echo: {}", e.kind()));
                        }
                        Err(_) => return Err("timed out".to_string()),
                    }
                    if Instant::now() >= deadline {
                        // The stream too: it stays open until the end.
                        break Ok((round_trips, stream));
                    }
                }
            });
        }
        let mut round_trips = 0u64;
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();
        while let Some(joined) = clients.join_next().await {
            match joined.map_err(|e| e.to_string()).and_then(|r| r) {
                Ok((n, stream)) => {
                    round_trips += n;
                    quiet.push(stream);
                }
                Err(e) => *errors.entry(e).or_default() += 1,
            }
        }
        let elapsed = began.elapsed().as_secs_f64();
        let cpu_at_end = inspect::cpu_time(server)?;
        let result = json!({
            "connections": connections,
            "idle": idle,
            "message_bytes": size,
            "round_trips": round_trips,
            "seconds": elapsed,
            "round_trips_per_s": round_trips as f64 / elapsed,
            "failed": errors.values().sum::<u64>(),
            "errors": errors,
            "server_cpu": server_cpu_between(cpu_at_start, cpu_at_end),
        });
        // Hold every connection open until the driver has read the
        // server's memory and the kernel's counters.
        println!("{result}");
        io::stdout().flush()?;
        let mut rest = Vec::new();
        io::stdin().read_to_end(&mut rest)?;
        drop(quiet);
        Ok(result)
    })
}

/// The server's CPU time between two readings, in seconds: the exact
/// total, and the kernel's sampled split into user and system time (a
/// tick at a time) scaled to that total, as the kernel scales its own. A
/// window too short for a tick has no split.
fn server_cpu_between(start: CpuTime, end: CpuTime) -> Value {
    let total = (end.total - start.total).as_secs_f64();
    let user = end.user_ticks.saturating_sub(start.user_ticks) as f64;
    let system = end.system_ticks.saturating_sub(start.system_ticks) as f64;
    let mut cpu = json!({ "server_cpu_s": total });
    if user + system > 0.0 {
        cpu["server_user_s"] = json!(total * user / (user + system));
        cpu["server_system_s"] = json!(total * system / (user + system));
    }
    cpu
}
