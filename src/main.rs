fn main() -> std::process::ExitCode {
    hldc::main()
}
