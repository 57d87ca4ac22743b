//! The same eight tasks on the runtime with a worker per core: the
//! workers share them out by stealing, and every core is kept busy.

use listings::many_threads::{block_on, spawn};

include!("cpu_bound.rs");
