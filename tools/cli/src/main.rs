//! `cargo book`: build, serve and test the book with the pinned tools.
//!
//! ```text
//! cargo book serve [ARGS]        build, serve on localhost:3000, rebuild on
//!                                change; the programs the Playground cannot
//!                                run get Run buttons that run them here
//! cargo book build [DIR]         the static site, into DIR (default book/)
//! cargo book outputs [CH]        the sample outputs of chapter CH (or of
//!                                all) made again by running the programs
//! cargo book mdbook-test [CH]    `mdbook test`, for every chapter or chapter CH
//! cargo book test [ARGS]         install-tools, while building what
//!                                the tests run; then `cargo test ARGS`
//! cargo book check CH [--run]    one chapter: includes, anchors, claim
//!                                markers, links; with --run also its
//!                                claim tests, code blocks, mdbook test
//! cargo book check-exercise NAME [FILE]
//!                                an exercise (`part1-join`): FILE, by
//!                                default the reader's copy
//!                                exercises/NAME.rs (written from the
//!                                starter when there is none), compiled
//!                                as the page's Run button would, run and
//!                                held to the exercise's promise
//! cargo book install-tools       install every tool the tests use: the
//!                                pinned mdBook tools into .tools/, what the
//!                                browser tests drive, actionlint, strace
//!                                and shellcheck
//! cargo book assemble FILE [OUT] a program of listings/ as the one file the
//!                                page runs (its library modules inlined),
//!                                to OUT or stdout; an exercise's starter is
//!                                FILE ..._starter.rs
//! cargo book assemble --all DIR  every program so, under DIR
//! cargo book variant open NAME   a variant stage (listings/src/NAME.diff)
//!                                as a file of its own, to edit
//! cargo book variant close NAME  its diff made again from that file
//! ```
//!
//! mdBook runs the book's preprocessor itself (`tools/preprocessor/`);
//! this command does not.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use book_tools::exercise_promises::{self, Verdict};
use book_tools::pinned::{self, MDBOOK};
use book_tools::project::into_result;
use book_tools::{
    Project, actionlint, browser, builds, check, claims, install, links,
    mdbook_test, outputs, strace,
};

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<()> {
    let project = Project::find_from_current_dir()?;
    let (command, rest) =
        args.split_first().map(|(c, r)| (c.as_str(), r)).unzip();
    let rest = rest.unwrap_or_default();
    // These commands install what they run (the pinned mdBook tools, or
    // for `install-tools` and `test` everything): the tests never do.
    if let Some(
        "serve" | "build" | "check" | "mdbook-test" | "install-tools" | "test",
    ) = command
    {
        install::allow();
    }
    match command {
        Some("serve") => serve(&project, rest),
        Some("build") => {
            let dest = rest
                .first()
                .map(PathBuf::from)
                .unwrap_or(project.root.join("book"));
            build(&project, &dest)
        }
        Some("check") => {
            let (flags, names): (Vec<&String>, Vec<&String>) =
                rest.iter().partition(|arg| arg.starts_with("--"));
            let run_too = match flags.as_slice() {
                [] => false,
                [flag] if *flag == "--run" => true,
                _ => bail!("usage: cargo book check CHAPTER [--run]"),
            };
            let [name] = names.as_slice() else {
                bail!("usage: cargo book check CHAPTER [--run]");
            };
            let chapter = check::chapter_named(&project, name)?;
            check::chapter(&project, &chapter, run_too)
        }
        Some("outputs") => {
            let part = match rest.first() {
                Some(name) => {
                    let chapter = check::chapter_named(&project, name)?;
                    Some(chapter.with_extension("").display().to_string())
                }
                None => None,
            };
            outputs::make(&project, part.as_deref())
        }
        Some("mdbook-test") => {
            let wrapper_dir = mdbook_test::prepare(&project)?;
            let chapter = rest.first().map(String::as_str);
            exec(mdbook_test::command(&project, &wrapper_dir, chapter)?)
        }
        Some("check-exercise") => match rest {
            [name] => check_exercise(&project, name, None),
            [name, file] => check_exercise(&project, name, Some(file.into())),
            _ => bail!("usage: cargo book check-exercise NAME [FILE]"),
        },
        Some("install-tools") => install_tools(&project),
        Some("test") => {
            // On a fresh clone the pinned mdBook tools take minutes to
            // compile: they do while cargo builds what the tests run.
            // A failed step still waits for the installs, which would
            // otherwise go on unseen, and without the lock.
            let installing = pinned::start_installing(&project)?;
            let ready = install_other_tools(&project)
                .and_then(|()| builds::make_all(&project, rest));
            let mdbook = match (ready, installing.finish()) {
                (Ok(()), installed) => installed?,
                (Err(failed), Ok(_)) => return Err(failed),
                (Err(failed), Err(install)) => {
                    bail!("{failed:#}\nand also: {install:#}")
                }
            };
            eprintln!(
                "mdBook tools ({}): {}",
                tool_versions(),
                mdbook.display()
            );
            let cargo = std::env::var_os("CARGO").unwrap_or("cargo".into());
            let mut test = Command::new(cargo);
            test.current_dir(&project.root).arg("test").args(rest);
            let status = test.status().context("running cargo test")?;
            // Which claims this run verified: a test that could not check
            // its claim here passes, but its claim does not count.
            eprint!("{}", claims::verified_on_last_run(&project)?);
            if !status.success() {
                std::process::exit(status.code().unwrap_or(1));
            }
            Ok(())
        }
        Some("assemble") => {
            match (rest.first().map(String::as_str), rest.get(1)) {
                (Some("--all"), Some(dir)) => {
                    book_tools::assemble::write_all(&project, dir.as_ref())?;
                    eprintln!("Every program, assembled, is under {dir}");
                    Ok(())
                }
                (Some(file), out) if file != "--all" => {
                    assemble(&project, file, out)
                }
                _ => bail!(
                    "usage: cargo book assemble listings/PART/PROGRAM.rs [OUT] \
                     | --all DIR"
                ),
            }
        }
        Some("variant") => {
            use book_tools::assemble::{close_variant, open_variant};
            match (rest.first().map(String::as_str), rest.get(1)) {
                (Some("open"), Some(name)) => {
                    let file = open_variant(&project, name)?;
                    eprintln!(
                        "Edit {}, then `cargo book variant close {name}`",
                        file.display()
                    );
                    Ok(())
                }
                (Some("close"), Some(name)) => {
                    let diff = close_variant(&project, name)?;
                    eprintln!("{} is made again", diff.display());
                    Ok(())
                }
                _ => bail!("usage: cargo book variant open|close NAME"),
            }
        }
        _ => bail!(
            "usage: cargo book serve|build|test|check|check-exercise|outputs|mdbook-test|install-tools|assemble|variant (see README.md)"
        ),
    }
}

/// `mdbook serve ARGS`, with the local Playground beside it for the
/// programs the real one cannot run: on loopback, for the served pages
/// only (their origin, and a token that only they carry), one program at
/// a time, each bounded in time and output.
fn serve(project: &Project, args: &[String]) -> Result<()> {
    use book_playground::{Guard, Limits, Playground};
    let mut mdbook = pinned::command(project, &MDBOOK)?;
    eprintln!(
        "Building the listings' crates for the Run buttons that run \
         programs on this machine (the first time takes a few minutes) ..."
    );
    let built = book_tools::listings::build(project)?;
    let playground =
        Playground::new(&built, &built.one_file_programs, Limits::THIS_MACHINE);
    let token = book_playground::new_token()?;
    let guard = Guard::BookOnly {
        origins: book_origins(args),
        token: token.clone(),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = book_playground::serve_in_background(
        std::sync::Arc::new(playground),
        listener,
        guard,
    )?;
    let url = format!("http://{address}");
    eprintln!(
        "Programs the Playground cannot run are run on this machine, by \
         the local Playground at {url} (loopback, for this book's pages \
         only)"
    );
    // mdBook hands its settings, this one included, to the preprocessor,
    // which gives the pages the address and token (local_run.rs).
    let (name, value) = book_tools::local_run::setting_env(&url, &token);
    mdbook.env(name, value).arg("serve").args(args);
    exec(mdbook)
}

/// The origins the served pages have: `mdbook serve`'s host and port
/// (`-n`/`--hostname`, `-p`/`--port`; localhost:3000 by default), under
/// each of the names loopback goes by.
fn book_origins(args: &[String]) -> Vec<String> {
    let value = |short: &str, long: &str| {
        let mut found = None;
        for (i, arg) in args.iter().enumerate() {
            if arg == short || arg == long {
                found = args.get(i + 1).cloned();
            } else if let Some(v) = arg.strip_prefix(&format!("{long}=")) {
                found = Some(v.to_owned());
            }
        }
        found
    };
    let port = value("-p", "--port").unwrap_or_else(|| "3000".into());
    let host = value("-n", "--hostname").unwrap_or_else(|| "localhost".into());
    let mut origins: Vec<String> =
        [host.as_str(), "localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|host| format!("http://{host}:{port}"))
            .collect();
    // `-n 127.0.0.1` names one of loopback's names again.
    origins.sort();
    origins.dedup();
    origins
}

/// `mdbook build` (HTML and link check), the search index made again
/// (`search_index.rs`), then the link check.
fn build(project: &Project, dest: &std::path::Path) -> Result<()> {
    let mut mdbook = pinned::command(project, &MDBOOK)?;
    mdbook.arg("build").arg("--dest-dir").arg(dest);
    let status = mdbook.status().context("running mdbook build")?;
    if !status.success() {
        bail!("mdbook build failed ({status})");
    }
    book_tools::search_index::rebuild(&dest.join("html"))?;
    into_result(links::check(project, &dest.join("html"))?)?;
    eprintln!("The book is in {}", dest.join("html").display());
    Ok(())
}

/// Installs every tool the book's commands and tests use that is missing,
/// and says where each one is.
fn install_tools(project: &Project) -> Result<()> {
    let mdbook = pinned::ensure_installed(project)?;
    eprintln!("mdBook tools ({}): {}", tool_versions(), mdbook.display());
    install_other_tools(project)
}

/// Every tool but the pinned mdBook tools.
fn install_other_tools(project: &Project) -> Result<()> {
    let browser = browser::ensure_installed(project)?;
    eprintln!("Chromium: {}", browser.chromium.display());
    eprintln!("Node.js: {}", browser.node.display());
    eprintln!(
        "playwright-core: {}",
        browser.tests_dir.join("node_modules").display()
    );
    let actionlint = actionlint::ensure_installed(project)?;
    eprintln!("actionlint: {}", actionlint.display());
    eprintln!("strace: {}", strace::ensure_installed()?.display());
    let shellcheck = install::shellcheck()?;
    eprintln!("shellcheck: {}", shellcheck.display());
    Ok(())
}

/// "mdbook 0.5.4, mdbook-linkcheck2 0.13.0".
fn tool_versions() -> String {
    let tools =
        pinned::ALL.map(|tool| format!("{} {}", tool.krate, tool.version));
    tools.join(", ")
}

/// `cargo book check-exercise NAME [FILE]`: the reader's version of an
/// exercise (FILE, or `exercises/NAME.rs`, written from the starter the
/// first time), compiled as the page's Run button would, run, and held to
/// the promise the claim tests hold the starter and the solution to.
fn check_exercise(
    project: &Project,
    name: &str,
    file: Option<PathBuf>,
) -> Result<()> {
    let promise = exercise_promises::promise(name)?;
    let file = match file {
        Some(file) => std::path::absolute(file)?,
        None => {
            let (copy, new) =
                exercise_promises::readers_copy(project, promise)?;
            if new {
                eprintln!(
                    "Wrote {}: the starter, as the page shows it with its \
                     hidden lines. Edit it, then run this command again.",
                    shown(project, &copy)
                );
            }
            copy
        }
    };
    eprintln!(
        "Building the listings' crates (the first time takes a few minutes) ..."
    );
    let built = book_tools::listings::build(project)?;
    eprintln!("Compiling and running {} ...", shown(project, &file));
    match exercise_promises::check_file(project, &built, promise, &file)? {
        Verdict::Kept(run) => {
            print!("{}", run.stdout);
            eprintln!(
                "{name}: done. Your program keeps the exercise's promise."
            );
            Ok(())
        }
        Verdict::Broken(run, broken) => {
            eprint!("{}", run.stderr);
            bail!("{name}: not yet. {broken}")
        }
        Verdict::DoesNotCompile(errors) => {
            eprint!("{errors}");
            bail!(
                "{name}: {} does not compile (see above)",
                shown(project, &file)
            )
        }
    }
}

/// A path as the reader would type it: relative to the repository.
fn shown(project: &Project, path: &std::path::Path) -> String {
    path.strip_prefix(&project.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Writes the assembled program: what Run sends, ready to copy.
fn assemble(project: &Project, file: &str, out: Option<&String>) -> Result<()> {
    let path = std::path::absolute(file)?;
    let relative = path.strip_prefix(&project.root).unwrap_or(&path);
    let program = book_tools::assemble::assemble(project, relative)
        .map_err(|problem| anyhow::anyhow!("{problem}"))?;
    match out {
        Some(out) => std::fs::write(out, program.text())
            .with_context(|| format!("writing {out}")),
        None => {
            print!("{}", program.text());
            Ok(())
        }
    }
}

fn exec(mut command: Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{:?} failed ({status})", command.get_program());
    }
    Ok(())
}
