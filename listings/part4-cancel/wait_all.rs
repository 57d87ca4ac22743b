// ANCHOR: wait_all
impl TaskGroup {
    /// Waits until no member is running.
    async fn wait_all(&self) {
        poll_fn(|cx| {
            let mut members = self.members.lock().unwrap();
            if members.running.is_empty() {
                return Poll::Ready(());
            }
            members.waiter = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}
// ANCHOR_END: wait_all
