// ANCHOR: sigterm
/// The set holding SIGTERM alone.
fn sigterm_set() -> libc::sigset_t {
    // SAFETY: `sigemptyset` initialises the set, whatever it held, and
    // `sigaddset` adds a valid signal to it; both get a valid pointer.
    unsafe {
        let mut set: libc::sigset_t = mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        set
    }
}

/// Blocks SIGTERM in this thread and, since a new thread inherits its
/// creator's mask, in every thread started after. Called first thing in
/// `main`, before there is any other thread, it leaves no thread that the
/// kernel could interrupt with SIGTERM: the signal stays pending until a
/// thread takes it with `sigwait`. No handler runs, so nothing has to be
/// safe inside one.
fn block_sigterm() -> io::Result<()> {
    let set = sigterm_set();
    // SAFETY: `set` is valid for the call; the old mask is not asked for.
    let result = unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut())
    };
    match result {
        0 => Ok(()),
        error => Err(io::Error::from_raw_os_error(error)),
    }
}

/// A future that is ready once SIGTERM has arrived: a thread of its own
/// waits for the signal in `sigwait`, like any other blocking call.
fn sigterm() -> JoinHandle<()> {
    spawn_blocking(|| {
        let set = sigterm_set();
        let mut signal = 0;
        // SAFETY: both pointers are valid for the call. SIGTERM is
        // blocked in every thread (`block_sigterm`), as `sigwait` needs.
        let result = unsafe { libc::sigwait(&set, &mut signal) };
        assert_eq!(result, 0, "sigwait failed");
    })
}
// ANCHOR_END: sigterm
