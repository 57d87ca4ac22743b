//! Part Four's last program, the ident server with its clients, on Part
//! Five's tuned runtime (`listings::tuned`): the same server, the same
//! demonstration, on a runtime with the three changes the profile called
//! for.
//!
//! Run without arguments, it starts the server and three clients and
//! prints what the clients were told. `serve [IDLE_SECONDS]` runs only the
//! server, until it is stopped.

use listings::tuned_ident::demo;

fn main() -> std::io::Result<()> {
    demo::main()
}
