/// The server and ten clients, each a task. The clients end first; then
/// the server's result is the program's.
async fn server_and_ten_clients(listener: TcpListener) -> io::Result<()> {
    let address = listener.local_addr()?;
    let server = spawn(serve_ten(listener));
    let clients: Vec<_> = (0..10).map(|_| spawn(client(address))).collect();
    for client in clients {
        client.await;
    }
    server.await
}

/// Accepts ten connections and serves each in a task of its own.
async fn serve_ten(listener: TcpListener) -> io::Result<()> {
    let mut handlers = Vec::new();
    for n in 0..10 {
        let stream = accept(&listener).await?;
        handlers.push(spawn(serve(stream, n)));
    }
    for handler in handlers {
        handler.await?;
    }
    Ok(())
}

/// One client: connect, then copy everything the server sends to stdout.
async fn client(address: SocketAddr) {
    // The shortcut of Part Three: `connect` blocks. Against a listener on
    // this machine it returns almost at once; Part Three says what a
    // non-blocking connect needs.
    let stream = TcpStream::connect(address).expect("could not connect");
    stream
        .set_nonblocking(true)
        .expect("could not set non-blocking");
    copy_to_stdout(stream).await.expect("copy failed");
}
