/// Serves connection number `n`: "start", one second of sleep, "end".
fn serve(mut stream: TcpStream, n: usize) -> io::Result<()> {
    stream.write_all(format!("start {n}\n").as_bytes())?;
    thread::sleep(Duration::from_secs(1));
    stream.write_all(format!("end {n}\n").as_bytes())
}

/// One client: connect, then copy everything the server sends to stdout.
fn client(address: SocketAddr) {
    let mut stream = TcpStream::connect(address).expect("could not connect");
    io::copy(&mut stream, &mut io::stdout()).expect("copy failed");
}
