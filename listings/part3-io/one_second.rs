/// Serves connection number `n`: "start", one second of sleep, "end".
async fn serve(mut stream: TcpStream, n: usize) -> io::Result<()> {
    write_all(&mut stream, format!("start {n}\n").as_bytes()).await?;
    sleep(Duration::from_secs(1)).await;
    write_all(&mut stream, format!("end {n}\n").as_bytes()).await
}

include!("ten_clients.rs");
