//! Three tasks accept on one shared listener, on the runtime as the
//! previous chapter left it (`listings::fragile`), which remembers one
//! waiting task per socket and direction: the last to wait.

use listings::fragile::{Async, block_on, sleep, spawn};

include!("one_listener.rs");
