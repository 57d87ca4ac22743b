//! Part Five's benchmarks: the book's runtimes against threads, Tokio and
//! a raw `epoll` loop, on the same workloads, with the data and the plots
//! written by one command:
//!
//! ```text
//! cargo run --release -p book-bench -- all
//! ```
//!
//! That writes `src/part5-measured/results.json` (every run's numbers,
//! medians, ratios pair by pair, the machine) and the SVG plots beside it,
//! where Part Five's chapter reads them. The
//! program also plays every part of a run, as a process of its own: the
//! driver starts itself as a server (`server`), as the load generator
//! (`load`), and as the benchmarks that need no server (`wakeup`,
//! `memory`).

mod book;
mod book_mt;
mod book_tuned;
mod book_uring;
mod data;
mod driver;
mod load;
mod machine;
mod memory;
mod part3;
mod plot;
mod raw_epoll;
mod servers;
mod wakeup;
mod workload;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage:
  book-bench all [--tiny] [--runs N] [--only W1,W2] [--contenders C1,C2]
                 [--sizes W=N1,N2 ...] [--out DIR]
      run the workloads (sleep, echo, cpu, idle, wakeup, memory; all by
      default) with the contenders (threads, poll-loop, book, book-tuned,
      book-mt, book-uring, tokio-ct, tokio-mt, raw-epoll, and poll, epoll
      for wakeup; all by default),
      write DIR/results.json and the plots (DIR defaults to
      src/part5-measured, where the book reads them);
      --sizes replaces the sizes of sleep, idle, wakeup, memory-threads
      or memory-tasks; --tiny is the test suite's small run
  book-bench plot DATA.json
      draw the plots again from a data file, next to it
parts of a run, started by `all`:
  book-bench server CONTENDER sleep MS | echo [WORK_ROUNDS]
  book-bench load sleep ADDRESS N LIMIT_S
  book-bench load echo ADDRESS CONNECTIONS IDLE BYTES SECONDS SERVER_PID
  book-bench wakeup poll|epoll IDLE MAX_ITERATIONS MAX_MS
  book-bench memory threads|tokio-ct|book COUNT MS";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("book-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> io::Result<()> {
    machine::raise_nofile_limit()?;
    let arg = |i: usize| -> io::Result<&str> {
        args.get(i)
            .map(String::as_str)
            .ok_or_else(|| io::Error::other(USAGE))
    };
    let number = |i: usize| -> io::Result<f64> {
        arg(i)?.parse().map_err(|_| {
            io::Error::other(format!(
                "not a number: {}\n{USAGE}",
                arg(i).unwrap()
            ))
        })
    };
    match arg(0)? {
        "all" => all(&args[1..]),
        "plot" => {
            let path = Path::new(arg(1)?);
            let data: data::Data =
                serde_json::from_str(&std::fs::read_to_string(path)?)?;
            for file in
                plot::draw(&data, path.parent().unwrap_or(Path::new(".")))?
            {
                println!("{file}");
            }
            Ok(())
        }
        "server" => {
            let workload = match arg(2)? {
                "sleep" => workload::Workload::Sleep(Duration::from_millis(
                    number(3)? as u64,
                )),
                "echo" => workload::Workload::Echo {
                    work: match args.get(3) {
                        Some(_) => number(3)? as u32,
                        None => 0,
                    },
                },
                _ => return Err(io::Error::other(USAGE)),
            };
            let listener = servers::listener()?;
            // The driver reads this line to learn the port.
            println!("listening on {}", listener.local_addr()?);
            io::stdout().flush()?;
            servers::serve(arg(1)?, listener, workload)
        }
        "load" => {
            let address: SocketAddr =
                arg(2)?.parse().map_err(io::Error::other)?;
            // The echo clients print their own lines: see `echo_clients`.
            let result = match arg(1)? {
                "sleep" => load::sleep_clients(
                    address,
                    number(3)? as usize,
                    Duration::from_secs_f64(number(4)?),
                )?,
                "echo" => {
                    load::echo_clients(
                        address,
                        number(3)? as usize,
                        number(4)? as usize,
                        number(5)? as usize,
                        number(6)?,
                        number(7)? as u32,
                    )?;
                    return Ok(());
                }
                _ => return Err(io::Error::other(USAGE)),
            };
            println!("{result}");
            Ok(())
        }
        "wakeup" => {
            let result = wakeup::measure(
                arg(1)?,
                number(2)? as usize,
                number(3)? as u64,
                Duration::from_millis(number(4)? as u64),
            )?;
            println!("{result}");
            Ok(())
        }
        "memory" => {
            let result = memory::measure(
                arg(1)?,
                number(2)? as usize,
                Duration::from_millis(number(3)? as u64),
            )?;
            println!("{result}");
            Ok(())
        }
        _ => Err(io::Error::other(USAGE)),
    }
}

fn all(args: &[String]) -> io::Result<()> {
    let mut tiny = false;
    let mut runs = None;
    let mut out = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../src/part5-measured"
    ));
    let mut workloads: Vec<String> =
        ["sleep", "echo", "cpu", "idle", "wakeup", "memory"]
            .map(String::from)
            .to_vec();
    // Every name that any workload knows: servers, mechanisms, sleepers.
    let mut contenders: Vec<String> = servers::CONTENDERS
        .iter()
        .chain(&["poll", "epoll"])
        .map(|c| c.to_string())
        .collect();
    let mut sizes: Vec<String> = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let mut value =
            || rest.next().cloned().ok_or_else(|| io::Error::other(USAGE));
        match flag.as_str() {
            "--tiny" => tiny = true,
            "--runs" => {
                runs = Some(value()?.parse().map_err(io::Error::other)?)
            }
            "--out" => out = PathBuf::from(value()?),
            "--contenders" => {
                contenders = value()?.split(',').map(String::from).collect()
            }
            "--sizes" => sizes.push(value()?),
            "--only" => {
                workloads = value()?.split(',').map(String::from).collect()
            }
            _ => return Err(io::Error::other(USAGE)),
        }
    }
    if !tiny && cfg!(debug_assertions) {
        return Err(io::Error::other(
            "a full run measures a release build: cargo run --release -p book-bench -- all",
        ));
    }
    let command = std::iter::once("book-bench")
        .chain(std::iter::once("all"))
        .chain(args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let mut settings = driver::settings(contenders, tiny, runs, command);
    for choice in sizes {
        driver::choose_sizes(&mut settings, &choice)?;
    }
    // Both ends of the largest size must fit under the descriptor limit:
    // the server's in one process, the clients' in another.
    let largest = settings.sleep_sizes.iter().chain(&settings.idle_sizes);
    let largest = largest.max().copied().unwrap_or(0);
    let (limit, _) = machine::nofile_limit();
    if limit < largest + 100 {
        eprintln!(
            "warning: {largest} connections need more descriptors than the \
             limit of {limit} (ulimit -Hn): expect failed connections"
        );
    }
    let mut machine = machine::describe();
    let started = std::time::Instant::now();
    let series = driver::run(&settings, &workloads)?;
    machine.load_after = machine::load_average();
    machine.run_minutes = started.elapsed().as_secs_f64() / 60.0;
    let ratios = data::ratios(&series);
    let mut data = data::Data {
        format: data::FORMAT,
        machine,
        settings,
        series,
        ratios,
        plots: Vec::new(),
    };
    std::fs::create_dir_all(&out)?;
    data.plots = plot::draw(&data, &out)?;
    let path = out.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&data)? + "\n")?;
    println!("wrote {}", path.display());
    for plot in &data.plots {
        println!("wrote {}", out.join(plot).display());
    }
    Ok(())
}
