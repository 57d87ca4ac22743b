//! A stand-in for the Rust Playground (play.rust-lang.org), for the
//! browser tests: it answers the two requests mdBook's Run buttons make,
//! and it really compiles and runs what a page posts, so that a test sees
//! what a reader would see without leaving the machine.
//!
//! - `POST /meta/crates` lists the crates a program may use: the ones the
//!   Playground offers and the listings use (libc, futures, tokio,
//!   pin-project-lite), at the versions the listings are built with.
//! - `POST /evaluate.json` takes `{version, optimize, code, edition}`,
//!   compiles `code` with rustc as that edition and with only those
//!   crates, runs it in a network of its own with the time limit the
//!   book's programs must keep, and answers as the Playground does:
//!   `{"result": stdout, "error": null}`, or the compiler's or the
//!   program's stderr as both `result` and `error` when it fails.
//!
//! Compiled programs are cached by what determines them (code, edition,
//! compiler, crates), in the one cache the starters and `cargo book
//! check-exercise` share, so a second test run compiles nothing. Within one
//! test run each distinct program also runs once: [`shared`] is the one
//! stand-in of the process, and a program posted again (by the browser,
//! after `whole_book` ran every Run button's program) gets the answer of
//! that run.
//!
//! It lives with the tests, not in `book-tools`, so that `cargo book` and
//! the build script never compile an HTTP server.

use std::collections::HashMap;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use anyhow::Result;
use axum::extract::{Json, State};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tower_http::cors::CorsLayer;

use book_tools::listings::{Built, compile_one_file, program_key};
use book_tools::playground::{RunButton, run_buttons};
use book_tools::process::{self, isolate_network};
use book_tools::programs;

/// How long a program may run, of its own time (what it waited for a
/// core on a busy machine does not count). A Run button gives up after
/// six seconds; the book promises programs that finish well within that.
pub const RUN_LIMIT: Duration = Duration::from_secs(5);

/// Compiles and runs programs as the Playground does.
pub struct Playground {
    /// The listings' crates, offered to the programs.
    built: Built,
    /// What `/meta/crates` answers.
    crates: Value,
    /// Where compiled programs are kept (`listings::compile_one_file`).
    cache: PathBuf,
    /// The answer for each program run so far, by cache key; a program
    /// asked for while it runs waits for that run.
    answers: Mutex<HashMap<String, Arc<OnceLock<Evaluation>>>>,
}

/// The stand-in of this test process, offering the listings' crates and
/// keeping compiled programs in the suite's scratch directory.
pub fn shared() -> Arc<Playground> {
    static SHARED: OnceLock<Arc<Playground>> = OnceLock::new();
    let playground = SHARED.get_or_init(|| {
        let built = programs::built();
        Arc::new(Playground::new(built, &built.one_file_programs).unwrap())
    });
    Arc::clone(playground)
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
    fn failure(stderr: String) -> Evaluation {
        Evaluation {
            result: stderr.clone(),
            error: Some(stderr),
            waited_for_a_core: Duration::ZERO,
        }
    }
}

/// What a Run button posts; `version` and `optimize` do not matter here.
#[derive(Debug, Deserialize)]
struct EvaluateRequest {
    code: String,
    edition: String,
}

/// A Run button of the built book, and what the stand-in answered for it.
pub struct Answered {
    /// `part3-io.md Run button 4`.
    pub name: String,
    pub button: RunButton,
    pub answer: Evaluation,
}

/// Every Run button on the built book's chapter pages (in `html`), its
/// program run once on the [`shared`] stand-in in the book's edition,
/// six at a time (the programs mostly sleep, each in a network of its
/// own). Once per test process: the browser's pages then get these
/// answers at once.
pub fn answer_every_run_button(html: &Path) -> &'static [Answered] {
    static ANSWERED: OnceLock<Vec<Answered>> = OnceLock::new();
    ANSWERED.get_or_init(|| {
        programs::heavy_work_may_start();
        let project = programs::project();
        let edition = project.edition().unwrap();
        let mut buttons = Vec::new();
        for chapter in project.chapters().unwrap() {
            let page = html.join(chapter.with_extension("html"));
            // SUMMARY.md makes no page.
            if !page.is_file() {
                continue;
            }
            for button in run_buttons(&page).unwrap() {
                let name = format!(
                    "{} Run button {}",
                    chapter.display(),
                    button.index
                );
                buttons.push((name, button));
            }
        }
        let playground = shared();
        let answers = programs::side_by_side(&buttons, 6, |(_, button)| {
            playground.evaluate(&button.code, &edition)
        });
        buttons
            .into_iter()
            .zip(answers)
            .map(|((name, button), answer)| Answered {
                name,
                button,
                answer,
            })
            .collect()
    })
}

impl Playground {
    /// A playground offering the crates of `built`, keeping compiled
    /// programs in `cache`.
    pub fn new(built: &Built, cache: &Path) -> Result<Playground> {
        let crates: Vec<Value> = built
            .versions
            .iter()
            .map(|(name, version)| {
                json!({ "id": name, "name": name, "version": version })
            })
            .collect();
        Ok(Playground {
            built: built.clone(),
            crates: json!({ "crates": crates }),
            cache: cache.to_owned(),
            answers: Mutex::default(),
        })
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
    /// of its one run in this process.
    pub fn evaluate(&self, code: &str, edition: &str) -> Evaluation {
        let slot = Arc::clone(
            self.answers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(self.key(code, edition))
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
        let mut program = Command::new(binary);
        // The book's servers all listen on port 8000; programs run side
        // by side, each on a loopback of its own.
        isolate_network(&mut program);
        match process::run_on_its_own_time(program, RUN_LIMIT) {
            Err(error) => {
                Evaluation::failure(format!("did not start: {error}"))
            }
            Ok(run) if run.timed_out => Evaluation::failure(format!(
                "{}\nkilled after running for {RUN_LIMIT:?} of its own \
                 ({:?} on the clock); its threads then:\n{}",
                run.stderr, run.wall, run.killed_while
            )),
            Ok(run) if !run.status.success() => Evaluation::failure(run.stderr),
            Ok(run) => Evaluation {
                result: run.stdout,
                error: None,
                waited_for_a_core: run.waited_for_a_core,
            },
        }
    }

    fn key(&self, code: &str, edition: &str) -> String {
        program_key(&self.built, code, edition)
    }

    /// Serves the playground on 127.0.0.1 at a port the kernel chooses,
    /// on the current tokio runtime, until the returned server is dropped.
    pub async fn serve(self: Arc<Playground>) -> Result<Server> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let app = axum::Router::new()
            .route("/meta/crates", post(crates))
            .route("/evaluate.json", post(evaluate))
            // Pages post from the book's origin, as they do to the real
            // Playground, which allows it.
            .layer(CorsLayer::permissive())
            .with_state(self);
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the stand-in serves");
        });
        Ok(Server { address, task })
    }
}

async fn crates(State(playground): State<Arc<Playground>>) -> Json<Value> {
    Json(playground.crates.clone())
}

async fn evaluate(
    State(playground): State<Arc<Playground>>,
    Json(request): Json<EvaluateRequest>,
) -> Json<Evaluation> {
    // Compiling and running block; programs run side by side.
    let evaluation = tokio::task::spawn_blocking(move || {
        playground.evaluate(&request.code, &request.edition)
    })
    .await
    .expect("evaluating does not panic");
    Json(evaluation)
}

/// The running stand-in.
pub struct Server {
    pub address: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    /// `http://127.0.0.1:PORT`, to put in place of
    /// `https://play.rust-lang.org`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn playground() -> (tempfile::TempDir, Playground) {
        let cache = tempfile::tempdir().unwrap();
        let playground = Playground::new(programs::built(), cache.path());
        (cache, playground.unwrap())
    }

    #[test]
    fn programs_run_with_the_playgrounds_crates_and_edition() {
        let (_cache, playground) = playground();
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
        let (_cache, playground) = playground();
        let broken = playground.evaluate("fn main() { nope }", "2024");
        assert!(broken.result.contains("E0425"), "{broken:?}");
        assert_eq!(broken.error.as_ref(), Some(&broken.result));

        let panics =
            playground.evaluate("fn main() { panic!(\"no\") }", "2024");
        assert!(panics.result.contains("panicked"), "{panics:?}");
        assert_eq!(panics.error.as_ref(), Some(&panics.result));
    }

    #[test]
    fn crates_are_the_listings_at_their_versions() {
        let (_cache, playground) = playground();
        let crates = &playground.crates["crates"];
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
