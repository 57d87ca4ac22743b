//! What several of the suite's modules share: the book built once per run,
//! the Playground stand-in, and the local Playground of a served book.

pub mod built_book;
pub mod local_run;
pub mod part6_run;
pub mod playground_standin;
