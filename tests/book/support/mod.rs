//! What several of the suite's modules share: the book built once per run
//! and the Playground stand-in.

pub mod built_book;
pub mod part6_run;
pub mod playground_standin;
