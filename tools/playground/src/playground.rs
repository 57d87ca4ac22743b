//! Compiling and running one program as the Playground does: one file,
//! the listings' crates (libc, futures, tokio, pin-project-lite), the
//! edition the page asks for, and limits on time and output.
//!
//! Compiled programs are cached by what determines them (code, edition,
//! compiler, crates), in the one cache the starters and `cargo book
//! check-exercise` share, so a program compiled once is not compiled
//! again. Each distinct program also runs once per [`Playground`]: a
//! program posted again gets the answer of that run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Result;
use book_tools::listings::{Built, compile_one_file, program_key};
use book_tools::process::limits::limit_file_size;
use book_tools::process::{Input, Output, Running, isolate_network};
use serde::Serialize;
use serde_json::{Value, json};

/// What a run may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a program may run, of its own time (what it waited for a
    /// core on a busy machine does not count).
    pub run: Duration,
    /// How much it may write to standard output, and to standard error.
    pub output: u64,
    /// Whether it runs in a network of its own, with only a loopback, as
    /// in the Playground's containers.
    pub own_network: bool,
}

impl Limits {
    /// The real Playground's, as the book's Run buttons need them: a Run
    /// button gives up after six seconds, and the book promises programs
    /// that finish well within that.
    pub const PLAYGROUND: Limits = Limits {
        run: Duration::from_secs(5),
        output: 64 * 1024,
        own_network: true,
    };

    /// For the programs the Playground cannot run, on the reader's own
    /// machine: the longest of them takes about ten seconds. They run as
    /// `cargo run` would run them, on the machine's own network.
    pub const THIS_MACHINE: Limits = Limits {
        run: Duration::from_secs(30),
        output: 64 * 1024,
        own_network: false,
    };
}

/// Compiles and runs programs as the Playground does.
pub struct Playground {
    /// The listings' crates, offered to the programs.
    built: Built,
    /// What `/meta/crates` answers.
    crates: Value,
    /// Where compiled programs are kept (`listings::compile_one_file`).
    cache: PathBuf,
    limits: Limits,
    /// The answer for each program run so far, by cache key; a program
    /// asked for while it runs waits for that run.
    answers: Mutex<HashMap<String, Arc<OnceLock<Evaluation>>>>,
}

/// What the Playground answers to `/evaluate.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub result: String,
    pub error: Option<String>,
    /// How long the run waited for a core, for the promises about delays
    /// (`promised_output::broken_after_waiting`); the page is not told.
    #[serde(skip)]
    pub waited_for_a_core: Duration,
}

impl Evaluation {
    /// A failure: the page shows `why`, as the Playground shows stderr.
    pub fn failure(why: String) -> Evaluation {
        Evaluation {
            result: why.clone(),
            error: Some(why),
            waited_for_a_core: Duration::ZERO,
        }
    }
}

impl Playground {
    /// A playground offering the crates of `built`, keeping compiled
    /// programs in `cache`, running them within `limits`.
    pub fn new(built: &Built, cache: &Path, limits: Limits) -> Playground {
        let crates: Vec<Value> = built
            .versions
            .iter()
            .map(|(name, version)| {
                json!({ "id": name, "name": name, "version": version })
            })
            .collect();
        Playground {
            built: built.clone(),
            crates: json!({ "crates": crates }),
            cache: cache.to_owned(),
            limits,
            answers: Mutex::default(),
        }
    }

    /// What `/meta/crates` answers: the crates a program may use.
    pub fn crates(&self) -> &Value {
        &self.crates
    }

    /// Compiles `code` as `edition` (or finds it compiled before) and
    /// returns the program, or the compiler's errors.
    pub fn compile(
        &self,
        code: &str,
        edition: &str,
    ) -> Result<PathBuf, String> {
        compile_one_file(&self.built, &self.cache, code, edition)
    }

    /// What `/evaluate.json` answers for `code` in `edition`: the answer
    /// of its one run by this playground.
    pub fn evaluate(&self, code: &str, edition: &str) -> Evaluation {
        let key = program_key(&self.built, code, edition);
        let slot = Arc::clone(
            self.answers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(key)
                .or_default(),
        );
        slot.get_or_init(|| self.compile_and_run(code, edition))
            .clone()
    }

    fn compile_and_run(&self, code: &str, edition: &str) -> Evaluation {
        let binary = match self.compile(code, edition) {
            Ok(binary) => binary,
            Err(errors) => return Evaluation::failure(errors),
        };
        let Limits {
            run: limit,
            output,
            own_network,
        } = self.limits;
        let mut program = Command::new(binary);
        // As a reader's shell runs it: no backtraces.
        program.env_remove("RUST_BACKTRACE");
        // The book's servers all listen on port 8000; programs run side
        // by side, each on a loopback of its own.
        if own_network {
            isolate_network(&mut program);
        }
        // Output goes to files that cannot grow past the limit: a program
        // that prints without end is stopped, not kept in memory.
        limit_file_size(&mut program, output);
        let started =
            Running::spawn_with(program, Output::Files, Input::Closed);
        match started.and_then(|running| running.finish_on_its_own_time(limit))
        {
            Err(error) => {
                Evaluation::failure(format!("did not start: {error}"))
            }
            Ok(run) if run.timed_out => Evaluation::failure(format!(
                "{}\nstopped after running for {limit:?} of its own \
                 ({:?} on the clock); its threads then:\n{}",
                run.stderr, run.wall, run.killed_while
            )),
            Ok(run) if printed_too_much(&run.status) => {
                Evaluation::failure(format!(
                    "{}{}\nstopped: it printed more than {} KiB",
                    run.stdout,
                    run.stderr,
                    output / 1024
                ))
            }
            // What it printed, then why it died, as a terminal shows a
            // program that dies (`intro-too-many-threads`).
            Ok(run) if !run.status.success() => {
                Evaluation::failure(run.stdout + &run.stderr)
            }
            Ok(run) => Evaluation {
                result: run.stdout,
                error: None,
                waited_for_a_core: run.waited_for_a_core,
            },
        }
    }
}

/// Whether the kernel stopped the program for writing past its file
/// size limit.
fn printed_too_much(status: &std::process::ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(libc::SIGXFSZ)
}

#[cfg(test)]
mod tests {
    use super::*;
    use book_tools::programs;
    use std::fs;

    fn playground(limits: Limits) -> (tempfile::TempDir, Playground) {
        let cache = tempfile::tempdir().unwrap();
        let playground =
            Playground::new(programs::built(), cache.path(), limits);
        (cache, playground)
    }

    #[test]
    fn programs_run_with_the_playgrounds_crates_and_edition() {
        let (_cache, playground) = playground(Limits::PLAYGROUND);
        // `gen` is a keyword from edition 2024 on; libc is the listings'.
        let code = "fn main() { let r#gen = unsafe { libc::getpid() } > 0; \
                    println!(\"{}\", r#gen); }";
        let ran = playground.evaluate(code, "2024");
        assert_eq!(ran.error, None, "{}", ran.result);
        assert_eq!(ran.result, "true\n");
        // The second time it is not compiled again.
        let binary = playground.compile(code, "2024").unwrap();
        assert_eq!(fs::read_dir(binary.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn failures_answer_with_stderr() {
        let (_cache, playground) = playground(Limits::PLAYGROUND);
        let broken = playground.evaluate("fn main() { nope }", "2024");
        assert!(broken.result.contains("E0425"), "{broken:?}");
        assert_eq!(broken.error.as_ref(), Some(&broken.result));

        let panics =
            playground.evaluate("fn main() { panic!(\"no\") }", "2024");
        assert!(panics.result.contains("panicked"), "{panics:?}");
        assert_eq!(panics.error.as_ref(), Some(&panics.result));
    }

    #[test]
    fn a_run_is_bounded_in_time_and_output() {
        let limits = Limits {
            run: Duration::from_secs(1),
            output: 4096,
            own_network: false,
        };
        let (_cache, playground) = playground(limits);
        let endless = "fn main() { loop { std::hint::spin_loop() } }";
        let stopped = playground.evaluate(endless, "2024");
        assert!(
            stopped.result.contains("stopped after running"),
            "{stopped:?}"
        );

        let chatty = "fn main() { loop { println!(\"more\") } }";
        let stopped = playground.evaluate(chatty, "2024");
        let message = stopped.error.unwrap();
        assert!(message.ends_with("printed more than 4 KiB"), "{message}");
        assert!(message.len() < 4096 + 200, "{} bytes", message.len());
    }

    #[test]
    fn crates_are_the_listings_at_their_versions() {
        let (_cache, playground) = playground(Limits::PLAYGROUND);
        let crates = &playground.crates()["crates"];
        let names: Vec<&str> = crates
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["futures", "libc", "pin_project_lite", "tokio"]);
        assert!(crates[1]["version"].as_str().unwrap().starts_with("0.2."));
    }
}
