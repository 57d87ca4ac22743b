//! The local Playground: it compiles and runs what a page's Run button
//! posts, as play.rust-lang.org does, on this machine.
//!
//! It has two users, and one way of running for both:
//!
//! - the tests put it in place of the real Playground, so that a test sees
//!   what a reader would see without leaving the machine ([`Guard::Open`],
//!   [`Limits::PLAYGROUND`]);
//! - `cargo book serve` offers it to the served pages for the programs the
//!   Playground cannot run: more than 512 threads, io_uring, runs longer
//!   than its few seconds ([`Guard::BookOnly`], [`Limits::THIS_MACHINE`]).
//!   A server that compiles and runs code is a door into the reader's
//!   machine: it listens on loopback only, takes code only from the book's
//!   own pages, and bounds every run.
//!
//! - [`playground`]: compiling and running one program, within limits;
//! - [`server`]: the HTTP side, `/meta/crates` and `/evaluate.json`.

pub mod playground;
pub mod server;

pub use playground::{Evaluation, Limits, Playground};
pub use server::{
    Guard, Server, TOKEN_HEADER, new_token, serve, serve_in_background,
};
