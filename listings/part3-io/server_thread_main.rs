fn main() -> io::Result<()> {
    // Bind before any client exists. Once `bind` has returned, the kernel
    // queues incoming connections for us, so a client that connects before
    // the server thread reaches `accept` waits in that queue instead of
    // being refused. Port 0 asks the kernel for any free port; the
    // clients ask the listener which one it got.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    let server = thread::spawn(move || serve_ten(listener));

    let clients: Vec<_> = (0..10)
        .map(|_| thread::spawn(move || client(address)))
        .collect();
    for client in clients {
        client.join().expect("a client thread panicked");
    }

    // `join` wraps the thread's own result in another one. The outer
    // `Result` says whether the thread panicked; the inner one is the
    // `io::Result` that `serve_ten` returned.
    server.join().expect("the server thread panicked")?;
    Ok(())
}
