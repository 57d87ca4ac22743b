//! What `/proc` shows of a live process, read through the crate, checked
//! on this test process and on programs it starts.

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use book_process::{Running, inspect, machine, wait_for, wait_until};

fn own_pid() -> u32 {
    std::process::id()
}

#[test]
fn a_listening_socket_is_found_by_port_and_among_the_descriptors() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    assert!(inspect::listens_on(own_pid(), port));
    // Other tests of this process may listen too: ours is one of them.
    let found = inspect::listening_port(own_pid());
    assert!(found.is_some(), "no listening socket found");
    assert_eq!(inspect::unread_bytes_on_port(own_pid(), port).unwrap(), 0);
}

/// Run by `a_program_that_listens_is_waited_for` as a child process.
#[test]
#[ignore = "a helper that a_program_that_listens_is_waited_for runs"]
fn listen_on_a_free_port_for_a_minute() {
    let _listener = TcpListener::bind("127.0.0.1:0").unwrap();
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn a_program_that_listens_is_waited_for() {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", "listen_on_a_free_port_for_a_minute"]);
    command.args(["--ignored", "--test-threads=1"]);
    let server = Running::spawn(command).unwrap();
    let port = wait_for("a port", Duration::from_secs(30), || {
        inspect::listening_port(server.id())
    });
    assert_ne!(port, 0);
    book_process::wait_until_listening(
        server.id(),
        port,
        Duration::from_secs(10),
    );
}

#[test]
fn descriptors_threads_and_memory_of_this_process() {
    // Standard input, output and error at least.
    assert!(inspect::open_descriptors(own_pid()).unwrap() >= 3);
    assert!(inspect::threads(own_pid()).unwrap() >= 1);
    let rss = inspect::resident_kib(own_pid()).unwrap();
    assert!(rss > 0);
    assert!(inspect::peak_resident_kib(own_pid()).unwrap() >= rss);
    // Whatever the main thread is doing, it is not stopped or gone.
    assert!(matches!(inspect::state(own_pid()).unwrap(), 'R' | 'S'));
}

#[test]
fn cpu_time_and_scheduling_of_a_busy_program() {
    let mut busy = Command::new("sh");
    busy.args(["-c", "while :; do :; done"]);
    let busy = Running::spawn(busy).unwrap();
    wait_until("some CPU time", Duration::from_secs(30), || {
        inspect::cpu_time(busy.id()).unwrap().total > Duration::from_millis(50)
    });
    let scheduled = inspect::scheduled(busy.id()).unwrap();
    assert!(scheduled.on_a_core > Duration::ZERO, "{scheduled:?}");
    let cpu = inspect::cpu_time(busy.id()).unwrap();
    assert!(cpu.user_ticks + cpu.system_ticks > 0, "{cpu:?}");
}

#[test]
fn the_longest_wait_for_a_core_is_a_busy_threads_not_the_main_ones() {
    // More busy threads than cores: some of them wait for a core, while
    // this thread sleeps in `join`.
    let busy = 2 * std::thread::available_parallelism().unwrap().get() + 1;
    let threads: Vec<_> = (0..busy)
        .map(|_| {
            std::thread::spawn(|| {
                let began = std::time::Instant::now();
                while began.elapsed() < Duration::from_millis(300) {
                    std::hint::spin_loop();
                }
                inspect::longest_wait_for_a_core(own_pid()).unwrap()
            })
        })
        .collect();
    let longest = threads
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .max()
        .unwrap();
    let main = inspect::scheduled(own_pid()).unwrap().waiting_for_a_core;
    assert!(longest > Duration::ZERO, "no thread waited");
    assert!(longest >= main, "{longest:?} < the main thread's {main:?}");
}

#[test]
fn a_sleeping_program_sleeps_in_a_system_call() {
    let mut command = Command::new("sleep");
    command.arg("60");
    let sleeper = Running::spawn(command).unwrap();
    // Until `sleep` has started, it may be caught in another call (execve,
    // on a busy machine): what is waited for is the sleeping call.
    let sleeps = [libc::SYS_clock_nanosleep, libc::SYS_nanosleep];
    wait_for("sleep to sleep", Duration::from_secs(10), || {
        inspect::sleeping_in_system_call(sleeper.id())
            .filter(|call| sleeps.contains(call))
    });
    assert_eq!(inspect::state(sleeper.id()).unwrap(), 'S');
    let report = inspect::threads_report(sleeper.id());
    assert!(report.starts_with("sleep S in "), "{report}");
    assert!(report.contains("waiting for one"), "{report}");
    // SIGPIPE is not ignored by `sleep`.
    let ignored = inspect::ignored_signals(sleeper.id()).unwrap();
    assert_eq!(ignored & (1 << (libc::SIGPIPE - 1)), 0);
}

#[test]
fn the_children_of_a_shell_are_listed() {
    let mut command = Command::new("sh");
    command.args(["-c", "sleep 60 & wait"]);
    let shell = Running::spawn(command).unwrap();
    let children =
        wait_for("the shell's child", Duration::from_secs(10), || {
            let children = inspect::children(shell.id()).ok()?;
            (!children.is_empty()).then_some(children)
        });
    assert_eq!(children.len(), 1, "{children:?}");
    // The shell is killed when dropped; its child is killed here.
    book_process::running::signal(children[0], libc::SIGKILL).unwrap();
}

#[test]
#[should_panic(expected = "waited 50ms for nothing at all, in vain")]
fn a_wait_in_vain_names_what_it_waited_for() {
    wait_until("nothing at all", Duration::from_millis(50), || false);
}

#[test]
fn the_machine_is_described() {
    assert!(machine::memory_kib().unwrap() > 0);
    assert!(machine::load_average().is_some());
    assert!(!machine::kernel_release().unwrap().is_empty());
    assert!(machine::sysctl_number("kernel/pid_max").unwrap() > 0);
    assert!(machine::tcp_counters().contains_key("tcp_retransmits"));
}
