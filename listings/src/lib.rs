//! The runtime the book builds, a stage at a time, and the code that
//! several of its programs share. Each program of the book is a small file
//! on one stage (`use listings::sturdy::{block_on, spawn};`); the book
//! shows it, and the Playground runs it, as one file with the stage
//! inlined.
//!
//! | module | what it is | chapter |
//! | --- | --- | --- |
//! | [`sturdy`] | the runtime on `epoll` that survives faults | Part Four: faults |
//! | [`streams`] | streams, and lines read from a socket | Part Four: ident |
//! | [`ident`] | the ident protocol (RFC 1413) and its server | Part Four: ident |

pub mod ident;
pub mod streams;
pub mod sturdy;
