// ANCHOR: accept
/// Accepts connections until it is dropped, and serves each in a task of
/// `connections`. Dropping it drops the listener, which closes it: from
/// then on the kernel refuses new connections.
async fn accept_all(listener: Async<TcpListener>, connections: &TaskGroup) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => connections.spawn(async move {
                if let Err(e) = serve(stream).await {
                    eprintln!("connection: {e}");
                }
            }),
            // Out of descriptors, or a connection that failed before we
            // took it: wait a little (the faults chapter says why), and
            // go on.
            Err(e) => {
                eprintln!("accept: {e}");
                sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One conversation: each line the client sends comes back in upper case,
/// until the client closes its side.
async fn serve(stream: Async<TcpStream>) -> io::Result<()> {
    let mut lines = Lines::new(&stream, 1000);
    let mut writer = &stream;
    while let Some(line) = lines.next().await {
        let mut reply = line?.to_ascii_uppercase();
        reply.push(b'\n');
        write_all(&mut writer, &reply).await?;
    }
    Ok(())
}
// ANCHOR_END: accept

/// The address to listen on: the first argument, or port 8000 of the
/// loopback. Port 0 asks the kernel for any free port.
fn address() -> String {
    std::env::args().nth(1).unwrap_or("127.0.0.1:8000".into())
}
