//! What several of the suite's modules share: the book built once, the
//! Playground stand-in, and the outputs the chapters promise.

pub mod built_book;
pub mod playground_standin;
pub mod promised_output;
