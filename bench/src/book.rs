//! The final runtime of Part Four (`listings::sturdy`, on which the ident
//! server runs), serving the benchmarks' workloads.

use listings::sturdy as runtime;

include!("book_workloads.rs");
