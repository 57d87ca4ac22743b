/// Reads until the socket has nothing left, which is what an edge-triggered
/// registration requires: only then may the reader wait for the next edge.
fn read_until_would_block(
    socket: &mut UnixStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut total = 0;
    loop {
        match socket.read(buf) {
            // The end of the stream: the peer has closed its side.
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Ok(total);
            }
            Err(e) => return Err(e),
        }
    }
}
