//! The final runtime of Part Four (`listings/part4-ident/ident_server.rs`,
//! whose runtime is `listings/part4-faults/sturdy_server.rs` unchanged),
//! serving the benchmarks' workloads. The listing is a module of this
//! program, included as it is; its `main` and ident server are not used.

#[allow(dead_code)]
#[path = "../../listings/part4-ident/ident_server.rs"]
mod runtime;

include!("book_workloads.rs");
