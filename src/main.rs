fn main() -> std::process::ExitCode {
    // A reader that stops early (`hldc generate prod --stdout | head`) ends hldc quietly, as it
    // ends `cat`: Rust ignores SIGPIPE by default, which turns the closed pipe into a panic in
    // `print!`.
    // SAFETY: restoring the default disposition of one signal, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    hldc::main()
}
