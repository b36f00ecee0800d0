//! The process runner when the child's end cannot be observed. Alone in its own test binary
//! because it changes a process-wide signal disposition.

use std::process::Command;
use std::time::{Duration, Instant};

use hldc::process::{run, Failure};

#[test]
fn a_child_that_cannot_be_waited_for_is_a_wait_failure_not_a_timeout() {
    // With SIGCHLD ignored the kernel reaps children itself, so waiting for one fails (ECHILD):
    // the honest way to make waiting fail.
    // SAFETY: setting a signal disposition; no other test runs in this process.
    unsafe {
        libc::signal(libc::SIGCHLD, libc::SIG_IGN);
    }
    let mut command = Command::new("sh");
    command.args(["-c", "exit 0"]);
    let started = Instant::now();
    let failure = run(command, b"", Duration::from_secs(30)).unwrap_err();
    assert!(matches!(&failure, Failure::Wait(e) if e.raw_os_error() == Some(libc::ECHILD)), "{failure:?}");
    assert!(failure.to_string().starts_with("cannot wait for it to end: "), "{failure}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
