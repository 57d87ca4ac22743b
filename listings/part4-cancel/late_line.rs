// ANCHOR: late_line
/// Accepts one client, started as a task of its own, that sends the line
/// `one` at once and the line `two` a second later.
async fn accept_a_slow_client() -> io::Result<Async<TcpStream>> {
    let listener = Async::bind("127.0.0.1:0")?;
    let address = listener.get_ref().local_addr()?;
    spawn(async move {
        // Against a listener on this machine, `connect` returns at once.
        let client = Async::new(TcpStream::connect(address)?)?;
        client.write_all(b"one\n").await?;
        sleep(Duration::from_secs(1)).await;
        client.write_all(b"two\n").await
    });
    let (stream, _) = listener.accept().await?;
    Ok(stream)
}
// ANCHOR_END: late_line
