//! The final runtime of Part Four (`listings::sturdy`, on which the ident
//! server runs), serving the benchmarks' workloads.

use listings::sturdy as runtime;

#[path = "book_workloads.rs"]
mod workloads;

pub use workloads::{serve_workload, sleepers};
