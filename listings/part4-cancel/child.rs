// ANCHOR: child
/// Says, when dropped, whether its child finished or was cut short.
struct Child {
    number: u64,
    finished: bool,
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.finished {
            println!("child {}: cancelled", self.number);
        }
    }
}

/// Works (sleeps) for 0.4 seconds and a tenth for each number.
async fn child(number: u64) {
    let mut child = Child {
        number,
        finished: false,
    };
    sleep(Duration::from_millis(400 + 100 * number)).await;
    child.finished = true;
    println!("child {number}: finished");
}
// ANCHOR_END: child
